"""Finding, killing and reaping a command's process tree on Linux.

Orphans of a command (a double fork, a daemon, `cmd &`) are re-parented to the nearest
*child subreaper* among their ancestors instead of init. Normally that is the spawner
process (spawn_server.py), which starts every command; when commands are spawned
directly, lanebench makes itself the subreaper. Either way orphans stay findable as
children of that `reaper`, can be killed, and their rusage and I/O counters are collected
when they are reaped.

Children are read from `/proc/<pid>/task/<tid>/children` (one small file per
thread) rather than by scanning every process on the machine, which is what
keeps the per-iteration cost of the runner close to a bare fork/exec. Where that
file does not exist the slower psutil scan is used. The /proc primitives live in
spawn_server.py, which must not import lanebench (nor psutil).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from dataclasses import dataclass, field

import psutil

from lanebench.runner import spawn_server
from lanebench.runner.spawn_server import is_zombie, read_small_file

__all__ = ["is_zombie", "read_small_file"]

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


def children_of(pid: int) -> set[int]:
    """Direct children of `pid`, zombies included."""
    found = spawn_server.children_from_proc(pid)
    if found is not None:
        return found
    try:
        return {p.pid for p in psutil.Process(pid).children()}
    except psutil.Error:
        return set()


def own_children() -> set[int]:
    """Direct children of this process (any thread), zombies included."""
    return children_of(os.getpid())


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


def read_proc_io(pid: int) -> IoCounters | None:
    """/proc/<pid>/io, also readable for a zombie (whose counters include every child it reaped)."""
    values = spawn_server.read_io(pid)
    return None if values is None else IoCounters(*values)


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


def orphans(root: int, reaper: int, known: set[int] | frozenset[int] = frozenset()) -> set[int]:
    """Children of `reaper` other than `root` and the `known` ones: the command's orphans."""
    return children_of(reaper) - known - {root}


def kill_tree(
    root: int, reaper: int | None = None, known: set[int] | frozenset[int] = frozenset()
) -> None:
    """SIGKILL `root`, its process group and every descendant found by walking the tree.

    `reaper` is the subreaper the command's orphans are re-parented to (None: there is
    none); its children other than `root` and the `known` ones (children it had before
    the command started) are orphans of the command, killed with their descendants.
    """
    signal_group(root)
    for _ in range(3):  # a process forking while we walk gets its child killed next round
        tree = descendants({root})
        if reaper is not None:
            found = orphans(root, reaper, known)
            tree |= found | descendants(found)
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


def reap_orphans(root: int, before: set[int]) -> Reaped:
    """Kill what the command left running, then reap every orphan it re-parented to us.

    For commands spawned directly by this process, called while `root` is an unreaped
    zombie. The command has exited, so every process it left is below one of the
    orphans; each orphan is read as a zombie (I/O counters) before it is reaped (rusage),
    so their work counts in the iteration's totals. (The spawner does the same for the
    commands it starts.)
    """
    me = os.getpid()
    killed, reaped, user, sys_, maxrss, io, complete = spawn_server.reap_orphans(
        lambda: orphans(root, me, before)
    )
    return Reaped(killed, reaped, user, sys_, maxrss, IoCounters(*io), complete)


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
