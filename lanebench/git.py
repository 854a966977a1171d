"""Running git: one way for every caller (the change set, the paired base worktree, the
run's commit), with errors that say what failed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from lanebench.errors import ExternalError

GIT_TIMEOUT = 300.0  # a diff or a worktree of a large repository; a hang beyond is a fault


def _env() -> dict[str, str]:
    # English messages (callers recognise a few), and never a prompt for credentials
    return {**os.environ, "LC_ALL": "C", "LANGUAGE": "C", "GIT_TERMINAL_PROMPT": "0"}


def run_git(repo: Path | str, *args: str, check: bool = True,
            timeout: float = GIT_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
    """`git -C repo ARGS`, stdin closed. With `check`, a non-zero exit is an ExternalError
    quoting git's own error line; a missing git or one that hangs always is."""
    git = shutil.which("git")
    if git is None:
        raise ExternalError("git is not installed or not on PATH", hint="install git")
    try:
        proc = subprocess.run(
            [git, "-C", str(repo), *args], capture_output=True, check=False, env=_env(),
            stdin=subprocess.DEVNULL, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise ExternalError(f"git {' '.join(args[:2])} took longer than {timeout:g} s") from None
    except OSError as exc:
        raise ExternalError(f"cannot run git: {exc}") from None
    if check and proc.returncode != 0:
        raise ExternalError(f"git {args[0]} failed: {stderr_line(proc)}")
    return proc


def git_output(repo: Path | str, *args: str, timeout: float = 10.0) -> str | None:
    """git's output, stripped, or None when git fails, is missing or hangs: for what a run
    can do without (the commit it measured, the checkout's HEAD)."""
    try:
        proc = run_git(repo, *args, check=False, timeout=timeout)
    except ExternalError:
        return None
    out = decode(proc.stdout).strip()
    return out if proc.returncode == 0 and out else None


def stderr_line(proc: subprocess.CompletedProcess[bytes]) -> str:
    """git's error line: the first `fatal:` or `error:` line, else the first line."""
    lines = [ln.strip() for ln in decode(proc.stderr).splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    return (fatal or lines or [f"exit status {proc.returncode}"])[0]


def decode(raw: bytes) -> str:
    # git paths are bytes; keep undecodable ones round-trippable instead of failing
    return raw.decode("utf-8", "surrogateescape")
