"""hyperfine JSON: `hyperfine --export-json PATH ...`.

Each entry of `results` is one command (one per parameter value with `-P`/`-L`). `times`
(wall seconds of every timed run) are the samples; `user` and `system` are means only, so
they are summary metrics. `exit_codes` (null for a run killed by a signal) lines up with
`times`: with `--ignore-failure` the failed runs stay among the timed samples, as hyperfine
counts them, and are listed in the case's `extra["failed_runs"]`. The file records no
hyperfine version, and `command` holds the `--command-name` when one was given.
"""

from __future__ import annotations

from typing import Any

from lanebench.harness.document import Document
from lanebench.harness.model import (
    Case,
    CaseMetric,
    Fields,
    HarnessOutput,
    Summary,
    is_number,
    unique_names,
)

NAME = "hyperfine"


def sniff(doc: Document) -> bool:
    data = doc.json
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        return False
    first = data["results"][0] if data["results"] else {}
    return isinstance(first, dict) and "command" in first


def parse(doc: Document) -> HarnessOutput:
    data = doc.require_json(NAME)
    f = Fields(doc.source, NAME)
    if not isinstance(data, dict):
        raise f.expected("", "a JSON object with a results list", data)
    cases = [_case(f, r, f"results[{i}]") for i, r in enumerate(f.list(data, "results", "results"))]
    unique_names(cases, f, hint="give each command a distinct --command-name")
    return HarnessOutput(NAME, NAME, None, doc.source, tuple(cases))


def _case(f: Fields, r: Any, where: str) -> Case:
    if not isinstance(r, dict):
        raise f.expected(where, "an object", r)
    command = f.string(r, "command", f"{where}.command")
    times = tuple(f.numbers(r, "times", f"{where}.times")) if "times" in r else None
    n = len(times) if times is not None else None
    wall = Summary(
        n=n,
        mean=f.number(r, "mean", f"{where}.mean"),
        stddev=f.optional_number(r, "stddev", f"{where}.stddev"),
        min=f.optional_number(r, "min", f"{where}.min"),
        max=f.optional_number(r, "max", f"{where}.max"),
        median=f.optional_number(r, "median", f"{where}.median"),
    )
    note = ""
    if times and any(t == 0 for t in times):
        note = ("some times are 0: hyperfine subtracts its estimate of the shell's start-up "
                "and clamps at 0; run with -N (no shell) for commands this short")
    metrics = [CaseMetric("wall", "s", "smaller", samples=times, summary=wall, note=note)]
    for key, metric in (("user", "user"), ("system", "sys")):
        mean = f.optional_number(r, key, f"{where}.{key}")
        if mean is not None:
            metrics.append(CaseMetric(metric, "s", "smaller", summary=Summary(n=n, mean=mean),
                                      note="mean over the runs only: hyperfine keeps no per-run value"))
    extra: dict[str, Any] = {}
    if "exit_codes" in r:
        codes = f.list(r, "exit_codes", f"{where}.exit_codes")
        if any(c is not None and not (is_number(c) and float(c).is_integer()) for c in codes):
            raise f.expected(f"{where}.exit_codes", "a list of integers or nulls", codes)
        if times is not None and len(codes) != len(times):
            raise f.error(f"{where}.exit_codes", f"{len(codes)} exit codes for {len(times)} times")
        extra["exit_codes"] = codes
        failed = [i for i, c in enumerate(codes) if c != 0]
        if failed:
            extra["failed_runs"] = failed
    params = r.get("parameters")
    if params is not None and not isinstance(params, dict):
        raise f.expected(f"{where}.parameters", "an object", params)
    return Case(
        name=command,
        selector=command,
        metrics=tuple(metrics),
        params={str(k): str(v) for k, v in (params or {}).items()},
        extra=extra,
    )


select_args = None
"""hyperfine has no filter option: its cases are the commands on its own command line, so
selecting cases means writing that command line with fewer commands."""
