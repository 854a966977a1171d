"""CSV and JSON exports: every raw sample, one summary row per benchmark x metric, the comparison."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from lanebench.errors import ResultsError
from lanebench.formatting import format_raw, is_number
from lanebench.metrics import metric as catalog_metric
from lanebench.report.context import ReportContext
from lanebench.report.escape import escape_csv_cell
from lanebench.report.view import ReportView, build_view
from lanebench.stats.model import Summary

SAMPLE_COLUMNS = ("run", "benchmark", "metric", "unit", "iteration", "value")
SUMMARY_STATS = ("n", "median", "mean", "stdev", "cv", "p95", "p99", "min", "max")
SUMMARY_COLUMNS = (
    "benchmark", "metric", "unit", "kind", "verdict",
    *(f"base_{s}" for s in SUMMARY_STATS),
    *(f"head_{s}" for s in SUMMARY_STATS),
    "ratio", "change_percent", "ci_low", "ci_high", "p_value", "p_adjusted", "threshold",
    "method", "reason",
)


def _number(value: Any) -> str:
    return format_raw(value) if is_number(value) else ""


def render_csv_samples(ctx: ReportContext) -> str:
    """Long format: one row per run x benchmark x metric x sample (iteration is 1-based,
    counting successful measured iterations only, as the results file stores them)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(SAMPLE_COLUMNS)
    parts = [buf.getvalue()]
    for run, doc in (("base", ctx.base), ("head", ctx.head)):
        if doc is None:
            continue
        for b in doc.benchmarks:
            name = escape_csv_cell(b.name)
            for metric_name, values in b.samples.items():
                # The quoted prefix is the same for every sample: let csv quote it once.
                buf.seek(0)
                buf.truncate()
                unit = catalog_metric(metric_name).unit
                w.writerow((run, name, escape_csv_cell(metric_name), unit, ""))
                prefix = buf.getvalue()[: -len(w.dialect.lineterminator)]
                end = w.dialect.lineterminator
                parts.extend(f"{prefix}{i},{format_raw(v)}{end}" for i, v in enumerate(values, 1))
    return "".join(parts)


def render_csv_summary(ctx: ReportContext) -> str:
    """One row per benchmark x metric: both runs' statistics and the verdict."""
    return csv_summary_from_view(build_view(ctx))


def csv_summary_from_view(view: ReportView) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(SUMMARY_COLUMNS)
    for r in sorted(view.rows, key=lambda r: (r.order, r.metric)):
        m = r.comparison
        base = m.base if m is not None else None
        head = m.head if m is not None else r.head_summary
        w.writerow(
            [
                escape_csv_cell(r.benchmark),
                escape_csv_cell(r.metric),
                r.unit,
                r.kind,
                r.verdict,
                *_stats(base),
                *_stats(head),
                _number(m.ratio) if m else "",
                _number(round(m.change * 100.0, 6)) if m and is_number(m.change) else "",
                _number(m.ci_low) if m else "",
                _number(m.ci_high) if m else "",
                _number(m.p_value) if m else "",
                _number(m.p_adjusted) if m else "",
                _number(m.threshold) if m else "",
                escape_csv_cell(m.method) if m else "",
                escape_csv_cell(r.reason),
            ]
        )
    return buf.getvalue()


def _stats(s: Summary | None) -> list[str]:
    if s is None:
        return [""] * len(SUMMARY_STATS)
    return [_number(getattr(s, k)) for k in SUMMARY_STATS]


def render_json(ctx: ReportContext) -> str:
    """The comparison document (`Comparison.to_dict()`), compact, with NaN and infinities as null."""
    if ctx.comparison is None:
        raise ResultsError(
            "no comparison to write as JSON: the report has no baseline",
            hint="give a baseline results file too, or pick another format",
        )
    data = ctx.comparison.to_dict()
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:  # a NaN somewhere (e.g. CV of an all-zero sample)
        text = json.dumps(_finite(data), ensure_ascii=False, separators=(",", ":"))
    return text + "\n"


def _finite(value: Any) -> Any:
    # JSON has no NaN; strict readers (and allow_nan=False writers) reject it.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
