"""Descriptive statistics of one sample, with outliers flagged but never dropped."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from lanebench.stats.model import Summary

OUTLIER_Z = 3.5
# How reports cite the rule: by name, with where it is explained (the formula stays in
# the comparison JSON's `outlier_rule`).
OUTLIER_RULE_NAME = "Iglewicz-Hoaglin modified z-score rule"
OUTLIER_RULE_DOC = "|z| > 3.5; lanebench docs/statistics.md, Summaries and outliers"
OUTLIER_RULE = (
    "modified z-score |0.6745 (x - median) / MAD| > 3.5 (Iglewicz-Hoaglin); "
    "when MAD is 0: |x - median| / (1.2533 * mean absolute deviation) > 3.5"
)


def outlier_indices(values: Sequence[float] | np.ndarray) -> list[int]:
    """Indices of values whose modified z-score exceeds 3.5.

    The same rule hyperfine warns with: robust to the outliers it looks for, unlike a
    z-score on the mean and stdev. Half the sample or more must be equal for MAD to be
    0; the mean absolute deviation then stands in, so a lone spike is still flagged.
    """
    x = np.asarray(values, dtype=float)
    if x.size < 3:
        return []
    median = np.median(x)
    deviation = np.abs(x - median)
    mad = np.median(deviation)
    if mad > 0:
        score = 0.6745 * deviation / mad
    else:
        mean_ad = np.mean(deviation)
        if mean_ad == 0:
            return []
        score = deviation / (1.253314 * mean_ad)
    return [int(i) for i in np.flatnonzero(score > OUTLIER_Z)]


def sorted_median(ordered: Sequence[float]) -> float:
    """The median of an already sorted sample, as np.median computes it: the mean of the
    middle one or two, a sum that starts from +0.0 (which turns a -0.0 into 0.0)."""
    n = len(ordered)
    half = n // 2
    if n % 2:
        return 0.0 + ordered[half]
    return (0.0 + ordered[half - 1] + ordered[half]) / 2


def sorted_percentile(ordered: Sequence[float], q: float) -> float:
    """np.percentile(x, q) (linear method) of an already sorted sample, the same arithmetic."""
    n = len(ordered)
    virtual = (n - 1) * (q / 100)
    if virtual >= n - 1:
        return float(ordered[-1])
    below = math.floor(virtual)
    a, b = ordered[below], ordered[below + 1]
    gamma = virtual - below
    diff = b - a
    if gamma >= 0.5:
        return b - diff * (1 - gamma)
    return a + diff * gamma


def plain_floats(x: np.ndarray) -> bool:
    """True when sorting in plain Python orders x exactly as numpy's partition would.

    NaN and negative zero are the two values where the two may differ; a sample that
    holds one takes the numpy path.
    """
    lowest, highest = float(x.min()), float(x.max())
    if not (math.isfinite(lowest) and math.isfinite(highest)):
        return False  # NaN, or infinities, whose interpolation numpy handles its own way
    if lowest <= 0.0 <= highest:
        return not any(v == 0.0 and math.copysign(1.0, v) < 0 for v in x.tolist())
    return True


def summarize(values: Sequence[float]) -> Summary:
    """n, median, mean, stdev (n-1), CV (stdev/mean), p95, p99, min, max, MAD (unscaled).

    Percentiles use linear interpolation between order statistics (numpy's default).
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("summarize needs at least one value")
    if x.ndim == 1 and plain_floats(x):
        return _summarize_sorted(x)
    return _summarize_numpy(x)


def _summarize_sorted(x: np.ndarray) -> Summary:
    """summarize() on one sort of the sample: numpy's per-call overhead dominates small
    samples, and a summary is taken of every benchmark x metric on both sides. Every value
    is computed with the same floating-point operations as `_summarize_numpy`: sums stay
    numpy's pairwise sums; medians and percentiles use numpy's interpolation formulas."""
    n = int(x.size)
    total = float(x.sum())
    mean = total / n
    if n > 1:
        centered = x - mean
        stdev = math.sqrt(float((centered * centered).sum()) / (n - 1))
    else:
        stdev = 0.0
    values = x.tolist()
    ordered = sorted(values)
    # The summary's median is the 50th percentile (interpolated); the outlier rule's is
    # np.median (the mean of the middle two). They can differ in the last bit.
    median = sorted_percentile(ordered, 50)
    deviation = [abs(v - median) for v in values]
    mad = sorted_median(sorted(deviation))
    rule_median = sorted_median(ordered)
    if rule_median == median:
        rule_deviation, rule_mad = deviation, mad
    else:
        rule_deviation = [abs(v - rule_median) for v in values]
        rule_mad = sorted_median(sorted(rule_deviation))
    return Summary(
        n=n,
        median=median,
        mean=mean,
        stdev=stdev,
        cv=stdev / abs(mean) if mean != 0 else 0.0,
        p95=sorted_percentile(ordered, 95),
        p99=sorted_percentile(ordered, 99),
        min=ordered[0],
        max=ordered[-1],
        mad=mad,
        outliers=_outliers_from(rule_deviation, rule_mad, n),
        outlier_rule=OUTLIER_RULE,
    )


def _outliers_from(deviation: list[float], mad: float, n: int) -> list[int]:
    """outlier_indices() given the absolute deviations from the median and their median."""
    if n < 3:
        return []
    if mad > 0:
        return [i for i, d in enumerate(deviation) if 0.6745 * d / mad > OUTLIER_Z]
    # The mean absolute deviation is a numpy (pairwise) sum, as in outlier_indices.
    mean_ad = float(np.mean(np.asarray(deviation, dtype=float)))
    if mean_ad == 0:
        return []
    return [i for i, d in enumerate(deviation) if d / (1.253314 * mean_ad) > OUTLIER_Z]


def _summarize_numpy(x: np.ndarray) -> Summary:
    mean = float(np.mean(x))
    stdev = float(np.std(x, ddof=1)) if x.size > 1 else 0.0
    median, p95, p99 = (float(v) for v in np.percentile(x, [50, 95, 99]))
    return Summary(
        n=int(x.size),
        median=median,
        mean=mean,
        stdev=stdev,
        cv=stdev / abs(mean) if mean != 0 else 0.0,
        p95=p95,
        p99=p99,
        min=float(np.min(x)),
        max=float(np.max(x)),
        mad=float(np.median(np.abs(x - median))),
        outliers=outlier_indices(x),
        outlier_rule=OUTLIER_RULE,
    )
