"""analyse(history): change points per benchmark x metric with their commit range (seeded)."""

from __future__ import annotations

import numpy as np
import pytest

from lanebench.config.model import Thresholds
from lanebench.history_store import (
    BenchmarkPoint,
    History,
    HistoryError,
    MetricPoint,
    Runner,
    RunRecord,
    history_from_json,
    history_to_json,
)
from lanebench.results import BenchmarkResult, Calibration, ResultsDocument, RunInfo
from lanebench.stats.trends import TrendSettings, alert_key, analyse, median_interval, run_record


def commit(i: int) -> str:
    return f"{i:07x}" + "c0ffee" * 5 + "c"


def main_history(runs: int = 40, step_at: int = 20, step: float = 1.08, seed: int = 0) -> History:
    """A runner pool whose speed varies ±5% from run to run, which calibration removes, and a
    benchmark that gets `step` slower from run `step_at` on; instructions step +0.5% at 30."""
    rng = np.random.default_rng(seed)
    records = []
    for i in range(runs):
        speed = float(np.exp(rng.normal(0.0, 0.05)))
        wall = 0.5 * speed * float(np.exp(rng.normal(0.0, 0.01))) * (step if i >= step_at else 1.0)
        instructions = 634_809_449.0 * (1.005 if i >= 30 else 1.0)
        records.append(RunRecord(
            commit=commit(i), date=f"2025-03-{i % 28 + 1:02d}T09:00:00Z",
            runners=(Runner("sha256:pool", {"wall": 0.1 * speed, "cpu": 0.1 * speed}),),
            benchmarks={"parse": BenchmarkPoint({
                "wall": MetricPoint(wall, 20, wall * 0.98, wall * 1.02),
                "instructions": MetricPoint(instructions, 3, None, None, "instructions"),
            })},
            instruments={"time": "lanebench", "instructions": "valgrind-3.19.0"},
        ))
    return History(runs=tuple(records))


def trend(report, metric: str):  # type: ignore[no-untyped-def]
    return next(t for t in report.trends if t.series.metric == metric)


def test_a_step_on_main_is_found_with_its_commit_range() -> None:
    report = analyse(main_history())
    wall = trend(report, "wall")
    assert wall.series.normalized
    (change,) = wall.changes
    assert change.change.index == 20
    assert (change.last_good, change.first_bad) == (commit(19), commit(20))
    assert change.verdict == "regression"
    assert change.reason.startswith("+8")
    assert report.alerts == [change]
    assert change.key == alert_key("parse", "wall", commit(20))


def test_calibration_is_what_makes_the_step_visible_through_runner_noise() -> None:
    raw = analyse(main_history(), TrendSettings(normalize=False))
    assert not trend(raw, "wall").series.normalized
    assert [c.change.index for c in trend(raw, "wall").changes] != [20]


def test_an_instruction_count_step_of_half_a_percent_is_found_and_judged_by_its_threshold() -> None:
    history = main_history()
    counts = trend(analyse(history), "instructions")
    assert counts.series.scale == "raw"
    (change,) = counts.changes
    assert change.change.index == 30 and change.change.ratio == pytest.approx(1.005)
    assert change.verdict == "unchanged"  # real, but below the count threshold of 10%
    strict = TrendSettings(thresholds=Thresholds(metrics={"instructions": 0.004}))
    (change,) = trend(analyse(history, strict), "instructions").changes
    assert change.verdict == "regression"


def test_a_runner_or_instrument_change_at_the_boundary_is_noted() -> None:
    history = main_history(step=1.0)
    runs = list(history.runs)
    for i in range(30, 40):
        runs[i] = RunRecord(**{**runs[i].__dict__, "instruments": {"time": "lanebench", "instructions": "valgrind-3.22.0"}})
    (change,) = trend(analyse(History(runs=tuple(runs))), "instructions").changes
    assert change.notes == ("the instrument changed on either side of the change "
                            "(instructions valgrind-3.19.0 -> instructions valgrind-3.22.0)",)


def test_runs_that_skipped_a_benchmark_widen_the_commit_range() -> None:
    history = main_history()
    runs = list(history.runs)
    for i in (18, 19):
        runs[i] = RunRecord(**{**runs[i].__dict__, "benchmarks": {}})
    (change,) = trend(analyse(History(runs=tuple(runs))), "wall").changes
    assert (change.last_good, change.first_bad) == (commit(17), commit(20))
    assert "2 runs between did not measure it" in change.notes


def test_a_short_history_says_so() -> None:
    report = analyse(main_history(runs=7))
    assert report.alerts == []
    assert trend(report, "wall").detection.insufficient == "7 runs: a change point needs at least 10 (5 on each side)"
    assert trend(report, "wall").drift is None


def test_a_missing_calibration_keeps_the_series_raw_and_says_why() -> None:
    history = main_history()
    runs = list(history.runs)
    runs[3] = RunRecord(**{**runs[3].__dict__, "runners": (Runner("sha256:pool"),)})
    wall = trend(analyse(History(runs=tuple(runs))), "wall")
    assert not wall.series.normalized
    assert wall.series.notes == ("not normalised by calibration: 1 of 40 runs have no wall calibration",)


def test_run_record_from_a_results_document_round_trips() -> None:
    doc = ResultsDocument(
        run=RunInfo(commit="ABCDEF0123456789ABCDEF0123456789ABCDEF01", finished_at="2025-03-01T10:00:00Z"),
        environment={},
        benchmarks=[
            BenchmarkResult(name="parse", command=["x"], samples={"wall": [0.1 + i / 1000 for i in range(20)]}),
            BenchmarkResult(name="broken", command=["x"], status="failed"),
        ],
    )
    doc.calibration = Calibration.from_times([0.1, 0.12, 0.11], [0.1, 0.1, 0.1], workload=1, python="3.11")
    record = run_record(doc, runner_fingerprint="sha256:feed")
    assert record.commit == "abcdef0123456789abcdef0123456789abcdef01"
    assert list(record.benchmarks) == ["parse"]
    point = record.benchmarks["parse"].metrics["wall"]
    assert (point.median, point.n) == (pytest.approx(0.1095), 20)
    assert (point.low, point.high) == (pytest.approx(0.105), pytest.approx(0.114))
    assert record.runners[0].calibration == {"wall": 0.11, "cpu": 0.1}
    history = History(runs=(record,))
    assert history_from_json(history_to_json(history)) == history
    doc.run.commit = None
    with pytest.raises(HistoryError, match="results have no commit"):
        run_record(doc, runner_fingerprint="sha256:feed")


def test_median_interval_is_the_binomial_order_statistic_interval() -> None:
    assert median_interval([1.0, 2.0, 3.0, 4.0, 5.0], 0.95) is None  # 5 values cannot reach 95%
    assert median_interval([float(i) for i in range(1, 7)], 0.95) == (1.0, 6.0)
    assert median_interval([float(i) for i in range(1, 21)], 0.95) == (6.0, 15.0)
