"""Test-session plumbing shared by every test file.

Tests marked `timing` judge wall and CPU times measured at different moments (a baseline
now, a pull request later) and assert a verdict: they hold the machine alone. Every other
test holds it shared, so with several pytest-xdist workers a timing test waits until no
other test runs and nothing starts beside it. Without that, a neighbour test that comes and
goes between the two measurements is a real runner change, which lanebench rightly calls
inconclusive, and the test's expected verdict becomes a coin toss.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# A config naming no instrument gets `auto` (time, plus instructions where valgrind is
# installed). The suite's many small runs measure time alone unless a test asks for the
# instrument itself: counting under valgrind costs 20-50x the command's time.
os.environ.setdefault("LANEBENCH_INSTRUMENT", "time")

# Third-party projects that `lanebench init` is run on: their own tests are data here.
collect_ignore_glob = ["fixtures/init/*"]

# Fixtures that measure a baseline to be compared with a later run: a test using one
# measures at a moment that must be quiet, so it is a timing test.
TIMING_FIXTURES = frozenset({"baseline_run", "baseline_results", "cli_baseline_results"})

_lock_fd: int | None = None


def _machine_lock(config: pytest.Config) -> int:
    """One lock file per checkout, shared by every xdist worker of this session."""
    global _lock_fd
    if _lock_fd is None:
        digest = hashlib.sha256(str(config.rootpath).encode()).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"lanebench-tests-{os.getuid()}-{digest}.lock"
        _lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    return _lock_fd


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if TIMING_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.timing)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    fd = _machine_lock(item.config)
    fcntl.flock(fd, fcntl.LOCK_EX if item.get_closest_marker("timing") else fcntl.LOCK_SH)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
