"""pytest fixtures; a test module enables them with `pytest_plugins = ["tests.github_fake.fixtures"]`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .process import RemoteFakeGitHub, start_fake_github_process
from .server import FakeGitHub
from .state import DEFAULT_REPO

__all__ = ["fake_github", "fake_github_process"]


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """An in-process fake with `octo-org/octo-repo`; fails the test on any violation."""
    with FakeGitHub() as fake:
        fake.state.add_repo(DEFAULT_REPO)
        yield fake
        fake.assert_no_violations()


@pytest.fixture(scope="module")
def _fake_github_server() -> Iterator[RemoteFakeGitHub]:
    """One fake process per test module: loading GitHub's description takes it seconds."""
    remote = start_fake_github_process()
    try:
        yield remote
    finally:
        remote.stop()


@pytest.fixture
def fake_github_process(_fake_github_server: RemoteFakeGitHub) -> Iterator[RemoteFakeGitHub]:
    """The fake as a separate process, for code under test that runs as a subprocess; each
    test gets it as just started (its state reset)."""
    remote = _fake_github_server
    if remote.process is not None and remote.process.poll() is not None:
        raise RuntimeError(f"the fake GitHub process exited ({remote.process.returncode})")
    remote.reset()
    yield remote
    remote.assert_no_violations()
