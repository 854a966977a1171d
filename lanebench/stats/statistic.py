"""A statistic of one sample and its confidence interval: what SLA rules on raw samples
(`wall.p95 <= 2s`) and the history of main-branch medians judge."""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence

import numpy as np
import scipy.stats

QUANTILES = {"median": 0.5, "p95": 0.95, "p99": 0.99}


def sample_statistic(values: Sequence[float], stat: str) -> float:
    """A statistic of raw samples; quantiles use linear interpolation (numpy's default)."""
    arr = np.asarray(values, dtype=float)
    if stat in QUANTILES:
        return float(np.quantile(arr, QUANTILES[stat]))
    if stat == "mean":
        return float(arr.mean())
    if stat == "min":
        return float(arr.min())
    if stat == "max":
        return float(arr.max())
    if stat == "cv":
        mean = float(arr.mean())
        if len(arr) < 2 or mean == 0:
            return 0.0
        return float(arr.std(ddof=1) / mean)
    raise ValueError(f"unknown statistic {stat!r}")


def statistic_interval(
    values: Sequence[float], stat: str, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float] | None:
    """A confidence interval for the statistic, or None when the sample cannot give one.

    Quantiles: distribution-free, from order statistics (binomial); mean: Student t;
    cv: percentile bootstrap; min and max: none (an extreme has no interval within the sample).
    """
    arr = np.sort(np.asarray(values, dtype=float))
    n = len(arr)
    alpha = 1.0 - confidence
    if stat in QUANTILES:
        q = QUANTILES[stat]
        lo = int(scipy.stats.binom.ppf(alpha / 2, n, q))  # 1-based order statistic
        hi = int(scipy.stats.binom.ppf(1 - alpha / 2, n, q)) + 1
        if lo < 1 or hi > n:
            return None
        return (float(arr[lo - 1]), float(arr[hi - 1]))
    if stat == "mean":
        if n < 2:
            return None
        sem = float(arr.std(ddof=1)) / math.sqrt(n)
        half = float(scipy.stats.t.ppf(1 - alpha / 2, n - 1)) * sem
        mean = float(arr.mean())
        return (mean - half, mean + half)
    if stat == "cv":
        if n < 3 or float(arr.mean()) == 0 or float(arr.std()) == 0:
            return None
        rng_key = "rng" if "rng" in inspect.signature(scipy.stats.bootstrap).parameters else "random_state"
        res = scipy.stats.bootstrap(
            (arr,),
            lambda x, axis: np.std(x, ddof=1, axis=axis) / np.mean(x, axis=axis),
            confidence_level=confidence,
            n_resamples=2000,
            method="percentile",
            **{rng_key: np.random.default_rng(seed)},
        )
        return (float(res.confidence_interval.low), float(res.confidence_interval.high))
    return None
