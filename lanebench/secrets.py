"""The credentials of a workflow run, and the environment with them removed.

Benchmarked commands, setup commands and the calibration workload run code under
review: none of them may see a token (a fork's PR could otherwise read a write token).

Removing the variables from `os.environ` is not enough. `/proc/<pid>/environ` shows the
environment a process was *started* with, whatever it changed since, and any process of
the same user can read it: in the action's container the entrypoint is the process GitHub
started with `INPUT_GITHUB-TOKEN`, `GITHUB_TOKEN` and `ACTIONS_RUNTIME_TOKEN`. So the
entrypoint takes the one token it needs and re-executes itself (`restart_without_secrets`)
with an environment without any of them, handing the token over through a pipe that is
read and closed at once (`take_handed_over_token`). Only then is anything spawned.

The token is then in this process's memory alone, so the re-executed process also makes
itself non-dumpable (`forbid_inspection`): a process without CAP_SYS_PTRACE, the same
user's included, can no longer read its memory (`/proc/<pid>/mem`, process_vm_readv,
ptrace). Docker does not grant CAP_SYS_PTRACE by default; where the process has it (a
container given more capabilities, or root outside a container) it drops it for itself
and everything it starts (`drop_ptrace_capability`), so no benchmark can regain it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from lanebench.errors import EXIT_EXTERNAL, LanebenchError

SECRET_VARIABLES: frozenset[str] = frozenset(
    {
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "INPUT_GITHUB-TOKEN",
        "INPUT_GITHUB_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_RUNTIME_URL",
        "ACTIONS_RESULTS_URL",
        "ACTIONS_CACHE_URL",
    }
)
# Names the file descriptor the token waits in, in the re-executed process's environment.
TOKEN_FD_VARIABLE = "LANEBENCH_TOKEN_FD"
# A pipe holds at least this much without a reader (Linux: 64 KiB); tokens are far shorter.
MAX_TOKEN_BYTES = 4096
_PR_SET_DUMPABLE = 4
_PR_CAPBSET_DROP = 24
_CAP_SYS_PTRACE = 19
_CAPABILITY_VERSION_3 = 0x20080522


class HandoverError(LanebenchError):
    """The token could not be handed over to the re-executed process."""

    exit_code = EXIT_EXTERNAL


def without_secrets(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of `environ` (default os.environ) without any of SECRET_VARIABLES."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if k not in SECRET_VARIABLES}


def held_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """The names of SECRET_VARIABLES set in `environ` (default os.environ), sorted."""
    source = os.environ if environ is None else environ
    return sorted(name for name in SECRET_VARIABLES if name in source)


def restart_without_secrets(token: str, argv: Sequence[str]) -> None:
    """Re-execute this Python program with the environment minus SECRET_VARIABLES.

    `argv` is the program's original command line (`sys.orig_argv`); `token` waits in a
    pipe whose read end the new program finds through TOKEN_FD_VARIABLE. Returns only when
    there is nothing to remove (no secret in the environment); otherwise it does not
    return, or raises HandoverError.
    """
    if not held_secrets():
        return
    data = token.encode("utf-8")
    if len(data) > MAX_TOKEN_BYTES:
        raise HandoverError(f"the token is {len(data)} bytes long; at most {MAX_TOKEN_BYTES} "
                            "are handed over")
    read_end, write_end = os.pipe()
    try:
        while data:  # the pipe's buffer holds it all: no reader is needed yet
            data = data[os.write(write_end, data):]
    finally:
        os.close(write_end)
    os.set_inheritable(read_end, True)
    env = without_secrets() | {TOKEN_FD_VARIABLE: str(read_end)}
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(sys.executable, [sys.executable, *argv[1:]], env)
    except OSError as exc:
        os.close(read_end)
        raise HandoverError(f"re-executing {sys.executable} failed: {exc}") from None


def take_handed_over_token() -> str | None:
    """In the re-executed program: the token from the pipe (None when this program was not
    re-executed by `restart_without_secrets`). The pipe is closed, the variable removed."""
    named = os.environ.pop(TOKEN_FD_VARIABLE, None)
    if named is None:
        return None
    try:
        fd = int(named)
        chunks = []
        while chunk := os.read(fd, MAX_TOKEN_BYTES + 1):
            chunks.append(chunk)
        os.close(fd)
    except (ValueError, OSError) as exc:
        raise HandoverError(f"reading the token from {TOKEN_FD_VARIABLE}={named!r} failed: "
                            f"{exc}") from None
    return b"".join(chunks).decode("utf-8")


def _libc() -> object | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    except OSError:
        return None


def forbid_inspection() -> bool:
    """Make this process non-dumpable: processes without CAP_SYS_PTRACE (the same user's
    included) can no longer read its memory through /proc or ptrace. Programs it executes
    start dumpable again. False where unsupported."""
    libc = _libc()
    return libc is not None and libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) == 0  # type: ignore[attr-defined]


def drop_ptrace_capability() -> bool:
    """Give up CAP_SYS_PTRACE, for good: out of the bounding set (no program this process
    starts can get it back, setuid or not) and out of its own capability sets. A process
    without it holds none to drop: True then too. False where unsupported or refused."""
    libc = _libc()
    if libc is None:
        return False
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Sets(ctypes.Structure):  # one per 32 capabilities
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header, sets = Header(_CAPABILITY_VERSION_3, 0), (Sets * 2)()
    if libc.capget(ctypes.byref(header), sets) != 0:  # type: ignore[attr-defined]
        return False
    bit = 1 << _CAP_SYS_PTRACE  # in the first 32
    bounded = libc.prctl(_PR_CAPBSET_DROP, _CAP_SYS_PTRACE, 0, 0, 0) == 0  # type: ignore[attr-defined]
    if not (sets[0].permitted | sets[0].inheritable) & bit:
        return bounded or not sets[0].effective & bit
    for field in ("effective", "permitted", "inheritable"):
        setattr(sets[0], field, getattr(sets[0], field) & ~bit)
    return libc.capset(ctypes.byref(header), sets) == 0 and bounded  # type: ignore[attr-defined]
