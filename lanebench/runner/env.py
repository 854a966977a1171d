"""The environment a benchmarked command runs in: ours, plus the spec's, minus secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping

from lanebench.config import BenchmarkSpec

# Credentials of the workflow run: a benchmarked command is code under review and
# must never see them (a fork's PR could otherwise read a write token).
SECRET_VARIABLES: frozenset[str] = frozenset(
    {
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "INPUT_GITHUB-TOKEN",
        "INPUT_GITHUB_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    }
)


def benchmark_environment(
    spec: BenchmarkSpec, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`base` (default os.environ) updated with `spec.env`, with every secret removed."""
    env = dict(os.environ if base is None else base)
    env.update(spec.env)
    for name in SECRET_VARIABLES:
        env.pop(name, None)
    return env
