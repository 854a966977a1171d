"""Statistics: summaries, two-sample tests, multiple-testing control, verdicts, stopping rules.

Pure functions of results documents: no files (the comparison JSON is
`lanebench.comparison_file`), no GitHub. See docs/statistics.md for the methods and their
measured error rates.
"""

from lanebench.stats.adjust import adjust_pvalues
from lanebench.stats.comparison import compare
from lanebench.stats.evaluate import MetricAnalysis, analyze_metric, verdict_for
from lanebench.stats.model import (
    DECIDED,
    BenchmarkOutcome,
    Comparison,
    MetricComparison,
    Noise,
    Summary,
    Verdict,
)
from lanebench.stats.power import noise_check
from lanebench.stats.sequential import (
    SequentialStopper,
    adaptive_plan,
    analysis_fraction,
    sequential_stopper,
)
from lanebench.stats.summary import outlier_indices, summarize
from lanebench.stats.twosample import TwoSampleResult, mann_whitney, two_sample, welch_log
from lanebench.stats.verdict import decide

__all__ = [
    "DECIDED",
    "BenchmarkOutcome",
    "Comparison",
    "MetricAnalysis",
    "MetricComparison",
    "Noise",
    "SequentialStopper",
    "Summary",
    "TwoSampleResult",
    "Verdict",
    "adaptive_plan",
    "adjust_pvalues",
    "analysis_fraction",
    "analyze_metric",
    "compare",
    "decide",
    "mann_whitney",
    "noise_check",
    "outlier_indices",
    "sequential_stopper",
    "summarize",
    "two_sample",
    "verdict_for",
    "welch_log",
]
