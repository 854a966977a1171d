"""lanebench's side of the spawner process (spawn_server.py): start it, talk to it, replace it.

One spawner per lanebench process, started on the first measured command and reused for
every iteration after; a new one is started if it dies. Where it cannot start (not Linux,
no `sys.executable`), `get()` returns None, the runner spawns commands itself, and
`describe()` says so for the results file.
"""

from __future__ import annotations

import atexit
import os
import select
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lanebench.results import SpawnerInfo
from lanebench.runner import spawn_server
from lanebench.runner.tree import IoCounters, Reaped

SERVER_DIR = Path(spawn_server.__file__).resolve().parent
# Imported rather than run as a script: a script's source is compiled on every start,
# which leaves ~1 MiB more in the spawner's peak RSS than loading the cached byte-code.
_LAUNCH = (
    "import sys; sys.path.append({dir!r}); import spawn_server; "
    "sys.exit(spawn_server.main({fd}))"
)
START_TIMEOUT = 30.0


class SpawnerLost(Exception):
    """The spawner process exited or stopped answering mid-conversation."""


@dataclass
class Started:
    pid: int
    t0_ns: int  # CLOCK_MONOTONIC just before the spawn, the same clock as time.perf_counter_ns


@dataclass
class StartFailed:
    """The command could not start; `error` is the OSError a direct spawn would have raised."""

    kind: str  # "cwd", "log" (its stdout/stderr file) or "spawn"
    error: OSError


@dataclass
class Exited:
    t1_ns: int
    si_code: int
    si_status: int
    user: float
    sys: float
    maxrss: int
    io: IoCounters | None
    floor: int  # the spawner's peak RSS: no command spawned from it reports a smaller maxrss
    orphans: Reaped = field(default_factory=Reaped)


def _io(values: Any) -> IoCounters | None:
    return None if values is None else IoCounters(*values)


class Spawner:
    """A running spawner process. One command at a time (callers hold `lock`)."""

    def __init__(self) -> None:
        if not sys.executable:
            raise SpawnerLost("the Python interpreter's path is unknown (sys.executable is empty)")
        self.owner = os.getpid()
        self.lock = threading.Lock()
        started_r, started_w = os.pipe()
        try:
            launch = _LAUNCH.format(dir=str(SERVER_DIR), fd=started_w)
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", launch],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                pass_fds=(started_w,),
            )
        except BaseException:
            os.close(started_r)
            raise
        finally:
            os.close(started_w)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.wfd = self.proc.stdin.fileno()
        self.reports = spawn_server.Reader(self.proc.stdout.fileno())
        self.started = spawn_server.Reader(started_r)
        self.poller = select.poll()  # the report pipe only: see spawn_server's protocol
        self.poller.register(self.reports.fd, select.POLLIN)
        self._both = select.poll()
        self._both.register(self.started.fd, select.POLLIN)
        self._both.register(self.reports.fd, select.POLLIN)
        self._started_poller = select.poll()
        self._started_poller.register(self.started.fd, select.POLLIN)
        self._env_sent: dict[str, str] | None = None
        self._started_reply: Started | StartFailed | None = None
        if not self.poller.poll(int(START_TIMEOUT * 1000)):
            self.close()
            raise SpawnerLost(f"it did not answer within {START_TIMEOUT:g} s")
        hello = self._read(self.reports)
        if hello[0] != "ready":
            self.close()
            raise SpawnerLost(str(hello[1]))
        self.pid: int = hello[1]

    def alive(self) -> bool:
        """Not known to be dead. (One that died since is noticed when the next command is
        sent to it: the write fails, and a new spawner takes over.)"""
        return self.owner == os.getpid() and self.proc.returncode is None

    def _read(self, reader: spawn_server.Reader) -> tuple[Any, ...]:
        try:
            message = reader.read()
        except (OSError, ValueError, EOFError) as exc:
            raise SpawnerLost(f"reading its answer failed: {exc}") from None
        if message is None:
            raise SpawnerLost(f"it exited (status {self.proc.poll()})")
        assert isinstance(message, tuple)
        return message

    def send(
        self, argv: list[str], cwd: Path, env: dict[str, str], stdout: Path, stderr: Path
    ) -> None:
        """Ask for `argv` to be started; paths must be absolute. The answer comes as
        `read_started()` and `read_report()`."""
        # the environment travels only when it changed: the same dict comes every iteration
        send_env = None if env == self._env_sent else env
        request = ("run", argv, str(cwd), send_env, str(stdout), str(stderr))
        try:
            spawn_server.write_message(self.wfd, request)
        except OSError as exc:
            raise SpawnerLost(f"sending the command failed: {exc}") from None
        if send_env is not None:
            self._env_sent = dict(env)  # a copy: the caller may change its dict later
        self._started_reply = None

    def report_ready(self) -> bool:
        """A report is already buffered (poll(2) on the report pipe would not tell)."""
        return self.reports.has_message()

    def read_started(self) -> Started | StartFailed:
        """The pid of the command sent last, or why it could not start (blocks until known).

        Asked again (an exception cut the first answer's way to the caller short), it
        returns the answer it read: the pipe holds it only once."""
        if self._started_reply is not None:
            return self._started_reply
        while not self.started.has_message() and not self.reports.has_message():
            ready = {fd for fd, _ in self._both.poll()}
            if self.started.fd in ready:
                break
            try:
                if not self.reports.fill():
                    raise SpawnerLost(f"it exited (status {self.proc.poll()})")
            except OSError as exc:
                raise SpawnerLost(f"reading its answer failed: {exc}") from None
        # "started" is written before anything about the command on the report pipe: a
        # report with nothing on the started pipe is the error that kept it from starting
        if self.started.has_message() or self._started_poller.poll(0):
            reply = self._read(self.started)
            self._started_reply = Started(pid=reply[1], t0_ns=reply[2])
            return self._started_reply
        report = self.read_report()
        if not isinstance(report, StartFailed):
            raise SpawnerLost("it reported an exit but no start")
        self._started_reply = report
        return report

    def read_outcome(
        self, started: Started | None
    ) -> tuple[Started | None, Exited | StartFailed]:
        """The report, and the command's start if `started` is not known yet: a report that
        is not an error comes after "started", so no poll is needed to read both."""
        report = self.read_report()
        if started is None and isinstance(report, Exited):
            # a command that exited started: no StartFailed was read for it
            known = self._started_reply
            started = known if isinstance(known, Started) else None
            if started is None:
                reply = self._read(self.started)
                started = Started(pid=reply[1], t0_ns=reply[2])
        return started, report

    def read_report(self) -> Exited | StartFailed:
        """The command's exit report, or why it could not start (blocks until it comes)."""
        reply = self._read(self.reports)
        if reply[0] == "error":
            _, kind, errno, strerror, filename = reply
            return StartFailed(kind, OSError(errno, strerror, filename))
        if reply[0] != "exited":
            raise SpawnerLost(f"unexpected answer {reply[0]!r}")
        _, t1, code, status, user, sys_, maxrss, io, floor, orphans = reply
        killed, reaped, o_user, o_sys, o_maxrss, o_io, complete = orphans
        return Exited(
            t1_ns=t1,
            si_code=code,
            si_status=status,
            user=user,
            sys=sys_,
            maxrss=maxrss,
            io=_io(io),
            floor=floor,
            orphans=Reaped(killed, reaped, o_user, o_sys, o_maxrss, IoCounters(*o_io), complete),
        )

    def close(self) -> None:
        """Close its stdin (it exits on end of file) and reap it."""
        if self.owner != os.getpid():
            return  # a forked copy of lanebench does not own this process
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        if self.started.fd >= 0:
            os.close(self.started.fd)
            self.started.fd = -1
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_spawner: Spawner | None = None
_enabled = True
_unavailable: str | None = None  # why commands are spawned directly
_restarts = 0
_lock = threading.Lock()


def get() -> Spawner | None:
    """The spawner, started (or restarted) if needed; None when commands must be spawned
    directly (`describe()` says why)."""
    global _spawner, _unavailable, _restarts
    if not _enabled or _unavailable is not None:
        return None
    with _lock:
        if _spawner is not None and _spawner.alive():
            return _spawner
        if _spawner is not None and _spawner.owner == os.getpid():
            _restarts += 1
            _spawner.close()
        _spawner = None
        try:
            _spawner = Spawner()
        except (OSError, SpawnerLost) as exc:
            _unavailable = f"the spawner process could not start: {exc}"
            return None
        return _spawner


def lost(spawner: Spawner) -> None:
    """Forget a spawner that stopped answering; the next `get()` starts a new one."""
    global _spawner, _restarts
    with _lock:
        if _spawner is spawner:
            _spawner = None
            _restarts += 1
    try:
        spawner.proc.kill()
    except OSError:
        pass
    spawner.close()


def stop() -> None:
    """Stop the spawner, and forget why it could not start if it could not: the next
    command starts a new one (or tries to)."""
    global _spawner, _unavailable
    with _lock:
        if _spawner is not None:
            _spawner.close()
        _spawner, _unavailable = None, None


def use_spawner(enabled: bool) -> None:
    """Spawn commands from the spawner process (the default) or directly from lanebench
    (the fallback; used by tests and `benchmarks/overhead.py` to compare the two)."""
    global _enabled
    _enabled = enabled


def describe() -> SpawnerInfo:
    """How commands are being spawned, for the results file's `run.spawner`."""
    if _enabled and _unavailable is None:
        return SpawnerInfo(mode="spawner", restarts=_restarts or None)
    return SpawnerInfo(mode="direct", reason=_unavailable or "spawner disabled by the caller")


@atexit.register
def _close_at_exit() -> None:
    if _spawner is not None:
        _spawner.close()
