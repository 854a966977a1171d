"""Histories of main runs with known steps and drifts, for the alert and picture tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lanebench.history_store import BenchmarkPoint, History, MetricPoint, Runner, RunRecord


def commit(i: int) -> str:
    return f"{i:07x}" + "c0ffee" * 5 + "c"


def step_history(
    runs: int = 40,
    *,
    steps: dict[int, float] | None = None,
    benchmark: str = "parse",
    seed: int = 0,
    commits: Sequence[str] | None = None,
    noise: float = 0.01,
    creep: dict[int, float] | None = None,
    extra: dict[str, float] | None = None,
) -> History:
    """One benchmark's wall time (0.5 s, `noise` CV) on a runner pool whose speed varies
    ±5% between runs, which the calibration medians carry; `steps` {run: factor} make it
    slower (or faster) from that run on. `extra` adds flat benchmarks {name: seconds}."""
    rng = np.random.default_rng(seed)
    steps = {20: 1.08} if steps is None else steps
    factors = np.ones(runs)
    for at, factor in {**steps, **(creep or {})}.items():
        factors[at:] *= factor
    records = []
    for i in range(runs):
        speed = float(np.exp(rng.normal(0.0, 0.05)))
        benchmarks = {}
        for name, seconds, factor in [(benchmark, 0.5, float(factors[i])),
                                      *((n, s, 1.0) for n, s in (extra or {}).items())]:
            wall = seconds * speed * float(np.exp(rng.normal(0.0, noise))) * factor
            benchmarks[name] = BenchmarkPoint({"wall": MetricPoint(wall, 20, wall * 0.98, wall * 1.02)})
        records.append(RunRecord(
            commit=commits[i] if commits is not None else commit(i),
            date=f"2025-03-{i % 28 + 1:02d}T09:00:00Z",
            runners=(Runner("sha256:pool", {"wall": 0.1 * speed, "cpu": 0.1 * speed}),),
            benchmarks=benchmarks,
            instruments={"time": "lanebench"},
        ))
    return History(runs=tuple(records))
