"""The statistics engine on fixed data: known answers, hand-checked adjustments, verdict
boundaries, zero-valued metrics, benchmark statuses, adaptive plans and the JSON round trip."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats as sps

from lanebench.comparison_file import comparison_from_dict, read_comparison, write_comparison
from lanebench.config.model import LaneSettings, StatsSettings, Thresholds
from lanebench.errors import ResultsError
from lanebench.results import (
    AdaptivePlan,
    BenchmarkResult,
    Failure,
    ResultsDocument,
    RunInfo,
    RunSettings,
    results_from_dict,
)
from lanebench.stats import (
    adaptive_plan,
    adjust_pvalues,
    analysis_fraction,
    analyze_metric,
    compare,
    decide,
    mann_whitney,
    noise_check,
    outlier_indices,
    sequential_stopper,
    summarize,
    welch_log,
)
from lanebench.stats.sequential import plan_of, planned_looks, spending_fractions
from lanebench.stats.twosample import hodges_lehmann_interval, min_attainable_p

# Fixed data: two samples of 12 timings (seconds), the head about 8% slower.
BASE = [0.101, 0.099, 0.103, 0.098, 0.100, 0.102, 0.097, 0.104, 0.100, 0.099, 0.101, 0.131]
HEAD = [0.109, 0.107, 0.110, 0.106, 0.108, 0.111, 0.105, 0.112, 0.108, 0.107, 0.109, 0.106]


def doc(benches: dict[str, dict[str, list[float]]], env: dict | None = None, **bench_kw) -> ResultsDocument:
    return ResultsDocument(
        run=RunInfo(commit="abc", lane="standard"),
        environment=env if env is not None else {"cpu_model": "cpu", "cpu_count": 2, "machine": "x86_64"},
        benchmarks=[BenchmarkResult(name=n, command=["true"], samples=s, **bench_kw) for n, s in benches.items()],
    )


def lognormal(seed: int, n: int, median: float = 0.1, sigma: float = 0.03) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(np.exp(rng.normal(math.log(median), sigma, n)))


# --- summary ------------------------------------------------------------------------------


def test_summary_matches_numpy_and_flags_outliers_without_dropping_them() -> None:
    s = summarize(BASE)
    x = np.asarray(BASE)
    assert s.n == 12
    assert s.median == pytest.approx(np.median(x))
    assert s.mean == pytest.approx(x.mean())
    assert s.stdev == pytest.approx(x.std(ddof=1))
    assert s.cv == pytest.approx(x.std(ddof=1) / x.mean())
    assert s.p95 == pytest.approx(np.percentile(x, 95))
    assert s.p99 == pytest.approx(np.percentile(x, 99))
    assert (s.min, s.max) == (0.097, 0.131)
    assert s.mad == pytest.approx(sps.median_abs_deviation(x))
    assert s.outliers == [11]  # 0.131: modified z-score ≈ 13
    assert s.max == 0.131  # flagged, still part of every statistic
    assert "3.5" in s.outlier_rule


def test_outliers_when_mad_is_zero_use_the_mean_absolute_deviation() -> None:
    assert outlier_indices([5.0] * 9 + [9.0]) == [9]
    assert outlier_indices([5.0] * 10) == []
    assert outlier_indices([1.0, 100.0]) == []  # too few values to call anything an outlier


def test_summary_of_constant_and_zero_samples_is_finite() -> None:
    s = summarize([0.0, 0.0, 0.0])
    assert (s.mean, s.stdev, s.cv, s.mad, s.outliers) == (0.0, 0.0, 0.0, 0.0, [])
    with pytest.raises(ValueError):
        summarize([])


# --- tests and estimates: known answers -----------------------------------------------------


def test_mann_whitney_p_is_scipys_two_sided_p() -> None:
    r = mann_whitney(BASE, HEAD)
    expected = sps.mannwhitneyu(HEAD, BASE, alternative="two-sided", method="auto").pvalue
    assert r.p_value == pytest.approx(expected, rel=1e-12)
    assert r.method == "mann-whitney" and r.scale == "log"


def test_hodges_lehmann_ratio_is_the_median_of_pairwise_ratios() -> None:
    # pairwise head/base ratios: .5 1 1 2 2 2 4 4 8 -> median 2
    r = mann_whitney([1.0, 2.0, 4.0], [2.0, 4.0, 8.0])
    assert r.ratio == pytest.approx(2.0)
    assert r.ci_low is None and r.ci_high is None  # 3 vs 3: no 95% interval exists


def test_hodges_lehmann_interval_uses_the_tabulated_order_statistics() -> None:
    # n1 = n2 = 10 at 95%: the rank-sum tables give the 24th and 77th of the 100 ordered
    # differences. Differences 100 + 10j - i are all distinct and sort block by block.
    base = np.arange(10.0)
    head = 100.0 + 10.0 * np.arange(10.0)
    shift, lo, hi = hodges_lehmann_interval(base, head, 0.95)
    assert (lo, hi) == (114.0, 167.0)
    assert shift == 140.5  # (140 + 141) / 2: the 50th and 51st differences


def test_raw_scale_when_a_value_is_zero_expresses_change_against_the_baseline_median() -> None:
    base = list(np.arange(10.0))  # contains 0: no logs
    head = list(100.0 + 10.0 * np.arange(10.0))
    r = mann_whitney(base, head)
    assert r.scale == "raw"
    assert r.ratio == pytest.approx(1 + 140.5 / 4.5)
    assert (r.ci_low, r.ci_high) == (pytest.approx(1 + 114 / 4.5), pytest.approx(1 + 167 / 4.5))


def test_welch_log_matches_scipy_on_log_values() -> None:
    r = welch_log(BASE, HEAD, 0.95)
    ref = sps.ttest_ind(np.log(HEAD), np.log(BASE), equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    assert r.ratio == pytest.approx(math.exp(np.mean(np.log(HEAD)) - np.mean(np.log(BASE))))
    assert r.ci_low == pytest.approx(math.exp(ci.low))
    assert r.ci_high == pytest.approx(math.exp(ci.high))


def test_min_attainable_p_is_the_exact_value_for_small_samples() -> None:
    assert min_attainable_p("mann-whitney", 3, 3) == pytest.approx(2 / math.comb(6, 3))
    assert min_attainable_p("mann-whitney", 4, 4) == pytest.approx(2 / math.comb(8, 4))
    assert min_attainable_p("welch-log", 2, 10) == 1.0
    assert min_attainable_p("welch-log", 3, 3) == 0.0


# --- multiple testing -----------------------------------------------------------------------


def test_holm_adjusted_p_values_hand_checked() -> None:
    # sorted 0.005 0.01 0.03 0.04 -> x4 x3 x2 x1 = 0.02 0.03 0.06 0.04 -> running max
    assert adjust_pvalues([0.01, 0.04, 0.03, 0.005], "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_bh_adjusted_p_values_hand_checked() -> None:
    # sorted 0.005 0.01 0.03 0.04 -> p*m/i = 0.02 0.02 0.04 0.04 -> running min from the top
    assert adjust_pvalues([0.01, 0.04, 0.03, 0.005], "bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_adjustment_edge_cases() -> None:
    assert adjust_pvalues([], "holm") == []
    assert adjust_pvalues([0.3, 0.9], "holm") == [0.6, 0.9]
    assert adjust_pvalues([0.5, 0.5, 0.5], "holm") == [1.0, 1.0, 1.0]
    assert adjust_pvalues([0.01, 0.02], "bonferroni") == [0.02, 0.04]
    with pytest.raises(ValueError, match="unknown correction"):
        adjust_pvalues([0.1], "sidak")
    with pytest.raises(ValueError):
        adjust_pvalues([1.5], "holm")


# --- verdict boundaries ---------------------------------------------------------------------

D = 0.05
UP, DOWN = 1 + D, 1 - D


@pytest.mark.parametrize(
    ("ratio", "lo", "hi", "p", "expected"),
    [
        (1.00, DOWN + 1e-9, UP - 1e-9, 0.9, "unchanged"),  # just inside the band
        (1.00, DOWN, UP - 1e-9, 0.9, "inconclusive"),  # touching -δ is not inside
        (1.00, DOWN + 1e-9, UP, 0.9, "inconclusive"),  # touching +δ is not inside
        (1.03, 1.001, UP, 0.01, "regression"),  # significant, interval reaches +δ exactly
        (1.03, 1.001, UP - 1e-9, 0.01, "unchanged"),  # significant but proven < δ
        (1.08, 1.06, 1.10, 0.01, "regression"),
        (1.08, 1.06, 1.10, 0.05, "inconclusive"),  # adjusted p == α is not significant
        (1.03, 0.999, 1.07, 0.01, "inconclusive"),  # interval includes 1
        (0.97, DOWN, 0.999, 0.01, "improvement"),
        (0.97, DOWN + 1e-9, 0.999, 0.01, "unchanged"),
        (0.90, 0.85, 0.95, 0.20, "inconclusive"),
    ],
)
def test_verdict_boundaries(ratio: float, lo: float, hi: float, p: float, expected: str) -> None:
    verdict, reason = decide(ratio, lo, hi, p, alpha=0.05, threshold=D)
    assert verdict == expected, reason
    assert reason


def test_unbounded_interval_cannot_be_unchanged_and_undefined_ratio_uses_direction() -> None:
    assert decide(1.0, None, None, 0.9, alpha=0.05, threshold=D)[0] == "inconclusive"
    assert decide(None, None, None, 0.001, alpha=0.05, threshold=D, shift_sign=1)[0] == "regression"
    assert decide(None, None, None, 0.001, alpha=0.05, threshold=D, shift_sign=-1)[0] == "improvement"
    assert decide(None, None, None, 0.2, alpha=0.05, threshold=D, shift_sign=1)[0] == "inconclusive"


# --- compare --------------------------------------------------------------------------------


def test_compare_regression_row_has_every_number_reproducible_from_the_samples() -> None:
    base = doc({"a": {"wall": BASE}})
    head = doc({"a": {"wall": HEAD}})
    c = compare(base, head, lane=LaneSettings(), metrics=["wall"])
    (m,) = c.metrics
    direct = mann_whitney(BASE, HEAD)
    assert m.verdict == "regression"
    assert m.p_value == pytest.approx(direct.p_value)
    assert m.p_adjusted == pytest.approx(direct.p_value)  # family of one
    assert (m.ratio, m.ci_low, m.ci_high) == (direct.ratio, direct.ci_low, direct.ci_high)
    assert m.base.median == pytest.approx(np.median(BASE))
    assert m.head.median == pytest.approx(np.median(HEAD))
    assert m.threshold == 0.05 and m.kind == "time" and m.unit == "s"
    assert "+5%" in m.reason and m.change == pytest.approx(direct.ratio - 1)
    assert c.settings["family_size"] == 1 and c.cross_machine == []


def test_compare_adjusts_across_every_benchmark_and_metric() -> None:
    benches = {f"b{i}": {"wall": lognormal(i, 20), "cpu": lognormal(100 + i, 20)} for i in range(5)}
    heads = {f"b{i}": {"wall": lognormal(50 + i, 20), "cpu": lognormal(150 + i, 20)} for i in range(5)}
    c = compare(doc(benches), doc(heads), lane=LaneSettings(), metrics=["wall", "cpu"])
    raw = [m.p_value for m in c.metrics]
    assert [m.p_adjusted for m in c.metrics] == pytest.approx(adjust_pvalues(raw, "holm"))
    bh = compare(doc(benches), doc(heads), lane=LaneSettings(stats=StatsSettings(correction="bh")),
                 metrics=["wall", "cpu"])
    assert [m.p_adjusted for m in bh.metrics] == pytest.approx(adjust_pvalues(raw, "bh"))
    assert c.settings["family_size"] == 10


def test_welch_log_option_is_used_end_to_end() -> None:
    lane = LaneSettings(stats=StatsSettings(test="welch-log"))
    c = compare(doc({"a": {"wall": BASE}}), doc({"a": {"wall": HEAD}}), lane=lane, metrics=["wall"])
    assert c.metrics[0].method == "welch-log"
    assert c.metrics[0].p_value == pytest.approx(welch_log(BASE, HEAD).p_value)


def test_thresholds_come_from_the_lane_per_metric_kind() -> None:
    lane = LaneSettings(thresholds=Thresholds(time=0.2, memory=0.01, metrics={"cpu": 0.02}))
    samples = {"wall": BASE, "cpu": BASE, "maxrss": [1e6] * 12}
    c = compare(doc({"a": samples}), doc({"a": samples}), lane=lane, metrics=["wall", "cpu", "maxrss"])
    assert [m.threshold for m in c.metrics] == [0.2, 0.02, 0.01]
    assert c.settings["thresholds"] == {"wall": 0.2, "cpu": 0.02, "maxrss": 0.01}


def test_zero_valued_metrics_do_not_crash_and_read_sensibly() -> None:
    n = 12
    base = doc({"a": {"wall": BASE, "write_bytes": [0.0] * n, "read_bytes": [0.0] * n,
                      "write_chars": [4096.0] * n}})
    head = doc({"a": {"wall": BASE, "write_bytes": [0.0] * n, "read_bytes": [8192.0] * n,
                      "write_chars": [0.0] * n}})
    c = compare(base, head, lane=LaneSettings(), metrics=["write_bytes", "read_bytes", "write_chars"])
    by = {m.metric: m for m in c.metrics}
    assert by["write_bytes"].verdict == "unchanged"  # identical constants: no change at all
    assert by["write_bytes"].ratio == 1.0 and by["write_bytes"].p_value == 1.0
    assert by["read_bytes"].verdict == "regression"  # from 0 to 8 KiB on every iteration
    assert by["read_bytes"].ratio is None and "zero" in by["read_bytes"].reason
    assert by["write_chars"].verdict == "improvement"  # 4 KiB -> 0
    assert by["write_chars"].ratio == 0.0
    json.dumps(c.to_dict(), allow_nan=False)  # no NaN or infinity anywhere


def test_insufficient_data_states_the_numbers_needed() -> None:
    c = compare(doc({"a": {"wall": BASE[:3]}}), doc({"a": {"wall": HEAD[:3]}}), lane=LaneSettings(),
                metrics=["wall"])
    m = c.metrics[0]
    assert m.verdict == "insufficient data"
    assert "0.1" in m.reason and "4 per side" in m.reason
    assert m.p_adjusted is None and c.settings["family_size"] == 0


def test_noise_flag_says_how_many_samples_would_detect_the_threshold() -> None:
    noisy_base, noisy_head = lognormal(1, 10, sigma=0.15), lognormal(2, 10, sigma=0.15)
    noise = noise_check(noisy_base, noisy_head, threshold=0.05, level=0.05, test="mann-whitney")
    assert not noise.detectable and noise.needed_n is not None and noise.needed_n > 10
    assert f"~{noise.needed_n} samples per side" in noise.message
    quiet = noise_check(lognormal(3, 30, sigma=0.01), lognormal(4, 30, sigma=0.01), threshold=0.05,
                        level=0.05, test="mann-whitney")
    assert quiet.detectable and quiet.message == ""
    # the estimate responds to noise: 4x the noise needs ~16x the samples
    assert noise_check(BASE, HEAD, threshold=0.05, level=0.05, test="welch-log").cv < noise.cv


def test_benchmark_statuses_become_verdicts() -> None:
    ok = {"wall": BASE, "cpu": BASE}
    base = doc({"ok": ok, "broken": ok, "skip": ok, "carry": ok, "gone": ok})
    head = ResultsDocument(
        run=RunInfo(),
        environment=base.environment,
        benchmarks=[
            BenchmarkResult(name="ok", command=["x"], samples=ok),
            BenchmarkResult(name="broken", command=["x"], status="failed", failures=[
                Failure(iteration=2, status="failed", exit_code=3, stderr_tail="boom\nValueError: bad input\n")]),
            BenchmarkResult(name="skip", command=["x"], status="skipped", notes=["not in this lane"]),
            BenchmarkResult(name="carry", command=["x"], status="carried_over"),
            BenchmarkResult(name="new", command=["x"], samples=ok),
        ],
    )
    c = compare(base, head, lane=LaneSettings(), metrics=["wall", "cpu"])
    verdicts = {(m.benchmark, m.metric): m.verdict for m in c.metrics}
    assert verdicts[("broken", "wall")] == "failed"
    assert verdicts[("skip", "cpu")] == "skipped"
    assert verdicts[("carry", "wall")] == "carried over"
    assert verdicts[("new", "wall")] == "no baseline"
    broken = next(m for m in c.metrics if m.benchmark == "broken")
    assert broken.reason == "iteration 2 exited with code 3: ValueError: bad input"
    status = {b.name: b.status for b in c.benchmarks}
    assert status == {"ok": "compared", "broken": "failed", "skip": "skipped", "carry": "carried over",
                      "new": "missing in baseline", "gone": "missing in head"}
    assert c.settings["family_size"] == 2  # only the ok benchmark was tested


def test_cross_machine_is_listed() -> None:
    a = doc({"a": {"wall": BASE}}, env={"cpu_model": "AMD EPYC", "cpu_count": 4, "machine": "x86_64"})
    b = doc({"a": {"wall": BASE}}, env={"cpu_model": "Intel Xeon", "cpu_count": 4, "machine": "x86_64"})
    c = compare(a, b, lane=LaneSettings(), metrics=["wall"])
    assert c.cross_machine == ["cpu_model: 'AMD EPYC' vs 'Intel Xeon'"]


def test_comparison_json_round_trip(tmp_path) -> None:
    base = doc({"a": {"wall": BASE, "cpu": BASE}, "b": {"wall": BASE, "cpu": BASE}})
    head = doc({"a": {"wall": HEAD, "cpu": HEAD}, "c": {"wall": HEAD, "cpu": HEAD}})
    c = compare(base, head, lane=LaneSettings(), lane_name="standard", metrics=["wall", "cpu"])
    path = write_comparison(tmp_path / "cmp.json", c)
    again = read_comparison(path)
    assert again.to_dict() == c.to_dict()
    assert again.metrics[0].base.median == c.metrics[0].base.median
    assert again.regressions[0].change == pytest.approx(c.regressions[0].change)
    d = c.to_dict()
    d["schema_version"] = "2.0.0"
    with pytest.raises(ResultsError, match="not supported"):
        comparison_from_dict(d)
    with pytest.raises(ResultsError, match="no schema_version"):
        comparison_from_dict({"metrics": []})


# --- adaptive plans -------------------------------------------------------------------------


def test_planned_looks_and_spending_shares() -> None:
    assert planned_looks(10, 30) == [10, 17, 23, 30]
    assert planned_looks(15, 60) == [15, 30, 45, 60]
    assert planned_looks(30, 30) == [30]
    assert planned_looks(0, 5) == [3, 4, 5]
    shares = spending_fractions([10, 17, 23, 30], 30, "pocock")
    assert sum(shares) == pytest.approx(1.0)
    assert shares[0] == pytest.approx(math.log1p((math.e - 1) / 3))
    obf = spending_fractions([10, 17, 23, 30], 30, "obrien-fleming")
    assert sum(obf) == pytest.approx(1.0) and obf[0] < 0.02 < 0.4 < obf[-1]


def test_analysis_fraction_at_between_and_beyond_looks() -> None:
    plan = AdaptivePlan(looks=[10, 20, 30], alpha_fractions=[0.5, 0.3, 0.2])
    assert analysis_fraction(plan, 20)[0] == 0.3
    assert analysis_fraction(plan, 25)[0] == pytest.approx(0.2)  # what looks 1 and 2 left
    assert analysis_fraction(plan, 5)[0] == 1.0  # no interim look happened
    assert analysis_fraction(plan, 31)[0] == pytest.approx(0.0)


def with_adaptive(adaptive: object) -> dict:
    """A results file whose one benchmark records `adaptive` in its settings."""
    return {"schema_version": "1.2.0", "run": {}, "environment": {}, "benchmarks": [
        {"name": "a", "command": ["true"], "samples": {"wall": [0.1, 0.2]},
         "settings": {"adaptive": adaptive}}]}


def test_a_plan_that_spends_more_than_alpha_is_refused_when_read() -> None:
    with pytest.raises(ResultsError, match=r"benchmarks\[0\]\.settings\.adaptive: expected "
                       "increasing integer looks and as many alpha_fractions"):
        results_from_dict(with_adaptive({"looks": [10, 20], "alpha_fractions": [0.7, 0.7]}))
    with pytest.raises(ResultsError, match=r"settings\.adaptive: expected true, false or a plan"):
        results_from_dict(with_adaptive("yes"))
    plan = results_from_dict(with_adaptive({"looks": [10, 20], "alpha_fractions": [0.7, 0.3],
                                            "future": 1})).benchmarks[0].settings.adaptive
    assert plan == AdaptivePlan(looks=[10, 20], alpha_fractions=[0.7, 0.3], extra={"future": 1})


def test_compare_spends_the_looks_share_of_alpha() -> None:
    lane = LaneSettings()
    plan = adaptive_plan(lane)
    base = doc({"a": {"wall": BASE}})
    fixed = compare(base, doc({"a": {"wall": HEAD[:10]}}), lane=lane, metrics=["wall"]).metrics[0]
    head = doc({"a": {"wall": HEAD[:10]}}, settings=RunSettings(adaptive=plan))
    adaptive = compare(base, head, lane=lane, metrics=["wall"]).metrics[0]
    share = plan.alpha_fractions[0]
    assert adaptive.p_value == fixed.p_value
    assert adaptive.p_adjusted == pytest.approx(min(1.0, fixed.p_value / share))
    assert adaptive.extra["confidence"] == pytest.approx(1 - 0.05 * share)
    assert adaptive.ci_low < fixed.ci_low and adaptive.ci_high > fixed.ci_high  # a wider interval
    # `adaptive: true` (no plan recorded) rebuilds the default plan from min/max iterations
    settings = RunSettings(adaptive=True, min_iterations=10, max_iterations=30)
    rebuilt_plan = plan_of(settings, lane)
    assert rebuilt_plan is not None and rebuilt_plan.looks == plan.looks
    rebuilt = compare(base, doc({"a": {"wall": HEAD[:10]}}, settings=settings), lane=lane,
                      metrics=["wall"]).metrics[0]
    assert rebuilt.p_adjusted == adaptive.p_adjusted


def test_stopper_looks_only_at_planned_looks_and_compare_agrees_when_it_stops() -> None:
    lane = LaneSettings()
    base = doc({"fast": {"wall": lognormal(1, 30, 0.1)}, "same": {"wall": lognormal(2, 30, 0.1)}})
    stopper = sequential_stopper(base, lane, metrics=["wall"])
    assert stopper.family_size == 2
    slow = lognormal(3, 30, 0.12)  # +20%
    assert stopper("fast", {"wall": slow[:11]}) is False  # 11 is not a look
    assert stopper("fast", {"wall": slow[:10]}) is True
    assert stopper.history["fast"] == [(10, {"wall": "regression"})]
    assert stopper("unknown", {"wall": slow[:10]}) is False  # nothing to compare against
    head = doc({"fast": {"wall": slow[:10]}, "same": {"wall": lognormal(4, 30, 0.1)}},
               settings=RunSettings(adaptive=stopper.plan))
    c = compare(base, head, lane=lane, metrics=["wall"])
    assert c.metrics[0].verdict == "regression"


def test_analyze_metric_level_and_confidence_follow_the_fraction() -> None:
    a = analyze_metric(BASE, HEAD, StatsSettings(alpha=0.05, confidence=0.95), fraction=0.5)
    assert a.level == pytest.approx(0.025) and a.confidence == pytest.approx(0.975)
    assert a.p_family == pytest.approx(min(1.0, a.result.p_value / 0.5))


def test_welch_log_with_an_unbounded_interval_stays_finite() -> None:
    import math

    from lanebench.stats.twosample import welch_log

    result = welch_log([1.0, 3.0], [1.2, 1.1], 0.9999)
    assert result.ci_high is not None and math.isfinite(result.ci_high)
