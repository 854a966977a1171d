"""Run each proposal once, the way lanebench will measure it, within a time limit.

The run goes through lanebench's runner (`lanebench.runner.measure_once`): the same
environment without secrets, the same timeout that kills the whole process tree, the
same logs. A proposal whose programs are missing here is not run, and says which.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from lanebench.config import BenchmarkSpec
from lanebench.init.model import Proposal, Trial, TrialStatus
from lanebench.runner import IterationRecord, benchmark_environment, measure_once

DEFAULT_TRIAL_TIMEOUT = 120.0
SAMPLE_INTERVAL = 0.05


# A line that names what went wrong, preferred over the last line of the output.
ERROR_LINE = re.compile(r"(Error|error:|No module named|not found|No such file|FAIL)")


def _first_line(record: IterationRecord) -> str:
    """The runner's message and the output line that best says why: the last line naming
    an error in stderr, then stdout (pytest reports there), else stderr's last line."""
    lines: list[str] = []
    for path in (record.stdout_path, record.stderr_path):
        if path is not None and path.is_file():
            with open(path, "rb") as fh:
                fh.seek(max(0, path.stat().st_size - 8192))
                lines += fh.read().decode("utf-8", "replace").splitlines()
    lines = [line.strip() for line in lines if line.strip()]
    errors = [line for line in lines if ERROR_LINE.search(line)]
    tail = errors or [line.strip() for line in record.stderr_tail.splitlines() if line.strip()]
    detail = f": {tail[-1][:200]}" if tail else ""
    return f"{record.message or record.status}{detail}"


def missing_programs(proposal: Proposal, which: Callable[[str], str | None] = shutil.which) -> list[str]:
    needed = list(proposal.needs)
    if isinstance(proposal.command, list) and "/" not in proposal.command[0]:
        needed.insert(0, proposal.command[0])
    if proposal.needs == ["cmake", "c++"]:
        needed = ["cmake"]
    return [p for p in dict.fromkeys(needed) if which(p) is None]


def run_once(proposal: Proposal, root: Path, timeout: float = DEFAULT_TRIAL_TIMEOUT) -> Trial:
    """One run of the proposal's setup (if any) and command; never raises for a failure
    of the command, only `Interrupted` on SIGINT/SIGTERM under `catch_signals()`."""
    missing = missing_programs(proposal)
    if missing:
        return Trial("not-run", message=f"{', '.join(missing)} not installed here")
    spec = BenchmarkSpec.model_validate(proposal.config_entry(harness_entries=False))
    env = benchmark_environment(spec)
    with tempfile.TemporaryDirectory(prefix="lanebench-init-") as logs:
        setup_wall = None
        if proposal.setup:
            setup = measure_once(["/bin/sh", "-c", proposal.setup], root, env, timeout,
                                 SAMPLE_INTERVAL, Path(logs), log_name="setup")
            if not setup.ok:
                return Trial(_status(setup), message=f"setup `{proposal.setup}`: {_first_line(setup)}")
            setup_wall = setup.wall
        record = measure_once(spec.argv, root / spec.cwd, env, timeout, SAMPLE_INTERVAL,
                              Path(logs), log_name="trial")
        if record.ok:
            return Trial("ok", wall=record.wall, setup_wall=setup_wall)
        if record.status == "timeout":
            return Trial("timeout", message=f"still running after {timeout:g} s, stopped")
        return Trial(_status(record), wall=record.wall, message=_first_line(record))


def _status(record: IterationRecord) -> TrialStatus:
    if record.status == "failed":
        return "failed"
    return "timeout" if record.status == "timeout" else "error"
