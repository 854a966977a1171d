"""The credentials of a workflow run, and the environment with them removed.

Benchmarked commands, setup commands and the calibration workload run code under
review: none of them may see a token (a fork's PR could otherwise read a write token).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

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


def without_secrets(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of `environ` (default os.environ) without any of SECRET_VARIABLES."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if k not in SECRET_VARIABLES}
