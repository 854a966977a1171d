"""Google Benchmark JSON: `--benchmark_format=json`, or `--benchmark_out=PATH` (JSON is the
default `--benchmark_out_format`).

A case is a `run_name` (family plus arguments, e.g. `BM_Sort/512`, `BM_X/threads:2`). Its
rows with `run_type: iteration` are the samples, one per repetition (`--benchmark_repetitions`),
each already a mean over that repetition's iterations; rows with `run_type: aggregate`
(`_mean`, `_median`, `_stddev`, `_cv`, user statistics) are the harness's summary and never
samples. With `--benchmark_report_aggregates_only` the file holds only the summary.
Times are converted from `time_unit` to seconds. Counters are metrics of their own:
`bytes_per_second` and `items_per_second` are throughput (bigger is better); other user
counters keep their name, and their direction is unknown (the JSON does not record the
counter's flags). Complexity rows (`_BigO`, `_RMS`) are not read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lanebench.harness.document import Document
from lanebench.harness.model import (
    Case,
    CaseMetric,
    Direction,
    Fields,
    HarnessOutput,
    Summary,
    is_number,
)

NAME = "google-benchmark"

TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}

# Keys of a row that are not counters.
_ROW_KEYS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type",
    "repetitions", "repetition_index", "threads", "iterations", "real_time", "cpu_time",
    "time_unit", "aggregate_name", "aggregate_unit", "error_occurred", "error_message",
    "skipped", "skip_message", "label", "cpu_coefficient", "real_coefficient", "big_o", "rms",
}

# Counters whose meaning the library fixes (SetBytesProcessed, SetItemsProcessed, and the
# memory manager's results).
_KNOWN_COUNTERS: dict[str, tuple[str, Direction]] = {
    "bytes_per_second": ("B/s", "bigger"),
    "items_per_second": ("items/s", "bigger"),
    "allocs_per_iter": ("count", "smaller"),
    "max_bytes_used": ("B", "smaller"),
}

_SUMMARY_AGGREGATES = ("mean", "median", "stddev", "min", "max")


def sniff(doc: Document) -> bool:
    data = doc.json
    return (
        isinstance(data, dict)
        and isinstance(data.get("context"), dict)
        and isinstance(data.get("benchmarks"), list)
    )


@dataclass
class _Acc:
    """Everything read for one run_name, in file order."""

    selector: str
    units: dict[str, str] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    aggregates: dict[str, dict[str, float]] = field(default_factory=dict)
    repetitions: int | None = None
    threads: int | None = None
    iterations: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    label: str | None = None
    dropped: dict[str, int] = field(default_factory=dict)


def parse(doc: Document) -> HarnessOutput:
    data = doc.require_json(NAME)
    context = data.get("context") if isinstance(data, dict) else None
    version = context.get("library_version") if isinstance(context, dict) else None
    f = Fields(doc.source, NAME, version if isinstance(version, str) else None)
    if not isinstance(data, dict):
        raise f.expected("", "a JSON object with context and benchmarks", data)
    context = f.obj(data, "context", "context")
    accs: dict[str, _Acc] = {}
    for i, row in enumerate(f.list(data, "benchmarks", "benchmarks")):
        _read_row(f, row, f"benchmarks[{i}]", accs)
    cases = tuple(_case(name, acc) for name, acc in accs.items())
    keep = ("date", "host_name", "executable", "num_cpus", "mhz_per_cpu", "cpu_scaling_enabled",
            "library_build_type", "library_version")
    return HarnessOutput(NAME, NAME, f.version, doc.source, cases,
                         {k: context[k] for k in keep if k in context})


def _read_row(f: Fields, row: Any, where: str, accs: dict[str, _Acc]) -> None:
    if not isinstance(row, dict):
        raise f.expected(where, "an object", row)
    name = f.string(row, "name", f"{where}.name")
    # Files older than 1.5 have no run_name/run_type: the name is the run name and an
    # aggregate row is known by its aggregate_name.
    run_name = v if isinstance(v := row.get("run_name"), str) else name
    run_type = row.get("run_type")
    aggregate = run_type == "aggregate" if run_type is not None else "aggregate_name" in row
    if aggregate and row.get("aggregate_name") in ("BigO", "RMS"):
        return
    if run_type not in (None, "iteration", "aggregate"):
        raise f.error(f"{where}.run_type", f"unknown run type {run_type!r} (iteration or aggregate)")
    acc = accs.setdefault(run_name, _Acc(selector=run_name))
    if is_number(row.get("repetitions")):
        acc.repetitions = int(row["repetitions"])
    if is_number(row.get("threads")):
        acc.threads = int(row["threads"])
    if isinstance(row.get("label"), str):
        acc.label = row["label"]
    if row.get("error_occurred") or row.get("skipped"):
        message = row.get("error_message") or row.get("skip_message") or "no message"
        acc.errors.append(("skipped: " if row.get("skipped") else "") + str(message))
        return
    unit = row.get("time_unit", "ns")
    if unit not in TIME_UNITS:
        raise f.error(f"{where}.time_unit", f"unknown time unit {unit!r} "
                      f"({', '.join(TIME_UNITS)})")
    values: dict[str, float] = {}
    for key in ("real_time", "cpu_time"):
        values[key] = f.number(row, key, f"{where}.{key}")
        acc.units[key] = "s"
    for key, val in row.items():
        if key in _ROW_KEYS or isinstance(val, (str, bool)) or val is None:
            continue
        if not is_number(val):
            if isinstance(val, float):  # inf/nan: a rate over a zero time
                acc.dropped[key] = acc.dropped.get(key, 0) + 1
                continue
            raise f.expected(f"{where}.{key}", "a number (a counter)", val)
        values[key] = float(val)
        acc.units.setdefault(key, _KNOWN_COUNTERS.get(key, ("", "unknown"))[0])
    if aggregate:
        agg = row.get("aggregate_name")
        # `cv` (aggregate_unit "percentage") is a ratio, not a value in the metric's unit.
        if agg in _SUMMARY_AGGREGATES and row.get("aggregate_unit", "time") == "time":
            acc.aggregates[agg] = _scaled(values, unit)
        return
    if is_number(row.get("iterations")):
        acc.iterations.append(int(row["iterations"]))
    for key, val in _scaled(values, unit).items():
        acc.samples.setdefault(key, []).append(val)


def _scaled(values: dict[str, float], time_unit: str) -> dict[str, float]:
    """Times in seconds; counters as they are."""
    scale = TIME_UNITS[time_unit]
    return {k: v * scale if k in ("real_time", "cpu_time") else v for k, v in values.items()}


def _case(name: str, acc: _Acc) -> Case:
    metric_names = list(acc.units)
    metrics = []
    for key in metric_names:
        samples = tuple(acc.samples[key]) if key in acc.samples else None
        stats = {agg: vals[key] for agg, vals in acc.aggregates.items() if key in vals}
        summary = None
        if stats:
            summary = Summary(n=acc.repetitions, **stats)
        direction: Direction = "smaller" if key in ("real_time", "cpu_time") else (
            _KNOWN_COUNTERS.get(key, ("", "unknown"))[1])
        note = ""
        if key in acc.dropped:
            note = f"{acc.dropped[key]} non-finite value(s) dropped"
        metrics.append(CaseMetric(key, acc.units[key], direction, samples=samples,
                                  summary=summary, note=note))
    extra: dict[str, Any] = {}
    if acc.iterations:
        extra["iterations"] = acc.iterations
    if acc.threads is not None:
        extra["threads"] = acc.threads
    if acc.label is not None:
        extra["label"] = acc.label
    error = "; ".join(dict.fromkeys(acc.errors)) if acc.errors else None
    return Case(name=name, selector=acc.selector, metrics=tuple(metrics), error=error, extra=extra)


_ERE_SPECIAL = re.compile(r"([.\[\]()*+?{}|^$\\])")


def select_args(cases: Sequence[Case]) -> list[str]:
    """One `--benchmark_filter` regex matching exactly these run names. The library
    matches it against the full run name (arguments, `/threads:N` included); plain
    alternation and backslash escapes, so it works with its POSIX and std::regex engines."""
    alternatives = "|".join(_ERE_SPECIAL.sub(r"\\\1", c.selector) for c in cases)
    return [f"--benchmark_filter=^({alternatives})$"]
