"""A seeded model of noisy benchmark timings, for measuring the engine's error rates.

Lognormal iteration times with occasional single outliers and short bursts of slow
iterations: the shape CI timings have. Used by the simulation tests and by
benchmarks/stats_simulation.py, so the documented figures and the tests share one model.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from lanebench.results import BenchmarkResult, ResultsDocument, RunInfo, RunSettings


def timings(rng: np.random.Generator, n: int, factor: float = 1.0, sigma: float = 0.05,
            outliers: float = 0.03, bursts: float = 0.01) -> list[float]:
    """`n` iteration times around 0.1 s × `factor` with log-scale spread `sigma`."""
    x = np.exp(rng.normal(math.log(0.1 * factor), sigma, n))
    hit = rng.random(n) < outliers
    x[hit] *= rng.uniform(1.2, 2.0, hit.sum())
    i = 0
    while i < n:
        if rng.random() < bursts:
            length = int(rng.integers(1, 4))
            x[i : i + length] *= rng.uniform(1.2, 2.0)
            i += length
        else:
            i += 1
    return [float(v) for v in x]


def wall_results(samples: dict[str, list[float]], settings: RunSettings | None = None) -> ResultsDocument:
    """A results document holding each benchmark's samples as its wall times."""
    return ResultsDocument(
        run=RunInfo(), environment={},
        benchmarks=[BenchmarkResult(name=k, command=["x"], samples={"wall": v}, settings=copy.deepcopy(settings or RunSettings()))
                    for k, v in samples.items()],
    )
