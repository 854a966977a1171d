"""Timing the reference workload around a run, and recording it in the results."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from lanebench.calibration import Calibration, record_calibration
from lanebench.calibration.workload import VERSION
from lanebench.config.model import CalibrationSettings
from lanebench.results import ResultsDocument, write_results
from lanebench.runner.progress import Progress
from lanebench.secrets import without_secrets

WORKLOAD_PATH = Path(__file__).with_name("workload.py")
# Three times before the benchmarks and two after: the median of five is robust to one
# disturbed repetition, and start and end bracket a drift in runner speed during the run.
AT_START = 3
AT_END = 2
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
        calibration.wall.append(wall)
        calibration.cpu.append(cpu)
        calibration.phases.append(phase)


def run_calibrated(
    run: Callable[[], ResultsDocument],
    settings: CalibrationSettings,
    output: Path,
    progress: Progress | None = None,
) -> ResultsDocument:
    """`run()` bracketed by reference-workload timings, recorded in the document it returns.

    The document is written again to `output` with its `calibration` block. A workload
    that cannot be timed costs the run its calibration, never the run itself: the
    comparison then says the runner speed is unknown.
    """
    if not settings.measure:
        return run()
    progress = progress or Progress()
    calibration = Calibration(workload=VERSION, python=platform.python_version())
    problem: str | None = None
    try:
        measure(calibration, AT_START, "start")
    except CalibrationFailed as exc:
        problem = str(exc)
    doc = run()
    if problem is None:
        try:
            measure(calibration, AT_END, "end")
        except CalibrationFailed as exc:
            problem = str(exc)
    if problem is not None:
        progress.message(f"calibration skipped: {problem}")
        doc.run.extra["calibration_problem"] = problem
        write_results(output, doc)
        return doc
    record_calibration(doc, calibration)
    write_results(output, doc)
    median = calibration.median("wall") or 0.0
    progress.message(
        f"calibration: reference workload {median * 1000:.0f} ms (median of {calibration.n})"
    )
    return doc
