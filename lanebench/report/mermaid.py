"""Mermaid charts for the comment and the summary (GitHub renders ```mermaid blocks)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from markupsafe import Markup

from lanebench.formatting import is_number
from lanebench.history_store import History
from lanebench.metrics import metric as metric_info
from lanebench.report.context import TrendPoint
from lanebench.report.escape import escape_mermaid_label
from lanebench.report.view import Row
from lanebench.stats.model import DECIDED
from lanebench.stats.trends import ALERTS, TrendReport

MAX_BARS = 20
HISTORY_RUNS = 30  # main runs in the comment's trend line
PREFERRED_METRICS = ("wall", "cpu")


def change_chart(rows: list[Row], *, max_bars: int = MAX_BARS) -> Markup | None:
    """A bar per benchmark: the change in % of the first time metric (wall, else cpu).

    Only decided rows (regression, improvement, unchanged) get a bar: an inconclusive
    estimate is not what its verdict rests on, and a bar would read as a finding. With
    more benchmarks than bars, the most important ones (by verdict, then size of change)
    are kept and the title says how many are shown.
    """
    charted = [r for r in rows if r.verdict in DECIDED and _change(r) is not None]
    metric = next((m for m in PREFERRED_METRICS if any(r.metric == m for r in charted)), None)
    if metric is None:
        return None
    open_rows = sum(
        1 for r in rows if r.metric == metric and r.verdict not in DECIDED and _change(r) is not None
    )
    chosen = [r for r in charted if r.metric == metric]
    total = len(chosen)
    chosen = chosen[:max_bars]  # rows arrive sorted by importance
    chosen.sort(key=lambda r: r.order)
    labels = _unique_labels([r.benchmark for r in chosen])
    values = [round(_change(r) * 100.0, 1) for r in chosen]  # type: ignore[operator]
    lo, hi = min(0.0, *values), max(0.0, *values)
    pad = max((hi - lo) * 0.1, 1.0)
    label = chosen[0].label if chosen else metric
    title = f"{label}: change vs baseline (%)"
    if total > len(chosen):
        title += f" - {len(chosen)} of {total} benchmarks"
    if open_rows:
        title += f" - {open_rows} undecided not drawn"
    lines = [
        "```mermaid",
        "xychart-beta",
        f'    title "{escape_mermaid_label(title, max_length=80)}"',
        "    x-axis [" + ", ".join(f'"{lab}"' for lab in labels) + "]",
        f'    y-axis "change %" {_round_down(lo - pad)} --> {_round_up(hi + pad)}',
        "    bar [" + ", ".join(f"{x:g}" for x in values) + "]",
        "```",
    ]
    return Markup("\n".join(lines))


def trend_chart(history: list[TrendPoint], current: dict[str, float]) -> Markup | None:
    """The suite's wall time over earlier runs and this one, as % of the first run.

    One line: the geometric mean, over benchmarks present in every point, of each
    benchmark's median relative to its first value. Needs two points or more.
    """
    points = [(p.label, p.values) for p in history]
    if current:
        points.append(("this PR", current))
    if len(points) < 2:
        return None
    common = set(points[0][1])
    for _, values in points[1:]:
        common &= set(values)
    common = {b for b in common if all(is_number(v[b]) and v[b] > 0 for _, v in points)}
    if not common:
        return None
    first = points[0][1]
    series = []
    for _, values in points:
        logs = [math.log(values[b] / first[b]) for b in common]
        series.append(round((math.exp(sum(logs) / len(logs)) - 1.0) * 100.0, 1))
    lo, hi = min(0.0, *series), max(0.0, *series)
    pad = max((hi - lo) * 0.1, 1.0)
    labels = _unique_labels([label for label, _ in points])
    lines = [
        "```mermaid",
        "xychart-beta",
        f'    title "Wall time trend, geometric mean of {len(common)} benchmarks (% vs first)"',
        "    x-axis [" + ", ".join(f'"{lab}"' for lab in labels) + "]",
        f'    y-axis "change %" {_round_down(lo - pad)} --> {_round_up(hi + pad)}',
        "    line [" + ", ".join(f"{x:g}" for x in series) + "]",
        "```",
    ]
    return Markup("\n".join(lines))


def history_chart(
    history: History,
    report: TrendReport,
    *,
    metric: str = "wall",
    runs: int = HISTORY_RUNS,
    current: Mapping[str, float] | None = None,
) -> Markup | None:
    """Main's trend for the comment: one line over the last `runs` main runs, as % of the
    first run shown.

    The line is the geometric mean, over the benchmarks measured in every run shown, of
    each benchmark's analysed value (`report`'s series of `metric`: divided by the
    calibration time when normalised) relative to its first value. A run where an alerted
    change point of `metric` begins is labelled with its size and benchmark (the largest
    when several begin there). `current` (benchmark -> value on the same scale, e.g. this
    pull request's medians divided by its calibration) adds a last point, "this PR".
    Needs two points or more.
    """
    trends = [t for t in report.trends if t.series.metric == metric]
    shown = range(max(len(history.runs) - max(runs, 2), 0), len(history.runs))
    by_bench = {t.series.benchmark: dict(zip(t.series.runs, t.series.values, strict=True)) for t in trends}
    common = [b for b, values in by_bench.items()
              if all(is_number(values.get(i)) and values[i] > 0 for i in shown)]
    if current is not None:
        common = [b for b in common if is_number(current.get(b)) and current[b] > 0]
    if not common or len(shown) + (current is not None) < 2:
        return None
    first = {b: by_bench[b][shown[0]] for b in common}

    def level(values: Mapping[str, float]) -> float:
        logs = [math.log(values[b] / first[b]) for b in common]
        return round((math.exp(sum(logs) / len(logs)) - 1.0) * 100.0, 1)

    points = [level({b: by_bench[b][i] for b in common}) for i in shown]
    labels = [history.runs[i].commit[:7] for i in shown]
    biggest: dict[int, tuple[float, str]] = {}
    for t in trends:
        for c in t.changes:
            run = t.series.runs[c.change.index]
            size = abs(math.log(c.change.ratio)) if c.change.ratio else math.inf
            if c.verdict in ALERTS and run in shown and size > biggest.get(run, (-1.0, ""))[0]:
                change = f"{(c.change.ratio - 1) * 100:+.0f}%" if c.change.ratio else "from 0"
                biggest[run] = (size, f"{history.runs[run].commit[:7]} {change} {t.series.benchmark}")
    for run, (_, text) in biggest.items():
        labels[run - shown[0]] = text
    if current is not None:
        points.append(level(current))
        labels.append("this PR")
    lo, hi = min(0.0, *points), max(0.0, *points)
    pad = max((hi - lo) * 0.1, 1.0)
    normalized = all(t.series.normalized for t in trends if t.series.benchmark in common)
    what = metric_info(metric).label + (" per calibration time" if normalized else "")
    title = (f"Main {what} - last {len(shown)} runs - geometric mean of {len(common)} "
             "benchmarks - % vs first run")
    lines = [
        "```mermaid",
        "xychart-beta",
        f'    title "{escape_mermaid_label(title, max_length=120)}"',
        "    x-axis [" + ", ".join(f'"{lab}"' for lab in _unique_labels(labels)) + "]",
        f'    y-axis "change %" {_round_down(lo - pad)} --> {_round_up(hi + pad)}',
        "    line [" + ", ".join(f"{x:g}" for x in points) + "]",
        "```",
    ]
    return Markup("\n".join(lines))


def _change(r: Row) -> float | None:
    c = r.comparison.change if r.comparison is not None else None
    return c if is_number(c) else None


def _unique_labels(names: list[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        label = escape_mermaid_label(name)
        base, i = label, 2
        while label in seen:
            label = f"{base[:20]} ({i})"
            i += 1
        seen.add(label)
        out.append(label)
    return out


def _round_down(x: float) -> str:
    return f"{math.floor(x):d}"


def _round_up(x: float) -> str:
    return f"{math.ceil(x):d}"
