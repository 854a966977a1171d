"""Two-sample tests: a p-value and a change estimate (ratio head/base) with its interval.

Each test returns a `TwoSampleResult`; the verdict logic (`verdict.decide`) only needs
the p-value, the ratio and its interval, so another test (e.g. a paired one) plugs in by
returning the same shape.

Scale. Timings are positive and skewed, and a slowdown multiplies them, so both tests
work on log values and report exp(shift) as the ratio. When a sample holds a value <= 0
(a zero byte count, say), logs do not exist: the test runs on raw values and the change
is expressed relative to the baseline median, 1 + shift / median(base). When that median
is 0 too, the ratio is undefined (None) and only the direction is reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from scipy import special
from scipy import stats as sps

from lanebench.stats.summary import plain_floats, sorted_median

Scale = Literal["log", "raw"]

TESTS: tuple[str, ...] = ("mann-whitney", "welch-log")
# Above this many pairwise differences the Hodges-Lehmann estimate is computed on each
# sample's quantiles (an evenly spaced subset of order statistics) to bound memory.
MAX_PAIRS = 4_000_000
THINNED_SIZE = 2000
# Welch needs a variance on each side; 3 values is the least that estimates one at all.
WELCH_MIN_N = 3


@dataclass(frozen=True)
class TwoSampleResult:
    p_value: float
    ratio: float | None  # head / base point estimate; None when undefined
    ci_low: float | None  # None: the interval is unbounded or undefined
    ci_high: float | None
    confidence: float
    method: str
    scale: Scale
    shift_sign: int  # sign of the estimated change head - base (meaningful when ratio is None)
    extra: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=1024)
def normal_quantile(q: float) -> float:
    """Φ⁻¹(q), cached: the same few levels recur for every benchmark x metric."""
    return float(sps.norm.ppf(q))


def log_scale_possible(base: Sequence[float] | np.ndarray, head: Sequence[float] | np.ndarray) -> bool:
    return bool(np.all(np.asarray(base) > 0) and np.all(np.asarray(head) > 0))


def _constant_result(base: np.ndarray, head: np.ndarray, confidence: float, method: str) -> TwoSampleResult | None:
    """Both samples constant: the answer is exact and no test is needed (or defined)."""
    if not (np.all(base == base[0]) and np.all(head == head[0])):
        return None
    b, h = float(base[0]), float(head[0])
    sign = int(np.sign(h - b))
    if b > 0:
        ratio: float | None = h / b
    elif h == b:
        ratio = 1.0
    else:
        ratio = None
    # Equal constants: no evidence of any change. Different constants: the two samples
    # do not overlap at all, which is as much evidence as this sample size can give.
    if sign == 0:
        p = 1.0
    elif method == "mann-whitney":
        p = min_attainable_p("mann-whitney", base.size, head.size)
    else:
        p = 0.0
    return TwoSampleResult(
        p_value=p,
        ratio=ratio,
        ci_low=ratio,
        ci_high=ratio,
        confidence=confidence,
        method=method,
        scale="raw",
        shift_sign=sign,
        extra={"note": "both samples are constant"},
    )


def to_ratio(shift: float, scale: Scale, base_median: float) -> float | None:
    """A shift as a ratio head / base: exp(shift) on the log scale, relative to the base's
    median on the raw one (None when that is 0)."""
    if scale == "log":
        # A very wide interval's end can overflow exp(); 700 keeps it finite (JSON has no inf).
        return math.exp(max(-700.0, min(shift, 700.0)))
    if base_median > 0:
        return max(0.0, 1.0 + shift / base_median)
    return None


def _thin(x: np.ndarray) -> np.ndarray:
    if x.size <= THINNED_SIZE:
        return x
    return np.quantile(x, np.linspace(0, 1, THINNED_SIZE))


def hodges_lehmann_interval(
    base: np.ndarray, head: np.ndarray, confidence: float
) -> tuple[float, float | None, float | None]:
    """Hodges-Lehmann shift (median of all head_j - base_i) with its distribution-free interval.

    The interval is [d_(k), d_(N-k+1)] over the N sorted pairwise differences, where
    k = floor(N/2 - z * sigma_U + 0.5) with the tie-corrected standard deviation of the
    Mann-Whitney U statistic (Hollander & Wolfe; the normal approximation with continuity
    correction). It is the set of shifts the Mann-Whitney test would not reject, so test
    and interval agree. k < 1 means the samples are too small: the interval is unbounded.
    """
    b, h = base, head
    if b.size * h.size > MAX_PAIRS:
        b, h = _thin(b), _thin(h)
    diffs = np.subtract.outer(h, b).ravel()
    n_pairs = diffs.size
    # One in-place partition serves the median and, below, the interval's order
    # statistics; the last position is included to detect NaN, as np.median does.
    half = n_pairs // 2
    middle = (half - 1, half) if n_pairs % 2 == 0 else (half,)
    diffs.partition((*middle, n_pairs - 1))
    if math.isnan(diffs[-1]):
        shift = float(np.median(diffs))
    elif len(middle) == 2:  # np.median's mean: a sum that starts from +0.0
        shift = (0.0 + float(diffs[middle[0]]) + float(diffs[middle[1]])) / 2
    else:
        shift = 0.0 + float(diffs[half])
    n1, n2 = b.size, h.size
    pooled = np.concatenate([b, h])
    _, counts = np.unique(pooled, return_counts=True)
    n = n1 + n2
    tie_term = float(np.sum(counts.astype(float) ** 3 - counts)) / (n * (n - 1)) if n > 1 else 0.0
    sigma = math.sqrt(max(0.0, n1 * n2 / 12.0 * ((n + 1) - tie_term)))
    z = normal_quantile(0.5 + confidence / 2.0)
    k = math.floor(n_pairs / 2.0 - z * sigma + 0.5)
    if k < 1:
        return shift, None, None
    lo_hi = np.partition(diffs, (k - 1, n_pairs - k))
    return shift, float(lo_hi[k - 1]), float(lo_hi[n_pairs - k])


# Above this many values in both samples together, tie terms may exceed 2**53 and their
# sum depend on summation order: leave such samples to scipy itself.
ASYMPTOTIC_FAST_MAX = 200_000
# scipy's method="auto" takes the exact distribution of U whenever one sample has at most
# 8 values and there are no ties, however large the other is; its cost grows with the
# other's size (8 values against 1,000: 0.03 s here; against 3,000: 6 s; against 100,000:
# about 90 s). Exact up to this many values in the larger sample, the normal
# approximation beyond, where it is what scipy's "auto" uses for every other shape.
EXACT_MAX_N = 1000


def mann_whitney_method(n1: int, n2: int, ties: bool) -> Literal["exact", "asymptotic"]:
    """scipy's method="auto" choice, except that a large sample never gets the exact
    distribution (see EXACT_MAX_N): the same p-values wherever the larger sample has at
    most EXACT_MAX_N values."""
    if not ties and min(n1, n2) <= 8 and max(n1, n2) <= EXACT_MAX_N:
        return "exact"
    return "asymptotic"


def _scipy_mann_whitney_p(x: np.ndarray, y: np.ndarray, ties: bool) -> float:
    method = mann_whitney_method(int(x.size), int(y.size), ties)
    return float(sps.mannwhitneyu(x, y, alternative="two-sided", method=method).pvalue)


def mann_whitney_p(x: np.ndarray, y: np.ndarray) -> float:
    """scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method=...).pvalue, with
    the method `mann_whitney_method` picks (scipy's "auto" below EXACT_MAX_N values).

    scipy's per-call input handling costs about a millisecond, most of a comparison's
    time at 30 samples. For the normal approximation (both samples over 8 values, or
    ties), this computes the same quantities with the same floating-point operations:
    average ranks (half-integers, so their sum is exact), the tie-corrected standard
    deviation, the continuity correction and ndtr. The exact distribution, NaNs and very
    large samples go to scipy.
    """
    n1, n2 = int(x.size), int(y.size)
    n = n1 + n2
    pooled = np.concatenate([x, y])
    ordered = np.sort(pooled)
    if n > ASYMPTOTIC_FAST_MAX or np.isnan(ordered[-1]):
        return _scipy_mann_whitney_p(x, y, ties=bool(np.any(ordered[1:] == ordered[:-1])))
    starts_mask = np.empty(n, dtype=bool)
    starts_mask[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts_mask[1:])
    starts = np.flatnonzero(starts_mask)
    counts = np.diff(starts, append=n)
    ties = starts.size < n
    if mann_whitney_method(n1, n2, ties) == "exact":
        return _scipy_mann_whitney_p(x, y, ties)
    group_rank = (starts + 1) + (counts - 1) / 2.0  # average rank of each distinct value
    r1 = float(group_rank[np.searchsorted(ordered[starts], x)].sum())
    u1 = r1 - n1 * (n1 + 1) / 2
    u2 = n1 * n2 - u1
    u = max(u1, u2)
    mu = n1 * n2 / 2
    tie_counts = counts.astype(float)
    tie_term = float((tie_counts**3 - tie_counts).sum())
    sd = math.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))))
    if not sd > 0:  # every value equal: scipy's 0/0 handling decides
        return _scipy_mann_whitney_p(x, y, ties)
    z = (u - mu - 0.5) / sd
    p = float(special.ndtr(-z)) * 2
    return min(max(p, 0.0), 1.0)


def mann_whitney(
    base: Sequence[float] | np.ndarray, head: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> TwoSampleResult:
    """Two-sided Mann-Whitney U (scipy, method="auto") with the Hodges-Lehmann ratio."""
    b = np.asarray(base, dtype=float)
    h = np.asarray(head, dtype=float)
    constant = _constant_result(b, h, confidence, "mann-whitney")
    if constant is not None:
        return constant
    p = mann_whitney_p(h, b)
    scale: Scale = "log" if log_scale_possible(b, h) else "raw"
    tb, th = (np.log(b), np.log(h)) if scale == "log" else (b, h)
    shift, lo, hi = hodges_lehmann_interval(tb, th, confidence)
    base_median = sorted_median(sorted(b.tolist())) if plain_floats(b) else float(np.median(b))
    ratio = to_ratio(shift, scale, base_median)
    ci_low = to_ratio(lo, scale, base_median) if lo is not None else None
    ci_high = to_ratio(hi, scale, base_median) if hi is not None else None
    if ratio is None:
        ci_low = ci_high = None
    return TwoSampleResult(
        p_value=p,
        ratio=ratio,
        ci_low=ci_low,
        ci_high=ci_high,
        confidence=confidence,
        method="mann-whitney",
        scale=scale,
        shift_sign=int(np.sign(shift)) if shift != 0 else int(np.sign(np.median(h) - base_median)),
        extra={"estimator": "hodges-lehmann", "shift": shift},
    )


def welch_log(base: Sequence[float], head: Sequence[float], confidence: float = 0.95) -> TwoSampleResult:
    """Welch's t-test on log values; the ratio is the ratio of geometric means."""
    b = np.asarray(base, dtype=float)
    h = np.asarray(head, dtype=float)
    constant = _constant_result(b, h, confidence, "welch-log")
    if constant is not None:
        return constant
    scale: Scale = "log" if log_scale_possible(b, h) else "raw"
    tb, th = (np.log(b), np.log(h)) if scale == "log" else (b, h)
    res = sps.ttest_ind(th, tb, equal_var=False)
    interval = res.confidence_interval(confidence)
    shift = float(np.mean(th) - np.mean(tb))
    base_center = float(np.mean(b))
    ratio = to_ratio(shift, scale, base_center)
    lo, hi = float(interval.low), float(interval.high)
    bounded = math.isfinite(lo) and math.isfinite(hi) and ratio is not None
    return TwoSampleResult(
        p_value=float(res.pvalue),
        ratio=ratio,
        ci_low=to_ratio(lo, scale, base_center) if bounded else None,
        ci_high=to_ratio(hi, scale, base_center) if bounded else None,
        confidence=confidence,
        method="welch-log",
        scale=scale,
        shift_sign=int(np.sign(shift)),
        extra={"estimator": "difference of means" + (" of logs" if scale == "log" else ""),
               "shift": shift, "df": float(res.df)},
    )


def two_sample(
    test: str, base: Sequence[float], head: Sequence[float], confidence: float = 0.95
) -> TwoSampleResult:
    if test == "mann-whitney":
        return mann_whitney(base, head, confidence)
    if test == "welch-log":
        return welch_log(base, head, confidence)
    raise ValueError(f"unknown test {test!r} (expected one of {', '.join(TESTS)})")


@lru_cache(maxsize=4096)
def min_attainable_p(test: str, n_base: int, n_head: int) -> float:
    """The smallest p-value the test can produce at these sample sizes.

    For Mann-Whitney this is the p of two samples that do not overlap at all, computed by
    scipy with the same method as a real comparison. Welch's t can reach any p once each
    side has WELCH_MIN_N values; below that it is treated as unable to decide (1.0).
    """
    if n_base < 1 or n_head < 1:
        return 1.0
    if test == "welch-log":
        return 0.0 if min(n_base, n_head) >= WELCH_MIN_N else 1.0
    low = np.arange(n_base, dtype=float)
    high = np.arange(n_head, dtype=float) + n_base
    return _scipy_mann_whitney_p(high, low, ties=False)


def equal_n_needed(test: str, level: float) -> int | None:
    """The smallest n per side at which min_attainable_p(n, n) <= level (None: over 200)."""
    return next((n for n in range(2, 200) if min_attainable_p(test, n, n) <= level), None)


def head_n_needed(test: str, level: float, n_base: int) -> int | None:
    """The smallest head n at which min_attainable_p(n_base, n) <= level (None: over 200)."""
    return next((n for n in range(1, 200) if min_attainable_p(test, n_base, n) <= level), None)
