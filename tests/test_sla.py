"""SLA evaluation on crafted results and comparisons: each rule fires and its neighbour does not."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lanebench.config import LaneSettings
from lanebench.results import BenchmarkResult, Failure, ResultsDocument, RunInfo
from lanebench.sla import (
    SlaReport,
    budget_usage,
    evaluate_sla,
    overall_status,
)
from lanebench.stats.model import Comparison, MetricComparison, Noise, Summary
from lanebench.stats.statistic import sample_statistic, statistic_interval

MiB = 1024**2


def bench(
    name: str = "build",
    wall: list[float] | None = None,
    failures: int = 0,
    status: str = "ok",
    **samples: list[float],
) -> BenchmarkResult:
    walls = wall if wall is not None else [1.0] * 10
    data = {"wall": walls, **samples}
    return BenchmarkResult(
        name=name,
        command=["python3", "bench.py"],
        samples=data,
        failures=[Failure(iteration=i, status="failed", exit_code=1, wall=0.5) for i in range(failures)],
        status=status,  # type: ignore[arg-type]
    )


def doc(*benches: BenchmarkResult, lane: str = "standard", **run_fields: Any) -> ResultsDocument:
    return ResultsDocument(
        run=RunInfo(lane=lane, **run_fields), environment={"cpu_count": 2}, benchmarks=list(benches)
    )


def summary(median: float, n: int = 20, cv: float = 0.02) -> Summary:
    return Summary(n=n, median=median, mean=median, stdev=median * cv, cv=cv, p95=median, p99=median,
                   min=median, max=median, mad=0.0)


def mc(
    verdict: str,
    ratio: float | None,
    ci: tuple[float, float] | None = None,
    *,
    benchmark: str = "build",
    metric: str = "wall",
    p: float | None = 0.001,
    threshold: float = 0.05,
    noise: Noise | None = None,
    base: float = 1.0,
) -> MetricComparison:
    return MetricComparison(
        benchmark=benchmark,
        metric=metric,
        unit="s",
        kind="time",
        threshold=threshold,
        verdict=verdict,  # type: ignore[arg-type]
        reason="crafted",
        base=summary(base),
        head=summary(base * (ratio or 1.0)),
        ratio=ratio,
        ci_low=ci[0] if ci else None,
        ci_high=ci[1] if ci else None,
        p_value=p,
        p_adjusted=p,
        method="mann-whitney",
        noise=noise,
    )


def comparison(*metrics: MetricComparison, cross_machine: list[str] | None = None) -> Comparison:
    return Comparison(
        lane="standard",
        settings={"confidence": 0.95, "alpha": 0.05},
        base_run={},
        head_run={},
        base_environment={},
        head_environment={},
        cross_machine=cross_machine or [],
        benchmarks=[],
        metrics=list(metrics),
    )


def lane(*rules: Any, **settings: Any) -> LaneSettings:
    return LaneSettings.model_validate({"sla": list(rules), **settings})


def failed(report: SlaReport, rule: str | None = None) -> list[Any]:
    return [f for f in report.violations if rule is None or f.rule == rule]


# --- statistics of the head samples -------------------------------------------------------


def test_order_statistic_interval_for_the_median() -> None:
    values = [float(v) for v in range(1, 11)]  # n=10: the 95% interval is [x(2), x(9)]
    assert statistic_interval(values, "median") == (2.0, 9.0)


def test_tail_quantile_has_no_interval_with_few_samples() -> None:
    values = [float(v) for v in range(1, 21)]
    assert statistic_interval(values, "p95") is None  # needs ~60 samples for a 95% interval
    many = list(np.linspace(1.0, 2.0, 200))
    low, high = statistic_interval(many, "p95")  # type: ignore[misc]
    assert low < sample_statistic(many, "p95") < high


def test_mean_and_cv_intervals_bracket_the_estimate() -> None:
    values = list(np.random.default_rng(3).normal(10.0, 1.0, 40))
    for stat in ("mean", "cv"):
        low, high = statistic_interval(values, stat)  # type: ignore[misc]
        assert low < sample_statistic(values, stat) < high
    assert statistic_interval(values, "max") is None


# --- absolute limits ---------------------------------------------------------------------


def test_absolute_limit_breached_quotes_value_interval_and_limit() -> None:
    walls = [2.0 + 0.01 * i for i in range(20)]  # median 2.095 s
    report = evaluate_sla(lane("wall.median <= 2s"), doc(bench(wall=walls)), None)
    (finding,) = failed(report, "wall.median <= 2s")
    assert finding.severity == "critical" and report.status == "fail"
    assert finding.observed == pytest.approx(2.095)
    assert finding.interval is not None and finding.interval[0] > 2.0
    assert finding.limit == 2.0
    assert "wall median = 2.095 s" in finding.message
    assert "95% CI 2.050 s to 2.140 s, n=20" in finding.message
    assert "limit <= 2.000 s: breaks the limit" in finding.message


def test_absolute_limit_met_is_a_passed_finding() -> None:
    walls = [1.0 + 0.01 * i for i in range(20)]
    report = evaluate_sla(lane("wall.median <= 2s"), doc(bench(wall=walls)), None)
    assert report.status == "pass"
    (finding,) = [f for f in report.findings if f.rule == "wall.median <= 2s"]
    assert finding.passed and "within the limit" in finding.message


def test_absolute_limit_whose_interval_contains_it_says_so() -> None:
    walls = [1.8 + 0.02 * i for i in range(20)]  # median 1.99, interval straddles 2 s
    report = evaluate_sla(lane("wall.median <= 2s"), doc(bench(wall=walls)), None)
    (finding,) = [f for f in report.findings if f.rule == "wall.median <= 2s"]
    assert finding.passed
    assert finding.extra["interval_contains_limit"] is True
    assert "more iterations would settle it" in finding.message


def test_p95_limit_with_too_few_samples_for_an_interval() -> None:
    report = evaluate_sla(lane("wall.p95 <= 2s"), doc(bench(wall=[1.0] * 18 + [2.5, 2.6])), None)
    (finding,) = failed(report)
    assert finding.interval is None
    assert "n=20, too few iterations for a 95% interval" in finding.message


def test_memory_limit_in_mib_and_per_benchmark_scope() -> None:
    rule = {"rule": "maxrss.max <= 512MiB", "benchmarks": ["build"]}
    heavy = [100 * MiB] * 9 + [600 * MiB]
    results = doc(bench("build", maxrss=[100 * MiB] * 10), bench("test", maxrss=heavy))
    assert evaluate_sla(lane(rule), results, None).status == "pass"  # `test` is out of scope
    results = doc(bench("build", maxrss=heavy), bench("test", maxrss=heavy))
    (finding,) = failed(evaluate_sla(lane(rule), results, None))
    assert finding.benchmark == "build"
    assert "maxrss max = 600.0 MiB" in finding.message and "limit <= 512.0 MiB" in finding.message


def test_cv_limit_and_severity_override() -> None:
    noisy = [1.0, 1.3] * 10
    report = evaluate_sla(lane({"rule": "wall.cv <= 10%", "severity": "warning"}), doc(bench(wall=noisy)), None)
    (finding,) = failed(report)
    assert finding.severity == "warning" and report.status == "warn"
    assert finding.observed == pytest.approx(np.std(noisy, ddof=1) / np.mean(noisy))
    quiet = evaluate_sla(lane("wall.cv <= 10%"), doc(bench(wall=[1.0, 1.01] * 10)), None)
    assert quiet.status == "pass"


def test_absolute_rule_skips_benchmarks_without_measurements() -> None:
    results = doc(bench("old", wall=[9.0] * 10, status="carried_over"), bench("none", wall=[]))
    report = evaluate_sla(lane("wall.max <= 1s"), results, None)
    assert report.status == "pass"
    assert {f.message for f in report.findings if f.rule == "wall.max <= 1s"} == {
        "old: wall max not evaluated (status carried_over)",
        "none: wall max not evaluated (no successful iterations)",
    }


# --- relative limits (decided by the comparison) ----------------------------------------


def test_relative_rule_fails_on_a_regression_reaching_past_its_limit() -> None:
    comp = comparison(mc("regression", 1.12, (1.08, 1.17), p=0.0012))
    report = evaluate_sla(lane("wall.median: regression <= 5%"), doc(bench()), comp)
    (finding,) = failed(report)
    assert finding.severity == "critical"
    assert finding.observed == pytest.approx(0.12)
    assert finding.interval == pytest.approx((0.08, 0.17))
    assert "wall +12.0% (95% CI +8.0% to +17.0%, adjusted p = 0.0012" in finding.message
    assert "reaches past the 5% limit" in finding.message


def test_relative_rule_with_a_looser_limit_passes_a_regression_inside_it() -> None:
    comp = comparison(mc("regression", 1.09, (1.06, 1.12)))
    report = evaluate_sla(lane("wall.median: regression <= 15%"), doc(bench()), comp)
    assert report.status == "pass"
    (finding,) = [f for f in report.findings if f.rule.startswith("wall.median")]
    assert "stays within the 15% limit" in finding.message


def test_relative_rule_never_fails_on_a_bare_ratio() -> None:
    # +30% point estimate, but not significant: inconclusive is not a breach
    comp = comparison(mc("inconclusive", 1.30, (0.90, 1.80), p=0.3))
    report = evaluate_sla(lane("wall.median: regression <= 5%"), doc(bench()), comp)
    assert report.status == "pass"
    assert "inconclusive, not a breach (crafted)" in report.findings[0].message


def test_regression_from_a_zero_baseline_breaks_any_relative_limit() -> None:
    comp = comparison(mc("regression", None, None, metric="write_bytes"))
    report = evaluate_sla(lane("write_bytes: regression <= 50%"), doc(bench()), comp)
    (finding,) = failed(report)
    assert "from a zero baseline" in finding.message


def test_relative_rule_without_comparison_is_not_evaluated() -> None:
    report = evaluate_sla(lane("wall.median: regression <= 5%"), doc(bench()), None)
    assert report.status == "pass"
    assert report.findings[0].extra == {"evaluated": False}


def test_relative_rule_on_an_uncompared_metric_warns() -> None:
    comp = comparison(mc("unchanged", 1.0, (0.99, 1.01)))
    report = evaluate_sla(lane("tree_rss: regression <= 10%"), doc(bench()), comp)
    (finding,) = failed(report)
    assert finding.severity == "warning"
    assert "the comparison has no tree_rss" in finding.message


# --- the implicit rules: any regression, noise ----------------------------------------------


def test_any_regression_fails_out_of_the_box() -> None:
    comp = comparison(
        mc("regression", 1.10, (1.06, 1.14), p=0.004),
        mc("unchanged", 1.0, (0.98, 1.02), metric="cpu"),
    )
    report = evaluate_sla(LaneSettings(), doc(bench()), comp)
    (finding,) = failed(report, "any regression")
    assert report.status == "fail" and report.gate_failed
    assert finding.severity == "critical" and finding.metric == "wall"
    assert "build: wall +10.0% (95% CI +6.0% to +14.0%, adjusted p = 0.004" in finding.message


def test_no_regression_is_one_passed_finding_with_counts() -> None:
    comp = comparison(mc("unchanged", 1.0, (0.98, 1.02)), mc("inconclusive", 1.04, (0.97, 1.11), metric="cpu"))
    report = evaluate_sla(LaneSettings(), doc(bench()), comp)
    assert report.status == "pass"
    (finding,) = [f for f in report.findings if f.rule == "any regression"]
    assert finding.passed
    assert finding.message == "no regression among 2 compared metrics (1 inconclusive, 1 unchanged)"


def test_explicit_relative_rule_takes_over_its_metric_from_any_regression() -> None:
    comp = comparison(mc("regression", 1.07, (1.06, 1.09)))
    report = evaluate_sla(lane("wall: regression <= 10%"), doc(bench()), comp)
    assert report.status == "pass"  # the looser explicit rule decides wall, not the catch-all


def test_any_regression_can_be_downgraded_or_switched_off() -> None:
    comp = comparison(mc("regression", 1.10, (1.06, 1.14)))
    warned = evaluate_sla(lane({"rule": "any regression", "severity": "warning"}), doc(bench()), comp)
    assert warned.status == "warn"
    off = evaluate_sla(lane({"rule": "any regression", "severity": "off"}), doc(bench()), comp)
    assert off.status == "pass" and not any(f.rule == "any regression" for f in off.findings)


def test_docs_lane_regressions_warn_by_default() -> None:
    comp = comparison(mc("regression", 1.10, (1.06, 1.14)))
    report = evaluate_sla(LaneSettings(), doc(bench(), lane="docs"), comp)
    assert report.status == "warn" and report.lane == "docs"
    report = evaluate_sla(LaneSettings(), doc(bench(), lane="docs"), comp, lane_name="standard")
    assert report.status == "fail"


def test_noisy_metric_is_a_warning_with_the_needed_iterations() -> None:
    noise = Noise(cv=0.14, detectable=False, needed_n=48)
    comp = comparison(mc("inconclusive", 1.03, (0.9, 1.2), p=0.4, noise=noise))
    report = evaluate_sla(LaneSettings(), doc(bench()), comp)
    (finding,) = failed(report, "noise")
    assert finding.severity == "warning" and report.status == "warn"
    assert finding.message == (
        "build: wall CV 14.0% at n=20: a 5% change is not detectable; "
        "about 48 iterations per side would detect it"
    )


def test_quiet_metric_passes_the_noise_rule() -> None:
    comp = comparison(mc("unchanged", 1.0, (0.99, 1.01), noise=Noise(cv=0.01, detectable=True, needed_n=6)))
    report = evaluate_sla(LaneSettings(), doc(bench()), comp)
    assert report.status == "pass"
    assert any(f.rule == "noise" and f.passed for f in report.findings)


# --- failures and budget -------------------------------------------------------------------


def test_failures_rule_counts_failed_iterations() -> None:
    report = evaluate_sla(lane("failures <= 0"), doc(bench(failures=2)), None)
    (finding,) = failed(report)
    assert finding.severity == "critical" and finding.observed == 2.0
    assert finding.message == "build: 2 of 12 iterations failed (17%; exit code 1 ×2), limit failures <= 0"
    assert evaluate_sla(lane("failures <= 0"), doc(bench()), None).status == "pass"


def test_failure_rate_rule() -> None:
    assert evaluate_sla(lane("failures <= 10%"), doc(bench(wall=[1.0] * 19, failures=1)), None).status == "pass"
    report = evaluate_sla(lane("failures <= 10%"), doc(bench(wall=[1.0] * 17, failures=3)), None)
    (finding,) = failed(report)
    assert finding.observed == pytest.approx(0.15)
    assert "limit failures <= 10%" in finding.message


def test_a_failed_benchmark_without_records_counts_one_failure() -> None:
    report = evaluate_sla(lane("failures <= 0"), doc(bench(wall=[], status="failed")), None)
    assert "1 of 1 iterations failed (100%; status failed)" in failed(report)[0].message


def test_budget_from_the_runners_record() -> None:
    spent = doc(bench(), measuring_seconds=765.0, budget_seconds=900.0)
    report = evaluate_sla(lane("budget < 80%"), spent, None)
    (finding,) = failed(report)
    assert finding.severity == "warning" and report.status == "warn"
    assert finding.observed == pytest.approx(0.85)
    assert finding.message.startswith(
        "used 12.75 min of the 15.00 min budget (85%, measuring time recorded by the runner)"
    )
    roomy = doc(bench(), measuring_seconds=400.0, budget_seconds=900.0)
    assert evaluate_sla(lane("budget < 80%"), roomy, None).status == "pass"


def test_budget_overrun_quotes_the_runners_note() -> None:
    note = "the minimum iterations alone took 6.00 min, more than the lane's budget of 5.00 min"
    over = doc(bench(), measuring_seconds=360.0, budget_seconds=300.0, budget_note=note)
    (finding,) = failed(evaluate_sla(lane("budget < 80%"), over, None))
    assert finding.message.endswith(f"over the limit ({note})")


def test_budget_fallbacks_run_times_then_sample_sums() -> None:
    timed = doc(bench())
    timed.run.started_at, timed.run.finished_at = "2024-05-01T10:00:00Z", "2024-05-01T10:04:00Z"
    assert budget_usage(timed, LaneSettings(budget=300)) == (240.0, 300.0, "run start to finish")
    used, limit, source = budget_usage(doc(bench(failures=2)), LaneSettings(budget=100))
    assert (used, limit) == (11.0, 100.0)  # 10 x 1 s measured + 2 x 0.5 s failed
    assert source.startswith("sum of measured wall times")


def test_budget_limit_as_a_duration() -> None:
    report = evaluate_sla(lane("budget <= 5s"), doc(bench()), None)  # 10 s measured
    (finding,) = failed(report)
    assert finding.observed == 10.0 and finding.limit == 5.0


# --- status and fail_on ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "fail_on", "status", "gate_failed"),
    [
        (["wall.max <= 0.5s"], "critical", "fail", True),
        (["wall.max <= 0.5s"], "warning", "fail", True),
        (["wall.max <= 0.5s"], "never", "fail", False),
        ([{"rule": "wall.max <= 0.5s", "severity": "warning"}], "critical", "warn", False),
        ([{"rule": "wall.max <= 0.5s", "severity": "warning"}], "warning", "warn", True),
        (["wall.max <= 5s"], "warning", "pass", False),
    ],
)
def test_status_and_fail_on(rules: list[Any], fail_on: str, status: str, gate_failed: bool) -> None:
    report = evaluate_sla(lane(*rules, fail_on=fail_on), doc(bench()), None)
    assert (report.status, report.gate_failed) == (status, gate_failed)
    assert report.to_dict()["gate_failed"] is gate_failed


def test_fail_on_argument_overrides_the_lane() -> None:
    report = evaluate_sla(lane("wall.max <= 0.5s"), doc(bench()), None, fail_on="never")
    assert report.fail_on == "never" and not report.gate_failed


def test_overall_status_of_no_findings_is_pass() -> None:
    assert overall_status([]) == "pass"


def test_evaluation_leaves_its_inputs_alone() -> None:
    results = doc(bench(wall=[3.0, 1.0, 2.0] * 4))
    before = results.to_dict()
    evaluate_sla(lane("wall.median <= 2s", "wall.p99 <= 1s"), results, None)
    assert results.to_dict() == before


def test_metrics_named_by_relative_rules_are_added_to_the_comparison() -> None:
    from lanebench.metrics import COMPARED_BY_DEFAULT, COUNTS_COMPARED
    from lanebench.sla import compared_metrics

    assert compared_metrics(LaneSettings()) == [*COMPARED_BY_DEFAULT, *COUNTS_COMPARED]
    extended = compared_metrics(lane("tree_rss: regression <= 10%", "wall: regression <= 5%"))
    assert extended == [*COMPARED_BY_DEFAULT, *COUNTS_COMPARED, "tree_rss"]
