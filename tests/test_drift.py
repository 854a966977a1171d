"""Creeping drift: Theil-Sen over the last runs, and when it is reported (seeded)."""

from __future__ import annotations

import numpy as np
import pytest

from lanebench.history_store import BenchmarkPoint, History, MetricPoint, Runner, RunRecord
from lanebench.stats.drift import DriftSettings, drift
from lanebench.stats.trends import TrendSettings, analyse


def series(seed: int, cv: float, steps: dict[int, float], length: int = 60) -> list[float]:
    rng = np.random.default_rng(seed)
    x = np.exp(rng.normal(0.0, cv, length))
    for at, factor in steps.items():
        x[at:] *= factor
    return [float(v) for v in x]


CREEP = {41: 1.01, 45: 1.01, 49: 1.01, 53: 1.01, 57: 1.01}  # +5.1% over the last 20 runs


def history_of(values: list[float]) -> History:
    return History(runs=tuple(
        RunRecord(commit=f"{i:040x}", date="2025-01-01T00:00:00Z", runners=(Runner("r"),),
                  benchmarks={"b": BenchmarkPoint({"wall": MetricPoint(v, 10, None, None)})})
        for i, v in enumerate(values)
    ))


def test_drift_compares_the_last_run_with_the_one_window_runs_before() -> None:
    d = drift(series(1, 0.01, CREEP))
    assert d is not None
    assert (d.start, d.stop, d.runs) == (39, 60, 20)
    assert d.ratio == pytest.approx(1.051, abs=0.015)
    assert d.ci_low is not None and d.ci_low > 1.0
    assert d.p_value < 0.001


def test_a_noiseless_line_gives_its_exact_drift() -> None:
    values = [100.0 * 1.002**i for i in range(30)]
    d = drift(values)
    assert d is not None and d.ratio == pytest.approx(1.002**20, rel=1e-9)
    raw = drift([1000.0 + 2.0 * i for i in range(30)], scale="raw")
    assert raw is not None and raw.ratio == pytest.approx(1.0 + 40.0 / 1018.0, rel=1e-9)


def test_too_few_runs_give_no_drift() -> None:
    assert drift([1.0] * 9) is None
    assert drift([1.0] * 10) is not None
    with pytest.raises(ValueError):
        DriftSettings(window=20, min_runs=30)


def test_creeping_series_reports_drift_and_no_single_step_explains_it() -> None:
    report = analyse(history_of(series(1, 0.01, CREEP)), TrendSettings(normalize=False))
    (finding,) = report.drifts
    assert finding.verdict == "regression"
    assert finding.removed == ()
    assert report.alerts == []  # no one step reaches the 5% threshold on its own
    assert finding.until == f"{59:040x}" and finding.since == f"{39:040x}"


def test_flat_series_reports_no_drift() -> None:
    for seed in range(5):
        report = analyse(history_of(series(seed, 0.02, {})), TrendSettings(normalize=False))
        assert report.drifts == []
        assert report.trends[0].drift is not None
        assert report.trends[0].drift.verdict in ("unchanged", "inconclusive")


def test_one_step_is_a_change_point_not_a_drift() -> None:
    report = analyse(history_of(series(2, 0.01, {50: 1.10})), TrendSettings(normalize=False))
    (alert,) = report.alerts
    assert alert.change.index == 50
    assert report.drifts == []
    trend = report.trends[0].drift
    assert trend is not None and trend.removed == (alert,)
    assert trend.verdict in ("unchanged", "inconclusive")  # nothing left once the step is out


def test_a_step_then_creeping_steps_are_both_found() -> None:
    # 30 runs: +5% at run 15, then +1% at runs 19, 21, 23, 25 and 27 (1% noise). The step is an
    # alert of its own; taken out (measured locally, 5 runs a side), +5% of drift is left.
    values = series(0, 0.01, {15: 1.05, 19: 1.01, 21: 1.01, 23: 1.01, 25: 1.01, 27: 1.01}, length=30)
    report = analyse(history_of(values), TrendSettings(normalize=False))
    (alert,) = report.alerts
    assert alert.change.index == 15
    assert (alert.last_good, alert.first_bad) == (f"{14:040x}", f"{15:040x}")
    (creep,) = report.drifts
    assert creep.removed == (alert,)
    assert creep.verdict == "regression"
    assert creep.drift.ratio == pytest.approx(1.051, abs=0.02)
    assert creep.drift.ci_low is not None and creep.drift.ci_low > 1.0
