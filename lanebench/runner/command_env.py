"""The environment a benchmarked command runs in: ours, plus the spec's, minus secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping

from lanebench.config import BenchmarkSpec
from lanebench.secrets import without_secrets


def benchmark_environment(
    spec: BenchmarkSpec, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`base` (default os.environ) updated with `spec.env`, with every secret removed."""
    return without_secrets({**(os.environ if base is None else base), **spec.env})
