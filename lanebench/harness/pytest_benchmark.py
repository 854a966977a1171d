"""pytest-benchmark JSON: `--benchmark-json=PATH`, or a saved run (`--benchmark-save`).

Each entry of `benchmarks` is one test. Its `stats.data` (every round's time divided by the
round's iterations, in seconds) are the samples; `--benchmark-json` always writes them, a
saved run only with `--benchmark-save-data`. Without them only the `stats` block remains.
`stats.ops` (1 / mean) is derived from the times and is not read as a second metric.
Tests that raised are absent from the file (pytest-benchmark drops them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lanebench.harness.document import Document
from lanebench.harness.model import Case, CaseMetric, Fields, HarnessOutput, Summary, unique_names

NAME = "pytest-benchmark"


def sniff(doc: Document) -> bool:
    data = doc.json
    return (
        isinstance(data, dict)
        and isinstance(data.get("benchmarks"), list)
        and ("machine_info" in data or "commit_info" in data)
    )


def parse(doc: Document) -> HarnessOutput:
    data = doc.require_json(NAME)
    version = data.get("version") if isinstance(data, dict) else None
    f = Fields(doc.source, NAME, version if isinstance(version, str) else None)
    if not isinstance(data, dict):
        raise f.expected("", "a JSON object with a benchmarks list", data)
    cases = [_case(f, b, f"benchmarks[{i}]") for i, b in enumerate(f.list(data, "benchmarks", "benchmarks"))]
    unique_names(cases, f, hint="two tests with one node id: were two result files concatenated?")
    machine = v if isinstance(v := data.get("machine_info"), dict) else {}
    commit = v if isinstance(v := data.get("commit_info"), dict) else {}
    context = {
        "datetime": data.get("datetime"),
        "python": machine.get("python_version"),
        "machine": machine.get("node"),
        "commit": commit.get("id"),
    }
    return HarnessOutput(NAME, NAME, f.version, doc.source, tuple(cases),
                         {k: v for k, v in context.items() if v is not None})


def _case(f: Fields, b: Any, where: str) -> Case:
    if not isinstance(b, dict):
        raise f.expected(where, "an object", b)
    fullname = f.string(b, "fullname", f"{where}.fullname")
    stats = f.obj(b, "stats", f"{where}.stats")
    sw = f"{where}.stats"
    rounds = f.number(stats, "rounds", f"{sw}.rounds")
    summary = Summary(
        n=int(rounds),
        mean=f.number(stats, "mean", f"{sw}.mean"),
        stddev=f.number(stats, "stddev", f"{sw}.stddev"),
        min=f.number(stats, "min", f"{sw}.min"),
        max=f.number(stats, "max", f"{sw}.max"),
        median=f.number(stats, "median", f"{sw}.median"),
        q1=f.optional_number(stats, "q1", f"{sw}.q1"),
        q3=f.optional_number(stats, "q3", f"{sw}.q3"),
    )
    samples = None
    if "data" in stats:
        data = f.numbers(stats, "data", f"{sw}.data")
        if len(data) != int(rounds):
            raise f.error(f"{sw}.data", f"{len(data)} values but stats.rounds is {int(rounds)}")
        samples = tuple(data)
    options = v if isinstance(v := b.get("options"), dict) else {}
    extra = {
        "group": b.get("group"),
        "iterations": stats.get("iterations"),
        "timer": options.get("timer"),
        "extra_info": b.get("extra_info") or None,
    }
    params = v if isinstance(v := b.get("params"), dict) else {}
    return Case(
        name=fullname,
        selector=fullname,
        metrics=(CaseMetric("time", "s", "smaller", samples=samples, summary=summary),),
        params={str(k): str(v) for k, v in params.items()},
        extra={k: v for k, v in extra.items() if v is not None},
    )


def select_args(cases: Sequence[Case]) -> list[str]:
    """pytest node ids, which select exactly these tests when they replace the command's
    own test paths (pytest runs the union of its arguments; `-k` matches substrings, so
    `-k "test_sort[10]"` also runs `test_sort[100]`). Node ids are relative to pytest's
    rootdir: the command must run where the ids were made."""
    return [c.selector for c in cases]


def deselect_args(cases: Sequence[Case]) -> list[str]:
    """`--deselect` for each case, which leaves the command's test paths as they are and
    runs everything else (new tests included): the way to skip carried-over cases."""
    return [arg for c in cases for arg in ("--deselect", c.selector)]
