"""Creeping drift: how far the last run's level moved from the level `window` runs before.

A series of steps each too small to be a change point can still add up. The drift over
the last `window` runs (default 20) is a robust trend over the last `window + 1` runs:

- the Theil-Sen slope b (the median of the slopes between every pair of runs; Sen 1968,
  `scipy.stats.theilslopes`) on the analysed scale, with its distribution-free interval
  at `confidence`;
- the drift is b · window: on the log scale the ratio exp(b · window) of the fitted level
  at the last run to the fitted level `window` runs before it; on the raw scale
  1 + b · window / (fitted level at the window's first run);
- its p-value is the Mann-Kendall trend test's (Kendall's τ between run index and value,
  two-sided, tie-corrected: `scipy.stats.kendalltau`), the test that goes with Theil-Sen.

Whether a drift is worth reporting (beyond the practical threshold once the change points
reported on their own are taken out) is decided by the caller (`lanebench.stats.trends`). The slope is robust
to a few outlying runs (its breakdown point is 29%), and the window's runs are taken as
independent: runs on the same day may share a runner's mood, which makes the interval
optimistic (docs/trends.md, limits).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from lanebench.stats.changepoint import Scale, analysed_values


@dataclass(frozen=True)
class DriftSettings:
    window: int = 20  # compare the last run with the one this many runs before it
    min_runs: int = 10  # fewest runs in the window for an estimate at all
    # Strict, because the drift of a series is looked at again after every main run: at
    # 0.01 / 99%, 8% of flat series with 2% noise reported a drift at some point in 31
    # looks; at 0.001 / 99.9%, 1% (docs/trends.md).
    confidence: float = 0.999  # of the drift's interval
    alpha: float = 0.001  # significance of the Mann-Kendall test

    def __post_init__(self) -> None:
        if self.window < 2:
            raise ValueError("window must be at least 2 runs")
        if not 3 <= self.min_runs <= self.window + 1:
            raise ValueError("min_runs must be between 3 and window + 1")
        if not 0 < self.confidence < 1 or not 0 < self.alpha < 1:
            raise ValueError("confidence and alpha must be in (0, 1)")


@dataclass(frozen=True)
class Drift:
    """The trend of the runs [start, stop): the last run against `runs` runs before it."""

    start: int
    stop: int
    runs: int  # stop - 1 - start: how many runs back the comparison reaches
    slope: float  # per run, on the analysed scale
    ratio: float | None  # fitted last / fitted first; None when the fitted first is <= 0
    ci_low: float | None
    ci_high: float | None
    confidence: float
    p_value: float


def drift(
    values: Sequence[float], *, scale: Scale = "log", settings: DriftSettings | None = None
) -> Drift | None:
    """The drift of the last `settings.window` runs; None with fewer than `min_runs` runs."""
    settings = settings or DriftSettings()
    z = analysed_values(values, scale)
    start = max(0, z.size - settings.window - 1)
    y = z[start:]
    if y.size < settings.min_runs:
        return None
    x = np.arange(y.size, dtype=float)
    runs = y.size - 1
    if np.all(y == y[0]):
        slope = low = high = 0.0
        intercept = float(y[0])
        p = 1.0
    else:
        fit = sps.theilslopes(y, x, alpha=settings.confidence)
        slope, intercept = float(fit.slope), float(fit.intercept)
        low, high = float(fit.low_slope), float(fit.high_slope)
        tau = sps.kendalltau(x, y)
        p = float(tau.pvalue) if math.isfinite(tau.pvalue) else 1.0
    if scale == "log":
        ratio: float | None = math.exp(slope * runs)
        ci_low: float | None = math.exp(low * runs)
        ci_high: float | None = math.exp(high * runs)
    elif intercept > 0:
        ratio = 1.0 + slope * runs / intercept
        ci_low, ci_high = 1.0 + low * runs / intercept, 1.0 + high * runs / intercept
    else:
        ratio = ci_low = ci_high = None
    return Drift(
        start=start, stop=int(z.size), runs=runs, slope=slope, ratio=ratio,
        ci_low=ci_low, ci_high=ci_high, confidence=settings.confidence, p_value=p,
    )
