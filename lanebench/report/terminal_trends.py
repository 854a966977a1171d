"""Trends on main for the terminal (`lanebench history`) and as JSON (`--json`).

Pure: a `MainTrends` in, lines or a dict out. Names from the file go through
`plain_line` (no terminal escape sequences).
"""

from __future__ import annotations

from typing import Any

from lanebench.formatting import change_bounds, format_change, format_p, plural
from lanebench.main_trends import MainTrends
from lanebench.metrics import metric as metric_info
from lanebench.report.escape import plain_line
from lanebench.stats.trends import ChangeFinding, DriftFinding


def _interval(low: float | None, high: float | None) -> str:
    return f" ({change_bounds(low, high)})" if low is not None and high is not None else ""


def _change_line(c: ChangeFinding) -> str:
    ch = c.change
    size = format_change(ch.ratio - 1.0) if ch.ratio is not None else "from zero"
    return (f"  {plain_line(c.series.benchmark)} · {metric_info(c.series.metric).label}: "
            f"{size}{_interval(ch.ci_low, ch.ci_high)}, p {format_p(ch.p_value, 0.01)}, "
            f"{c.verdict}; came with a commit after {c.last_good[:12]}, up to {c.first_bad[:12]} "
            f"(from run {ch.index + 1} of {len(c.series.values)})"
            + "".join(f"; {plain_line(n)}" for n in c.notes))


def _drift_line(d: DriftFinding) -> str:
    dr = d.drift
    size = format_change(dr.ratio - 1.0) if dr.ratio is not None else "—"
    removed = (f"; besides {plural(len(d.removed), 'change point')} reported on its own"
               if d.removed else "")
    return (f"  {plain_line(d.series.benchmark)} · {metric_info(d.series.metric).label}: "
            f"{size}{_interval(dr.ci_low, dr.ci_high)} over {plural(dr.runs, 'run')}, "
            f"p {format_p(dr.p_value, 0.001)}, {d.verdict}; from {d.since[:12]} to {d.until[:12]}"
            f"{removed}")


def trend_lines(trends: MainTrends, *, source: str) -> list[str]:
    runs = trends.history.runs
    report = trends.report
    out = [f"{plural(len(runs), 'main run')} in {plain_line(source)}: {runs[0].commit[:12]} "
           f"({runs[0].date[:10]}) to {runs[-1].commit[:12]} ({runs[-1].date[:10]}); "
           f"{plural(len(report.trends), 'series', 'series')} analysed"]
    changes = report.changes
    drifts = [t.drift for t in report.trends if t.drift is not None and t.drift.reported]
    short = [t for t in report.trends if t.detection.insufficient]
    if changes:
        out += ["", "change points:"] + [_change_line(c) for c in changes]
    if drifts:
        out += ["", "drift over the last runs, beyond the steps found:"] + [_drift_line(d) for d in drifts]
    if not changes and not drifts:
        why = f" ({short[0].detection.insufficient})" if short and len(short) == len(report.trends) else ""
        out += ["", f"no change point and no drift{why}"]
    alerts = len(report.alerts) + len(report.drifts)
    out += ["", f"{plural(len(changes), 'change point')} ({alerts} beyond the practical "
            "thresholds, as regressions or improvements), "
            f"{plural(len(drifts), 'drift')} reported"]
    return out


def _change_json(c: ChangeFinding) -> dict[str, Any]:
    ch = c.change
    return {
        "benchmark": c.series.benchmark, "metric": c.series.metric, "normalized": c.series.normalized,
        "index": ch.index, "last_good": c.last_good, "first_bad": c.first_bad,
        "ratio": ch.ratio, "ci_low": ch.ci_low, "ci_high": ch.ci_high, "confidence": ch.confidence,
        "p_value": ch.p_value, "verdict": c.verdict, "reason": c.reason, "notes": list(c.notes),
        "key": c.key,
    }


def _drift_json(d: DriftFinding) -> dict[str, Any]:
    dr = d.drift
    return {
        "benchmark": d.series.benchmark, "metric": d.series.metric, "normalized": d.series.normalized,
        "since": d.since, "until": d.until, "runs": dr.runs, "ratio": dr.ratio,
        "ci_low": dr.ci_low, "ci_high": dr.ci_high, "confidence": dr.confidence,
        "p_value": dr.p_value, "verdict": d.verdict, "reason": d.reason,
        "removed": [c.key for c in d.removed],
    }


def trends_json(trends: MainTrends, *, source: str) -> dict[str, Any]:
    report = trends.report
    runs = trends.history.runs
    return {
        "source": source,
        "runs": len(runs),
        "first": runs[0].commit if runs else None,
        "last": runs[-1].commit if runs else None,
        "series": len(report.trends),
        "change_points": [_change_json(c) for c in report.changes],
        "drifts": [_drift_json(t.drift) for t in report.trends if t.drift is not None and t.drift.reported],
    }
