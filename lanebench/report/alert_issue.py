"""The text of a trend alert issue: title, Markdown body, and the commits of its range.

Pure: an `alerts.Alert` and the commits GitHub listed for its range (as plain data) in,
text out. Everything that came from the repository (benchmark names, commit subjects,
authors, pull request titles) goes through `report.escape`; the body's Markdown template
escapes every value it is given unless it is marked safe.

The body starts with the alert's marker (`alerts.Alert.marker`). The commits section is
fenced by its own markers naming the range it lists, so a later run whose range is the
same can reuse it instead of asking GitHub again (`reusable_commits`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

from lanebench import __version__
from lanebench.alerts import Alert
from lanebench.formatting import (
    confidence_text,
    format_change,
    format_percent,
    format_value,
    p_text,
)
from lanebench.metrics import metric as metric_info
from lanebench.report.escape import escape_markdown, escape_markdown_url, plain_line
from lanebench.report.templating import markdown_environment
from lanebench.stats.changepoint import Segment
from lanebench.stats.trends import ChangeFinding, DriftFinding, Series

TITLE_NAME_LIMIT = 80  # characters of a benchmark name in a title
_COMMITS_END = "<!-- /lanebench-trend-commits -->"
_COMMITS_BLOCK = re.compile(
    r"<!-- lanebench-trend-commits start=(?P<start>[0-9a-f]{7,64}) end=(?P<end>[0-9a-f]{7,64}) "
    r"complete=(?P<complete>yes|no) -->"
    r".*?" + re.escape(_COMMITS_END),
    re.DOTALL,
)


@dataclass(frozen=True)
class PullLink:
    number: int
    title: str
    url: str


@dataclass(frozen=True)
class RangeCommit:
    sha: str
    subject: str
    author: str
    url: str
    pulls: tuple[PullLink, ...] = ()


@dataclass(frozen=True)
class CommitListing:
    """The commits after the range's start up to its end, oldest first, as listed."""

    commits: tuple[RangeCommit, ...]
    total: int  # commits in the range, listed or not
    compare_url: str = ""


def issue_title(alert: Alert) -> str:
    """One line, rounded so that a run that sharpens the estimate leaves it unchanged."""
    name = plain_line(alert.benchmark)
    if len(name) > TITLE_NAME_LIMIT:
        name = name[: TITLE_NAME_LIMIT - 1] + "…"
    what = plain_line(_lower_first(alert.label))  # an unknown metric's label is its name, from the file
    ratio = _ratio(alert)
    size = f"{(ratio - 1.0) * 100:+.0f}%" if ratio is not None else (
        "up from zero" if alert.direction == "up" else "down")
    if alert.kind == "drift":
        assert isinstance(alert.finding, DriftFinding)
        return (f"lanebench: {name} {what} drifted {size} over {alert.finding.drift.runs} "
                f"main runs to {alert.end[:7]}")
    return f"lanebench: {name} {what} {size} on main at {alert.end[:7]}"


def _lower_first(label: str) -> str:
    """"Wall time" -> "wall time"; "CPU time" stays."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _ratio(alert: Alert) -> float | None:
    if isinstance(alert.finding, ChangeFinding):
        return alert.finding.change.ratio
    return alert.finding.drift.ratio


def _commit_link(sha: str, repository_url: str | None) -> Markup:
    short = f"`{sha[:7]}`"
    url = escape_markdown_url(f"{repository_url}/commit/{sha}") if repository_url else None
    return Markup(f"[{short}]({url})" if url else short)


def _safe_url(url: str) -> Markup | None:
    safe = escape_markdown_url(url) if url else None
    return Markup(safe) if safe else None


def _link(text: str, url: str | None) -> Markup:
    safe = escape_markdown_url(url) if url else None
    shown = escape_markdown(text)
    return Markup(f"[{shown}]({safe})") if safe else shown


def commits_section(alert: Alert, listing: CommitListing | None, *, repository_url: str | None,
                    note: str = "") -> str:
    """The commits of the alert's range with their pull requests, fenced by markers that
    name the range. `note` says what GitHub did not list, and why; a section with a note
    (or without a listing) is asked for again by the next run, a complete one is reused."""
    rows = []
    if listing is not None:
        for c in listing.commits:
            pulls = [_link(f"#{p.number} {p.title}", p.url) for p in c.pulls]
            rows.append(Markup(
                f"- {_commit_link(c.sha, repository_url)} {escape_markdown(c.subject)}"
                + (f" ({escape_markdown(c.author)})" if c.author else "")
                + (" · " + ", ".join(pulls) if pulls else "")
            ))
    more = listing.total - len(listing.commits) if listing is not None else 0
    compare = listing.compare_url if listing is not None and listing.compare_url else (
        f"{repository_url}/compare/{alert.start}...{alert.end}" if repository_url else "")
    template = markdown_environment().get_template("alert_commits.md.j2")
    text = template.render(
        start=alert.start, end=alert.end, complete="no" if note or listing is None else "yes",
        kind=alert.kind, rows=rows, more=more,
        total=listing.total if listing is not None else None,
        compare=_safe_url(compare),
        first=_commit_link(alert.start, repository_url), last=_commit_link(alert.end, repository_url),
        note=note,
    )
    return text.strip() + "\n"


def reusable_commits(body: str, alert: Alert) -> str | None:
    """The commits section of an earlier body when it lists the same range completely
    (every commit GitHub had, each with its pull requests asked for), else None."""
    for found in _COMMITS_BLOCK.finditer(body or ""):
        if (found["start"], found["end"], found["complete"]) == (alert.start, alert.end, "yes"):
            return found.group(0) + "\n"
    return None


def _segment_value(series: Series, value: float) -> str:
    if series.normalized:
        return f"{value:.4g}"  # a multiple of the calibration workload's time (the row says so)
    return format_value(value, metric_info(series.metric).unit)


def _spread(segment: Segment) -> str:
    return format_percent(segment.spread) if segment.spread is not None else "—"


def _interval(low: float | None, high: float | None, confidence: float) -> str:
    if low is None or high is None:
        return "no interval"
    return f"{confidence_text(confidence)} interval {format_change(low - 1.0)} to {format_change(high - 1.0)}"


def _largest(finding: DriftFinding) -> tuple[str, str, str] | None:
    step = finding.largest_step
    if step is None:
        return None
    size = format_change(step.change.ratio - 1.0) if step.change.ratio is not None else "—"
    return size, step.first_bad, step.verdict


def issue_body(alert: Alert, *, commits: str, label: str) -> str:
    """The issue's Markdown body: marker, what changed with its numbers, the commits
    (`commits_section` or `reusable_commits`), and what a maintainer can do."""
    finding = alert.finding
    series = finding.series
    template = markdown_environment().get_template("alert_issue.md.j2")
    values: dict[str, object] = {
        "marker": Markup(alert.marker),
        "alert": alert,
        "benchmark": series.benchmark,
        "metric_label": alert.label,
        "commits": Markup(commits),
        "label": label,
        "version": __version__,
        "normalized": series.normalized,
        "notes": [*series.notes, *getattr(finding, "notes", ())],
        "verdict": finding.verdict,
        "reason": finding.reason,
        "threshold": f"±{finding.threshold * 100:g}%",
    }
    if isinstance(finding, ChangeFinding):
        c = finding.change
        values.update(
            size=format_change(c.ratio - 1.0) if c.ratio is not None else "from zero",
            interval=_interval(c.ci_low, c.ci_high, c.confidence),
            p=p_text(c.p_value, 0.01, digits=2),
            before=c.before, after=c.after,
            before_median=_segment_value(series, c.before.median),
            after_median=_segment_value(series, c.after.median),
            before_spread=_spread(c.before), after_spread=_spread(c.after),
        )
    else:
        d = finding.drift
        values.update(
            size=format_change(d.ratio - 1.0) if d.ratio is not None else "—",
            interval=_interval(d.ci_low, d.ci_high, d.confidence),
            p=p_text(d.p_value, 0.001, digits=2),
            runs=d.runs,
            removed=[(r.first_bad, format_change(r.change.ratio - 1.0) if r.change.ratio else "—")
                     for r in finding.removed],
            largest=_largest(finding),
        )
    return template.render(**values).strip() + "\n"
