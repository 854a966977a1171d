"""The PR comment and the job summary: one Markdown template, two size limits.

GitHub rejects a comment over 65,536 characters and a step summary over 1 MiB. When a
report would not fit, it is shrunk in steps: first the collapsed extras (full statistics,
lane trace, passed rules, environment) go, then table rows from the least important up
(unchanged first), with a note saying what was left out and where the full report is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from markupsafe import Markup

from lanebench import __version__
from lanebench.calibration import calibration_of
from lanebench.formatting import (
    confidence_text,
    format_change,
    format_interval,
    format_p,
    format_percent,
)
from lanebench.limits import COMMENT_LIMIT, SUMMARY_LIMIT
from lanebench.main_trends import MainTrends
from lanebench.report.context import ReportContext
from lanebench.report.mermaid import change_chart, history_chart, trend_chart
from lanebench.report.templating import markdown_environment
from lanebench.report.trend_summary import trend_summary_markdown
from lanebench.report.view import (
    Group,
    ReportView,
    build_view,
    describe,
    finding_message,
    interval_levels,
)
from lanebench.stats.model import MetricComparison

COMMENT_MARKER = "<!-- lanebench:comment -->"
_KEY_CHARS = re.compile(r"[^A-Za-z0-9._/-]")


def comment_marker(key: str | None = None) -> str:
    """The hidden line that identifies lanebench's comment (one per `key` on a PR)."""
    if not key:
        return COMMENT_MARKER
    return f"<!-- lanebench:comment:{_KEY_CHARS.sub('_', key)[:100]} -->"


def utf16_length(text: str) -> int:
    """Length as GitHub's API may count it (UTF-16 code units); never less than len()."""
    return len(text.encode("utf-16-le")) // 2


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True)
class Options:
    target: str  # "comment" or "summary"
    details: bool = True  # collapsed extras: lane trace, passed rules, environment, stderr
    full_statistics: bool = True
    max_rows: int | None = None  # None: every row
    max_findings: int = 50
    max_advice: int = 10
    max_failures: int = 20
    max_skipped: int = 50


COMMENT_OPTIONS = Options("comment")
SUMMARY_OPTIONS = Options("summary", max_findings=500, max_advice=50, max_failures=100, max_skipped=500)


def render_comment(ctx: ReportContext, *, limit: int = COMMENT_LIMIT) -> str:
    """The sticky PR comment, starting with its hidden marker; at most `limit` characters."""
    return comment_from_view(build_view(ctx), limit=limit)


def render_summary(ctx: ReportContext, *, limit: int = SUMMARY_LIMIT) -> str:
    """The job summary for $GITHUB_STEP_SUMMARY; at most `limit` bytes of UTF-8."""
    return summary_from_view(build_view(ctx), limit=limit)


def comment_from_view(view: ReportView, *, limit: int = COMMENT_LIMIT) -> str:
    # The marker comes first: a reply quoting the comment then never passes for it.
    marker = comment_marker(view.ctx.key)
    body = _render_limited(view, COMMENT_OPTIONS, limit - utf16_length(marker) - 2, utf16_length)
    return f"{marker}\n{body.strip()}\n"


def summary_from_view(view: ReportView, *, limit: int = SUMMARY_LIMIT) -> str:
    return _render_limited(view, SUMMARY_OPTIONS, limit, utf8_length)


ROW_PROBE = 100  # rows rendered to estimate the size of a row, for large reports


def _render_limited(view: ReportView, opt: Options, limit: int, measure: Callable[[str], int]) -> str:
    collapsed = replace(opt, details=False, full_statistics=False)
    total = len(view.rows)
    if total > 4 * ROW_PROBE:
        # Large report: estimate from two small renders which step will fit, instead of
        # rendering every row several times over.
        for candidate in (opt, collapsed):
            empty = measure(_render(view, replace(candidate, max_rows=0)))
            probe = measure(_render(view, replace(candidate, max_rows=ROW_PROBE)))
            per_row = (probe - empty) / ROW_PROBE
            if empty + per_row * total <= limit * 0.97:
                text = _render(view, candidate)
                if measure(text) <= limit:
                    return text
        return _truncated(view, collapsed, limit, measure, empty, per_row)
    text = _render(view, opt)
    if measure(text) <= limit:
        return text
    text = _render(view, collapsed)
    if measure(text) <= limit:
        return text
    empty = measure(_render(view, replace(collapsed, max_rows=0)))
    per_row = max(1.0, (measure(text) - empty) / max(total, 1))
    return _truncated(view, collapsed, limit, measure, empty, per_row)


def _truncated(view: ReportView, opt: Options, limit: int, measure: Callable[[str], int],
               empty: int, per_row: float) -> str:
    """Keep the most important rows that fit (rows are sorted: unchanged ones go first)."""
    total = len(view.rows)
    keep = max(0, min(total - 1, int((limit - empty) / max(per_row, 1.0) * 0.98)))
    while True:
        text = _render(view, replace(opt, max_rows=keep))
        if measure(text) <= limit or keep == 0:
            break
        keep = max(0, int(keep * 0.9) - 1)
    if measure(text) > limit:
        text = _hard_truncate(text, limit, measure, view)
    return text


def _render(view: ReportView, opt: Options) -> str:
    rows = view.rows if opt.max_rows is None else view.rows[: opt.max_rows]
    # Unchanged comparisons go into one collapsed table: the open tables show what moved.
    quiet = [r for r in rows if r.verdict == "unchanged"]
    kept = {id(r) for r in rows if r.verdict != "unchanged"}
    groups = [Group(g.kind, g.icon, g.title, [r for r in g.rows if id(r) in kept]) for g in view.groups]
    groups = [g for g in groups if g.rows]
    kinds = [g.kind for g in view.groups]
    quiet.sort(key=lambda r: (kinds.index(r.kind), r.order))
    ctx = view.ctx
    template = markdown_environment().get_template("report.md.j2")
    return template.render(
        view=view,
        opt=opt,
        groups=groups,
        rows=rows,
        quiet=quiet,
        omitted=_omitted_note(view, len(view.rows) - len(rows)),
        chart=change_chart(view.rows) if view.mode == "compare" else None,
        trend=_trend(view),
        trend_findings=(trend_summary_markdown(ctx.trends)
                        if ctx.trends is not None and ctx.trends.list_findings
                        and opt.target == "summary" else None),
        runs_line=_runs_line(view),
        links_line=_links_line(view),
        small_print=_small_print(view, opt),
        ci_label=Markup(_ci_label(view)),
        ratio=_ratio_cell,
        pct=lambda x: Markup(format_percent(x)),
        pval=lambda p: Markup(format_p(p, view.alpha)),
        version=__version__,
        message=finding_message,
    )


def _omitted_note(view: ReportView, n: int) -> Markup | None:
    if n <= 0:
        return None
    dropped = view.rows[len(view.rows) - n :]
    by_verdict: dict[str, int] = {}
    for r in dropped:
        by_verdict[r.verdict] = by_verdict.get(r.verdict, 0) + 1
    what = ", ".join(f"{k} {v}" for v, k in sorted(((v, k) for k, v in by_verdict.items()), reverse=True))
    where = (
        f"in the [full report]({view.links['report']})"
        if "report" in view.links
        else "in the HTML and CSV reports"
    )
    return Markup(
        f"{n} of {len(view.rows)} rows left out to fit GitHub's size limit ({what}); "
        f"every row is {where}."
    )


def _runs_line(view: ReportView) -> Markup:
    from lanebench.report.escape import escape_markdown as md

    parts = []
    for label, run in (("head", view.head_run), ("baseline", view.base_run)):
        if run is None or not (run.commit or run.ref):
            continue
        text = f"{label} {md(run.commit)}" if run.commit else label
        if run.ref:
            text += f" ({md(run.ref)})"
        parts.append(text)
    return Markup(" vs ".join(parts) if parts else "")


def _small_print(view: ReportView, opt: Options) -> Markup:
    """Title, runs compared, settings and links, joined without empty parts."""
    from lanebench.report.escape import escape_markdown as md

    parts: list[str] = []
    if view.ctx.title != "lanebench" and opt.target != "summary":
        parts.append(f"**{md(view.ctx.title)}**")
    parts.append(_runs_line(view))
    parts.extend(md(s) for s in view.settings)
    if view.links:
        parts.append(_links_line(view))
    return Markup(" · ".join(p for p in parts if p))


def _links_line(view: ReportView) -> Markup:
    names = {"run": "workflow run", "report": "full report", "baseline": "baseline"}
    return Markup(" · ".join(f"[{names[k]}]({url})" for k, url in view.links.items()))


def _ci_label(view: ReportView) -> str:
    levels = interval_levels(view.ctx)
    if levels is not None and levels[0] == levels[1] and 0 < levels[0] < 1:
        return f"[{confidence_text(levels[0])} CI]"
    return "[CI]"


def _ratio_cell(m: MetricComparison) -> Markup:
    if m.ratio is None:
        return Markup("—")
    return Markup(f"{m.ratio:.3f} {format_interval(m.ci_low, m.ci_high)} ({format_change(m.change)})")


def _trend(view: ReportView) -> Markup | None:
    """Main's trend: from the record of main runs when there is one, else the demo's points."""
    ctx = view.ctx
    if ctx.trends is not None:
        current = None if ctx.trends.list_findings else _current_on_trend_scale(view, ctx.trends)
        chart = history_chart(ctx.trends.history, ctx.trends.report, current=current)
        if chart is not None:
            return chart
    return trend_chart(ctx.history, _current_walls(view)) if ctx.history else None


def _current_on_trend_scale(view: ReportView, trends: MainTrends) -> dict[str, float] | None:
    """This run's wall medians on the scale the trend is drawn in: divided by this run's
    calibration when main's series are (None when the scales cannot agree)."""
    walls = _current_walls(view)
    normalized = {t.series.normalized for t in trends.report.trends if t.series.metric == "wall"}
    if normalized != {True}:
        return walls if normalized == {False} else None
    calibration = calibration_of(view.ctx.head) if view.ctx.head is not None else None
    wall = calibration.median("wall") if calibration is not None else None
    if not wall:
        return None
    return {name: value / wall for name, value in walls.items()}


def _current_walls(view: ReportView) -> dict[str, float]:
    out = {}
    for r in view.rows:
        if r.metric == "wall" and r.head_summary is not None:
            out[r.benchmark] = r.head_summary.median
    if not out and view.ctx.head is not None:
        for b in view.ctx.head.benchmarks:
            s = describe(b.samples.get("wall", []))
            if s is not None:
                out[b.name] = s.median
    return out


def _hard_truncate(text: str, limit: int, measure: Callable[[str], int], view: ReportView) -> str:
    where = view.links.get("report")
    note = "\n\n_Report truncated to fit GitHub's size limit; "
    note += f"the [full report]({where}) has everything._\n" if where else "the HTML report has everything._\n"
    budget = limit - measure(note) - 200  # room to close what the cut leaves open
    out: list[str] = []
    used = 0
    for line in text.splitlines(keepends=True):
        n = measure(line)
        if used + n > budget:
            break
        out.append(line)
        used += n
    body = "".join(out)
    return body + _closers(body) + note


def _closers(body: str) -> str:
    """Close a code fence and <details> elements left open by a cut, so the note shows."""
    fence = ""
    for line in body.splitlines():
        stripped = line.strip()
        run = len(stripped) - len(stripped.lstrip("`"))
        if not fence and run >= 3:
            fence = "`" * run
        elif fence and run >= len(fence) and stripped == "`" * run:
            fence = ""
    opened = body.count("<details>") - body.count("</details>")
    return (f"\n{fence}\n" if fence else "") + "\n</details>\n" * max(opened, 0)
