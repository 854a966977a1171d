"""The spawner: a lean process that starts benchmarked commands on lanebench's behalf.

Why it exists: on Linux, `exec` records the peak RSS of the memory image it replaces in
the new program's max RSS. A command spawned straight from lanebench (40 MiB of Python
for `lanebench run`, ~120 MiB once scipy is loaded) could never report a smaller
`maxrss`, and the floor would differ between entry points. Spawned from this process,
whose peak RSS is ~10 MiB, every command carries the same small floor.

lanebench starts it once per process with `python -I -S` (no site-packages, no environment
variables of Python's) importing this module by its folder and calling `main(started_fd)`
(see spawner.py), talks to it over pipes and reuses it for every iteration. It imports only
built-in and small standard modules, never lanebench (which also imports this file as a
module, for the /proc helpers below).

Protocol: each message is a 4-byte little-endian length and a `marshal` payload. Requests
come on stdin; answers go to stdout (the *report* pipe), except "started", which has a
pipe of its own (fd `started_fd`, given at start): lanebench polls the report pipe and
reads the pid only when it needs it, so a short command wakes it up once, not twice.

    report  <- ("ready", pid)  or  ("unavailable", reason)          once, at start
    stdin   -> ("run", argv, cwd, env or None for the previous one, stdout path, stderr path)
    started <- ("started", pid, t0_ns)                               then, on the report pipe:
    report  <- ("exited", t1_ns, si_code, si_status, utime, stime, maxrss, io, floor, orphans)
 or report  <- ("error", kind, errno, strerror, filename)  (no "started"; kind: "cwd", "log"
                                                           or "spawn")

Per command: its stdout/stderr files are opened, the clock is read and the command is
spawned (posix_spawn: vfork + exec) in a process group of its own; "started" is sent at
once so lanebench can sample the tree and enforce the timeout by killing it. This process
then polls the command's pidfd; the clock stops when it reports the exit. It reads the
zombie's /proc/<pid>/io, reaps it (wait4: rusage), and, being the child subreaper, kills
and reaps whatever the command left behind, adding those orphans' CPU, max RSS and I/O.
`floor` is this process's peak RSS (VmHWM): no command spawned from it can report less.
If lanebench goes away (its end of stdin closes), the command's tree is killed.
"""

from __future__ import annotations

import marshal
import os
import select
import signal
import struct
import sys
import time
from collections.abc import Callable

_HEADER = struct.Struct("<I")
_PR_SET_CHILD_SUBREAPER = 36
_LOG_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC

# --- messages ----------------------------------------------------------------------------


def encode(message: object) -> bytes:
    payload = marshal.dumps(message)  # type: ignore[arg-type]  # tuples of marshal's types
    return _HEADER.pack(len(payload)) + payload


def write_message(fd: int, message: object) -> None:
    data = encode(message)
    while data:
        data = data[os.write(fd, data) :]


class Reader:
    """Whole messages from a pipe; keeps what one read(2) brought beyond the first message."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def has_message(self) -> bool:
        """A whole message is already buffered (poll(2) on the pipe would not say so)."""
        size = len(self.buffer)
        return size >= 4 and size >= 4 + _HEADER.unpack_from(self.buffer)[0]

    def fill(self) -> bool:
        """One read(2) into the buffer; False at end of file."""
        chunk = os.read(self.fd, 65536)
        self.buffer += chunk
        return bool(chunk)

    def read(self) -> object:
        """The next message; None at end of file."""
        while not self.has_message():
            if not self.fill():
                return None
        end = 4 + _HEADER.unpack_from(self.buffer)[0]
        message = marshal.loads(self.buffer[4:end])
        self.buffer = self.buffer[end:]
        return message


# --- /proc (shared with lanebench.runner.tree) --------------------------------------------


def read_small_file(path: str) -> bytes | None:
    """One read(2) of a /proc file; None when it cannot be opened or read."""
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


CHILDREN_FILE = os.path.exists(f"/proc/self/task/{os.getpid()}/children")


def children_from_proc(pid: int) -> set[int] | None:
    """Direct children (zombies included) from /proc, or None when the kernel lacks the file
    (it needs CONFIG_PROC_CHILDREN)."""
    if not CHILDREN_FILE:
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


def parent_map() -> dict[int, set[int]]:
    """Children of every process, from one pass over /proc/<pid>/stat (the slow way)."""
    kids: dict[int, set[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        stat = read_small_file(f"/proc/{name}/stat")
        if stat is None:
            continue
        ppid = int(stat[stat.rfind(b")") + 2 :].split(None, 2)[1])
        kids.setdefault(ppid, set()).add(int(name))
    return kids


def children_of(pid: int) -> set[int]:
    found = children_from_proc(pid)
    return found if found is not None else parent_map().get(pid, set())


def descendants(roots: set[int]) -> set[int]:
    """Every process below `roots` (the roots excluded)."""
    by_parent = None if CHILDREN_FILE else parent_map()
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        pid = stack.pop()
        kids = by_parent.get(pid, set()) if by_parent is not None else children_of(pid)
        for child in kids:
            if child not in seen and child not in roots:
                seen.add(child)
                stack.append(child)
    return seen


def is_zombie(pid: int) -> bool:
    stat = read_small_file(f"/proc/{pid}/stat")
    if stat is None:
        return True  # gone counts as dead
    state = stat.rfind(b")") + 2
    return stat[state : state + 1] in (b"Z", b"X")


_IO_FIELDS = {b"read_bytes": 0, b"write_bytes": 1, b"rchar": 2, b"wchar": 3}


def read_io(pid: int) -> tuple[int, int, int, int] | None:
    """(read_bytes, write_bytes, read_chars, write_chars) from /proc/<pid>/io, also readable
    for a zombie, whose counters include every child it reaped; None if unreadable."""
    data = read_small_file(f"/proc/{pid}/io")
    if data is None:
        return None
    values = [0, 0, 0, 0]
    for line in data.splitlines():
        key, _, value = line.partition(b":")
        index = _IO_FIELDS.get(key)
        if index is not None:
            values[index] = int(value)
    return values[0], values[1], values[2], values[3]


def kill_pids(pids: set[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


Reaped = tuple[int, int, float, float, int, tuple[int, int, int, int], bool]


def reap_orphans(list_orphans: Callable[[], set[int]], max_rounds: int = 1000) -> Reaped:
    """Kill what a command left running, then reap every orphan re-parented to this process.

    `list_orphans()` names this process's children that are orphans of the command (the
    command itself exited before: all its live descendants are below them). Each orphan is
    read as a zombie (I/O counters) before it is reaped (rusage). Returns (killed: live
    processes found, reaped, user, sys, maxrss bytes, io 4-tuple, io_complete).
    """
    killed = reaped = maxrss = 0
    user = sys_ = 0.0
    io = [0, 0, 0, 0]
    io_complete = True
    kids = list_orphans()
    if kids:  # count what is still running before anything is killed
        killed = sum(1 for pid in kids | descendants(kids) if not is_zombie(pid))
    for _ in range(max_rounds):
        if not kids:
            break
        kill_pids({pid for pid in kids | descendants(kids) if not is_zombie(pid)})
        for pid in kids:
            try:
                os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
            except ChildProcessError:
                continue
            counters = read_io(pid)
            if counters is None:
                io_complete = False
            else:
                for i, value in enumerate(counters):
                    io[i] += value
            try:
                _, _, usage = os.wait4(pid, 0)
            except ChildProcessError:
                continue
            reaped += 1
            user += usage.ru_utime
            sys_ += usage.ru_stime
            maxrss = max(maxrss, usage.ru_maxrss * 1024)
        kids = list_orphans()  # the killed ones' children are ours now
    return killed, reaped, user, sys_, maxrss, (io[0], io[1], io[2], io[3]), io_complete


NO_ORPHANS: Reaped = (0, 0, 0.0, 0.0, 0, (0, 0, 0, 0), True)

# --- the server ----------------------------------------------------------------------------


def peak_rss() -> int:
    """This process's peak RSS in bytes (VmHWM: that of its own memory image, unlike
    ru_maxrss, which still holds the size of the process that spawned it); 0 if unknown.
    A child spawned now starts with this as its max RSS (exec records the image it leaves)."""
    status = read_small_file("/proc/self/status") or b""
    for line in status.splitlines():
        if line.startswith(b"VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _child_status(status: int) -> tuple[int, int]:
    """(si_code, si_status) as waitid(2) gives them, from a wait status."""
    if os.WIFSIGNALED(status):
        code = os.CLD_DUMPED if os.WCOREDUMP(status) else os.CLD_KILLED
        return code, os.WTERMSIG(status)
    return os.CLD_EXITED, os.WEXITSTATUS(status)


def _has_children() -> bool:
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def _become_subreaper() -> str | None:
    """None when this process is now the child subreaper, else why not."""
    if not sys.platform.startswith("linux"):
        return f"no child subreaper on {sys.platform}"
    try:
        import ctypes  # here only: a few hundred KiB, not worth it before we know it is Linux

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            return f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}"
    except (ImportError, OSError, AttributeError) as exc:
        return f"prctl is unavailable: {exc}"
    return None


class Server:
    def __init__(self, rfd: int, started_fd: int, report_fd: int) -> None:
        self.requests = Reader(rfd)
        self.started_fd = started_fd
        self.report_fd = report_fd
        os.set_inheritable(started_fd, False)  # commands must not hold it open
        self.env: dict[str, str] = {}
        self.devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        self.pidfds = hasattr(os, "pidfd_open")
        # Signals this process ignores must not stay ignored in the commands (ignored
        # dispositions survive exec): SIGPIPE and SIGXFSZ (Python ignores them, subprocess
        # restores them), and SIGINT/SIGTERM (ignored below: lanebench handles those and
        # needs this process alive to finish the iteration), unless lanebench's own
        # parent had them ignored already, as a direct spawn would have passed that on.
        # (glibc's posix_spawn leaves its internal signals 32 and 33 ignored in the
        # command, whatever this says; the command's libc takes them over when it uses them.)
        reset = [signal.SIGPIPE, signal.SIGXFSZ]
        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) != signal.SIG_IGN:
                reset.append(sig)
            signal.signal(sig, signal.SIG_IGN)
        self.sigdef = tuple(reset)

    def send(self, message: object) -> None:
        write_message(self.report_fd, message)

    def serve(self) -> int:
        while True:
            request = self.requests.read()
            if request is None:
                return 0  # lanebench is done
            if not isinstance(request, tuple) or request[:1] != ("run",):
                sys.stderr.write(f"lanebench spawner: unexpected request {request!r:.200}\n")
                return 2
            if not self.run(*request[1:]):
                return 0

    def run(
        self, argv: list[str], cwd: str, env: dict[str, str] | None, out: str, err: str
    ) -> bool:
        """One command, start to reaped. False when lanebench went away meanwhile."""
        if env is not None:
            self.env = env
        try:
            os.chdir(cwd)
        except OSError as exc:
            self.send(("error", "cwd", exc.errno, exc.strerror, cwd))
            return True
        fds: list[int] = []
        try:
            for path in (out, err):
                fds.append(os.open(path, _LOG_FLAGS, 0o644))
        except OSError as exc:
            for fd in fds:
                os.close(fd)
            self.send(("error", "log", exc.errno, exc.strerror, exc.filename))
            return True
        actions = [
            (os.POSIX_SPAWN_DUP2, self.devnull, 0),
            (os.POSIX_SPAWN_DUP2, fds[0], 1),
            (os.POSIX_SPAWN_DUP2, fds[1], 2),
        ]
        try:
            t0, pid = self.spawn(argv, actions)
        except OSError as exc:
            self.send(("error", "spawn", exc.errno, exc.strerror, argv[0]))
            return True
        finally:
            for fd in fds:
                os.close(fd)
        write_message(self.started_fd, ("started", pid, t0))
        t1 = self.wait_for_exit(pid)
        if t1 is None:
            return False
        # the command is a zombie now (the pidfd said so): its counters are final
        io = read_io(pid)
        _, status, usage = os.wait4(pid, 0)
        # read now rather than while the command runs (it would compete with it for a
        # CPU); this process has allocated next to nothing since the exec
        floor = peak_rss()
        orphans = NO_ORPHANS
        if _has_children():  # rarely: something outlived the command
            me = os.getpid()
            orphans = reap_orphans(lambda: children_of(me))
        self.send((
            "exited", t1, *_child_status(status), usage.ru_utime, usage.ru_stime,
            usage.ru_maxrss * 1024, io, floor, orphans,
        ))
        return True

    def spawn(self, argv: list[str], actions: list[tuple[int, int, int]]) -> tuple[int, int]:
        """(clock reading just before the spawn, pid); PATH searched as execvpe does."""
        name = argv[0]
        if "/" in name:
            candidates = [name]
        else:  # the command's PATH, not ours; a missing file costs a stat, not a vfork
            candidates = []
            for folder in os.get_exec_path(self.env):
                path = os.path.join(folder, name)
                try:
                    os.stat(path)
                except OSError:
                    continue
                candidates.append(path)
        denied: OSError | None = None
        for path in candidates:
            try:
                t0 = time.perf_counter_ns()
                pid = os.posix_spawn(
                    path, argv, self.env, file_actions=actions, setpgroup=0, setsigdef=self.sigdef
                )
            except (FileNotFoundError, NotADirectoryError):
                continue
            except PermissionError as exc:
                denied = denied or exc
                continue
            return t0, pid
        if denied is not None:
            raise denied
        raise FileNotFoundError(2, os.strerror(2), name)

    def wait_for_exit(self, pid: int) -> int | None:
        """The clock reading when the command exited (it stays a zombie); None if lanebench
        closed our stdin meanwhile (then the command's tree is killed)."""
        pidfd = None
        if self.pidfds:
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:
                self.pidfds = False
        if pidfd is None:  # Linux < 5.3: block; lanebench's death is noticed after the command
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
            return time.perf_counter_ns()
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        poller.register(self.requests.fd, select.POLLIN)
        try:
            events = poller.poll()
            now = time.perf_counter_ns()
        finally:
            os.close(pidfd)
        if any(fd == pidfd for fd, _ in events):
            return now
        # stdin is readable during a run only when lanebench closed it (it exited or was
        # killed): nobody would reap or count this tree, so it goes too
        self.kill_everything(pid)
        return None

    def kill_everything(self, pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        me = os.getpid()
        for _ in range(3):
            live = {p for p in descendants({me}) if not is_zombie(p)}
            if not live:
                break
            kill_pids(live)


def main(started_fd: int) -> int:
    unavailable = _become_subreaper()
    if unavailable is None and not CHILDREN_FILE and not os.path.isdir("/proc/self/task"):
        unavailable = "/proc is not available"
    if unavailable is None and not hasattr(os, "posix_spawn"):
        unavailable = "os.posix_spawn is not available"
    if unavailable is not None:
        write_message(1, ("unavailable", unavailable))
        return 0
    server = Server(0, started_fd, 1)
    write_message(1, ("ready", os.getpid()))
    try:
        return server.serve()
    except BrokenPipeError:
        return 0  # lanebench is gone


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
