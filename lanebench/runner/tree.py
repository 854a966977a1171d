"""Finding, killing and reaping a command's process tree on Linux.

lanebench makes itself a child subreaper, so a descendant whose parent exits
(a double fork, a daemon, `cmd &`) is re-parented to lanebench instead of init:
it stays findable through lanebench's own children, can be killed, and its
rusage and I/O counters are collected when lanebench reaps it.

Children are read from `/proc/<pid>/task/<tid>/children` (one small file per
thread) rather than by scanning every process on the machine, which is what
keeps the per-iteration cost of the runner close to a bare fork/exec. Where that
file does not exist the slower psutil scan is used.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from dataclasses import dataclass, field

import psutil

_PR_SET_CHILD_SUBREAPER = 36
_subreaper: bool | None = None


def enable_subreaper() -> bool:
    """Become the reaper of orphaned descendants (Linux only). True when in effect."""
    global _subreaper
    if _subreaper is None:
        _subreaper = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                _subreaper = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
            except (OSError, AttributeError):
                _subreaper = False
    return _subreaper


def _has_children_file() -> bool:
    return os.path.exists(f"/proc/self/task/{os.getpid()}/children")


_CHILDREN_FILE = _has_children_file()


def _children_from_proc(pid: int | str) -> set[int] | None:
    """Direct children (zombies included) from /proc, or None when the kernel lacks the file."""
    if not _CHILDREN_FILE:
        return None
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return set()  # the process is gone
    out: set[int] = set()
    for tid in tids:
        data = read_small_file(f"/proc/{pid}/task/{tid}/children")
        if data:  # None when the thread exited meanwhile
            out.update(int(x) for x in data.split())
    return out


def read_small_file(path: str) -> bytes | None:
    """One read(2) of a /proc file; plain os calls keep this cheap (it runs every iteration)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return os.read(fd, 65536)
    except OSError:
        return None
    finally:
        os.close(fd)


def children_of(pid: int) -> set[int]:
    """Direct children of `pid`, zombies included."""
    found = _children_from_proc(pid)
    if found is not None:
        return found
    try:
        return {p.pid for p in psutil.Process(pid).children()}
    except psutil.Error:
        return set()


def own_children() -> set[int]:
    """Direct children of this process (any thread), zombies included."""
    found = _children_from_proc("self")
    if found is not None:
        return found
    return {p.pid for p in psutil.Process().children()}


def descendants(roots: set[int]) -> set[int]:
    """Every process below `roots` (the roots excluded)."""
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        for child in children_of(stack.pop()):
            if child not in seen and child not in roots:
                seen.add(child)
                stack.append(child)
    return seen


def is_zombie(pid: int) -> bool:
    stat = read_small_file(f"/proc/{pid}/stat")
    if stat is None:
        return True  # gone counts as dead
    return stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] in (b"Z", b"X")


@dataclass
class IoCounters:
    read_bytes: int = 0
    write_bytes: int = 0
    read_chars: int = 0
    write_chars: int = 0

    def add(self, other: IoCounters) -> None:
        self.read_bytes += other.read_bytes
        self.write_bytes += other.write_bytes
        self.read_chars += other.read_chars
        self.write_chars += other.write_chars


_IO_FIELDS = {
    b"rchar": "read_chars",
    b"wchar": "write_chars",
    b"read_bytes": "read_bytes",
    b"write_bytes": "write_bytes",
}


def read_proc_io(pid: int) -> IoCounters | None:
    """/proc/<pid>/io, also readable for a zombie (whose counters include every child it reaped)."""
    data = read_small_file(f"/proc/{pid}/io")
    if data is None:
        return None
    io = IoCounters()
    for line in data.splitlines():
        key, _, value = line.partition(b":")
        name = _IO_FIELDS.get(key)
        if name:
            setattr(io, name, int(value))
    return io


def signal_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def signal_pids(pids: set[int], sig: int = signal.SIGKILL) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def kill_tree(root: int, orphans_of: set[int] | None = None) -> None:
    """SIGKILL `root`, its process group and every descendant found by walking the tree.

    `orphans_of` are the pids that were already this process's children before the
    command started: any other child of this process is a re-parented orphan of the
    command and is killed with its descendants.
    """
    signal_group(root)
    for _ in range(3):  # a process forking while we walk gets its child killed next round
        tree = descendants({root})
        if orphans_of is not None:
            orphans = own_children() - orphans_of - {root}
            tree |= orphans | descendants(orphans)
        live = {pid for pid in tree if not is_zombie(pid)}
        if not live:
            break
        signal_pids(live)
    signal_pids({root})


@dataclass
class Reaped:
    """What cleaning up after a command found: leftovers killed, orphans reaped, their usage."""

    killed: int = 0
    reaped: int = 0
    user: float = 0.0
    sys: float = 0.0
    maxrss: int = 0
    io: IoCounters = field(default_factory=IoCounters)
    io_complete: bool = True


def reap_orphans(root: int, before: set[int], *, max_rounds: int = 1000) -> Reaped:
    """Kill what the command left running, then reap every orphan it re-parented to us.

    Called while `root` is an unreaped zombie, so its pid (and process group id)
    cannot be reused. Each orphan is read as a zombie (I/O counters) before it is
    reaped (rusage), so their work counts in the iteration's totals.
    """
    out = Reaped()
    kids = own_children() - before - {root}
    if kids:  # count what is still running before anything is killed
        out.killed = sum(1 for pid in kids | descendants(kids) if not is_zombie(pid))
    signal_group(root)
    for _ in range(max_rounds):
        if not kids:
            break
        signal_pids({pid for pid in kids if not is_zombie(pid)})
        for pid in kids:
            try:
                os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
            except ChildProcessError:
                continue
            io = read_proc_io(pid)
            if io is None:
                out.io_complete = False
            else:
                out.io.add(io)
            try:
                _, _, usage = os.wait4(pid, 0)
            except ChildProcessError:
                continue
            out.reaped += 1
            out.user += usage.ru_utime
            out.sys += usage.ru_stime
            out.maxrss = max(out.maxrss, usage.ru_maxrss * 1024)
        kids = own_children() - before - {root}  # the killed ones' children are ours now
    return out


def kill_detached(procs: list[psutil.Process], group: int) -> int:
    """Without a subreaper: kill processes seen in the tree or still in the command's group.

    Orphans re-parented to init cannot be reaped by us; psutil's pid-reuse check keeps
    us from signalling an unrelated process that inherited a pid.
    """
    targets: dict[int, psutil.Process] = {}
    for proc in procs:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                targets[proc.pid] = proc
        except psutil.Error:
            pass
    for proc in psutil.process_iter():
        try:
            if proc.pid != group and group in (os.getpgid(proc.pid), os.getsid(proc.pid)):
                targets.setdefault(proc.pid, proc)
        except (OSError, psutil.Error):
            pass
    for proc in targets.values():
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(list(targets.values()), timeout=5)
    return len(targets)
