"""One measured iteration: spawn, wait, read the kernel's accounting, clean up the tree.

Commands are started by the spawner (spawn_server.py), a ~10 MiB process of its own,
not by lanebench: `exec` counts the spawning process's memory in the command's max RSS
(see "The maxrss floor" in docs/metrics.md). Sequence (Linux):
1. lanebench sends the command to the spawner, which opens its stdout/stderr files,
   reads the clock and spawns it (posix_spawn) in its own process group (see
   NEW_PROCESS_GROUP), stdin from /dev/null, and sends its pid at once on a pipe that
   lanebench reads only when the first sample or the deadline is due;
2. lanebench waits on the spawner's report pipe, sampling the tree and enforcing the
   timeout between polls (sampler.py); the spawner polls the command's pidfd and reads
   the clock when it reports the exit;
3. the spawner reads `/proc/<pid>/io` of the zombie (its counters include every
   descendant it reaped itself), reaps it with `wait4` (exit status; CPU of the child and
   every descendant it waited for; the largest max RSS among them), then kills and reaps
   whatever the command left running (orphans re-parented to the spawner as subreaper),
   adding their rusage and I/O, and reports it all.

Where the spawner cannot run (not Linux), lanebench spawns the command itself
(`subprocess.Popen`), waits on its pidfd, takes the exit status with `waitid(WNOWAIT)`
and does step 3 itself, as the subreaper; the command's maxrss is then at least
lanebench's own peak RSS.
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

from lanebench.output_dir import make_output_dir
from lanebench.runner import sampler, spawn_server, spawner, tree
from lanebench.runner.interrupt import critical

STDERR_TAIL_BYTES = 2048

# Its own process group, so the tree can be signalled as one, but not a new session:
# on Linux a new session also gets a new scheduler autogroup, whose wake-ups under CPU
# contention measured ~1.5 ms later (median; ~4 ms at p75) for `sleep 0.2` on a busy
# 2-CPU machine. (The spawner does the same with posix_spawn's setpgroup.) For direct
# spawns on Python 3.10, which has no `process_group`, a new session it is.
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
    # peak RSS of the process that spawned the command (the spawner, or lanebench when
    # spawning directly): the kernel counts the memory of the pre-exec image in the
    # child's max RSS, so a smaller maxrss cannot be seen
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


class _NotStarted(Exception):
    """The spawner was lost before the command started: another one may try."""


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

    One command at a time per process (concurrent calls wait for each other when the
    spawner is used; when spawning directly, no other thread may spawn children
    meanwhile: any new child of this process is taken for an orphan of the command).
    """
    cwd = Path(cwd)
    if not log_dir.is_dir():
        make_output_dir(log_dir)
    out_path = log_dir / f"{log_name}.stdout"
    err_path = log_dir / f"{log_name}.stderr"
    if not cwd.is_dir():
        return IterationRecord(
            "error",
            message=f"cannot start `{command_text(argv)}`: working directory {cwd} does not exist",
        )
    for _ in range(2):  # a spawner that died since the last command is replaced once
        server = spawner.get()
        if server is None:
            break
        with server.lock:
            try:
                return _measure_spawned(
                    server, argv, cwd, env, timeout, sample_interval, out_path, err_path
                )
            except _NotStarted:
                spawner.lost(server)
    return _measure_direct(argv, cwd, env, timeout, sample_interval, out_path, err_path)


def _measure_spawned(
    server: spawner.Spawner,
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    timeout: float | None,
    sample_interval: float,
    out_path: Path,
    err_path: Path,
) -> IterationRecord:
    started: spawner.Started | spawner.StartFailed | None = None
    watch: sampler.TreeWatch | None = None
    report: spawner.Exited | spawner.StartFailed | None = None
    # Where an exception (a signal handler's) found the request: not sent, perhaps half
    # written, or sent. Only a sent one has an answer to wait for.
    request = "unsent"
    try:
        with critical():
            sent_ns = time.perf_counter_ns()
            request = "sending"
            try:
                server.send(argv, cwd.absolute(), env, out_path.absolute(), err_path.absolute())
            except spawner.SpawnerLost as exc:
                raise _NotStarted(str(exc)) from None
            request = "sent"
        # Until the first sample or the deadline nothing needs the pid: wait for the report
        # alone, so that a command shorter than that wakes lanebench once, at its end.
        due_ns = sent_ns + int(min(sample_interval, sampler.FIRST_SAMPLE_AFTER) * 1e9)
        if timeout is not None:
            due_ns = min(due_ns, sent_ns + int(timeout * 1e9))
        while not server.report_ready():
            wait_ms = (due_ns - time.perf_counter_ns()) / 1e6
            if server.poller.poll(max(0, math.ceil(wait_ms))):
                break
            if watch is None:
                with critical():
                    started = server.read_started()
                if isinstance(started, spawner.StartFailed):
                    break
                # The timeout counts from the spawn, as the wall time does: a spawner slow to
                # answer on a busy machine must not cut the command's time short.
                watch = sampler.new_watch(
                    started.pid, sample_interval, timeout, started.t0_ns, reaper=server.pid
                )
            watch.tick()
            due_ns = watch.next_tick_ns
        if not isinstance(started, spawner.StartFailed):
            with critical():
                started, report = server.read_outcome(started)
    except spawner.SpawnerLost as exc:
        with critical():
            pid = started.pid if isinstance(started, spawner.Started) else None
            if watch is not None:
                watch.stop()
            if pid is not None:
                tree.kill_tree(pid)
            spawner.lost(server)
            if pid is not None:
                _reap_if_ours(pid)
        what = "the command was killed" if pid is not None else "the command's pid is unknown"
        return IterationRecord(
            "error",
            message=(
                f"lanebench's spawner process was lost while `{command_text(argv)}` ran "
                f"({exc}); {what} and the iteration is not measured"
            ),
            stdout_path=out_path,
            stderr_path=err_path,
        )
    except BaseException:
        with critical():
            if watch is not None:
                watch.stop()
            if request != "sent":
                if request == "sending":  # half a request would leave the spawner waiting
                    spawner.lost(server)
                raise
            try:
                if started is None:
                    started = server.read_started()
                if isinstance(started, spawner.Started) and report is None:
                    tree.kill_tree(started.pid, server.pid)
                    server.read_report()  # the spawner has reaped the tree; the report is moot
            except spawner.SpawnerLost:
                spawner.lost(server)
        raise
    if isinstance(started, spawner.StartFailed):
        return _start_failed(started, argv, cwd, out_path, err_path)
    if isinstance(report, spawner.StartFailed):
        return _start_failed(report, argv, cwd, out_path, err_path)
    assert isinstance(started, spawner.Started) and isinstance(report, spawner.Exited)
    return _record(report, started.t0_ns, watch, out_path, err_path, timeout)


def _start_failed(
    failed: spawner.StartFailed, argv: list[str], cwd: Path, out_path: Path, err_path: Path
) -> IterationRecord:
    if failed.kind == "log":
        raise failed.error  # as a direct spawn's os.open would have
    if failed.kind == "cwd":
        message = (
            f"cannot start `{command_text(argv)}`: working directory {cwd} cannot be "
            f"entered: {failed.error.strerror}"
        )
    else:
        message = _start_error(failed.error, argv, cwd)
    return IterationRecord("error", message=message, stdout_path=out_path, stderr_path=err_path)


def _reap_if_ours(pid: int) -> None:
    """Reap `pid` if it was re-parented to this process (a subreaper); else init does."""
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _measure_direct(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    timeout: float | None,
    sample_interval: float,
    out_path: Path,
    err_path: Path,
) -> IterationRecord:
    """The fallback: lanebench spawns the command itself and is the subreaper."""
    subreaper = tree.enable_subreaper()
    before = tree.own_children()
    reaper = os.getpid() if subreaper else None
    floor = spawn_server.peak_rss() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
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
                watch = sampler.new_watch(
                    proc.pid, sample_interval, timeout, t0, reaper=reaper, known=before
                )
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
        assert exited is not None  # None only with WNOHANG
    except BaseException:
        if proc is not None:
            with critical():
                if watch is not None:
                    watch.stop()
                tree.kill_tree(proc.pid, reaper, before)
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
    with critical():
        watch.stop()
        io = tree.read_proc_io(proc.pid)
        if subreaper:
            orphans = tree.reap_orphans(proc.pid, before)
        else:
            orphans = tree.Reaped(killed=tree.kill_detached(list(watch.procs.values()), proc.pid))
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    report = spawner.Exited(
        t1_ns=t1,
        si_code=exited.si_code,
        si_status=exited.si_status,
        user=usage.ru_utime,
        sys=usage.ru_stime,
        maxrss=usage.ru_maxrss * 1024,
        io=io,
        floor=floor,
        orphans=orphans,
    )
    return _record(report, t0, watch, out_path, err_path, timeout)


def _record(
    report: spawner.Exited,
    t0: int,
    watch: sampler.TreeWatch | None,
    out_path: Path,
    err_path: Path,
    timeout: float | None,
) -> IterationRecord:
    """The iteration's record from the kernel's accounting and the tree's samples (no watch:
    the command ended before its first sample was due)."""
    if watch is None:
        peak_rss = peak_threads = peak_processes = samples = 0
        timed_out = False
    else:
        watch.stop()
        peak_rss, peak_threads = watch.peak_rss, watch.peak_threads
        peak_processes = watch.peak_processes
        samples, timed_out = watch.samples, watch.timed_out
    orphans = report.orphans
    wall = (report.t1_ns - t0) / 1e9
    user = report.user + orphans.user
    sys_ = report.sys + orphans.sys
    maxrss = max(report.maxrss, orphans.maxrss)
    # an unreadable zombie (e.g. restricted /proc): what the children reaped adds up to
    io = report.io if report.io is not None else tree.IoCounters()
    io.add(orphans.io)
    metrics = {
        "wall": wall,
        "cpu": user + sys_,
        "user": user,
        "sys": sys_,
        "maxrss": float(maxrss),
        # the sum over the tree can never be below its largest member
        "tree_rss": float(max(peak_rss, maxrss)),
        "read_bytes": float(io.read_bytes),
        "write_bytes": float(io.write_bytes),
        "read_chars": float(io.read_chars),
        "write_chars": float(io.write_chars),
        "peak_threads": float(max(peak_threads, 1)),
        "peak_processes": float(max(peak_processes, 1)),
    }
    if maxrss <= report.floor and peak_rss:
        # maxrss only says "at most the spawner's size" here: take the tree's size from samples
        metrics["tree_rss"] = float(peak_rss)
    killed_by = report.si_status if report.si_code in (os.CLD_KILLED, os.CLD_DUMPED) else None
    exit_code = report.si_status if report.si_code == os.CLD_EXITED else None
    record = IterationRecord(
        "ok",
        metrics=metrics,
        exit_code=exit_code,
        signal=killed_by,
        wall=wall,
        leftovers=0 if timed_out else orphans.killed,
        samples=samples,
        maxrss_floor=report.floor,
        stdout_path=out_path,
        stderr_path=err_path,
    )
    if timed_out and killed_by == signal.SIGKILL:
        record.status = "timeout"
        record.message = f"timed out after {timeout:g} s: process tree killed"
    elif exit_code != 0:
        record.status = "failed"
        record.message = _describe_exit(exit_code, killed_by)
    if record.status != "ok":
        record.stderr_tail = _tail(err_path)
    return record
