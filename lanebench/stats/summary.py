"""Descriptive statistics of one sample, with outliers flagged but never dropped."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lanebench.stats.model import Summary

OUTLIER_Z = 3.5
OUTLIER_RULE = (
    "modified z-score |0.6745 (x - median) / MAD| > 3.5 (Iglewicz-Hoaglin); "
    "when MAD is 0: |x - median| / (1.2533 * mean absolute deviation) > 3.5"
)


def outlier_indices(values: Sequence[float]) -> list[int]:
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


def summarize(values: Sequence[float]) -> Summary:
    """n, median, mean, stdev (n-1), CV (stdev/mean), p95, p99, min, max, MAD (unscaled).

    Percentiles use linear interpolation between order statistics (numpy's default).
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("summarize needs at least one value")
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
