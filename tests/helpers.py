"""What several test files share: the environments of spawned processes, small fakes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable

# git with a fixed identity and no user or system config, so commits work on any machine.
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def cli_env() -> dict[str, str]:
    """The environment for `python -m lanebench`: this checkout importable, not inside Actions."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("GITHUB_ACTIONS", None)
    return env


def lanebench(*args: str, cwd: Path, env: Mapping[str, str] | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m lanebench ARGS` in `cwd`, as a user runs it, in `cli_env()` with `env` set
    on top; the exit code is the caller's to check."""
    return subprocess.run(
        [PY, "-m", "lanebench", *args], cwd=cwd, env={**cli_env(), **(env or {})},
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
    )


def start_lanebench(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """`python -m lanebench ARGS` started in `cwd` (in `cli_env()`), its output piped."""
    return subprocess.Popen(
        [PY, "-m", "lanebench", *args], cwd=cwd, env=cli_env(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def git(repo: Path, *args: str) -> str:
    """`git ARGS` in `repo` with the fixed identity of GIT_ENV; its stdout. Fails the test
    (CalledProcessError) when git does."""
    return subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, capture_output=True, text=True,
                          check=True, timeout=60).stdout


class Rule:
    """A stopping rule (`runner.StopRule`) from a function of (benchmark, head samples)."""

    plan = None

    def __init__(self, decide: Callable[[str, dict[str, list[float]]], bool]) -> None:
        self.decide = decide

    def __call__(self, benchmark: str, head: dict[str, list[float]],
                 base: dict[str, list[float]] | None = None) -> bool:
        return self.decide(benchmark, head)

    def given_up(self, benchmark: str) -> list[str]:
        return []
