"""The verdict rule: significance plus a practical threshold δ, with equivalence.

Independent of the test that produced the numbers: any test that yields an adjusted
p-value, a ratio head/base and an interval for it plugs in here.

With the band B = [1 - δ, 1 + δ] and the interval [lo, hi] at the comparison's level:

- unchanged:   1 - δ < lo and hi < 1 + δ. The whole interval is inside the band, an
               equivalence claim ("any change is smaller than δ"), even when the change
               is significant.
- regression:  adjusted p < α, lo > 1 and hi >= 1 + δ. The slowdown is real and the
               data cannot rule out that it reaches δ. A significant slowdown proven
               smaller than δ is `unchanged` (previous rule), not a regression.
- improvement: the mirror image: adjusted p < α, hi < 1 and lo <= 1 - δ.
- inconclusive: anything else (not significant, and the interval reaches past the band).

Why the interval and not the point estimate: with the estimate, a true change of exactly
δ would be called a regression only half the time; with the interval, a regression is
missed only when the data are consistent with a change smaller than δ, and "unchanged"
(the green check) is a claim proven at the interval's confidence.
"""

from __future__ import annotations

from lanebench.formatting import adjusted_p, interval_text, pct
from lanebench.stats.model import Verdict


def decide(
    ratio: float | None,
    ci_low: float | None,
    ci_high: float | None,
    p_adjusted: float | None,
    *,
    alpha: float,
    threshold: float,
    confidence: float = 0.95,
    shift_sign: int = 0,
) -> tuple[Verdict, str]:
    """The verdict and a one-sentence reason quoting the numbers behind it."""
    significant = p_adjusted is not None and p_adjusted < alpha
    p_shown = "no p-value" if p_adjusted is None else adjusted_p(p_adjusted, alpha)
    band = f"±{threshold * 100:g}%"
    upper, lower = 1.0 + threshold, 1.0 - threshold

    if ratio is None:
        # Undefined ratio (baseline median 0): any increase from zero exceeds a relative
        # threshold, so significance and direction decide.
        if significant and shift_sign > 0:
            return "regression", f"rose from zero ({p_shown} < α = {alpha:g})"
        if significant and shift_sign < 0:
            return "improvement", f"fell ({p_shown} < α = {alpha:g}); the baseline median is zero"
        return "inconclusive", f"change from a zero baseline median is not significant ({p_shown})"

    interval = interval_text(ci_low, ci_high, confidence)
    estimate = pct(ratio)
    if ci_low is not None and ci_high is not None and lower < ci_low and ci_high < upper:
        if significant:
            return "unchanged", (
                f"{estimate}, {interval} within {band}: a real but smaller change than the "
                f"threshold ({p_shown})"
            )
        return "unchanged", f"{estimate}, {interval} within {band}"
    if significant and ci_low is not None and ci_high is not None and ci_low > 1.0 and ci_high >= upper:
        return "regression", (
            f"{estimate}, {interval} reaches +{threshold * 100:g}% ({p_shown} < α = {alpha:g})"
        )
    if significant and ci_low is not None and ci_high is not None and ci_high < 1.0 and ci_low <= lower:
        return "improvement", (
            f"{estimate}, {interval} reaches -{threshold * 100:g}% ({p_shown} < α = {alpha:g})"
        )
    if p_adjusted is None:
        return "inconclusive", f"{estimate}, untested, and the {interval} is not within {band}"
    if not significant and ci_low is not None and ci_high is not None and (ci_low > 1.0 or ci_high < 1.0):
        # The interval is the comparison's own; the p-value is adjusted for every other
        # comparison of the run. Only the adjusted one may call a change real.
        return "inconclusive", (
            f"{estimate}: the {interval} excludes no change, but after the adjustment for "
            f"the run's other comparisons {p_shown} ≥ α = {alpha:g}, so the change is not "
            "significant"
        )
    if not significant:
        return "inconclusive", (
            f"{estimate}, not significant ({p_shown} ≥ α = {alpha:g}) and the {interval} "
            f"is not within {band}"
        )
    return "inconclusive", (
        f"{estimate}, significant ({p_shown}) but the {interval} includes no change"
    )
