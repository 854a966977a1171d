"""One measured iteration: spawn, wait, read the kernel's accounting, clean up the tree.

Sequence (Linux):
1. spawn the command in its own process group (see NEW_PROCESS_GROUP) with
   stdout/stderr going to files, stdin from /dev/null; the wall clock starts just before;
2. wait for the child's exit by polling its pidfd, sampling the tree and enforcing
   the timeout between polls (sampler.py); the wall clock stops when the poll
   returns; then `waitid(P_PID, pid, WEXITED|WNOWAIT)` takes the exit status but
   leaves the child a zombie;
3. read `/proc/<pid>/io` of the zombie: its counters include every descendant it
   reaped itself;
4. kill whatever the command left running (its process group, and orphans
   re-parented to lanebench as subreaper), then reap those orphans, adding their
   rusage and I/O;
5. `wait4(pid)`: reap the child and take its rusage (CPU of the child and every
   descendant it waited for; the largest max RSS among them).
"""

from __future__ import annotations

import math
import os
import resource
import select
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lanebench.runner import sampler, tree
from lanebench.runner.interrupt import critical

STDERR_TAIL_BYTES = 2048

# Its own process group, so the tree can be signalled as one, but not a new session:
# on Linux a new session also gets a new scheduler autogroup, whose wake-ups under CPU
# contention measured ~1.5 ms later (median; ~4 ms at p75) for `sleep 0.2` on a busy
# 2-CPU machine. Python 3.10 has no `process_group`; a new session it is there.
NEW_PROCESS_GROUP: dict[str, Any] = (
    {"process_group": 0} if sys.version_info >= (3, 11) else {"start_new_session": True}
)
_LOG_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC

IterationStatus = Literal["ok", "failed", "timeout", "error"]


@dataclass
class IterationRecord:
    """The outcome of one run of a command. `metrics` is empty when it could not start."""

    status: IterationStatus
    metrics: dict[str, float] = field(default_factory=dict)
    exit_code: int | None = None
    signal: int | None = None
    wall: float | None = None
    stderr_tail: str = ""
    message: str = ""
    leftovers: int = 0  # processes still running when the command exited, killed by lanebench
    samples: int = 0  # psutil samples taken of the tree
    # lanebench's own peak RSS when it spawned the command: the kernel counts the memory
    # of the pre-exec image in the child's max RSS, so a smaller maxrss cannot be seen
    maxrss_floor: int = 0
    stdout_path: Path | None = None
    stderr_path: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def command_text(argv: list[str]) -> str:
    return shlex.join(argv)


def _tail(path: Path, limit: int = STDERR_TAIL_BYTES) -> str:
    """The last `limit` bytes of a file as text, never more than `limit` bytes of UTF-8."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - limit))
            data = fh.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    while len(text.encode("utf-8")) > limit:
        text = text[1:]
    if size > limit and "\n" in text[:200]:
        text = text[text.index("\n") + 1 :]  # start at a line boundary when one is near
    return text


def _start_error(exc: OSError, argv: list[str], cwd: Path) -> str:
    cmd = command_text(argv)
    if isinstance(exc, FileNotFoundError):
        if exc.filename is not None and str(exc.filename) == str(cwd):
            return f"cannot start `{cmd}`: working directory {cwd} does not exist"
        return (
            f"cannot start `{cmd}` in {cwd}: command not found: {argv[0]} "
            "(check the path, or the PATH in the benchmark's env)"
        )
    if isinstance(exc, PermissionError):
        return f"cannot start `{cmd}` in {cwd}: permission denied for {argv[0]} (is it executable?)"
    return f"cannot start `{cmd}` in {cwd}: {exc.strerror or exc}"


def _describe_exit(exit_code: int | None, sig: int | None) -> str:
    if sig is not None:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"killed by {name}"
    return f"exited with code {exit_code}"


_pidfd_supported = hasattr(os, "pidfd_open")


def _pidfd_open(pid: int) -> int | None:
    """A pidfd for `pid` (Linux >= 5.3), or None where the kernel or a sandbox refuses it."""
    global _pidfd_supported
    if not _pidfd_supported:
        return None
    try:
        return os.pidfd_open(pid)
    except OSError:
        _pidfd_supported = False
        return None


def _wait_for_exit(pid: int, pidfd: int | None, watch: sampler.TreeWatch) -> int:
    """Block until the child exits (it stays a zombie); return the clock reading at its exit.

    With a pidfd this thread polls it and ticks the watch between polls (samples,
    timeout), so nothing else needs the GIL when the exit wakes it up.
    """
    if pidfd is None:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        return time.perf_counter_ns()
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    while True:
        wait_ms = (watch.next_tick_ns - time.perf_counter_ns()) / 1e6
        if poller.poll(max(0, math.ceil(wait_ms))):
            return time.perf_counter_ns()
        watch.tick()


def measure_once(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    timeout: float | None,
    sample_interval: float,
    log_dir: Path,
    *,
    log_name: str = "last",
) -> IterationRecord:
    """Run `argv` once and measure it and its whole process tree.

    stdout/stderr go to `<log_dir>/<log_name>.stdout|.stderr`. Never raises for a
    command that fails or cannot start: that is an IterationRecord with status
    "failed", "timeout" or "error". Raises `Interrupted` (after killing and reaping
    the tree) when SIGINT/SIGTERM arrives under `catch_signals()`.

    Assumes no other thread of this process spawns children meanwhile: any new
    child of this process is taken for an orphan of the command.
    """
    cwd = Path(cwd)
    if not log_dir.is_dir():
        log_dir.mkdir(parents=True, exist_ok=True)
    out_path = log_dir / f"{log_name}.stdout"
    err_path = log_dir / f"{log_name}.stderr"
    if not cwd.is_dir():
        return IterationRecord(
            "error",
            message=f"cannot start `{command_text(argv)}`: working directory {cwd} does not exist",
        )
    subreaper = tree.enable_subreaper()
    before = tree.own_children()
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    proc: subprocess.Popen[bytes] | None = None
    watch: sampler.TreeWatch | None = None
    pidfd: int | None = None
    start_error: OSError | None = None
    out = os.open(out_path, _LOG_FLAGS, 0o644)
    err = os.open(err_path, _LOG_FLAGS, 0o644)
    try:
        with critical():
            t0 = time.perf_counter_ns()
            try:
                proc = subprocess.Popen(
                    argv,
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    **NEW_PROCESS_GROUP,
                )
            except OSError as exc:
                start_error = exc
            else:
                watch = sampler.new_watch(proc.pid, before, sample_interval, timeout, t0)
                pidfd = _pidfd_open(proc.pid)
                if pidfd is None:
                    sampler.watch_in_thread(watch)
            finally:
                os.close(out)
                os.close(err)
        if proc is None:
            assert start_error is not None
            return IterationRecord(
                "error",
                message=_start_error(start_error, argv, cwd),
                stdout_path=out_path,
                stderr_path=err_path,
            )
        assert watch is not None
        t1 = _wait_for_exit(proc.pid, pidfd, watch)
        exited = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    except BaseException:
        if proc is not None:
            with critical():
                if watch is not None:
                    watch.stop()
                tree.kill_tree(proc.pid, before if subreaper else None)
                os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
                if subreaper:
                    tree.reap_orphans(proc.pid, before)
                elif watch is not None:
                    tree.kill_detached(list(watch.procs.values()), proc.pid)
                os.wait4(proc.pid, 0)
                proc.returncode = -signal.SIGKILL
        raise
    finally:
        if pidfd is not None:
            os.close(pidfd)
    record = _finish(proc, exited, t0, t1, watch, before, subreaper, out_path, err_path, timeout)
    record.maxrss_floor = floor
    if record.metrics["maxrss"] <= floor and watch.peak_rss:
        # maxrss only says "at most lanebench's size" here: take the tree's size from samples
        record.metrics["tree_rss"] = float(watch.peak_rss)
    return record


def _finish(
    proc: subprocess.Popen[bytes],
    exited: os.waitid_result,
    t0: int,
    t1: int,
    watch: sampler.TreeWatch,
    before: set[int],
    subreaper: bool,
    out_path: Path,
    err_path: Path,
    timeout: float | None,
) -> IterationRecord:
    with critical():
        watch.stop()
        io = tree.read_proc_io(proc.pid)
        if subreaper:
            orphans = tree.reap_orphans(proc.pid, before)
        else:
            orphans = tree.Reaped(killed=tree.kill_detached(list(watch.procs.values()), proc.pid))
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)

    wall = (t1 - t0) / 1e9
    user = usage.ru_utime + orphans.user
    sys_ = usage.ru_stime + orphans.sys
    maxrss = max(usage.ru_maxrss * 1024, orphans.maxrss)
    if io is None:  # unreadable zombie (e.g. restricted /proc): what the children reaped adds up to
        io = tree.IoCounters()
    io.add(orphans.io)
    metrics = {
        "wall": wall,
        "cpu": user + sys_,
        "user": user,
        "sys": sys_,
        "maxrss": float(maxrss),
        # the sum over the tree can never be below its largest member
        "tree_rss": float(max(watch.peak_rss, maxrss)),
        "read_bytes": float(io.read_bytes),
        "write_bytes": float(io.write_bytes),
        "read_chars": float(io.read_chars),
        "write_chars": float(io.write_chars),
        "peak_threads": float(max(watch.peak_threads, 1)),
        "peak_processes": float(max(watch.peak_processes, 1)),
    }
    killed_by = exited.si_status if exited.si_code in (os.CLD_KILLED, os.CLD_DUMPED) else None
    exit_code = exited.si_status if exited.si_code == os.CLD_EXITED else None
    record = IterationRecord(
        "ok",
        metrics=metrics,
        exit_code=exit_code,
        signal=killed_by,
        wall=wall,
        leftovers=0 if watch.timed_out else orphans.killed,
        samples=watch.samples,
        stdout_path=out_path,
        stderr_path=err_path,
    )
    if watch.timed_out and killed_by == signal.SIGKILL:
        record.status = "timeout"
        record.message = f"timed out after {timeout:g} s: process tree killed"
    elif exit_code != 0:
        record.status = "failed"
        record.message = _describe_exit(exit_code, killed_by)
    if record.status != "ok":
        record.stderr_tail = _tail(err_path)
    return record
