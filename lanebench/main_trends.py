"""Trends on main as a job sees them: the record of main runs analysed, and which findings
this run brought.

The baseline job appends its run to the record (`baseline.append_main_run`), analyses it
(`stats.trends.analyse`) and writes what it found to its job summary; a change point or
a drift is *new* when the record without this run did not already show it. The pull
request job draws main's wall-time trend in its comment from the baseline's record.

"New" is decided by analysing again, without the newest run, only the series that have
a finding now (the others cannot have a new one), and matching as an alert issue does
(`alerts.MATCH_RUNS`): the same verdict, and first-bad runs within that many runs of
each other, since the first-bad run of one real change can move by a run or two as
runs accumulate.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from lanebench.alerts import MATCH_RUNS, Alert, alerts_from
from lanebench.config.model import Thresholds
from lanebench.history_store import History
from lanebench.stats.trends import (
    ALERTS,
    SeriesTrend,
    TrendReport,
    TrendSettings,
    analyse,
    analyse_series,
    build_series,
)


@dataclass(frozen=True)
class MainTrends:
    """The record of main runs and its analysis, as the reports show it."""

    history: History
    report: TrendReport
    new: frozenset[str] = field(default_factory=frozenset)  # `Alert.key` of findings new in this run
    repository_url: str | None = None  # links commits and compare views when known
    list_findings: bool = True  # the baseline job lists them; a pull request only draws the trend

    @property
    def findings(self) -> list[Alert]:
        """Change points and reported drifts that are regressions or improvements."""
        return alerts_from(self.report, improvements=True)

    def is_new(self, alert: Alert) -> bool:
        return alert.key in self.new


def main_trends(
    history: History,
    thresholds: Thresholds,
    *,
    metrics: Collection[str] | None = None,
    repository_url: str | None = None,
    list_findings: bool = True,
    find_new: bool = True,
) -> MainTrends:
    """Analyse `history`; with `find_new` (the job's own run is the newest record), also
    say which findings that run brought."""
    settings = TrendSettings(thresholds=thresholds)
    report = analyse(history, settings, metrics=metrics)
    new = _new_keys(history, report, settings) if find_new else frozenset()
    return MainTrends(history=history, report=report, new=new, repository_url=repository_url,
                      list_findings=list_findings)


def _new_keys(history: History, report: TrendReport, settings: TrendSettings) -> frozenset[str]:
    findings = alerts_from(report, improvements=True)
    if len(history.runs) < 2:
        return frozenset(a.key for a in findings)
    previous = History(runs=history.runs[:-1], confidence=history.confidence)
    position = {run.commit: i for i, run in enumerate(history.runs)}
    before: dict[tuple[str, str], SeriesTrend] = {}
    new: set[str] = set()
    for alert in findings:
        series = (alert.benchmark, alert.metric)
        if series not in before:
            before[series] = analyse_series(
                previous, build_series(previous, *series, normalize=settings.normalize), settings)
        if not _seen(alert, before[series], position):
            new.add(alert.key)
    return frozenset(new)


def _seen(alert: Alert, before: SeriesTrend, position: dict[str, int]) -> bool:
    if alert.kind == "drift":
        d = before.drift
        return d is not None and d.reported and d.verdict == alert.verdict
    here = position[alert.end]
    return any(
        c.verdict == alert.verdict and c.verdict in ALERTS
        and abs(position.get(c.first_bad, -10**9) - here) <= MATCH_RUNS
        for c in before.changes
    )
