"""Timing the reference workload around a run, and recording it in the results."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from lanebench.calibration.workload import VERSION
from lanebench.config.model import CalibrationSettings
from lanebench.results import Calibration, ResultsDocument
from lanebench.runner.progress import Progress
from lanebench.secrets import without_secrets

WORKLOAD_PATH = Path(__file__).with_name("workload.py")
# Three times before the benchmarks, once after each benchmark's iterations, and at
# least twice after them all, ten times or more in total. Interleaved, the timings see the
# machine while the benchmarks ran, not only on either side of them; ten of them state
# the runner's speed to about ±1-3% on a steady machine, and their spread says when the
# machine was too unsteady for one number (docs/noise.md).
AT_START = 3
AT_END = 2
MIN_TIMINGS = 10
TIMEOUT_SECONDS = 60.0


class CalibrationFailed(Exception):
    """The reference workload could not be timed (the run goes on without calibration)."""


def time_workload() -> tuple[float, float]:
    """One run of the reference workload in a fresh interpreter: (wall, cpu) of its loop."""
    env = without_secrets()
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(WORKLOAD_PATH)],
            capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env=env,
            stdin=subprocess.DEVNULL, check=False,
        )
    except subprocess.TimeoutExpired:
        raise CalibrationFailed(f"the reference workload took longer than {TIMEOUT_SECONDS:g} s") from None
    except OSError as exc:
        raise CalibrationFailed(f"cannot start the reference workload: {exc.strerror or exc}") from None
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or [""])[-1]
        raise CalibrationFailed(f"the reference workload exited with code {done.returncode}: {tail}")
    try:
        data = json.loads(done.stdout.strip().splitlines()[-1])
        return float(data["wall"]), float(data["cpu"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise CalibrationFailed("the reference workload printed no timing") from None


def measure(calibration: Calibration, count: int, phase: str) -> None:
    """Add `count` timings taken now, labelled `phase`."""
    for _ in range(count):
        wall, cpu = time_workload()
        calibration.samples.setdefault("wall", []).append(wall)
        calibration.samples.setdefault("cpu", []).append(cpu)
        calibration.phases.append(phase)


def run_calibrated(
    run: Callable[[Callable[[], None] | None], ResultsDocument],
    settings: CalibrationSettings,
    progress: Progress | None = None,
) -> ResultsDocument:
    """`run(between)` with reference-workload timings around and between its benchmarks,
    recorded in the document it returns.

    `run` passes `between` to the runner, which calls it after each benchmark's
    iterations (`run_benchmarks(between_benchmarks=...)`); it is None when calibration is
    off. A workload that cannot be timed costs the run its calibration, never the run
    itself: the comparison then says the runner speed is unknown.
    """
    if not settings.measure:
        return run(None)
    progress = progress or Progress()
    calibration = Calibration(workload=VERSION, python=platform.python_version(),
                              samples={"wall": [], "cpu": []})
    problem: str | None = None

    def timed(count: int, phase: str) -> None:
        nonlocal problem
        if problem is None and count > 0:
            try:
                measure(calibration, count, phase)
            except CalibrationFailed as exc:
                problem = str(exc)

    timed(AT_START, "start")
    doc = run(lambda: timed(1, "between"))
    timed(max(AT_END, MIN_TIMINGS - calibration.n), "end")
    if problem is not None:
        progress.message(f"calibration skipped: {problem}")
        doc.run.calibration_problem = problem
        return doc
    doc.calibration = calibration
    median = calibration.median("wall") or 0.0
    progress.message(
        f"calibration: reference workload {median * 1000:.0f} ms (median of {calibration.n})"
    )
    return doc
