"""Trends over main's history: change points and creeping drift per benchmark x metric.

`analyse(history)` reads a `History` (lanebench.history_store) and returns what changed:

- a change point per level shift of a series (`stats.changepoint`), with the commit range
  it lies in: the last run before it measured `last_good`, the first run after it measured
  `first_bad`, so the change came with a commit in (last_good, first_bad];
- a drift per series whose last run moved from the run `window` runs before beyond the
  threshold (`stats.drift`) once the level shifts of the change points that are alerts of
  their own are taken out: what no single step explains.

Each finding has a verdict from the same rule as a pull request's (`verdict.decide`):
significant and able to reach the practical threshold δ of the metric's kind (config
`thresholds`) is a regression or an improvement; a significant change proven smaller than
δ is `unchanged`; the rest is inconclusive. Only regressions and improvements are alerts.

Time metrics are divided by the calibration median of the runner that measured them
(wall by the workload's wall time, CPU times by its CPU time), as a comparison is, when
every run of the series has one; otherwise they are analysed as measured and the series
says so. Times and memory are analysed on the log scale, I/O and counts raw.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from lanebench.calibration import NORMALIZED_BY, calibration_of
from lanebench.config.model import Thresholds
from lanebench.history_store import (
    DEFAULT_CONFIDENCE,
    BenchmarkPoint,
    History,
    HistoryError,
    MetricPoint,
    Runner,
    RunRecord,
)
from lanebench.metrics import metric as metric_info
from lanebench.results import ResultsDocument
from lanebench.stats.changepoint import ChangePoint, ChangePointSettings, Detection, Scale, detect
from lanebench.stats.drift import Drift, DriftSettings, drift
from lanebench.stats.model import Verdict
from lanebench.stats.statistic import statistic_interval
from lanebench.stats.verdict import decide

ALERTS: tuple[str, ...] = ("regression", "improvement")
TIME_INSTRUMENT = "time"


# --- one run's record -----------------------------------------------------------------------


def median_interval(values: Sequence[float], confidence: float) -> tuple[float, float] | None:
    """The distribution-free interval of the median: order statistics (binomial); None when
    the sample is too small to reach `confidence` (fewer than 6 values at 95%)."""
    return statistic_interval(values, "median", confidence)


def run_record(
    doc: ResultsDocument, *, runner_fingerprint: str, instruments: dict[str, str] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> RunRecord:
    """The history record of one results document (the caller names the runner, e.g. with
    `baseline.environment_digest(doc.environment)`). Benchmarks that did not finish with
    samples are left out: a failed run is no point of a series."""
    commit = (doc.run.commit or "").lower()
    if not commit:
        raise HistoryError(
            "results have no commit: a history point needs the commit the run measured",
            hint="run lanebench inside a git checkout",
        )
    calibration = calibration_of(doc)
    measures = {}
    if calibration is not None:
        for measure in ("wall", "cpu"):
            median = calibration.median(measure)
            if median is not None and median > 0:
                measures[measure] = median
    benchmarks: dict[str, BenchmarkPoint] = {}
    for bench in doc.benchmarks:
        if bench.status != "ok" or bench.n == 0:
            continue
        points = {}
        for name, values in bench.samples.items():
            if not values:
                continue
            interval = median_interval(values, confidence)
            points[name] = MetricPoint(
                median=float(statistics.median(values)), n=len(values),
                low=interval[0] if interval else None, high=interval[1] if interval else None,
                instrument=TIME_INSTRUMENT,
            )
        if points:
            benchmarks[bench.name] = BenchmarkPoint(metrics=points, runner=0)
    return RunRecord(
        commit=commit, date=doc.run.finished_at or doc.run.started_at or "",
        runners=(Runner(fingerprint=runner_fingerprint, calibration=measures),),
        benchmarks=benchmarks,
        instruments=instruments if instruments is not None else {TIME_INSTRUMENT: "lanebench"},
    )


# --- findings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendSettings:
    changepoint: ChangePointSettings = field(default_factory=ChangePointSettings)
    drift: DriftSettings = field(default_factory=DriftSettings)
    thresholds: Thresholds = field(default_factory=Thresholds)
    normalize: bool = True  # divide time metrics by the runner's calibration median


@dataclass(frozen=True)
class Series:
    """One benchmark x metric as analysed: one value per run that measured it."""

    benchmark: str
    metric: str
    kind: str
    scale: Scale
    normalized: bool
    runs: tuple[int, ...]  # index into History.runs of each value
    commits: tuple[str, ...]
    values: tuple[float, ...]  # medians, divided by the calibration median when normalized
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangeFinding:
    series: Series
    change: ChangePoint
    last_good: str  # commit of the last run before the change
    first_bad: str  # commit of the first run after it: the change came in (last_good, first_bad]
    threshold: float
    verdict: Verdict
    reason: str
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return alert_key(self.series.benchmark, self.series.metric, self.first_bad)


@dataclass(frozen=True)
class DriftFinding:
    series: Series
    drift: Drift  # measured after the level shifts of `removed` were taken out
    since: str  # commit of the window's first run
    until: str  # commit of its last run
    threshold: float
    verdict: Verdict
    reason: str
    removed: tuple[ChangeFinding, ...]  # alerted change points inside the window, reported on their own
    largest_step: ChangeFinding | None  # the largest change point inside the window, if any

    @property
    def reported(self) -> bool:
        """Beyond the threshold even without the steps that are alerts of their own."""
        return self.verdict in ALERTS


@dataclass(frozen=True)
class SeriesTrend:
    series: Series
    detection: Detection
    changes: tuple[ChangeFinding, ...]
    drift: DriftFinding | None


@dataclass(frozen=True)
class TrendReport:
    runs: int
    trends: tuple[SeriesTrend, ...]

    @property
    def changes(self) -> list[ChangeFinding]:
        return [c for t in self.trends for c in t.changes]

    @property
    def alerts(self) -> list[ChangeFinding]:
        return [c for c in self.changes if c.verdict in ALERTS]

    @property
    def drifts(self) -> list[DriftFinding]:
        return [t.drift for t in self.trends if t.drift is not None and t.drift.reported]


def alert_key(benchmark: str, metric: str, first_bad: str) -> str:
    """A stable, marker-safe identity of a change (hex: no `-->` can appear in it)."""
    text = json.dumps([benchmark, metric, first_bad], ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _scale_for(kind: str, values: Sequence[float]) -> Scale:
    return "log" if kind in ("time", "memory") and all(v > 0 for v in values) else "raw"


def build_series(history: History, benchmark: str, metric: str, normalize: bool = True) -> Series:
    """The analysed values of one benchmark x metric, normalised by calibration when every
    run of it has the measure that normalises it."""
    info = metric_info(metric)
    points = history.series(benchmark, metric)
    runs = tuple(i for i, _ in points)
    commits = tuple(history.runs[i].commit for i in runs)
    values = [p.median for _, p in points]
    notes: list[str] = []
    normalized = False
    measure = NORMALIZED_BY.get(metric)
    if normalize and info.kind == "time" and measure is not None and values:
        factors = []
        for i in runs:
            runner = history.runs[i].runner_of(benchmark)
            factors.append(runner.calibration.get(measure) if runner is not None else None)
        missing = sum(f is None for f in factors)
        if missing == 0:
            values = [v / f for v, f in zip(values, factors, strict=True) if f is not None]
            normalized = True
        else:
            notes.append(
                f"not normalised by calibration: {missing} of {len(factors)} runs have no "
                f"{measure} calibration"
            )
    instruments = {p.instrument for _, p in points}
    if len(instruments) > 1:
        notes.append(f"measured by {len(instruments)} instruments: {', '.join(sorted(instruments))}")
    return Series(
        benchmark=benchmark, metric=metric, kind=info.kind, scale=_scale_for(info.kind, values),
        normalized=normalized, runs=runs, commits=commits, values=tuple(values), notes=tuple(notes),
    )


def _boundary_notes(history: History, series: Series, index: int) -> tuple[str, ...]:
    """What else changed between the runs on either side of a change point."""
    before = history.runs[series.runs[index - 1]]
    after = history.runs[series.runs[index]]
    notes = []
    a, b = before.runner_of(series.benchmark), after.runner_of(series.benchmark)
    if a is not None and b is not None and a.fingerprint != b.fingerprint:
        notes.append("the runner's fingerprint differs on either side of the change")
    pa = before.benchmarks[series.benchmark].metrics[series.metric]
    pb = after.benchmarks[series.benchmark].metrics[series.metric]
    fa, fb = before.instruments.get(pa.instrument), after.instruments.get(pb.instrument)
    if pa.instrument != pb.instrument or fa != fb:
        notes.append(
            f"the instrument changed on either side of the change ({pa.instrument} {fa or ''} -> "
            f"{pb.instrument} {fb or ''})".replace("  ", " ")
        )
    gap = series.runs[index] - series.runs[index - 1] - 1
    if gap:
        notes.append(f"{gap} run{'s' if gap != 1 else ''} between did not measure it")
    return tuple(notes)


def _change_finding(
    history: History, series: Series, change: ChangePoint, threshold: float, alpha: float
) -> ChangeFinding:
    verdict, reason = decide(
        change.ratio, change.ci_low, change.ci_high, change.p_value,
        alpha=alpha, threshold=threshold, confidence=change.confidence,
        shift_sign=change.direction,
    )
    return ChangeFinding(
        series=series, change=change, last_good=series.commits[change.index - 1],
        first_bad=series.commits[change.index], threshold=threshold, verdict=verdict,
        reason=_plain_p(reason), notes=_boundary_notes(history, series, change.index),
    )


def _plain_p(reason: str) -> str:
    # `decide` words its p-value for a pull request's comparison, where it is adjusted
    # across the run's metrics; a trend's p is each series' own.
    return reason.replace("adjusted p", "p")


def without_steps(values: Sequence[float], changes: Sequence[ChangeFinding], runs: int) -> list[float]:
    """`values` with the level shift of every alerted change point taken out: what is left
    is the drift no one step explains. Each shift is measured locally, as the ratio of the
    medians of the `runs` runs on either side of the change, not as the change's size
    (which compares whole segments, and so would count a drift that follows the step into
    the step and take it out too)."""
    out = list(values)
    for c in changes:
        i = c.change.index
        if c.verdict not in ALERTS:
            continue
        before = statistics.median(out[max(0, i - runs):i])
        after = statistics.median(out[i:i + runs])
        if before > 0 and after > 0:
            out[i:] = [v * before / after for v in out[i:]]
    return out


def _drift_finding(
    series: Series, changes: Sequence[ChangeFinding], threshold: float, settings: TrendSettings
) -> DriftFinding | None:
    values = without_steps(series.values, changes, settings.changepoint.min_size)
    found = drift(values, scale=series.scale, settings=settings.drift)
    if found is None:
        return None
    verdict, reason = decide(
        found.ratio, found.ci_low, found.ci_high, found.p_value, alpha=settings.drift.alpha,
        threshold=threshold, confidence=found.confidence,
        shift_sign=(found.slope > 0) - (found.slope < 0),
    )
    inside = [c for c in changes if found.start < c.change.index < found.stop]
    largest = max(inside, key=lambda c: abs(math.log(c.change.ratio or 1.0)), default=None)
    return DriftFinding(
        series=series, drift=found, since=series.commits[found.start], until=series.commits[-1],
        threshold=threshold, verdict=verdict, reason=_plain_p(reason),
        removed=tuple(c for c in inside if c.verdict in ALERTS), largest_step=largest,
    )


def analyse_series(history: History, series: Series, settings: TrendSettings) -> SeriesTrend:
    threshold = settings.thresholds.for_metric(series.metric, series.kind)
    detection = detect(
        series.values, scale=series.scale, settings=settings.changepoint,
        counts=[history.runs[i].benchmarks[series.benchmark].metrics[series.metric].n for i in series.runs],
    )
    alpha = detection.settings.significance
    changes = tuple(_change_finding(history, series, c, threshold, alpha) for c in detection.change_points)
    return SeriesTrend(
        series=series, detection=detection, changes=changes,
        drift=_drift_finding(series, changes, threshold, settings),
    )


def analyse(history: History, settings: TrendSettings | None = None, *,
            metrics: Collection[str] | None = None) -> TrendReport:
    """Change points and drift of every benchmark x metric in the history (of `metrics`
    only, when given: a pull request's comment draws wall time alone)."""
    settings = settings or TrendSettings()
    trends = tuple(
        analyse_series(history, build_series(history, bench, metric, settings.normalize), settings)
        for bench, metric in history.keys() if metrics is None or metric in metrics
    )
    return TrendReport(runs=len(history.runs), trends=trends)
