"""The numbers a reader sees agree with the decision they support: p-values with enough
digits to read the verdict, and paired comparisons named as what they are."""

from __future__ import annotations

import numpy as np
import pytest

from lanebench.config import LaneSettings
from lanebench.formatting import adjusted_p, format_p, p_text
from lanebench.report import render_comment, render_html
from lanebench.report.context import ReportContext
from lanebench.report.terminal import comparison_notes
from lanebench.results import (
    AdaptivePlan,
    BenchmarkResult,
    PairedBenchmark,
    PairedRun,
    ResultsDocument,
    RunInfo,
    RunSettings,
)
from lanebench.stats import compare, decide
from lanebench.stats.paired import paired_baseline

# --- p-values: enough digits to read the decision ---------------------------------------------


@pytest.mark.parametrize("p", [0.0472, 0.0496, 0.04999, 0.0450001])
def test_a_significant_p_never_reads_as_alpha(p: float) -> None:
    for shown in (format_p(p, 0.05), p_text(p, 0.05)):
        assert float(shown) < 0.05, shown
    assert float(adjusted_p(p, 0.05).split("= ")[1]) < 0.05


@pytest.mark.parametrize("p", [0.0504, 0.05, 0.0549])
def test_a_p_at_or_above_alpha_never_reads_below_it(p: float) -> None:
    for shown in (format_p(p, 0.05), p_text(p, 0.05)):
        assert float(shown) >= 0.05, shown


def test_usual_p_values_keep_their_short_form() -> None:
    assert format_p(0.7071, 0.05) == "0.71"
    assert format_p(0.0031, 0.05) == "0.003"
    assert format_p(0.0004, 0.05) == "<0.001"
    assert format_p(0.0472, 0.05) == "0.047"
    assert format_p(0.0496, 0.05) == "0.0496"
    assert format_p(0.04996, 0.05) == "0.04996"
    assert adjusted_p(0.0004, 0.05) == "adjusted p < 0.001"  # in a sentence, the same floor


def test_the_verdict_reason_shows_a_p_that_matches_its_comparison_with_alpha() -> None:
    verdict, reason = decide(1.10, 1.06, 1.14, 0.0496, alpha=0.05, threshold=0.05)
    assert verdict == "regression"
    assert "adjusted p = 0.0496 < α = 0.05" in reason
    verdict, reason = decide(1.10, 1.06, 1.14, 0.04999, alpha=0.05, threshold=0.05)
    assert "adjusted p = 0.04999 < α = 0.05" in reason


# --- paired comparisons name their method ---------------------------------------------------


def paired_docs(n: int = 15, seed: int = 3) -> tuple[ResultsDocument, ResultsDocument]:
    """Paired runs whose pairs share a slow drift: the ratio of the medians (+~30%) is not
    the median per-pair ratio (+~22%), as on a runner that slowed during the run."""
    rng = np.random.default_rng(seed)
    drift = np.linspace(0.0, 0.5, n)
    base = 0.5 * np.exp(drift + rng.normal(0, 0.01, n))
    head = base * 1.22 * np.exp(rng.normal(0, 0.01, n))
    order = ["head-first", "base-first"] * n
    settings = RunSettings(adaptive=AdaptivePlan(looks=[10, 15, 20, 25],
                                                 alpha_fractions=[0.45, 0.23, 0.16, 0.16]))
    bench = BenchmarkResult(
        name="parse", command=["true"], settings=settings,
        samples={"wall": list(head), "cpu": list(head * 0.9)},
        paired=PairedBenchmark(base_samples={"wall": list(base), "cpu": list(base * 0.9)},
                               order=order[:n]),
    )
    head_doc = ResultsDocument(
        run=RunInfo(commit="h", paired=PairedRun(base_ref="main", base_commit="b" * 40)),
        environment={"cpu_model": "x", "cpu_count": 2, "machine": "x86_64"},
        benchmarks=[bench],
    )
    return paired_baseline(head_doc), head_doc


def test_paired_comment_names_the_signed_rank_test_and_its_interval_levels() -> None:
    base, head = paired_docs()
    comparison = compare(base, head, lane=LaneSettings())
    wall = next(m for m in comparison.metrics if m.metric == "wall")
    assert wall.method == "paired-wilcoxon" and wall.extra["confidence"] > 0.95
    comment = render_comment(ReportContext(head=head, base=base, comparison=comparison))
    small_print = next(line for line in comment.splitlines() if line.startswith("<sub>"))
    assert "Mann-Whitney" not in small_print
    assert "test: Wilcoxon signed-rank on pairs" in small_print
    assert "95% intervals" not in small_print
    assert "98.85% intervals (adaptive sampling: each look spends a share of α)" in small_print
    assert "96.8994" not in comment
    # the change is not the ratio of the medians shown beside it: the comment says so
    assert "median of the per-pair head/base ratios (Hodges-Lehmann), not the ratio of the medians" in small_print
    html = render_html(ReportContext(head=head, base=base, comparison=comparison))
    assert "Wilcoxon signed-rank on pairs" in html and "Mann-Whitney U" not in html
    tally = comparison_notes(comparison)[-1]
    assert "paired-wilcoxon" in tally and "mann-whitney" not in tally


def test_artifact_comment_says_the_change_is_not_the_ratio_of_medians() -> None:
    rng = np.random.default_rng(1)
    docs = [
        ResultsDocument(run=RunInfo(commit=c), environment={},
                        benchmarks=[BenchmarkResult(name="b", command=["true"],
                                                    samples={"wall": list(f * np.exp(rng.normal(0, 0.02, 12)))})])
        for c, f in (("a", 1.0), ("b", 1.2))
    ]
    comparison = compare(docs[0], docs[1], lane=LaneSettings())
    comment = render_comment(ReportContext(head=docs[1], base=docs[0], comparison=comparison))
    assert "test: Mann-Whitney U" in comment and "95% intervals" in comment
    assert "Hodges-Lehmann estimate of head/base, not the ratio of the medians" in comment
