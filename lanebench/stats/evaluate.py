"""One benchmark x metric: the test at this analysis's level, then the verdict.

Shared by `compare` (the final analysis) and the sequential stopper (interim looks), so
that a look which stops a benchmark and the compare that follows reach the same verdict.

`fraction` is the share of α this analysis may spend: 1 for a fixed-size run, the look's
share of an alpha-spending plan for adaptive runs (see `sequential.py`). The test then
runs at level α·fraction and the interval at confidence 1 - (1 - confidence)·fraction;
equivalently, the p-value entering the family adjustment is p / fraction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lanebench.config.model import StatsSettings
from lanebench.stats.model import Verdict
from lanebench.stats.twosample import (
    WELCH_MIN_N,
    TwoSampleResult,
    equal_n_needed,
    head_n_needed,
    min_attainable_p,
    two_sample,
)
from lanebench.stats.verdict import decide

TEST_NAMES = {"mann-whitney": "Mann-Whitney", "welch-log": "Welch's t-test"}


@dataclass(frozen=True)
class MetricAnalysis:
    result: TwoSampleResult | None  # None when a side has fewer than 2 samples
    insufficient: str | None  # why no verdict is possible at these sample sizes
    fraction: float
    level: float  # α · fraction: the level of this analysis before family adjustment
    confidence: float  # of the interval in `result`
    min_p: float  # smallest p-value the test can reach at these sample sizes

    @property
    def p_family(self) -> float | None:
        """The p-value that enters the family adjustment; None when not tested."""
        if self.result is None or self.insufficient is not None:
            return None
        if self.fraction <= 0:
            return 1.0
        return min(1.0, self.result.p_value / self.fraction)


def insufficiency(test: str, n_base: int, n_head: int, level: float) -> tuple[str | None, float]:
    """A reason when the test can never reach `level` at these sample sizes, and the minimum p."""
    minimum = min_attainable_p(test, n_base, n_head)
    if minimum <= level:
        return None, minimum
    if test == "welch-log":
        return (
            f"{n_base} baseline vs {n_head} head samples: Welch's t-test needs at least "
            f"{WELCH_MIN_N} per side",
            minimum,
        )
    equal = equal_n_needed(test, level)
    head = head_n_needed(test, level, n_base) if n_base > 0 else None
    need = f"needs {head} head samples against this baseline" if head else "needs more baseline samples"
    if equal:
        need += f" (or {equal} per side)"
    return (
        f"{n_base} baseline vs {n_head} head samples: the smallest p-value "
        f"{TEST_NAMES.get(test, test)} can reach is {minimum:.3g}, above α = {level:.3g}; {need}",
        minimum,
    )


def analyze_metric(
    base: Sequence[float], head: Sequence[float], stats: StatsSettings, fraction: float = 1.0
) -> MetricAnalysis:
    level = stats.alpha * fraction
    confidence = 1.0 - (1.0 - stats.confidence) * fraction if fraction > 0 else 1.0
    reason, minimum = insufficiency(stats.test, len(base), len(head), level)
    result = None
    if len(base) >= 2 and len(head) >= 2 and fraction > 0:
        result = two_sample(stats.test, base, head, min(confidence, 1.0 - 1e-12))
        if not math.isfinite(result.p_value):
            reason = reason or "the test could not be computed on these samples"
    return MetricAnalysis(
        result=result,
        insufficient=reason,
        fraction=fraction,
        level=level,
        confidence=confidence,
        min_p=minimum,
    )


def verdict_for(
    analysis: MetricAnalysis, p_adjusted: float | None, *, alpha: float, threshold: float
) -> tuple[Verdict, str]:
    """The verdict once the family adjustment is known."""
    if analysis.insufficient is not None or analysis.result is None:
        return "insufficient data", analysis.insufficient or "fewer than 2 samples on a side"
    r = analysis.result
    return decide(
        r.ratio,
        r.ci_low,
        r.ci_high,
        p_adjusted,
        alpha=alpha,
        threshold=threshold,
        confidence=r.confidence,
        shift_sign=r.shift_sign,
    )
