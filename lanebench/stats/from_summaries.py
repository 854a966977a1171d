"""A comparison of two metrics a harness kept only statistics of (docs/harnesses.md).

Some harness outputs have no samples: a pytest-benchmark run saved without its data, a
Google Benchmark run with aggregates only. What they keep (n, mean, standard deviation)
allows Welch's t-test on the raw scale, `scipy.stats.ttest_ind_from_stats`, and nothing
that needs the values themselves: no rank test, no log-scale test, no outlier rule. The
ratio is of the means; its interval is the delta method's on the log of that ratio,
var ≈ s_h²/(n_h m_h²) + s_b²/(n_b m_b²), with Welch-Satterthwaite degrees of freedom.
Fewer than MIN_N values a side, or a missing mean or deviation, is "insufficient data":
never a made-up sample list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from scipy import stats as sps

from lanebench.config.model import StatsSettings
from lanebench.stats.evaluate import MetricAnalysis
from lanebench.stats.twosample import TwoSampleResult

MIN_N = 3
METHOD = "welch-from-summaries"


def _moments(summary: Mapping[str, float] | None) -> tuple[int, float, float] | None:
    if summary is None:
        return None
    n, mean, sd = summary.get("n"), summary.get("mean"), summary.get("stddev")
    if n is None or mean is None or sd is None:
        return None
    return int(n), float(mean), float(sd)


def summary_analysis(base: Mapping[str, float] | None, head: Mapping[str, float] | None,
                     stats: StatsSettings, fraction: float = 1.0) -> MetricAnalysis:
    """Welch's test from two summaries at the share `fraction` of α (see `evaluate`)."""
    level = stats.alpha * fraction
    confidence = 1.0 - (1.0 - stats.confidence) * fraction if fraction > 0 else 1.0
    b, h = _moments(base), _moments(head)
    if b is None or h is None:
        return MetricAnalysis(None, "the harness kept no mean and standard deviation on both "
                              "sides, and no samples: no test is possible", fraction, level,
                              confidence, 1.0)
    (nb, mb, sb), (nh, mh, sh) = b, h
    if nb < MIN_N or nh < MIN_N:
        return MetricAnalysis(None, f"{nb} baseline vs {nh} head values summarised: Welch's "
                              f"test from summaries needs at least {MIN_N} per side", fraction,
                              level, confidence, 1.0)
    if mb <= 0 or mh <= 0:
        return MetricAnalysis(None, "a mean of 0: no ratio to estimate", fraction, level,
                              confidence, 1.0)
    test = sps.ttest_ind_from_stats(mh, sh, nh, mb, sb, nb, equal_var=False)
    p = float(test.pvalue) if math.isfinite(test.pvalue) else (1.0 if mh == mb else 0.0)
    vb, vh = sb**2 / (nb * mb**2), sh**2 / (nh * mh**2)
    se = math.sqrt(vb + vh)
    df_den = (vb**2 / (nb - 1) if vb else 0.0) + (vh**2 / (nh - 1) if vh else 0.0)
    df = (vb + vh) ** 2 / df_den if df_den > 0 else math.inf
    q = float(sps.t.ppf(0.5 + min(confidence, 1 - 1e-12) / 2, df)) if math.isfinite(df) \
        else float(sps.norm.ppf(0.5 + min(confidence, 1 - 1e-12) / 2))
    theta = math.log(mh / mb)
    result = TwoSampleResult(
        p_value=p, ratio=mh / mb, ci_low=math.exp(theta - q * se), ci_high=math.exp(theta + q * se),
        confidence=confidence, method=METHOD, scale="log", shift_sign=(mh > mb) - (mh < mb),
        extra={"note": "from the harness's summaries (n, mean, standard deviation): ratio of "
               "means, Welch's t-test on the raw scale", "df": df},
    )
    return MetricAnalysis(result, None, fraction, level, confidence, 0.0)
