"""Paired A/B statistics: base and head measured interleaved on one runner.

A paired results file (`lanebench run --paired REF`) holds, per benchmark, head's samples
and the base commit's samples taken in the same pairs (`paired.base_samples`, aligned by
index: pair i ran base and head back to back, in a random order). Both sides of a pair
saw the same machine at the same moment, so the per-pair log-ratio

    d_i = log(head_i) - log(base_i)

cancels the runner's speed and its slow drifts, which a two-sample test between two runs
on two machines cannot do.

Test: Wilcoxon signed-rank on the d_i (two-sided; the exact null distribution up to 50
non-zero differences, ties included (`signed_rank_p`), scipy's normal approximation
beyond). Estimate: the Hodges-Lehmann estimator, the median of the Walsh averages (d_i + d_j) / 2 for i <= j, reported as the
ratio exp(estimate). Interval: [W_(k), W_(M-k+1)] over the M = n(n+1)/2 sorted Walsh
averages, with k from the signed-rank statistic's null distribution (exact for n <= 50,
normal beyond): the shifts the test would not reject, so test and interval agree.
The verdict rules (threshold, equivalence, multiple-testing control) are the ones every
comparison uses: `verdict.decide` and `adjust.adjust_pvalues`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import stats as sps

from lanebench.config.model import StatsSettings
from lanebench.results import (
    BenchmarkResult,
    InstructionCounts,
    PairedRun,
    ResultsDocument,
    RunInfo,
)
from lanebench.stats.evaluate import MetricAnalysis
from lanebench.stats.twosample import Scale, TwoSampleResult, to_ratio

METHOD = "paired-wilcoxon"
ESTIMATOR = (
    "Hodges-Lehmann estimate of the per-pair log-ratio (median of Walsh averages, ratio = "
    "exp(estimate)) with the signed-rank interval"
)
EXACT_MAX_N = 50
MAX_WALSH_N = 2000  # above this many pairs, Walsh averages are taken over quantiles of d


@lru_cache(maxsize=256)
def _null_cdf(n: int) -> tuple[float, ...]:
    """P(T+ <= t) for t = 0..n(n+1)/2 under H0: the exact signed-rank null distribution.

    Counting subsets of {1..n} by their sum, one rank at a time (counts below 2^53 for
    n <= 50, so float64 holds them exactly).
    """
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for rank in range(1, n + 1):
        counts[rank:] = counts[rank:] + counts[:-rank].copy()
    return tuple(np.cumsum(counts) / 2.0**n)


def _critical_k(n: int, confidence: float) -> int:
    """k such that [W_(k), W_(M-k+1)] covers the HL shift with at least `confidence`."""
    tail = (1.0 - confidence) / 2.0
    if n <= EXACT_MAX_N:
        cdf = _null_cdf(n)
        # largest k with P(T+ <= k - 1) <= tail
        k = int(np.searchsorted(np.asarray(cdf), tail, side="right"))
        return k
    m = n * (n + 1) / 2.0
    sd = math.sqrt(n * (n + 1) * (2 * n + 1) / 24.0)
    z = float(sps.norm.ppf(1.0 - tail))
    return math.floor(m / 2.0 - z * sd + 0.5)


def min_attainable_p(n: int) -> float:
    """The smallest two-sided p-value of the signed-rank test with n non-zero differences."""
    if n < 1:
        return 1.0
    if n <= EXACT_MAX_N:
        return min(1.0, 2.0 / 2.0**n)
    m = n * (n + 1) / 2.0
    sd = math.sqrt(n * (n + 1) * (2 * n + 1) / 24.0)
    return float(2.0 * sps.norm.sf(m / 2.0 / sd))


def signed_rank_p(d: np.ndarray) -> float:
    """Two-sided signed-rank p-value of the differences d, zeros dropped (Wilcoxon's rule).

    Up to EXACT_MAX_N non-zero differences the null distribution is exact, ties included:
    T+ (in doubled mid-ranks, so that every rank is an integer) over all 2^n sign flips,
    counted one rank at a time. The same numbers as scipy's exact and permutation methods,
    without their cost with ties (which grows as 2^n) and the same in every scipy version.
    Beyond, the normal approximation with the tie correction (scipy's).
    """
    nonzero = d[d != 0]
    n = int(nonzero.size)
    if n == 0:
        return 1.0
    if n > EXACT_MAX_N:
        return float(sps.wilcoxon(nonzero, alternative="two-sided", zero_method="wilcox", method="approx").pvalue)
    ranks2 = np.rint(2 * sps.rankdata(np.abs(nonzero))).astype(int)
    t_plus = int(ranks2[nonzero > 0].sum())
    counts = np.zeros(int(ranks2.sum()) + 1)
    counts[0] = 1.0
    for r in ranks2:
        counts[r:] = counts[r:] + counts[:-r].copy()
    cdf = np.cumsum(counts) / 2.0**n
    lower = cdf[t_plus]
    upper = 1.0 - (cdf[t_plus - 1] if t_plus > 0 else 0.0)
    return float(min(1.0, 2.0 * min(lower, upper)))


def pairs_needed(level: float) -> int | None:
    return next((n for n in range(1, 200) if min_attainable_p(n) <= level), None)


def _walsh_interval(d: np.ndarray, confidence: float) -> tuple[float, float | None, float | None]:
    if d.size > MAX_WALSH_N:
        d = np.quantile(d, np.linspace(0, 1, MAX_WALSH_N))
    i, j = np.triu_indices(d.size)
    walsh = (d[i] + d[j]) / 2.0
    estimate = float(np.median(walsh))
    k = _critical_k(d.size, confidence)
    if k < 1:
        return estimate, None, None
    m = walsh.size
    lo_hi = np.partition(walsh, (k - 1, m - k))
    return estimate, float(lo_hi[k - 1]), float(lo_hi[m - k])


def paired_wilcoxon(
    base: Sequence[float], head: Sequence[float], confidence: float = 0.95
) -> TwoSampleResult:
    """Signed-rank test and Hodges-Lehmann ratio of aligned pairs (base[i], head[i])."""
    b = np.asarray(base, dtype=float)
    h = np.asarray(head, dtype=float)
    if b.size != h.size:
        raise ValueError(f"paired samples differ in length: {b.size} base vs {h.size} head")
    scale: Scale = "log" if bool(np.all(b > 0) and np.all(h > 0)) else "raw"
    d = np.log(h) - np.log(b) if scale == "log" else h - b
    base_median = float(np.median(b))
    extra: dict[str, Any] = {"estimator": "hodges-lehmann (walsh averages)", "pairs": int(d.size)}
    if np.all(d == d[0]):
        shift = float(d[0])
        ratio = to_ratio(shift, scale, base_median) if shift != 0 else 1.0
        p = 1.0 if shift == 0 else min_attainable_p(int(d.size))
        extra.update(shift=shift, note="every pair differs by the same amount")
        return TwoSampleResult(
            p_value=p, ratio=ratio, ci_low=ratio, ci_high=ratio, confidence=confidence,
            method=METHOD, scale=scale, shift_sign=int(np.sign(shift)), extra=extra,
        )
    p = signed_rank_p(d)
    shift, lo, hi = _walsh_interval(d, confidence)
    ratio = to_ratio(shift, scale, base_median)
    ci_low = to_ratio(lo, scale, base_median) if lo is not None and ratio is not None else None
    ci_high = to_ratio(hi, scale, base_median) if hi is not None and ratio is not None else None
    extra["shift"] = shift
    zeros = int(np.sum(d == 0))
    if zeros:
        extra["zero_differences"] = zeros
    sign = int(np.sign(shift)) if shift != 0 else int(np.sign(np.median(d)))
    return TwoSampleResult(
        p_value=p, ratio=ratio, ci_low=ci_low, ci_high=ci_high, confidence=confidence,
        method=METHOD, scale=scale, shift_sign=sign, extra=extra,
    )


def paired_analysis(
    base: Sequence[float], head: Sequence[float], stats: StatsSettings, fraction: float = 1.0
) -> MetricAnalysis:
    """`evaluate.analyze_metric` for aligned pairs: the same shape, so verdicts reuse its rules."""
    level = stats.alpha * fraction
    confidence = 1.0 - (1.0 - stats.confidence) * fraction if fraction > 0 else 1.0
    n = min(len(base), len(head))
    minimum = min_attainable_p(n)
    reason = None
    if minimum > level:
        need = pairs_needed(level)
        reason = (
            f"{n} pairs: the smallest p-value the signed-rank test can reach is {minimum:.3g}, "
            f"above α = {level:.3g}" + (f"; needs {need} pairs" if need else "")
        )
    result = None
    if n >= 2 and fraction > 0:
        result = paired_wilcoxon(base[:n], head[:n], min(confidence, 1.0 - 1e-12))
    return MetricAnalysis(
        result=result, insufficient=reason, fraction=fraction, level=level,
        confidence=confidence, min_p=minimum,
    )


# --- the paired results document --------------------------------------------------------


def is_paired(base: BenchmarkResult | None, head: BenchmarkResult) -> bool:
    """True when `base` is the base side of `head`'s own pairs (see `paired_baseline`)."""
    return (
        base is not None
        and head.paired is not None
        and base.paired is None
        and base.n == head.n
        and head.n > 0
    )


def is_paired_document(doc: ResultsDocument) -> bool:
    return doc.run.paired is not None


def _base_counts(counts: InstructionCounts | None) -> InstructionCounts | None:
    """The base side's instrument fingerprint and profile, as its own block."""
    if counts is None or counts.base_fingerprint is None:
        return None
    return InstructionCounts(fingerprint=dict(counts.base_fingerprint), profile=counts.base_profile,
                             repeats=counts.repeats, cache_sim=counts.cache_sim,
                             python_profile=counts.base_python_profile)


def paired_baseline(head: ResultsDocument) -> ResultsDocument:
    """The base side of a paired results file, as a results document `compare` reads."""
    info = head.run.paired or PairedRun()
    run = RunInfo(
        commit=info.base_commit,
        ref=info.base_ref,
        repository=head.run.repository,
        lane=head.run.lane,
        started_at=head.run.started_at,
        finished_at=head.run.finished_at,
        status=head.run.status,
        config_path=head.run.config_path,
        paired_side="base",
    )
    benchmarks = []
    for hb in head.benchmarks:
        block = hb.paired
        if block is None:
            continue
        benchmarks.append(BenchmarkResult(
            name=hb.name,
            command=hb.command,
            shell=hb.shell,
            cwd=hb.cwd,
            settings=copy.deepcopy(hb.settings),
            samples={k: list(v) for k, v in block.base_samples.items()},
            failures=list(block.base_failures),
            status=block.base_status,
            notes=list(block.base_notes),
            instructions=_base_counts(hb.instructions),
        ))
    return ResultsDocument(
        run=run, environment=dict(head.environment), benchmarks=benchmarks,
        schema_version=head.schema_version,
    )


def is_paired_comparison(base: ResultsDocument, head: ResultsDocument) -> bool:
    """Whether `base` is `head`'s own base side: the pairs are compared, not two runs."""
    return is_paired_document(head) and base.run.paired_side == "base"
