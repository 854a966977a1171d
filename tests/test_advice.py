"""Recommendations from crafted evidence: each fires on its trigger, cites its figures,
and stays silent on the neighbouring case."""

from __future__ import annotations

from typing import Any

import pytest

from lanebench.advice import Recommendation, profiler_for, recommend
from lanebench.config import LaneSettings
from lanebench.results import BenchmarkResult, ResultsDocument, RunInfo
from lanebench.sla import evaluate_sla
from lanebench.stats.model import Comparison, MetricComparison, Noise, Summary

MiB = 1024**2
UNITS = {"wall": "s", "cpu": "s", "maxrss": "bytes", "tree_rss": "bytes", "read_chars": "bytes",
         "write_bytes": "bytes"}


def summary(median: float, n: int = 20, outliers: list[int] | None = None) -> Summary:
    return Summary(n=n, median=median, mean=median, stdev=0.0, cv=0.0, p95=median, p99=median,
                   min=median, max=median, mad=0.0, outliers=outliers or [],
                   outlier_rule="modified z-score > 3.5" if outliers else "")


def mc(
    metric: str,
    verdict: str,
    base: float,
    head: float,
    ci: tuple[float, float] | None = None,
    *,
    benchmark: str = "build",
    threshold: float = 0.05,
    noise: Noise | None = None,
    outliers: list[int] | None = None,
) -> MetricComparison:
    ratio = head / base
    return MetricComparison(
        benchmark=benchmark, metric=metric, unit=UNITS.get(metric, "count"), kind="time",
        threshold=threshold, verdict=verdict, reason="crafted",  # type: ignore[arg-type]
        base=summary(base), head=summary(head, outliers=outliers), ratio=ratio,
        ci_low=ci[0] if ci else ratio - 0.02, ci_high=ci[1] if ci else ratio + 0.02,
        p_value=0.001, p_adjusted=0.001, method="mann-whitney", noise=noise,
    )


def comparison(*metrics: MetricComparison, cross_machine: list[str] | None = None) -> Comparison:
    return Comparison(lane="standard", settings={"confidence": 0.95}, base_run={}, head_run={},
                      base_environment={}, head_environment={}, cross_machine=cross_machine or [],
                      benchmarks=[], metrics=list(metrics))


def results(*benches: BenchmarkResult, cores: int = 2, **run_fields: Any) -> ResultsDocument:
    return ResultsDocument(run=RunInfo(lane="standard", **run_fields),
                           environment={"cpu_count": cores}, benchmarks=list(benches))


def bench(name: str = "build", command: Any = ("python3", "bench.py"), wall: list[float] | None = None,
          cpu: list[float] | None = None) -> BenchmarkResult:
    walls = wall if wall is not None else [1.0] * 10
    return BenchmarkResult(name=name, command=list(command), samples={"wall": walls, "cpu": cpu or walls})


def kinds(recs: list[Recommendation]) -> list[str]:
    return [r.kind for r in recs]


def only(recs: list[Recommendation], kind: str) -> Recommendation:
    found = [r for r in recs if r.kind == kind]
    assert len(found) == 1, kinds(recs)
    return found[0]


# --- wall vs CPU ------------------------------------------------------------------------


def test_wall_grew_but_cpu_did_not_points_at_waiting() -> None:
    comp = comparison(
        mc("wall", "regression", 1.00, 1.30, (1.25, 1.35)),
        mc("cpu", "unchanged", 0.50, 0.51, (0.99, 1.03)),
    )
    rec = only(recommend(comp, results(bench()), None, None), "io-wait")
    assert "wall time grew +30.0% (1.000 s → 1.300 s, CI +25.0% to +35.0%)" in rec.text
    assert "CPU time did not (+2.0%" in rec.text
    assert "290.00 ms of the 300.00 ms added per run is spent off the CPU" in rec.text
    assert "I/O, sleeps, locks or the network" in rec.text
    assert rec.evidence["off_cpu_seconds"] == pytest.approx(0.29)
    assert rec.impact == pytest.approx(0.30)


def test_cpu_growing_in_step_with_wall_is_more_computation_not_waiting() -> None:
    comp = comparison(
        mc("wall", "regression", 1.00, 1.30, (1.25, 1.35)),
        mc("cpu", "regression", 0.95, 1.24, (1.26, 1.34)),
    )
    recs = recommend(comp, results(bench()), None, None)
    assert "io-wait" not in kinds(recs)
    rec = only(recs, "more-computation")
    assert "CPU time grew +30.5% (950.00 ms → 1.240 s" in rec.text
    assert "in step with wall time (+30.0%" in rec.text
    assert "py-spy record -o profile.svg -- python3 bench.py" in rec.text


def test_cpu_growth_hidden_by_idle_cores_is_still_more_computation() -> None:
    comp = comparison(
        mc("wall", "unchanged", 1.00, 1.01, (0.99, 1.03)),
        mc("cpu", "regression", 1.00, 1.40, (1.30, 1.50)),
    )
    rec = only(recommend(comp, results(bench(command=["./target/release/app"])), None, None), "more-computation")
    assert "while wall time did not regress (+1.0%, verdict unchanged" in rec.text
    assert "perf record -g -- ./target/release/app" in rec.text


def test_unchanged_times_give_no_time_advice() -> None:
    comp = comparison(mc("wall", "unchanged", 1.0, 1.01), mc("cpu", "unchanged", 1.0, 1.0))
    assert recommend(comp, results(bench()), None, None) == []


@pytest.mark.parametrize(
    ("command", "tool"),
    [
        (["python", "-m", "pytest", "tests"], "py-spy"),
        (["uv", "run", "pytest"], "py-spy"),
        (["/usr/bin/python3.11", "x.py"], "py-spy"),
        ("node scripts/bench.js", "node --cpu-prof"),
        (["npm", "run", "bench"], "node --cpu-prof"),
        (["go", "test", "-bench", "."], "go tool pprof"),
        (["cargo", "bench"], "cargo flamegraph"),
        (["./gradlew", "jmh"], "async-profiler"),
        (["bundle", "exec", "rake", "bench"], "rbspy"),
        (["make", "bench"], "perf record -g -- make bench"),
    ],
)
def test_profiler_follows_the_commands_language(command: Any, tool: str) -> None:
    assert tool in profiler_for(command)


# --- parallelism --------------------------------------------------------------------------


def test_parallel_benchmark_turning_serial_is_reported_with_its_ratios() -> None:
    walls = [1.0 + 0.01 * i for i in range(10)]
    base = results(bench(wall=walls, cpu=[1.9 * w for w in walls]))
    head = results(bench(wall=[1.8 * w for w in walls], cpu=[1.8 * w for w in walls]))
    rec = only(recommend(None, head, base, None), "lost-parallelism")
    assert "CPU/wall went from 1.90 (parallel) to 1.00 (serial) on 2 cores" in rec.text
    assert "medians of 10 and 10 iterations, Mann-Whitney p = " in rec.text
    assert rec.evidence["base_ratio"] == pytest.approx(1.9, abs=0.01)


def test_serial_benchmark_turning_parallel_is_reported() -> None:
    base = results(bench(wall=[1.0 + 0.01 * i for i in range(10)], cpu=[1.0 + 0.01 * i for i in range(10)]))
    head = results(bench(wall=[0.6 + 0.01 * i for i in range(10)], cpu=[1.15 + 0.02 * i for i in range(10)]))
    rec = only(recommend(None, head, base, None), "gained-parallelism")
    assert "(serial) to 1.9" in rec.text and "(parallel)" in rec.text


def test_same_parallel_character_gives_no_parallelism_advice() -> None:
    base = results(bench(wall=[1.0] * 10, cpu=[1.80 + 0.01 * i for i in range(10)]))
    head = results(bench(wall=[1.0] * 10, cpu=[1.95 + 0.01 * i for i in range(10)]))
    assert recommend(None, head, base, None) == []


# --- memory and I/O -------------------------------------------------------------------------


def test_memory_regression_reports_growth_in_mib() -> None:
    comp = comparison(mc("maxrss", "regression", 128 * MiB, 192 * MiB, (1.45, 1.55), threshold=0.10))
    rec = only(recommend(comp, results(bench()), None, None), "memory-growth")
    assert "max rss of one process grew +50.0% (128.0 MiB → 192.0 MiB" in rec.text
    assert "+64.0 MiB per run" in rec.text and "beyond the 10% threshold" in rec.text
    assert rec.evidence["growth_mib"] == pytest.approx(64.0)


def test_memory_within_threshold_gives_no_memory_advice() -> None:
    comp = comparison(mc("maxrss", "unchanged", 128 * MiB, 130 * MiB, threshold=0.10))
    assert recommend(comp, results(bench()), None, None) == []


def test_io_growth_lists_each_grown_counter() -> None:
    comp = comparison(
        mc("read_chars", "regression", 4 * MiB, 10 * MiB, (2.3, 2.7)),
        mc("write_bytes", "unchanged", MiB, MiB),
    )
    rec = only(recommend(comp, results(bench()), None, None), "more-io")
    assert "bytes read (syscalls) +150.0% (4.0 MiB → 10.0 MiB" in rec.text
    assert "storage bytes written" not in rec.text


# --- noise ----------------------------------------------------------------------------------


def test_undetectable_threshold_recommends_the_power_estimate() -> None:
    noise = Noise(cv=0.18, detectable=False, needed_n=64)
    comp = comparison(mc("wall", "inconclusive", 1.0, 1.04, (0.9, 1.2), noise=noise))
    rec = only(recommend(comp, results(bench()), None, None), "noisy")
    assert "wall CV 18.0% at n=20, so a 5% change cannot be told from noise" in rec.text
    assert "Run about 64 iterations per side (max_iterations: 64) to detect it, up from 20" in rec.text
    assert "paired A/B mode" in rec.text and "taskset" in rec.text


def test_detectable_noise_gives_no_noise_advice() -> None:
    noise = Noise(cv=0.01, detectable=True, needed_n=8)
    comp = comparison(mc("wall", "unchanged", 1.0, 1.0, noise=noise))
    assert recommend(comp, results(bench()), None, None) == []


def test_early_outliers_suggest_more_warmup() -> None:
    comp = comparison(mc("wall", "unchanged", 1.0, 1.0, outliers=[0, 1, 9]))
    rec = only(recommend(comp, results(bench()), None, None), "noisy")
    assert (
        "3 of 20 wall samples are outliers by the Iglewicz-Hoaglin modified z-score rule "
        "(|z| > 3.5; lanebench docs/statistics.md, Summaries and outliers), 2 of them among "
        "the first 2 iterations: raise warmup"
    ) in rec.text


def test_a_single_outlier_is_not_advice() -> None:
    comp = comparison(mc("wall", "unchanged", 1.0, 1.0, outliers=[7]))
    assert recommend(comp, results(bench()), None, None) == []


# --- baseline machine -----------------------------------------------------------------------


def test_cross_machine_baseline_weakens_the_verdicts() -> None:
    diff = "cpu_model: 'AMD EPYC 7763' vs 'Intel Xeon 8370C'"
    comp = comparison(mc("wall", "regression", 1.0, 1.2, (1.15, 1.25)), cross_machine=[diff])
    rec = only(recommend(comp, results(bench()), None, None), "cross-machine")
    assert diff in rec.text
    assert "1 regression/improvement verdict here could be the machines" in rec.text
    assert "paired A/B mode" in rec.text


def test_same_machine_baseline_gives_no_machine_advice() -> None:
    comp = comparison(mc("wall", "unchanged", 1.0, 1.0))
    assert "cross-machine" not in kinds(recommend(comp, results(bench()), None, None))


# --- budget ---------------------------------------------------------------------------------


def test_nearly_spent_budget_names_the_heaviest_benchmarks() -> None:
    head = results(
        bench("integration", wall=[30.0] * 20), bench("unit", wall=[3.0] * 20),
        measuring_seconds=810.0, budget_seconds=900.0,
    )
    sla = evaluate_sla(LaneSettings(), head, None)
    rec = only(recommend(None, head, None, sla), "budget")
    assert "the standard lane used 13.50 min of its 15.00 min budget (90%)" in rec.text
    assert "integration (10.00 min, 91% of measured time), unit (1.00 min, 9% of measured time)" in rec.text
    assert "Move the heaviest to the heavy lane" in rec.text and "shard" in rec.text
    head.run.lane = "heavy"
    rec = only(recommend(None, head, None, evaluate_sla(LaneSettings(), head, None)), "budget")
    assert "the heavy lane used 13.50 min" in rec.text and "Move the heaviest" not in rec.text


def test_budget_with_room_gives_no_budget_advice() -> None:
    head = results(bench(), measuring_seconds=300.0, budget_seconds=900.0)
    assert recommend(None, head, None, evaluate_sla(LaneSettings(), head, None)) == []


# --- lane mismatch --------------------------------------------------------------------------


def decision(**overrides: Any) -> dict[str, Any]:
    base = {"lane": "docs", "run": False, "forced_by": None, "rule_lane": "docs",
            "change_set": {"files": 2, "code_files": 0, "code_lines": 0}}
    return {**base, **overrides}


def test_forced_docs_lane_with_code_files_is_flagged() -> None:
    d = decision(forced_by='label "lanebench:docs"', rule_lane="standard",
                 change_set={"files": 4, "code_files": 3, "code_lines": 120})
    rec = only(recommend(None, results(), None, None, d), "lane-mismatch")
    assert rec.text == (
        'The docs lane measures nothing because of the label "lanebench:docs", yet the change '
        "touches 3 code files (120 changed lines). The rules alone choose the standard lane."
    )


def test_code_like_files_under_docs_patterns_are_flagged() -> None:
    d = decision(paths=["docs/index.md", "docs/conf.py", "docs/examples/bench.go"])
    rec = only(recommend(None, results(), None, None, d), "lane-mismatch")
    assert "2 of the 3 changed files look like code or build inputs: docs/conf.py, docs/examples/bench.go" in rec.text


def test_a_plain_docs_change_is_not_flagged() -> None:
    assert recommend(None, results(), None, None, decision(paths=["README.md", "docs/guide.rst"])) == []
    measured = decision(lane="standard", run=True, change_set={"code_files": 3, "code_lines": 50})
    assert recommend(None, results(), None, None, measured) == []


# --- overall ----------------------------------------------------------------------------------


def test_nothing_found_means_no_advice() -> None:
    comp = comparison(mc("wall", "unchanged", 1.0, 1.0), mc("cpu", "unchanged", 1.0, 1.0))
    base, head = results(bench()), results(bench())
    assert recommend(comp, head, base, evaluate_sla(LaneSettings(), head, comp)) == []


def test_recommendations_are_ranked_by_expected_impact() -> None:
    comp = comparison(
        mc("wall", "regression", 1.0, 1.08, (1.06, 1.10)),
        mc("cpu", "unchanged", 1.0, 1.0),
        mc("maxrss", "regression", 100 * MiB, 180 * MiB, (1.7, 1.9)),
        mc("wall", "regression", 1.0, 1.3, benchmark="other"),
        mc("cpu", "regression", 1.0, 1.3, benchmark="other"),
    )
    recs = recommend(comp, results(bench(), bench("other")), None, None)
    assert [(r.kind, r.benchmark) for r in recs] == [
        ("memory-growth", "build"),  # +80%
        ("more-computation", "other"),  # +30%
        ("io-wait", "build"),  # +8%
    ]
    assert all(r.to_dict()["text"] == r.text for r in recs)


def test_cross_machine_weighs_as_much_as_the_largest_verdict_it_could_explain() -> None:
    comp = comparison(mc("wall", "improvement", 1.0, 0.7, (0.65, 0.75)), cross_machine=["cpu_count: 2 vs 4"])
    rec = only(recommend(comp, results(bench()), None, None), "cross-machine")
    assert rec.impact == pytest.approx(0.3)


# --- advice that must agree with the verdicts ------------------------------------------------


def paired_comparison(*metrics: MetricComparison, cross_machine: list[str] | None = None) -> Comparison:
    comp = comparison(*metrics, cross_machine=cross_machine)
    comp.settings["comparison"] = "paired"
    for m in comp.metrics:
        m.method = "paired-wilcoxon"
    return comp


def test_a_paired_run_is_not_told_to_use_paired_mode() -> None:
    noise = Noise(cv=0.18, detectable=False, needed_n=64)
    comp = paired_comparison(
        mc("wall", "inconclusive", 1.0, 1.04, (0.9, 1.2), noise=noise),
        cross_machine=["cpu_model: 'a' vs 'b'"],
    )
    recs = recommend(comp, results(bench()), None, None)
    rec = only(recs, "noisy")
    assert "paired A/B mode" not in rec.text and "taskset" in rec.text
    assert "Run about 64 pairs (max_iterations: 64)" in rec.text
    assert "cross-machine" not in kinds(recs)  # both sides of every pair ran on one runner


def test_a_decided_verdict_is_never_called_undetectable() -> None:
    """`unchanged [-4.4, +3.4]` proves the data settled the question, whatever the power
    estimate made before the test: no noise advice and no noise warning."""
    noise = Noise(cv=0.09, detectable=False, needed_n=100)
    comp = comparison(mc("wall", "unchanged", 1.0, 0.995, (0.956, 1.034), noise=noise))
    assert "noisy" not in kinds(recommend(comp, results(bench()), None, None))
    report = evaluate_sla(LaneSettings(), results(bench()), comp)
    noise_findings = [f for f in report.findings if f.rule == "noise"]
    assert noise_findings and all(f.passed for f in noise_findings)


def test_profiler_command_is_shell_quoted_so_it_runs_as_printed() -> None:
    import shlex

    command = ["python3", "-c", "import sys; print(sys.argv)"]
    text = profiler_for(command)
    printed = text.split("`py-spy record -o profile.svg -- ", 1)[1].split("`", 1)[0]
    assert shlex.split(printed) == command
    assert "python3 -c 'import sys; print(sys.argv)'" in text
    shell = profiler_for("make -j2 build | tee log", shell=True)
    assert "perf record -g -- sh -c 'make -j2 build | tee log'" in shell


def test_single_threaded_cpu_growth_is_not_explained_by_idle_cores() -> None:
    comp = comparison(
        mc("wall", "inconclusive", 1.00, 1.03, (0.95, 1.12)),
        mc("cpu", "regression", 1.00, 1.20, (1.15, 1.25)),
    )
    serial = bench(wall=[1.0] * 10, cpu=[0.98] * 10)  # one core busy
    rec = only(recommend(comp, results(serial), None, None), "more-computation")
    assert "idle cores" not in rec.text and "other cores" not in rec.text
    assert "while wall time did not regress (+3.0%, verdict inconclusive)" in rec.text
    parallel = bench(wall=[1.0] * 10, cpu=[1.9] * 10)  # two cores busy
    rec = only(recommend(comp, results(parallel), None, None), "more-computation")
    assert "it keeps 1.9 cores busy, so the extra work ran on other cores" in rec.text


def test_noise_advice_says_when_the_runner_bound_not_the_noise_keeps_a_verdict_open() -> None:
    noise = Noise(cv=0.18, detectable=False, needed_n=300)
    m = mc("wall", "inconclusive", 1.0, 1.04, (0.6, 1.9), noise=noise)
    m.extra.update(cross_run={"runner_effect": [-0.2, 0.3]}, interval_note="runner -20% to +30%")
    rec = only(recommend(comparison(m), results(bench()), None, None), "noisy")
    assert "More iterations alone will not decide wall here" in rec.text
    assert "(runner -20% to +30%)" in rec.text and "3 main runs of history" in rec.text
