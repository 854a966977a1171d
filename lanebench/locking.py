"""One writer at a time: exclusive locks on lanebench's own files (fcntl.flock).

A lock is a small file beside what it guards (`<path>.lock`) holding who has it (pid,
command, since when), so that a second writer can say who is in the way. The kernel drops
a flock when its holder dies, even by kill -9, so a crash never leaves a lock held; the
lock file is removed when the holder releases it. A second writer either stops at once
with one line naming the holder, or waits up to a bound and then stops the same way.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from lanebench.errors import LanebenchError

POLL_SECONDS = 0.05
MAX_HOLDER_BYTES = 512


class LockBusyError(LanebenchError):
    """Another process holds the lock; the message names it."""


def lock_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _holder_line() -> str:
    command = " ".join(["lanebench", *sys.argv[1:]])[:200]
    since = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return f"pid {os.getpid()}, `{command}`, since {since}"


class FileLock:
    """An exclusive lock on `path` (a file not yet written, or one being written).

    `what` names the guarded file in messages ("checkpoint", "baseline store"), `hint`
    says what the user can do instead of waiting.
    """

    def __init__(self, path: Path, what: str, *, hint: str) -> None:
        self.path = path
        self.lock_path = lock_path_for(path)
        self.what = what
        self.hint = hint
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0) -> FileLock:
        """Take the lock, waiting at most `wait` seconds for its holder to let go."""
        deadline = time.monotonic() + wait
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, MAX_HOLDER_BYTES, 0).decode("utf-8", "replace").strip()
                os.close(fd)
                if time.monotonic() >= deadline:
                    raise self._busy(holder, wait) from None
                time.sleep(POLL_SECONDS)
                continue
            # The holder may have removed the file between our open and our lock: then we
            # locked a file nobody else will see. Take the lock only on the file in place.
            try:
                same = os.stat(self.lock_path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.pwrite(fd, (_holder_line() + "\n").encode("utf-8"), 0)
            self._fd = fd
            return self

    def _busy(self, holder: str, waited: float) -> LockBusyError:
        who = holder.splitlines()[0] if holder else "a process that has not said who it is"
        after = f" (waited {waited:g} s)" if waited else ""
        return LockBusyError(
            f"{self.what} {self.path} is being written by another lanebench ({who}){after}",
            hint=self.hint,
        )

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.lock_path.unlink(missing_ok=True)  # while still holding it: see acquire
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileLock:
        if self._fd is None:
            self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
