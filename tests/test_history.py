"""Baseline history: carried forward, trimmed to K runs, and used to widen cross-run
comparisons by the run-to-run spread of this repository's runners."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from lanebench.baseline import append_history, history_of
from lanebench.config import LaneSettings, config_from_dict
from lanebench.pipeline import PipelineRequest, measure_baseline
from lanebench.results import (
    BenchmarkResult,
    Calibration,
    HistoryEntry,
    ResultsDocument,
    RunInfo,
    read_results,
)
from lanebench.stats import compare
from lanebench.stats.history import run_spread

ENV = {"cpu_model": "x", "cpu_count": 2, "machine": "x86_64", "python": "3.11.9"}


def run_doc(
    benches: dict[str, dict[str, list[float]]],
    calibration: list[float] | None,
    *,
    commit: str = "c0",
    finished: str = "2025-01-01T00:00:00Z",
) -> ResultsDocument:
    cal = None
    if calibration is not None:
        cal = Calibration.from_times(list(calibration), list(calibration), workload=1,
                                     python="3.11.9", phases=["start"] * len(calibration))
    return ResultsDocument(
        run=RunInfo(commit=commit, finished_at=finished),
        environment=dict(ENV),
        benchmarks=[BenchmarkResult(name=n, command=["true"], samples=s) for n, s in benches.items()],
        calibration=cal,
    )


def simple(wall: float, cal: float | None = 0.1, **kw) -> ResultsDocument:
    return run_doc({"b": {"wall": [wall, wall * 1.01, wall * 0.99]}}, [cal] * 3 if cal else None, **kw)


def row(comparison, bench: str = "b", metric: str = "wall"):
    return next(m for m in comparison.metrics if m.benchmark == bench and m.metric == metric)


# --- append and trim ----------------------------------------------------------------------


def test_first_baseline_starts_its_history_with_itself() -> None:
    current = simple(2.0, commit="a1")
    out = append_history(None, current)
    (entry,) = history_of(out)
    assert entry.commit == "a1"
    assert entry.benchmarks["b"]["wall"] == pytest.approx(2.0)
    assert entry.calibration == {"wall": pytest.approx(0.1), "cpu": pytest.approx(0.1)}
    assert entry.environment is not None and entry.environment.startswith("sha256:")
    assert current.history is None  # the input is left alone


def test_history_is_carried_forward_and_trimmed_to_k() -> None:
    baseline = None
    for i in range(25):
        doc = simple(1.0 + i, commit=f"c{i}", finished=f"2025-01-{i + 1:02d}T00:00:00Z")
        baseline = append_history(baseline, doc, k=20)
    entries = history_of(baseline)
    assert len(entries) == 20
    assert [e.commit for e in entries] == [f"c{i}" for i in range(5, 25)]  # oldest dropped
    assert entries[-1].benchmarks["b"]["wall"] == pytest.approx(25.0)


def test_previous_baseline_from_before_history_counts_as_one_run() -> None:
    old = simple(1.0, commit="old")  # a 1.0-era baseline: no history block
    out = append_history(old, simple(1.1, commit="new", finished="2025-02-01T00:00:00Z"))
    assert [e.commit for e in history_of(out)] == ["old", "new"]


def test_the_same_run_is_never_counted_twice() -> None:
    doc = simple(1.0, commit="same")
    once = append_history(None, doc)
    twice = append_history(once, doc)
    assert len(history_of(twice)) == 1


def test_history_survives_a_write_and_read(tmp_path: Path) -> None:
    from lanebench.results import write_results

    out = append_history(simple(1.0, commit="a"), simple(1.2, commit="b", finished="x"))
    write_results(tmp_path / "r.json", out)
    back = read_results(tmp_path / "r.json")
    assert [e.commit for e in history_of(back)] == ["a", "b"]


@pytest.mark.slow
def test_measure_baseline_carries_the_previous_history(tmp_path: Path) -> None:
    config = config_from_dict({
        "benchmarks": [{"name": "b", "command": [sys.executable, "-c", "pass"]}],
        "defaults": {"warmup": 0, "min_iterations": 2, "max_iterations": 2,
                     "history": {"keep": 3}},
    })
    previous = None
    for i in range(4):
        previous = append_history(previous, simple(1.0, commit=f"p{i}", finished=f"t{i}"))
    result = measure_baseline(PipelineRequest(
        config=config, output_dir=tmp_path, previous_baseline=previous,
        run_info=RunInfo(commit="now"),
    ))
    written = read_results(tmp_path / "lanebench-results.json")
    commits = [e.commit for e in history_of(written)]
    assert commits == ["p2", "p3", "now"]  # keep: 3
    assert history_of(written)[-1].calibration is not None
    assert result.head is not None and history_of(result.head) == history_of(written)


# --- the spread and what it does to a verdict ----------------------------------------------


def history_with(spread: float, runs: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    baseline = None
    for i in range(runs):
        u = math.exp(rng.normal(0, spread))
        baseline = append_history(baseline, simple(1.0 * u, cal=0.1, commit=f"h{i}", finished=f"t{i}"))
    return history_of(baseline)


def test_run_spread_is_the_sd_of_log_medians_disturbed_runs_included() -> None:
    history = history_with(0.05, 20, seed=1)
    spread = run_spread(history, "b", "wall")
    assert spread is not None and spread.runs == 20
    assert 0.025 < spread.sigma < 0.08  # 20 runs: the SD is known to about ±16%
    # a disturbed run widens the spread: the pull request's run may be one too
    disturbed = history + [HistoryEntry(benchmarks={"b": {"wall": 1.6}}, calibration=None)]
    wider = run_spread(disturbed, "b", "wall")
    assert wider is not None and wider.runs == 21 and wider.sigma > 2 * spread.sigma
    # normalised spreads use only runs with a calibration median
    assert run_spread(disturbed, "b", "wall", "wall").runs == 20  # type: ignore[union-attr]
    assert run_spread(history[:1], "b", "wall") is None


def pr_pair(ratio: float, history: list[HistoryEntry], n: int = 15, seed: int = 5) -> tuple[ResultsDocument, ResultsDocument]:
    rng = np.random.default_rng(seed)
    base = run_doc({"b": {"wall": list(np.exp(rng.normal(0, 0.01, n)))}}, [0.1] * 5)
    base.history = history
    head = run_doc({"b": {"wall": list(ratio * np.exp(rng.normal(0, 0.01, n)))}}, [0.1] * 5)
    return base, head


def test_fewer_than_three_runs_gate_only_beyond_the_conservative_bound() -> None:
    lane = LaneSettings()
    history = history_with(0.05, 2)
    base, head = pr_pair(1.15, history)
    small = compare(base, head, lane=lane)
    wall = row(small)
    assert wall.verdict == "inconclusive"  # +15% is within what an unknown runner can do
    assert "cross-run uncertainty unknown (2 usable main runs" in wall.extra["note"]
    assert "only a change beyond ±25% of runner difference can gate" in wall.extra["note"]
    assert wall.extra["cross_run"]["unknown_runner_bound"] == 0.25
    assert wall.ci_low < 1.15 / 1.25 + 0.01  # type: ignore[operator]
    assert "2 main runs of history: time metrics gate only on changes beyond ±25%" in small.extra["trust"]

    big = row(compare(*pr_pair(1.6, history), lane=lane))
    assert big.verdict == "regression"

    strict = row(compare(*pr_pair(1.15, history), lane=LaneSettings(history={"unknown_runner_bound": "10%"})))
    assert strict.verdict == "regression"


def test_history_widens_the_interval_by_the_between_run_spread() -> None:
    lane = LaneSettings()
    history = history_with(0.05, 20, seed=2)
    base, head = pr_pair(1.08, history)
    comparison = compare(base, head, lane=lane)
    wall = row(comparison)
    info = wall.extra["cross_run"]
    assert info["history_runs"] == 20 and 0.02 < info["between_run_sd"] < 0.09
    raw_width = math.log(wall.extra["raw_ci"][1]) - math.log(wall.extra["raw_ci"][0])
    width = math.log(wall.ci_high) - math.log(wall.ci_low)  # type: ignore[arg-type]
    assert width > 4 * raw_width
    # +8% within-run is overwhelming evidence, but runs move by ~5%: not a regression
    assert wall.extra["raw_p"] < 1e-4
    assert wall.verdict == "inconclusive"
    assert "cross-run noise from 20 main runs: ±" in comparison.extra["trust"]
    quiet = history_with(0.002, 20, seed=3)
    assert row(compare(*pr_pair(1.08, quiet), lane=lane)).verdict == "regression"


# --- simulation: runner speed lognormal with σ = 0.3 between runs -----------------------------

BENCHES = {"tracks": 1.0, "partly": 0.8, "io-ish": 0.5}  # how a benchmark follows runner speed


def simulated_run(rng: np.random.Generator, change: float, *, commit: str, defences: bool) -> ResultsDocument:
    u = rng.normal(0.0, 0.3)  # this run's runner: log speed factor
    benches = {}
    for name, beta in BENCHES.items():
        run_effect = rng.normal(0.0, 0.02)
        scale = math.exp(beta * u + run_effect) * (change if name == "tracks" else 1.0)
        wall = list(scale * np.exp(rng.normal(0.0, 0.02, 12)))
        benches[name] = {"wall": wall, "cpu": [w * 0.9 for w in wall]}
    calibration = list(0.1 * math.exp(u) * np.exp(rng.normal(0.0, 0.01, 5))) if defences else None
    return run_doc(benches, calibration, commit=commit, finished=commit)


def false_verdict_share(trials: int, seed: int, *, defences: bool, change: float = 1.0) -> tuple[float, float]:
    """Share of PRs with any regression/improvement, and share detecting `tracks` wall."""
    rng = np.random.default_rng(seed)
    lane = LaneSettings()
    any_false = detected = 0
    for t in range(trials):
        baseline = None
        for i in range(20):
            run = simulated_run(rng, 1.0, commit=f"{t}-{i}", defences=defences)
            baseline = append_history(baseline, run) if defences else run
        assert baseline is not None
        head = simulated_run(rng, change, commit=f"{t}-head", defences=defences)
        comparison = compare(baseline, head, lane=lane, metrics=("wall", "cpu"))
        decided = {(m.benchmark, m.metric): m.verdict for m in comparison.metrics}
        if change == 1.0:
            any_false += any(v in ("regression", "improvement") for v in decided.values())
        else:
            detected += decided[("tracks", "wall")] == "regression"
            others = [v for (b, _), v in decided.items() if b != "tracks"]
            any_false += any(v in ("regression", "improvement") for v in others)
    return any_false / trials, detected / trials


@pytest.mark.slow
def test_simulated_runner_noise_false_alarms_stay_within_alpha_with_history() -> None:
    trials = 200
    share, _ = false_verdict_share(trials, seed=20, defences=True)
    # family-wise α = 0.05 over 6 comparisons; allow the Monte-Carlo error (2 SE at 5%)
    assert share <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / trials), share
    undefended, _ = false_verdict_share(60, seed=21, defences=False)
    assert undefended > 0.5, undefended  # the same runners without the defences: mostly alarms


@pytest.mark.slow
def test_simulated_real_change_on_a_tracking_benchmark_is_still_found() -> None:
    share, detected = false_verdict_share(60, seed=22, defences=True, change=1.3)
    assert detected >= 0.9, detected
    assert share <= 0.1, share


def test_comparison_json_keeps_the_cross_run_numbers(tmp_path: Path) -> None:
    from lanebench.comparison_file import read_comparison, write_comparison

    comparison = compare(*pr_pair(1.08, history_with(0.05, 10)), lane=LaneSettings())
    write_comparison(tmp_path / "c.json", comparison)
    back = read_comparison(tmp_path / "c.json")
    assert back.extra["trust"] == comparison.extra["trust"]
    assert row(back).extra["cross_run"]["history_runs"] == 10
    data = json.loads((tmp_path / "c.json").read_text())
    assert data["extra"]["runner"]["history_runs"] == 10
