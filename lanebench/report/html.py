"""The HTML dashboard: one self-contained file (inline CSS and SVG, no script, no network)."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

from lanebench import __version__
from lanebench.formatting import (
    format_change,
    format_interval,
    format_p,
    format_percent,
    format_raw,
    format_value,
    is_number,
)
from lanebench.metrics import METRICS
from lanebench.metrics import metric as catalog_metric
from lanebench.report.context import ReportContext
from lanebench.report.svg import ForestItem, distribution_svg, forest_html
from lanebench.report.templating import html_environment
from lanebench.report.trend_section import trend_section_html
from lanebench.report.view import (
    VERDICT_ICONS,
    VERDICT_RANK,
    FailureItem,
    ReportView,
    Row,
    build_view,
    finding_message,
)
from lanebench.results import BenchmarkResult

MAX_FOREST_ROWS = 150  # a taller chart stops being read; the table below has every row
RAW_CELL_BUDGET = 100_000  # raw-sample cells in one page; the CSV always has all of them


@dataclass
class Panel:
    row: Row
    svg: Markup


@dataclass
class Card:
    name: str
    status: str
    open: bool
    rows: list[Row]
    panels: list[Panel]
    failures: list[FailureItem]
    notes: list[str]
    raw: Markup | None
    raw_note: str = ""


@dataclass
class Forest:
    metric: str
    label: str
    svg: Markup
    shown: int
    total: int
    without_interval: int
    notable: bool  # anything but "unchanged": shown open


@dataclass
class Page:
    forests: list[Forest] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)


def render_html(ctx: ReportContext) -> str:
    """The dashboard page."""
    return html_from_view(build_view(ctx))


def html_from_view(view: ReportView) -> str:
    ctx = view.ctx
    page = Page(forests=_forests(view.rows), cards=_cards(ctx, view.rows, view.failures))
    template = html_environment().get_template("dashboard.html.j2")
    trends = None
    if ctx.trends is not None and ctx.trends.history.runs:
        trends = trend_section_html(ctx.trends.history, ctx.trends.report,
                                    repository_url=ctx.trends.repository_url)
    return template.render(
        view=view,
        trends=trends,
        ctx=ctx,
        page=page,
        icons=VERDICT_ICONS,
        verdict_order=sorted(view.counts, key=lambda v: VERDICT_RANK.get(v, 99)),
        change=format_change,
        interval=format_interval,
        pval=lambda p: format_p(p, view.alpha),
        pct=format_percent,
        value=format_value,
        version=__version__,
        message=finding_message,
        css_class=lambda verdict: "v-" + verdict.replace(" ", "-"),
        verdict_plural=lambda verdict, n: verdict + "s" if n != 1 and verdict in ("regression", "improvement") else verdict,
    )


def _forests(rows: list[Row]) -> list[Forest]:
    by_metric: dict[str, list[Row]] = {}
    for r in rows:
        if r.comparison is not None:
            by_metric.setdefault(r.metric, []).append(r)
    out = []
    for metric in sorted(by_metric, key=lambda m: list(METRICS).index(m) if m in METRICS else 99):
        items = []
        missing = 0
        for r in by_metric[metric]:  # already most important first
            m = r.comparison
            assert m is not None
            if not (is_number(m.ratio) and is_number(m.ci_low) and is_number(m.ci_high)):
                missing += 1
                continue
            items.append(
                ForestItem(r.benchmark, m.ratio - 1.0, m.ci_low - 1.0, m.ci_high - 1.0,
                           m.threshold if is_number(m.threshold) else 0.0, m.verdict, str(r.why))
            )
        if not items:
            continue
        label = catalog_metric(metric).label
        shown = items[:MAX_FOREST_ROWS]
        chart = forest_html(shown, title=f"{label}: change vs baseline with interval, per benchmark")
        notable = any(it.verdict != "unchanged" for it in items)
        out.append(Forest(metric, label, chart, len(shown), len(items), missing, notable))
    return out


def _cards(ctx: ReportContext, rows: list[Row], failures: list[FailureItem]) -> list[Card]:
    if ctx.head is None:
        return []
    by_bench: dict[str, list[Row]] = {}
    for r in rows:
        by_bench.setdefault(r.benchmark, []).append(r)
    outcomes = {b.name: b for b in ctx.comparison.benchmarks} if ctx.comparison is not None else {}
    names = list(dict.fromkeys([*outcomes, *(b.name for b in ctx.head.benchmarks)]))
    importance = {n: min((r.rank for r in by_bench.get(n, [])), default=99) for n in names}
    heads = {b.name: b for b in ctx.head.benchmarks}
    bases = {b.name: b for b in ctx.base.benchmarks} if ctx.base is not None else {}
    budget = RAW_CELL_BUDGET
    raw_for: set[str] = set()
    for name in sorted(names, key=lambda n: importance[n]):
        cells = _raw_cells(bases.get(name)) + _raw_cells(heads.get(name))
        if cells <= budget:
            raw_for.add(name)
            budget -= cells
    cards = []
    for name in names:
        head, base = heads.get(name), bases.get(name)
        bench_rows = sorted(by_bench.get(name, []), key=lambda r: list(METRICS).index(r.metric)
                            if r.metric in METRICS else 99)
        panels = []
        for r in bench_rows:
            b = base.samples.get(r.metric) if base else None
            h = head.samples.get(r.metric) if head else None
            title = f"{r.label} of {name}: baseline and head samples"
            panels.append(Panel(r, distribution_svg(b, h, r.unit, title=title)))
        outcome = outcomes.get(name)
        status = outcome.status if outcome else (head.status if head else "missing")
        notes = list(outcome.notes) if outcome else (list(head.notes) if head else [])
        fails = [f for f in failures if f.benchmark == name]
        notable = importance[name] <= VERDICT_RANK["improvement"] or bool(fails)
        raw = _raw_table(base, head) if name in raw_for else None
        raw_note = "" if raw is not None or (head is None and base is None) else (
            "Raw samples of this benchmark are left out to keep the page light; samples.csv has them."
        )
        cards.append(Card(name, status, notable, bench_rows, panels, fails, notes, raw, raw_note))
    return cards


def _raw_cells(b: BenchmarkResult | None) -> int:
    return 0 if b is None else b.n * (len(b.samples) + 1)


def _raw_table(base: BenchmarkResult | None, head: BenchmarkResult | None) -> Markup | None:
    runs = [(name, b) for name, b in (("base", base), ("head", head)) if b is not None and b.samples]
    if not runs:
        return None
    metrics: list[str] = []
    for _, b in runs:
        metrics += [m for m in b.samples if m not in metrics]
    metrics.sort(key=lambda m: list(METRICS).index(m) if m in METRICS else 99)
    head_cells = "".join(
        f"<th>{escape(m)} <small>({escape(catalog_metric(m).unit)})</small></th>" for m in metrics
    )
    parts = [f'<table class="raw"><thead><tr><th>run</th><th>#</th>{head_cells}</tr></thead><tbody>']
    for run_name, b in runs:
        columns = [b.samples.get(m, []) for m in metrics]
        for i in range(b.n):
            cells = "".join(
                f"<td>{format_raw(col[i])}</td>" if i < len(col) else "<td></td>" for col in columns
            )
            parts.append(f"<tr><td>{run_name}</td><td>{i + 1}</td>{cells}</tr>")
    parts.append("</tbody></table>")
    return Markup("".join(parts))
