"""SIGINT/SIGTERM during a run: stop at a safe point, never in the middle of a write.

While a handler from `catch_signals()` is installed, a signal raises `Interrupted`
in the main thread unless the code is inside `critical()` (spawning a command,
appending to the checkpoint); there it is remembered and raised when the
critical section ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_depth = 0
_pending: int | None = None
_installed = False


class Interrupted(BaseException):
    """Raised in the main thread on SIGINT/SIGTERM; a BaseException so `except Exception` lets it pass."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def _handler(signum: int, frame: FrameType | None) -> None:
    global _pending
    if _pending is None:
        _pending = signum
    if _depth == 0:
        _raise_pending()


def _raise_pending() -> None:
    global _pending
    if _pending is not None:
        signum, _pending = _pending, None
        raise Interrupted(signum)


@contextmanager
def critical() -> Iterator[None]:
    """Defer SIGINT/SIGTERM until the block is done."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
    if _depth == 0 and _installed:
        _raise_pending()


@contextmanager
def shielded() -> Iterator[None]:
    """Ignore SIGINT/SIGTERM for the block (used while writing the results of an interrupted run)."""
    global _depth, _pending
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        _pending = None


@contextmanager
def catch_signals() -> Iterator[None]:
    """Turn SIGINT/SIGTERM into `Interrupted` for the duration (main thread only)."""
    global _installed, _pending
    if threading.current_thread() is not threading.main_thread() or _installed:
        yield
        return
    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    _installed, _pending = True, None
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        _installed, _pending = False, None
