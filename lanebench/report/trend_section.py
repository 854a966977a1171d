"""Trends on main in HTML: one chart per benchmark x metric, change points and drift marked.

Pure: a `History` (lanebench.history_store) and its analysis (`stats.trends.analyse`) in,
HTML out. `trend_section_html` is the dashboard's section; `trend_page_html` the same
section as a page of its own (what `lanebench history --html` writes). Both are as
self-contained as the dashboard: inline CSS and SVG, no script, no network.

Each chart draws what the change-point search analysed: the run medians, divided by the
runner's calibration time when the series is normalised (the axis then reads in
multiples of it), each with its interval scaled alike; the level between change points;
change points as dashed rules labelled with their size; a reported drift's window shaded.
Under each chart the change points and the drift are listed with their numbers and the
commits linked, so keyboard and screen-reader users reach the same links (the chart
itself is one image with a text alternative).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from lanebench import __version__
from lanebench.formatting import format_change, format_value, plural
from lanebench.history_store import History
from lanebench.metrics import metric as metric_info
from lanebench.report.escape import escape_markdown_url
from lanebench.report.svg import TrendLevel, TrendMark, TrendRun, trend_svg
from lanebench.report.templating import html_environment
from lanebench.stats.trends import ALERTS, SeriesTrend, TrendReport

MAX_CHARTS = 40  # series drawn; the rest are counted (alerts and change points come first)
X_TICKS = 6


@dataclass
class CommitRef:
    sha: str
    url: str | None

    @property
    def short(self) -> str:
        return self.sha[:7]


@dataclass
class ChangeItem:
    size: str
    verdict: str
    reason: str
    last_good: CommitRef
    first_bad: CommitRef
    compare_url: str | None
    notes: list[str] = field(default_factory=list)


@dataclass
class DriftItem:
    size: str
    runs: int
    verdict: str
    reason: str
    since: CommitRef
    until: CommitRef


@dataclass
class TrendChart:
    benchmark: str
    metric: str
    label: str
    runs: int
    svg: Markup
    changes: list[ChangeItem]
    drift: DriftItem | None
    notes: list[str]
    alert: bool  # a regression or an improvement: shown open

    @property
    def verdicts(self) -> list[str]:
        return [c.verdict for c in self.changes] + ([self.drift.verdict] if self.drift else [])


@dataclass
class TrendSection:
    runs: int
    first: CommitRef | None
    last: CommitRef | None
    first_date: str
    last_date: str
    charts: list[TrendChart]
    hidden: int  # series not drawn (beyond `max_charts`)
    alerts: int


class _Links:
    def __init__(self, repository_url: str | None) -> None:
        self.base = repository_url.rstrip("/") if repository_url else None

    def commit(self, sha: str) -> CommitRef:
        return CommitRef(sha, self._url(f"/commit/{sha}"))

    def compare(self, base: str, head: str) -> str | None:
        return self._url(f"/compare/{base}...{head}")

    def _url(self, path: str) -> str | None:
        return escape_markdown_url(self.base + path) if self.base else None


def _value_text(value: float, unit: str) -> str:
    return f"{value:.4g}× calibration" if unit == "ratio" else format_value(value, unit)


def _importance(trend: SeriesTrend) -> int:
    verdicts = [c.verdict for c in trend.changes]
    if trend.drift is not None and trend.drift.reported:
        verdicts.append(trend.drift.verdict)
    if "regression" in verdicts:
        return 0
    if "improvement" in verdicts:
        return 1
    return 2 if trend.changes else 3


def _chart(history: History, trend: SeriesTrend, links: _Links) -> TrendChart:
    series = trend.series
    info = metric_info(series.metric)
    unit = "ratio" if series.normalized else info.unit
    runs = []
    for k, (index, value) in enumerate(zip(series.runs, series.values, strict=True)):
        record = history.runs[index]
        point = record.benchmarks[series.benchmark].metrics[series.metric]
        # the interval scaled as the value was (by the run's calibration when normalised)
        scale = value / point.median if point.median else 1.0
        low = point.low * scale if point.low is not None else None
        high = point.high * scale if point.high is not None else None
        tip = f"run {k + 1}: {record.commit[:7]} · {record.date[:10]} · {_value_text(value, unit)}"
        if low is not None and high is not None:
            tip += f" (median's interval {_value_text(low, unit)} to {_value_text(high, unit)})"
        runs.append(TrendRun(value, low, high, tip))
    marks = [TrendMark(c.change.index, c.verdict,
                       format_change(c.change.ratio - 1.0) if c.change.ratio is not None else "from 0")
             for c in trend.changes]
    levels = [TrendLevel(s.start, s.stop, s.median) for s in trend.detection.segments]
    drift = trend.drift if trend.drift is not None and trend.drift.reported else None
    count = len(series.values)
    ticks = sorted({round(i * (count - 1) / (X_TICKS - 1)) for i in range(X_TICKS)}) if count > 1 else [0]
    what = f"{series.benchmark}, {info.label}: {plural(count, 'main run')}, " + (
        plural(len(trend.changes), "change point") + (", a drift" if drift else ""))
    svg = trend_svg(
        runs, marks=marks, levels=levels,
        window=(drift.drift.start, drift.drift.stop - 1) if drift else None,
        window_verdict=drift.verdict if drift else "", unit=unit,
        x_labels=[(i, series.commits[i][:7]) for i in ticks], title=what,
    )
    changes = [
        ChangeItem(
            size=format_change(c.change.ratio - 1.0) if c.change.ratio is not None else "from zero",
            verdict=c.verdict, reason=c.reason, last_good=links.commit(c.last_good),
            first_bad=links.commit(c.first_bad), compare_url=links.compare(c.last_good, c.first_bad),
            notes=list(c.notes),
        )
        for c in trend.changes
    ]
    drift_item = None
    if drift is not None:
        d = drift.drift
        drift_item = DriftItem(
            size=format_change(d.ratio - 1.0) if d.ratio is not None else "—",
            runs=d.runs,
            verdict=drift.verdict, reason=drift.reason, since=links.commit(drift.since),
            until=links.commit(drift.until),
        )
    notes = list(series.notes)
    if series.normalized:
        notes.append("values are divided by the runner's calibration workload time (the axis reads in "
                     "multiples of it)")
    if trend.detection.insufficient:
        notes.append(trend.detection.insufficient)
    return TrendChart(
        benchmark=series.benchmark, metric=series.metric, label=info.label, runs=count, svg=svg,
        changes=changes, drift=drift_item, notes=notes,
        alert=any(c.verdict in ALERTS for c in trend.changes) or drift is not None,
    )


def trend_section(history: History, report: TrendReport, *, repository_url: str | None = None,
                  max_charts: int = MAX_CHARTS) -> TrendSection:
    """The section's content: the most important `max_charts` series, charted."""
    links = _Links(repository_url)
    ordered = sorted(report.trends, key=_importance)  # stable: the history's order within a rank
    drawn = [t for t in ordered if t.series.values][:max(max_charts, 0)]
    runs = history.runs
    return TrendSection(
        runs=len(runs),
        first=links.commit(runs[0].commit) if runs else None,
        last=links.commit(runs[-1].commit) if runs else None,
        first_date=runs[0].date[:10] if runs else "", last_date=runs[-1].date[:10] if runs else "",
        charts=[_chart(history, t, links) for t in drawn],
        hidden=sum(1 for t in ordered if t.series.values) - len(drawn),
        alerts=len(report.alerts) + len(report.drifts),
    )


def trend_section_html(history: History, report: TrendReport, *, repository_url: str | None = None,
                       max_charts: int = MAX_CHARTS) -> Markup:
    """The dashboard's "Trends on main" section (a `<section>` element)."""
    section = trend_section(history, report, repository_url=repository_url, max_charts=max_charts)
    template = html_environment().get_template("trend_section.html.j2")
    return Markup(template.render(section=section))


def trend_page_html(history: History, report: TrendReport, *, repository_url: str | None = None,
                    title: str = "lanebench history", max_charts: int = MAX_CHARTS) -> str:
    """The section as a page of its own, styled like the dashboard."""
    section = trend_section_html(history, report, repository_url=repository_url, max_charts=max_charts)
    template = html_environment().get_template("trend_page.html.j2")
    return template.render(title=title, section=section, version=__version__)
