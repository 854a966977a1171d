"""pyperf JSON (file format 1.0): `python bench.py -o out.json`, `pyperf timeit -o`, `.json.gz`.

Each benchmark's samples are the `values` of every run, in run order; `warmups` and runs
that only calibrated (no `values`) are not samples. pyperf stores values already divided
by `loops` x `inner_loops`, so each value is the time of one inner loop. The unit comes
from the metadata (`unit`: second, byte or integer), which pyperf hoists to the file's
top-level `metadata` when every benchmark shares it.
"""

from __future__ import annotations

from typing import Any

from lanebench.harness.document import Document
from lanebench.harness.model import (
    Case,
    CaseMetric,
    Direction,
    Fields,
    HarnessOutput,
    unique_names,
)

NAME = "pyperf"
FILE_FORMATS = ("1.0",)

# pyperf unit -> (metric name, lanebench unit, direction). pyperf itself says "faster"/
# "slower" only for seconds; memory (--track-memory, --tracemalloc) is a cost, smaller
# is better; an integer's direction is the script's business.
_UNITS: dict[str, tuple[str, str, Direction]] = {
    "second": ("time", "s", "smaller"),
    "byte": ("memory", "B", "smaller"),
    "integer": ("value", "count", "unknown"),
}


def sniff(doc: Document) -> bool:
    data = doc.json
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        return False
    if "machine_info" in data or "context" in data:
        return False
    first = data["benchmarks"][0] if data["benchmarks"] else None
    return isinstance(data.get("version"), str) and (first is None or isinstance(first, dict) and "runs" in first)


def parse(doc: Document) -> HarnessOutput:
    data = doc.require_json(NAME)
    common: dict[str, Any] = (
        v if isinstance(data, dict) and isinstance(v := data.get("metadata"), dict) else {})
    pyperf_version = common.get("perf_version") if isinstance(common.get("perf_version"), str) else None
    file_format = data.get("version") if isinstance(data, dict) else None
    seen = f"{pyperf_version or '(version not recorded)'}, file format {file_format}"
    f = Fields(doc.source, NAME, seen)
    if not isinstance(data, dict):
        raise f.expected("", "a JSON object", data)
    if file_format not in FILE_FORMATS:
        raise f.error("version", f"file format {file_format!r} is not one lanebench reads "
                      f"({', '.join(FILE_FORMATS)})", hint="re-write it with pyperf 2.x: "
                      "`python -m pyperf convert OLD -o NEW`")
    cases = [_case(f, b, common, f"benchmarks[{i}]")
             for i, b in enumerate(f.list(data, "benchmarks", "benchmarks"))]
    unique_names(cases, f, hint="pyperf names must be unique in a file; "
                 "was a benchmark --append'ed twice under one name?")
    context: dict[str, Any] = {k: common[k] for k in ("python_version", "hostname", "cpu_model_name", "timer")
               if k in common}
    return HarnessOutput(NAME, NAME, pyperf_version, doc.source, tuple(cases), context)


def _case(f: Fields, b: Any, common: dict[str, Any], where: str) -> Case:
    if not isinstance(b, dict):
        raise f.expected(where, "an object", b)
    own = b.get("metadata", {})
    if not isinstance(own, dict):
        raise f.expected(f"{where}.metadata", "an object", own)
    meta = {**common, **own}
    name = f.string(meta, "name", f"{where}.metadata.name")
    unit = meta.get("unit", "second")
    if unit not in _UNITS:
        raise f.error(f"{where}.metadata.unit", f"unknown unit {unit!r} "
                      f"(pyperf writes {', '.join(_UNITS)})")
    metric_name, lane_unit, direction = _UNITS[unit]
    values: list[float] = []
    run_sizes: list[int] = []
    for j, run in enumerate(f.list(b, "runs", f"{where}.runs")):
        rw = f"{where}.runs[{j}]"
        if not isinstance(run, dict):
            raise f.expected(rw, "an object", run)
        if "values" not in run:
            continue  # a calibration run: warmups only
        got = f.numbers(run, "values", f"{rw}.values")
        values.extend(got)
        run_sizes.append(len(got))
    if not values:
        raise f.error(f"{where}.runs", f"benchmark {name!r} has no values (only calibration "
                      "or warmup runs)", hint="the pyperf run was cut short; run it again")
    extra = {
        "loops": meta.get("loops"),
        "inner_loops": meta.get("inner_loops"),
        "values_per_run": run_sizes,
    }
    return Case(
        name=name,
        selector=name,
        metrics=(CaseMetric(metric_name, lane_unit, direction, samples=tuple(values)),),
        extra={k: v for k, v in extra.items() if v is not None},
    )


select_args = None
"""pyperf scripts have no option that selects benchmarks by name: a lane selects a
whole script (one harness benchmark per script), or the script takes its own argument."""
