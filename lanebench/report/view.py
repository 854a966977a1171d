"""What every report shows, computed once: status line, rows, sections.

Markdown and HTML templates both read a `ReportView`, so the comment, the job summary
and the dashboard can never disagree. Strings that came from the pull request or a
results file stay plain `str` here (templates escape them for their target); strings
built only from numbers and constants are marked `Markup` (trusted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from lanebench.advice import Recommendation
from lanebench.formatting import (
    DASH,
    confidence_text,
    format_change,
    format_interval,
    format_p,
    format_percent,
    format_threshold,
    format_value,
    is_number,
    plural,
)
from lanebench.metrics import METRICS
from lanebench.metrics import metric as catalog_metric
from lanebench.report.context import ReportContext
from lanebench.report.escape import escape_markdown_url, plain_line
from lanebench.report.where import WhereTable, where_tables
from lanebench.results import BenchmarkResult, ResultsDocument
from lanebench.sla import Finding
from lanebench.stats.model import MetricComparison, Summary

VERDICT_ICONS: dict[str, str] = {
    "regression": "🔴",
    "improvement": "🟢",
    "unchanged": "⚪",
    "inconclusive": "🟡",
    "insufficient data": "🟠",
    "failed": "❌",
    "skipped": "⏭️",
    "carried over": "↩️",
    "no baseline": "➖",
}
# Importance: what a reader must see first, and what is cut last when space runs out.
VERDICT_RANK: dict[str, int] = {
    "regression": 0,
    "failed": 1,
    "inconclusive": 2,
    "insufficient data": 3,
    "improvement": 4,
    "no baseline": 5,
    "carried over": 6,
    "skipped": 7,
    "unchanged": 8,
}
KIND_TITLES: dict[str, tuple[str, str]] = {
    "time": ("⏱️", "Time"),
    "memory": ("💾", "Memory"),
    "io": ("📀", "I/O"),
    "count": ("🔢", "Counts"),
}
KIND_ORDER = ("time", "memory", "io", "count")
ENVIRONMENT_KEYS: tuple[tuple[str, str], ...] = (
    ("cpu_model", "CPU"),
    ("cpu_count", "Logical CPUs"),
    ("cpu_affinity", "Usable CPUs"),
    ("memory_bytes", "Memory"),
    ("machine", "Architecture"),
    ("os", "OS"),
    ("os_release", "Kernel"),
    ("python", "Python"),
    ("lanebench", "lanebench"),
    ("machine_id", "Machine (boot id)"),
    ("runner_name", "Runner"),
    ("runner_environment", "Runner type"),
    ("imageversion", "Runner image"),
)
STDERR_TAIL_LINES = 15
STDERR_TAIL_CHARS = 1500


@dataclass
class Status:
    icon: str
    level: str  # "fail", "warn", "pass", "info", "skipped"
    parts: list[str]  # joined with " · "; may hold user text (lane names)

    @property
    def text(self) -> str:
        return " · ".join(self.parts)


@dataclass
class Row:
    """One benchmark x metric line of a results table."""

    benchmark: str
    metric: str
    label: str
    kind: str
    unit: str
    verdict: str
    icon: str
    rank: int
    order: int  # position of the benchmark in the run, for a stable sort
    base: Markup
    head: Markup
    change: Markup  # "+11.8%"
    interval: Markup  # "[+8.0, +15.2]"
    p_adjusted: Markup
    reason: str
    n_base: int
    n_head: int
    p95: Markup  # head-only tables
    cv: Markup
    comparison: MetricComparison | None = None
    head_summary: Summary | None = None
    why: Markup = Markup("")  # inconclusive rows: what kept the verdict open, in a few words
    raw: Markup = Markup("")  # normalised rows: "(raw +10.7%)", the change before the runner factor

    @property
    def magnitude(self) -> float:
        c = self.comparison.change if self.comparison is not None else None
        return abs(c) if is_number(c) else 0.0


@dataclass
class Group:
    kind: str
    icon: str
    title: str
    rows: list[Row]


@dataclass
class SkipItem:
    benchmark: str
    status: str
    note: str


@dataclass
class FailureItem:
    benchmark: str
    run: str  # "head" or "base"
    summary: str  # built from numbers and statuses only
    tail: str  # stderr of the last failed iteration (untrusted)


@dataclass
class EnvRow:
    label: str
    base: str
    head: str
    differs: bool


@dataclass
class RunIdentity:
    commit: str
    ref: str
    when: str


@dataclass
class TraceItem:
    lane: str
    status: str  # "matched", "no match", "fallback", "not evaluated"
    matched: bool
    detail: str


@dataclass
class LaneView:
    name: str
    reasons: list[str]
    trace: list[TraceItem]
    description: str
    forced_by: str


@dataclass
class ReportView:
    ctx: ReportContext
    mode: str  # "skipped", "compare", "head-only"
    status: Status
    rows: list[Row]
    groups: list[Group]
    n_benchmarks: int
    critical: list[Finding]
    warnings: list[Finding]
    passed: list[Finding]
    advice: list[Recommendation]
    lane: LaneView | None
    skipped: list[SkipItem]
    failures: list[FailureItem]
    environment: list[EnvRow]
    has_base_environment: bool
    cross_machine: list[str]
    base_run: RunIdentity | None
    head_run: RunIdentity | None
    links: dict[str, str]
    settings: list[str]
    thresholds: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    trust: str | None = None  # which comparison was used and how far its verdict holds
    runner_notes: list[str] = field(default_factory=list)  # runner speed, when it matters
    alpha: float = 0.05  # the comparison's significance level: p-values show enough digits for it
    where: list[WhereTable] = field(default_factory=list)  # where the instructions went


def _trust(ctx: ReportContext) -> str | None:
    trust = ctx.comparison.extra.get("trust") if ctx.comparison is not None else None
    return str(trust) if trust else None


def _runner_notes(ctx: ReportContext) -> list[str]:
    runner = ctx.comparison.extra.get("runner") if ctx.comparison is not None else None
    notes = runner.get("notes") if isinstance(runner, dict) else None
    return [str(n) for n in notes if n] if isinstance(notes, list) else []


def describe(values: list[float]) -> Summary | None:
    """Descriptive statistics of one sample (head-only reports have no comparison)."""
    from lanebench.stats.summary import summarize

    return summarize(values) if values else None


# --- building the view -------------------------------------------------------------------


def headline(ctx: ReportContext) -> str:
    """The report's status line as plain text, for a terminal or a check run's title
    (the comment's first line is the same, escaped for Markdown)."""
    status = build_view(ctx).status
    return plain_line(f"{status.icon} {status.text}")


def build_view(ctx: ReportContext) -> ReportView:
    if ctx.is_skipped:
        mode = "skipped"
    elif ctx.comparison is None:
        mode = "head-only"
    else:
        mode = "compare"
    order = _benchmark_order(ctx)
    alpha = _alpha(ctx)
    if mode == "compare":
        rows = [_compare_row(m, order, alpha) for m in ctx.comparison.metrics]  # type: ignore[union-attr]
    elif mode == "head-only":
        rows = _head_rows(ctx.head, order)  # type: ignore[arg-type]
    else:
        rows = []
    rows.sort(key=_row_key)
    groups = []
    for kind in sorted({r.kind for r in rows}, key=_kind_key):
        icon, title = KIND_TITLES.get(kind, ("📏", kind.capitalize()))
        groups.append(Group(kind, icon, title, [r for r in rows if r.kind == kind]))
    findings = ctx.sla.findings if ctx.sla is not None else []
    critical = [f for f in findings if not f.passed and f.severity == "critical"]
    warnings = [f for f in findings if not f.passed and f.severity != "critical"]
    passed = [f for f in findings if f.passed]
    cross = list(ctx.comparison.cross_machine) if ctx.comparison is not None else []
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    skipped = _skip_items(ctx)
    failures = _failures(ctx)
    n_benchmarks = _n_benchmarks(ctx)
    view = ReportView(
        ctx=ctx,
        mode=mode,
        status=Status("", "", []),
        rows=rows,
        groups=groups,
        n_benchmarks=n_benchmarks,
        critical=critical,
        warnings=warnings,
        passed=passed,
        advice=sorted(ctx.advice, key=lambda a: -a.impact if is_number(a.impact) else 0.0),
        lane=_lane_view(ctx),
        skipped=skipped,
        failures=failures,
        environment=_environment(ctx),
        has_base_environment=any(e.base != DASH for e in _environment(ctx)),
        cross_machine=cross,
        base_run=_identity(ctx, "base"),
        head_run=_identity(ctx, "head"),
        links=_links(ctx),
        settings=_settings(ctx),
        thresholds=_thresholds(rows),
        counts=counts,
        trust=_trust(ctx),
        runner_notes=_runner_notes(ctx),
        alpha=alpha,
        where=where_tables(ctx.comparison),
    )
    view.status = _status(view)
    return view


_METRIC_ORDER = {name: i for i, name in enumerate(METRICS)}


def _row_key(r: Row) -> tuple[int, float, int, int, str]:
    # Decided and open changes: largest first; the rest in the run's own order.
    size = -r.magnitude if r.verdict in ("regression", "improvement", "inconclusive") else 0.0
    return (r.rank, size, r.order, _METRIC_ORDER.get(r.metric, len(_METRIC_ORDER)), r.metric)


def finding_message(f: Finding) -> str:
    """The finding's sentence, without a leading "benchmark: " the table already shows."""
    prefix = f"{f.benchmark}: " if f.benchmark else ""
    return f.message[len(prefix):] if prefix and f.message.startswith(prefix) else f.message


def _kind_key(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), kind)


def _benchmark_order(ctx: ReportContext) -> dict[str, int]:
    names: list[str] = []
    if ctx.comparison is not None:
        names += [b.name for b in ctx.comparison.benchmarks]
    if ctx.head is not None:
        names += [b.name for b in ctx.head.benchmarks]
    order: dict[str, int] = {}
    for n in names:
        order.setdefault(n, len(order))
    return order


def _summary_value(s: Summary | None, unit: str) -> Markup:
    return Markup(format_value(s.median, unit)) if s is not None else Markup(DASH)


def _alpha(ctx: ReportContext) -> float:
    alpha = ctx.comparison.settings.get("alpha") if ctx.comparison is not None else None
    return float(alpha) if is_number(alpha) and 0 < alpha < 1 else 0.05


def _compare_row(m: MetricComparison, order: dict[str, int], alpha: float) -> Row:
    entry = catalog_metric(m.metric)
    unit = m.unit or entry.unit
    return Row(
        benchmark=m.benchmark,
        metric=m.metric,
        label=entry.label,
        kind=m.kind or entry.kind,
        unit=unit,
        verdict=m.verdict,
        icon=VERDICT_ICONS.get(m.verdict, "❔"),
        rank=VERDICT_RANK.get(m.verdict, 5),
        order=order.get(m.benchmark, len(order)),
        base=_summary_value(m.base, unit),
        head=_summary_value(m.head, unit),
        change=Markup(format_change(m.change)),
        interval=Markup(format_interval(m.ci_low, m.ci_high)),
        p_adjusted=Markup(format_p(m.p_adjusted, alpha)),
        reason=m.reason,
        n_base=m.base.n if m.base else 0,
        n_head=m.head.n if m.head else 0,
        p95=Markup(format_value(m.head.p95, unit)) if m.head else Markup(DASH),
        cv=Markup(format_percent(m.head.cv)) if m.head else Markup(DASH),
        comparison=m,
        head_summary=m.head,
        why=Markup(inconclusive_why(m, alpha)),
        raw=Markup(_raw_change(m)),
    )


def inconclusive_why(m: MetricComparison, alpha: float) -> str:
    """What kept an inconclusive verdict open, in a few words for a table cell.

    An interval that excludes no change and still reads inconclusive is the case a reader
    cannot follow unaided: its p-value was adjusted for the run's other comparisons.
    """
    if m.verdict != "inconclusive":
        return ""
    lo, hi = m.ci_low, m.ci_high
    if is_number(lo) and is_number(hi) and (lo > 1.0 or hi < 1.0):
        if is_number(m.p_adjusted) and m.p_adjusted >= alpha:
            return "not significant after adjustment"
    note = m.extra.get("interval_note")
    if isinstance(note, str) and note:
        return note
    if m.undetectable:
        return "too noisy"
    if is_number(m.threshold):
        return f"interval reaches past ±{m.threshold * 100:g}%"
    return ""


def _raw_change(m: MetricComparison) -> str:
    """The change before the runner-speed factor, for rows normalised by it."""
    raw = m.extra.get("raw_ratio")
    if "runner_factor" not in m.extra or not is_number(raw):
        return ""
    return f"(raw {format_change(raw - 1.0)})"


def _head_rows(head: ResultsDocument, order: dict[str, int]) -> list[Row]:
    rows = []
    for b in head.benchmarks:
        for name, values in b.samples.items():
            entry = catalog_metric(name)
            if not entry.compared:
                continue
            s = describe(values)
            verdict = "failed" if b.status in ("failed", "timeout") else "no baseline"
            rows.append(
                Row(
                    benchmark=b.name,
                    metric=name,
                    label=entry.label,
                    kind=entry.kind,
                    unit=entry.unit,
                    verdict=verdict,
                    icon=VERDICT_ICONS[verdict],
                    rank=VERDICT_RANK[verdict],
                    order=order.get(b.name, len(order)),
                    base=Markup(DASH),
                    head=_summary_value(s, entry.unit),
                    change=Markup(DASH),
                    interval=Markup(""),
                    p_adjusted=Markup(DASH),
                    reason="no baseline to compare with yet",
                    n_base=0,
                    n_head=s.n if s else 0,
                    p95=Markup(format_value(s.p95, entry.unit)) if s else Markup(DASH),
                    cv=Markup(format_percent(s.cv)) if s else Markup(DASH),
                    head_summary=s,
                )
            )
    return rows


def _n_benchmarks(ctx: ReportContext) -> int:
    """Benchmarks measured in this run (skipped and carried-over ones are listed apart)."""
    if ctx.comparison is not None:
        return sum(1 for b in ctx.comparison.benchmarks if b.status not in ("skipped", "carried over"))
    if ctx.head is not None:
        return sum(1 for b in ctx.head.benchmarks if b.status not in ("skipped", "carried_over"))
    return 0


def _skip_items(ctx: ReportContext) -> list[SkipItem]:
    items: dict[str, SkipItem] = {}
    if ctx.comparison is not None:
        for b in ctx.comparison.benchmarks:
            if b.status != "compared":
                items[b.name] = SkipItem(b.name, b.status, "; ".join(b.notes))
    if ctx.head is not None:
        for r in ctx.head.benchmarks:
            if r.status in ("skipped", "carried_over", "interrupted") and r.name not in items:
                items[r.name] = SkipItem(r.name, r.status.replace("_", " "), "; ".join(r.notes))
    for name, why in ctx.skipped.items():
        items.setdefault(name, SkipItem(name, "skipped", why))
    for name, where in ctx.carried_over.items():
        items.setdefault(name, SkipItem(name, "carried over", where))
    return list(items.values())


def _failures(ctx: ReportContext) -> list[FailureItem]:
    out = []
    for run, doc in (("head", ctx.head), ("base", ctx.base)):
        if doc is None:
            continue
        for b in doc.benchmarks:
            if b.failures:
                out.append(_failure_item(run, b))
    return out


def _failure_item(run: str, b: BenchmarkResult) -> FailureItem:
    last = b.failures[-1]
    statuses: dict[str, int] = {}
    for f in b.failures:
        statuses[f.status] = statuses.get(f.status, 0) + 1
    how = ", ".join(f"{n} {s}" for s, n in statuses.items())
    detail = []
    if last.exit_code is not None:
        detail.append(f"exit code {last.exit_code}")
    if last.signal is not None:
        detail.append(f"signal {last.signal}")
    summary = f"{plural(len(b.failures), 'failed iteration')} ({how})"
    if detail:
        summary += f"; last: {', '.join(detail)}"
    summary += f"; {b.n} succeeded"
    tail_lines = (last.stderr_tail or last.message or "").splitlines()[-STDERR_TAIL_LINES:]
    tail = "\n".join(tail_lines)[-STDERR_TAIL_CHARS:]
    return FailureItem(b.name, run, summary, tail)


def _environment(ctx: ReportContext) -> list[EnvRow]:
    base_env: dict[str, Any] = {}
    head_env: dict[str, Any] = {}
    if ctx.comparison is not None:
        base_env, head_env = ctx.comparison.base_environment, ctx.comparison.head_environment
    if not base_env and ctx.base is not None:
        base_env = ctx.base.environment
    if not head_env and ctx.head is not None:
        head_env = ctx.head.environment
    rows = []
    for key, label in ENVIRONMENT_KEYS:
        if key not in base_env and key not in head_env:
            continue
        b, h = _env_value(key, base_env.get(key)), _env_value(key, head_env.get(key))
        rows.append(EnvRow(label, b, h, bool(base_env) and b != h))
    return rows


def _env_value(key: str, value: Any) -> str:
    if value is None:
        return DASH
    if key == "memory_bytes" and is_number(value):
        return format_value(float(value), "bytes")
    return str(value)


def _identity(ctx: ReportContext, which: str) -> RunIdentity | None:
    run: dict[str, Any] = {}
    if ctx.comparison is not None:
        run = dict(ctx.comparison.base_run if which == "base" else ctx.comparison.head_run)
    doc = ctx.base if which == "base" else ctx.head
    if not run and doc is not None:
        run = {"commit": doc.run.commit, "ref": doc.run.ref, "started_at": doc.run.started_at}
    if not run:
        return None
    commit = str(run.get("commit") or "")[:7]
    return RunIdentity(commit, str(run.get("ref") or ""), str(run.get("started_at") or ""))


def _links(ctx: ReportContext) -> dict[str, str]:
    out = {}
    for key in ("run", "report", "baseline"):
        url = escape_markdown_url(ctx.links.get(key)) if ctx.links.get(key) else None
        if url:
            out[key] = url
    return out


TEST_NAMES = {
    "mann-whitney": "Mann-Whitney U",
    "welch-log": "Welch t on log values",
    "paired-wilcoxon": "Wilcoxon signed-rank on pairs",
}
# What the change column estimates: not the ratio of the two medians shown beside it.
ESTIMATE_NOTES = {
    "mann-whitney": "change: Hodges-Lehmann estimate of head/base, not the ratio of the medians",
    "welch-log": "change: ratio of geometric means",
    "paired-wilcoxon": "change: median of the per-pair head/base ratios (Hodges-Lehmann), "
    "not the ratio of the medians",
}


def comparison_method(ctx: ReportContext) -> str | None:
    """The test every tested row used: the paired test for paired comparisons."""
    if ctx.comparison is None:
        return None
    s = ctx.comparison.settings or {}
    if s.get("comparison") == "paired":
        return "paired-wilcoxon"
    return str(s["test"]) if s.get("test") else None


def interval_levels(ctx: ReportContext) -> tuple[float, float] | None:
    """The lowest and highest confidence of the rows' intervals (adaptive looks differ)."""
    if ctx.comparison is None:
        return None
    levels = [
        float(m.extra["confidence"]) for m in ctx.comparison.metrics
        if m.ci_low is not None and is_number(m.extra.get("confidence"))
    ]
    if not levels:
        conf = ctx.comparison.settings.get("confidence")
        return (float(conf), float(conf)) if is_number(conf) else None
    return min(levels), max(levels)


def _settings(ctx: ReportContext) -> list[str]:
    if ctx.comparison is None:
        return []
    s = ctx.comparison.settings or {}
    out = []
    method = comparison_method(ctx)
    if method:
        out.append(f"test: {TEST_NAMES.get(method, method)}")
    if s.get("correction"):
        corr = {"holm": "Holm", "bh": "Benjamini-Hochberg"}.get(str(s["correction"]), str(s["correction"]))
        out.append(f"correction: {corr}")
    if is_number(s.get("alpha")):
        out.append(f"α = {s['alpha']:g}")
    levels = interval_levels(ctx)
    if levels is not None:
        low, high = (confidence_text(x) for x in levels)
        planned = confidence_text(s["confidence"]) if is_number(s.get("confidence")) else low
        if low == high == planned:
            out.append(f"{low} intervals")
        else:
            # Adaptive sampling runs each look at its share of α, so its interval is wider.
            span = low if low == high else f"{low}-{high}"
            out.append(f"{span} intervals (adaptive sampling: each look spends a share of α)")
    if method in ESTIMATE_NOTES:
        out.append(ESTIMATE_NOTES[method])
    return out


def _thresholds(rows: list[Row]) -> list[str]:
    by_kind: dict[str, set[float]] = {}
    for r in rows:
        if r.comparison is not None and is_number(r.comparison.threshold):
            by_kind.setdefault(r.kind, set()).add(r.comparison.threshold)
    out = []
    for kind in sorted(by_kind, key=_kind_key):
        values = ", ".join(format_threshold(t) for t in sorted(by_kind[kind]))
        out.append(f"{KIND_TITLES.get(kind, ('', kind))[1].lower()} {values}")
    return out


def _lane_view(ctx: ReportContext) -> LaneView | None:
    lane = ctx.lane or {}
    name = ctx.lane_name
    if name is None:
        return None
    reasons = [str(r) for r in lane.get("reasons", []) or [] if r is not None]
    trace = []
    for t in lane.get("trace", []) or []:
        if not isinstance(t, dict):
            continue
        status = t.get("status")
        matched = bool(t.get("matched")) if "matched" in t else status in ("matched", "fallback")
        if not isinstance(status, str):
            status = "matched" if matched else "no match"
        detail = t.get("detail", t.get("summary", ""))
        trace.append(TraceItem(str(t.get("lane", "")), status, matched, str(detail or "")))
    forced = lane.get("forced_by")
    return LaneView(
        name, reasons, trace, str(lane.get("description") or ""), str(forced) if forced else ""
    )


def _status(v: ReportView) -> Status:
    ctx = v.ctx
    lane = f"{v.lane.name} lane" if v.lane else None
    if v.mode == "skipped":
        head = f"skipped ({v.lane.name} lane)" if v.lane else "skipped"
        parts = [head]
        if ctx.skip_reason:
            parts.append(ctx.skip_reason)
        return Status("⏭️", "skipped", parts)
    c = v.counts
    failed = {f.benchmark for f in v.failures if f.run == "head" and _head_status(ctx, f.benchmark) != "ok"}
    failed |= {r.benchmark for r in v.rows if r.verdict == "failed"}
    failed |= {s.benchmark for s in v.skipped if s.status == "failed"}
    sla_fail = len(v.critical)
    sla_warn = len(v.warnings)
    bad: list[str] = []
    if c.get("regression"):
        bad.append(plural(c["regression"], "regression"))
    if failed:
        bad.append(f"{len(failed)} failed")
    if sla_fail:
        bad.append(plural(sla_fail, "SLA violation"))
    doubtful: list[str] = []
    undecided = c.get("inconclusive", 0) + c.get("insufficient data", 0)
    if undecided:
        doubtful.append(f"{undecided} inconclusive")
    if sla_warn:
        doubtful.append(plural(sla_warn, "SLA warning"))
    if v.cross_machine:
        doubtful.append("different machines")
    good = [plural(c["improvement"], "improvement")] if c.get("improvement") else []
    tail = [p for p in (lane, plural(v.n_benchmarks, "benchmark")) if p]
    if bad:
        return Status("❌", "fail", bad + doubtful + tail)
    if v.mode == "head-only":
        return Status("ℹ️", "info", ["no baseline yet", *doubtful, *tail])
    if doubtful:
        return Status("⚠️", "warn", ["no regressions", *doubtful, *good, *tail])
    return Status("✅", "pass", ["no regressions", *good, *tail])


def _head_status(ctx: ReportContext, name: str) -> str:
    b = ctx.head.benchmark(name) if ctx.head is not None else None
    return b.status if b is not None else "ok"
