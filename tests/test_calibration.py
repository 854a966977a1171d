"""Calibration: the reference workload is timed in every run, and compare divides time
metrics by the runner-speed ratio, keeping the raw numbers beside."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lanebench.calibration import calibration_of, runner_speed
from lanebench.calibration.measure import WORKLOAD_PATH
from lanebench.config import LaneSettings
from lanebench.results import (
    SCHEMA_VERSION,
    BenchmarkResult,
    Calibration,
    ResultsDocument,
    RunInfo,
    read_results,
)
from lanebench.stats import compare
from tests.helpers import cli_env

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable


def doc(
    wall: list[float],
    calibration: list[float] | None,
    *,
    cpu: list[float] | None = None,
    history: list | None = None,
    name: str = "bench",
) -> ResultsDocument:
    cal = None
    if calibration is not None:
        cal = Calibration.from_times(list(calibration), list(calibration), workload=1,
                                     python="3.11.9", phases=["start"] * len(calibration))
    cpu = cpu if cpu is not None else [w * 0.9 for w in wall]
    return ResultsDocument(
        run=RunInfo(commit="c"),
        environment={"cpu_model": "x", "cpu_count": 2, "machine": "x86_64"},
        benchmarks=[BenchmarkResult(
            name=name, command=["true"], samples={"wall": list(wall), "cpu": list(cpu)},
        )],
        calibration=cal,
        history=history,
    )


def noisy(center: float, n: int, seed: int, cv: float = 0.01) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(center * np.exp(rng.normal(0, cv, n)))


def row(comparison, metric: str = "wall"):
    return next(m for m in comparison.metrics if m.metric == metric)


LANE = LaneSettings()


@pytest.mark.slow
def test_lanebench_run_records_the_reference_workload(tmp_path: Path) -> None:
    config = tmp_path / ".github" / "lanebench.yml"
    config.parent.mkdir()
    config.write_text(
        f"benchmarks:\n  - name: noop\n    command: [{json.dumps(PY)}, -c, 'pass']\n"
        f"  - name: noop2\n    command: [{json.dumps(PY)}, -c, 'pass']\n"
        "defaults:\n  warmup: 0\n  min_iterations: 2\n  max_iterations: 2\n"
    )
    proc = subprocess.run(
        [PY, "-m", "lanebench", "run", "-o", "out.json"], cwd=tmp_path, env=cli_env(),
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "calibration: reference workload" in proc.stderr
    results = read_results(tmp_path / "out.json")
    assert results.schema_version == SCHEMA_VERSION == "1.4.0"
    cal = calibration_of(results)
    assert cal is not None
    # interleaved: 3 before, one after each benchmark, the rest after all of them (10 in all)
    assert cal.phases == ["start"] * 3 + ["between"] * 2 + ["end"] * 5
    if Path("/proc/sys/kernel/random/boot_id").exists():
        assert str(results.environment["machine_id"]).startswith("boot:")
    assert all(0.01 < w < 5 for w in cal.wall) and all(0 < c <= w * 1.05 for c, w in zip(cal.cpu, cal.wall, strict=True))

    config.write_text(config.read_text() + "  calibration:\n    measure: false\n")
    off = subprocess.run(
        [PY, "-m", "lanebench", "run", "-o", "off.json"], cwd=tmp_path, env=cli_env(),
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert off.returncode == 0, off.stderr
    assert calibration_of(read_results(tmp_path / "off.json")) is None


def test_workload_is_deterministic_and_reports_its_own_time() -> None:
    outs = [
        json.loads(subprocess.run([PY, "-I", "-S", str(WORKLOAD_PATH)], capture_output=True,
                                  text=True, check=True, timeout=60).stdout)
        for _ in range(2)
    ]
    assert outs[0]["checksum"] == outs[1]["checksum"]
    assert outs[0]["version"] == 1 and outs[0]["wall"] > 0 and outs[0]["cpu"] > 0


def test_runner_speed_ratio_is_head_over_base_median() -> None:
    base = doc([1.0] * 3, [0.10, 0.11, 0.09, 0.10, 0.30])  # one disturbed repetition
    head = doc([1.0] * 3, [0.12, 0.12, 0.13, 0.12, 0.12])
    speed = runner_speed(base, head)
    assert speed is not None
    assert speed.ratio["wall"] == pytest.approx(1.2)
    assert speed.describe() == "runner 1.20x slower"
    assert runner_speed(base, doc([1.0], None)) is None


def test_slow_runner_is_normalised_away_and_reported() -> None:
    """Same code, head's runner 30% slower: raw +30%, normalised about 0."""
    base = doc(noisy(1.0, 20, 1), noisy(0.10, 5, 2))
    head = doc(noisy(1.3, 20, 3), noisy(0.13, 5, 4))
    comparison = compare(base, head, lane=LANE)
    wall = row(comparison)
    assert wall.extra["raw_ratio"] == pytest.approx(1.3, rel=0.02)
    assert wall.extra["runner_factor"] == pytest.approx(1.3, rel=0.02)
    assert wall.ratio == pytest.approx(1.0, abs=0.03)
    assert wall.verdict != "regression"
    assert any("ran 1.30x slower in head" in line for line in comparison.cross_machine)
    assert "normalised by calibration (runner 1.30x slower ±" in comparison.extra["trust"]

    off = compare(base, head, lane=LaneSettings(calibration={"normalize": False}))
    assert "runner_factor" not in row(off).extra
    assert row(off).ratio == pytest.approx(1.3, rel=0.02)
    assert "calibration not applied" in off.extra["trust"]


def test_a_real_slowdown_survives_normalisation() -> None:
    """Runner 10% slower and the code 50% slower: normalised +50%; even felt twice, the
    runner difference leaves +36%, beyond the 25% bound."""
    base = doc(noisy(1.0, 20, 5), noisy(0.10, 5, 6))
    head = doc(noisy(1.1 * 1.5, 20, 7), noisy(0.11, 5, 8))
    wall = row(compare(base, head, lane=LANE))
    assert wall.ratio == pytest.approx(1.5, rel=0.03)
    assert wall.verdict == "regression"


def test_without_history_a_benchmark_may_feel_the_runner_twice() -> None:
    """No code change; the baseline's runner was busy: the workload ran 1.23x slower there
    and an I/O benchmark 1.67x (disk contention). Raw -40%, normalised -27%: both beyond
    the 25% bound, yet not an improvement, since the benchmark may feel the difference twice."""
    base = doc(noisy(1.67, 20, 11), noisy(0.123, 5, 12))
    head = doc(noisy(1.0, 20, 13), noisy(0.10, 5, 14))
    wall = row(compare(base, head, lane=LANE))
    assert wall.extra["raw_ratio"] == pytest.approx(1 / 1.67, rel=0.03)
    assert wall.verdict == "inconclusive"
    assert wall.ci_high > 1.0  # type: ignore[operator]


def test_calibration_noise_widens_the_interval_until_it_is_too_noisy_to_apply() -> None:
    """A calibration known within `calibration.max_noise` (±10%) is applied with its own
    noise added to the interval; a noisier one is not applied at all: dividing by it would
    move the estimate by noise (the runner speed is then unknown)."""
    wall_b, wall_h = noisy(1.0, 30, 9), noisy(1.1, 30, 10)
    lane = LaneSettings(history={"unknown_runner_bound": "0%"})
    tight = compare(doc(wall_b, [0.1] * 2 + [0.1001] * 3), doc(wall_h, [0.11] * 2 + [0.1101] * 3), lane=lane)
    medium = compare(doc(wall_b, [0.097, 0.1, 0.103, 0.1, 0.1]),
                     doc(wall_h, [0.1067, 0.11, 0.1133, 0.11, 0.11]), lane=lane)
    loose = compare(doc(wall_b, [0.08, 0.1, 0.12, 0.1, 0.1]), doc(wall_h, [0.088, 0.11, 0.132, 0.11, 0.11]),
                    lane=lane)
    t, m, w = row(tight), row(medium), row(loose)
    assert t.ratio == pytest.approx(m.ratio, rel=0.01) == pytest.approx(1.0, abs=0.02)
    assert (m.ci_high - m.ci_low) > 1.5 * (t.ci_high - t.ci_low)  # type: ignore[operator]
    assert "runner_factor" not in w.extra  # ±22% of its own: not applied
    assert w.ratio == pytest.approx(1.1, rel=0.02)
    assert "calibration too noisy to apply" in loose.extra["trust"]
    assert loose.cross_machine == []  # a noisy calibration is no evidence of another machine


def test_files_without_calibration_or_history_are_compared_as_measured() -> None:
    base, head = doc(noisy(1.0, 20, 1), None), doc(noisy(1.3, 20, 3), None)
    comparison = compare(base, head, lane=LANE)
    assert row(comparison).verdict == "regression"
    assert "raw_ratio" not in row(comparison).extra
    assert "runner differences are not modelled" in comparison.extra["trust"]
