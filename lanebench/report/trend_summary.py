"""The job summary's "Trends on main": the change points and drifts the record of main
runs shows, new ones first, each with its size, interval, p and commit range.

Pure: a `MainTrends` in, Markdown out. Names from the repository go through
`report.escape`; commit SHAs are hex (the history reader accepts nothing else).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from markupsafe import Markup

from lanebench.alerts import Alert
from lanebench.formatting import change_bounds, format_change, format_p, plural
from lanebench.main_trends import MainTrends
from lanebench.report.alert_issue import issue_title
from lanebench.report.escape import escape_markdown, escape_markdown_url
from lanebench.stats.trends import ChangeFinding

if TYPE_CHECKING:
    from lanebench.publish_alerts import AlertsOutcome

MAX_ROWS = 30
VERDICT_ICON = {"regression": "🔺", "improvement": "🔻"}


def _commit_link(sha: str, repository_url: str | None, path: str = "commit") -> str:
    url = escape_markdown_url(f"{repository_url.rstrip('/')}/{path}/{sha}") if repository_url else None
    return f"[`{sha[:7]}`]({url})" if url else f"`{sha[:7]}`"


def _range(alert: Alert, repository_url: str | None) -> str:
    if alert.kind == "drift":
        return f"{_commit_link(alert.start, repository_url)} to {_commit_link(alert.end, repository_url)}"
    text = f"after {_commit_link(alert.start, repository_url)}, by {_commit_link(alert.end, repository_url)}"
    url = (escape_markdown_url(f"{repository_url.rstrip('/')}/compare/{alert.start}...{alert.end}")
           if repository_url else None)
    return text + (f" ([compare]({url}))" if url else "")


def _size(alert: Alert) -> str:
    f = alert.finding
    if isinstance(f, ChangeFinding):
        c = f.change
        size = format_change(c.ratio - 1.0) if c.ratio is not None else "from zero"
        bounds = f" ({change_bounds(c.ci_low, c.ci_high)})" if c.ci_low is not None and c.ci_high is not None else ""
        return f"{size}{bounds}"
    d = f.drift
    size = format_change(d.ratio - 1.0) if d.ratio is not None else "—"
    bounds = f" ({change_bounds(d.ci_low, d.ci_high)})" if d.ci_low is not None and d.ci_high is not None else ""
    return f"{size}{bounds} over {plural(d.runs, 'run')}"


def _p(alert: Alert) -> str:
    f = alert.finding
    p = f.change.p_value if isinstance(f, ChangeFinding) else f.drift.p_value
    return format_p(p, 0.01)


def trend_summary_markdown(trends: MainTrends) -> Markup:
    """The section, a level-4 heading first."""
    history, report = trends.history, trends.report
    runs = history.runs
    lines = ["#### Trends on main", ""]
    if not runs:
        return Markup("\n".join([*lines, "No main runs recorded yet."]))
    url = trends.repository_url
    span = (f"{plural(len(runs), 'main run')} recorded, {_commit_link(runs[0].commit, url)} "
            f"({runs[0].date[:10]}) to {_commit_link(runs[-1].commit, url)} ({runs[-1].date[:10]})")
    findings = trends.findings
    # newest first: the order a reader acts in
    order = {run.commit: i for i, run in enumerate(runs)}
    findings.sort(key=lambda a: (not trends.is_new(a), -order.get(a.end, 0)))
    new = sum(trends.is_new(a) for a in findings)
    if not findings:
        short = [t for t in report.trends if t.detection.insufficient]
        why = (f"; {short[0].detection.insufficient}" if short and len(short) == len(report.trends)
               else "")
        lines.append(f"{span}: no change point or drift beyond the practical thresholds{why}.")
        return Markup("\n".join(lines))
    lines += [
        f"{span}: {plural(len(findings), 'finding')} beyond the practical thresholds, "
        f"{new} new in this run.",
        "",
        "| | Benchmark | Metric | Kind | Change (interval) | p | Commits |",
        "| :-- | :-- | :-- | :-- | --: | --: | :-- |",
    ]
    for alert in findings[:MAX_ROWS]:
        mark = "🆕 " if trends.is_new(alert) else ""
        kind = "change point" if alert.kind == "change" else "drift"
        lines.append(
            f"| {mark}{VERDICT_ICON.get(alert.verdict, '')} {alert.verdict} | "
            f"{escape_markdown(alert.benchmark)} | {escape_markdown(alert.label)} | {kind} | "
            f"{_size(alert)} | {_p(alert)} | {_range(alert, url)} |")
    if len(findings) > MAX_ROWS:
        lines += ["", f"_…and {len(findings) - MAX_ROWS} more: `lanebench history` lists them all._"]
    lines += ["", "<sub>A change point came with a commit after the first and up to the second "
              "(docs/trends.md). Alert issues: the action's `alert-issue` input.</sub>"]
    return Markup("\n".join(lines))


def alert_outcome_markdown(outcome: AlertsOutcome) -> Markup | None:
    """What the alert issues became in this run, each issue linked; None when nothing."""
    lines = []
    for what, refs in (("opened", outcome.created), ("updated", outcome.updated),
                       ("up to date", outcome.unchanged), ("left closed", outcome.closed)):
        for ref in refs:
            url = escape_markdown_url(ref.url)
            number = f"[#{ref.number}]({url})" if url else f"#{ref.number}"
            lines.append(f"- {what} {number}: {escape_markdown(issue_title(ref.alert))}")
    lines += [f"- not opened ({escape_markdown(why)}): {escape_markdown(issue_title(alert))}"
              for alert, why in outcome.held]
    lines += [f"- no longer found, left open: #{k.number}" for k in outcome.quiet]
    if not lines:
        return None
    return Markup("\n".join(["#### Trend alert issues", "", *lines, ""]))
