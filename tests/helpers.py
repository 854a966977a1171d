"""What several test files share: the environments of spawned processes, small fakes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

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
