"""Calibration: how fast was the machine a run happened on?

Every artifact-mode run also times lanebench's own reference workload (`workload.py`, a
fixed CPU-bound pure-Python loop no commit can change) a few times, at the start and at
the end of the run. The results document records the times in its `calibration` block:

    "calibration": {
      "workload": 1,                      # workload.VERSION
      "python": "3.11.9",
      "samples": {"wall": [s, ...], "cpu": [s, ...]},
      "phases": ["start", "start", "start", "end", "end"]
    }

Comparing two runs, the ratio of their calibration medians (head / baseline) is the
runner-speed ratio that `compare` divides time metrics by (see docs/noise.md). The block
is `lanebench.results.Calibration`; this module says what it means, and measuring is
`lanebench.calibration.measure`.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from lanebench.results import Calibration, ResultsDocument

MEASURES: tuple[str, ...] = ("wall", "cpu")
# Which calibration measure normalises which time metric: elapsed time by elapsed time,
# CPU time by CPU time (a busy neighbour stretches the first far more than the second).
NORMALIZED_BY: dict[str, str] = {"wall": "wall", "cpu": "cpu", "user": "cpu", "sys": "cpu"}
# Asymptotic standard error of a sample median is sqrt(pi / 2) * sigma / sqrt(n).
MEDIAN_SE_FACTOR = math.sqrt(math.pi / 2.0)


def log_median_se(calibration: Calibration, measure: str = "wall") -> float:
    """Standard error of log(median): sqrt(pi/2) * SD of the log times / sqrt(n).

    The plain SD, not a robust one: timings that disagree (a neighbour that came or
    went between the start and the end of the run) mean the runner's speed was not
    one number, and the factor deserves less trust. With fewer than 3 times the SD
    is taken as 3%, a typical CV of the workload on a quiet shared runner.
    """
    values = [v for v in calibration.values(measure) if v > 0]
    if not values:
        return math.inf
    logs = [math.log(v) for v in values]
    sd = statistics.stdev(logs) if len(logs) >= 3 else 0.03
    return MEDIAN_SE_FACTOR * sd / math.sqrt(len(logs))


def swing(calibration: Calibration, measure: str = "wall") -> float:
    """How far the workload's furthest time lies from its median, on the log scale
    (0.03 ≈ 3%): how much the machine's speed moved within this run, at worst."""
    values = [v for v in calibration.values(measure) if v > 0]
    if not values:
        return 0.0
    centre = math.log(statistics.median(values))
    return max(abs(math.log(v) - centre) for v in values)


def calibration_of(doc: ResultsDocument | None) -> Calibration | None:
    """The run's calibration, or None (older files, `calibration.measure: false`, paired
    runs, or a block without times of both measures)."""
    if doc is None or doc.calibration is None or not doc.calibration.usable:
        return None
    return doc.calibration


# z of a two-sided 95% interval: the calibration's own uncertainty is stated at 95%.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class RunnerSpeed:
    """Head's calibration median over the baseline's, per measure: 1.18 = head's runner 18% slower."""

    ratio: dict[str, float]
    log_se: dict[str, float]  # standard error of log(ratio), from both runs' spread
    base_n: int
    head_n: int
    notes: tuple[str, ...] = ()
    # per measure, the larger of the two runs' `swing`: how far the machine's
    # speed moved within a run, which a benchmark timed in between may have felt
    swing: dict[str, float] = field(default_factory=dict)

    def uncertainty(self, measure: str = "wall") -> float:
        """The 95% half-width of the ratio on the log scale (0.05 ≈ ±5%)."""
        return Z95 * self.log_se.get(measure, math.inf)

    def usable(self, measure: str, max_noise: float) -> bool:
        """Whether the ratio is known well enough to be applied: its 95% uncertainty is
        within ±max_noise. A noisier calibration says the machines' speed was not one
        number during the runs, and dividing by it would move estimates by noise."""
        return self.uncertainty(measure) <= math.log1p(max_noise)

    def changed(self, measure: str = "wall") -> bool:
        """Whether the runner's speed differs beyond the calibration's own uncertainty."""
        r = self.ratio.get(measure)
        return r is not None and r > 0 and abs(math.log(r)) > self.uncertainty(measure)

    def ratio_text(self, measure: str = "wall") -> str:
        """"1.18x slower ±3%" / "1.04x faster ±2%": the ratio with its 95% uncertainty."""
        r = self.ratio[measure]
        size, way = (r, "slower") if r >= 1 else (1.0 / r, "faster")
        plus = math.expm1(self.uncertainty(measure)) * 100
        return f"{size:.2f}x {way} ±{plus:.0f}%"

    def describe(self) -> str:
        """"runner 1.18x slower" / "runner 1.04x faster" / "runner equally fast" (wall)."""
        r = self.ratio["wall"]
        if abs(r - 1.0) < 0.005:
            return "runner equally fast"
        return f"runner {r:.2f}x slower" if r > 1 else f"runner {1 / r:.2f}x faster"


def runner_speed(base: ResultsDocument, head: ResultsDocument) -> RunnerSpeed | None:
    """The runner-speed ratio between two runs; None unless both recorded the same workload."""
    b, h = calibration_of(base), calibration_of(head)
    if b is None or h is None or (b.workload or 0) != (h.workload or 0):
        return None
    ratio: dict[str, float] = {}
    log_se: dict[str, float] = {}
    swings: dict[str, float] = {}
    for measure in MEASURES:
        mb, mh = b.median(measure), h.median(measure)
        if not mb or not mh:
            return None
        ratio[measure] = mh / mb
        log_se[measure] = math.hypot(log_median_se(b, measure), log_median_se(h, measure))
        swings[measure] = max(swing(b, measure), swing(h, measure))
    notes: tuple[str, ...] = ()
    if b.python and h.python and b.python != h.python:
        notes = (
            f"the runs used different Pythons ({b.python} vs {h.python}); the calibration "
            "ratio includes the interpreters' difference",
        )
    return RunnerSpeed(
        ratio=ratio, log_se=log_se, base_n=b.n, head_n=h.n, notes=notes, swing=swings
    )
