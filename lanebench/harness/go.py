"""Go benchmark text: the output of `go test -bench . -count N`, the format benchstat reads.

A result line is `BenchmarkName-P  <iterations>  <value> <unit>  [<value> <unit>]...`; each
line is one sample (a mean over its `<iterations>`), so `-count N` gives N samples.
`key: value` lines set configuration for the lines after them (`goos`, `goarch`, `pkg`,
`cpu`); `Unit <unit> better=higher|lower` lines give a unit's direction. Standard units are
converted as benchstat does: ns/op to seconds (metric `time`), MB/s to bytes per second
(`bytes_per_second`, bigger is better), B/op (`alloc_bytes`) and allocs/op (`allocs`).
Custom units (`b.ReportMetric`) keep their unit as metric name; their direction is unknown
unless a `Unit` line states it. `--- FAIL: BenchmarkName` marks a failed case. The output
records no Go version.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from lanebench.harness.document import Document
from lanebench.harness.model import Case, CaseMetric, Direction, Fields, HarnessOutput

NAME = "go"
HARNESS = "go test"

# unit -> (metric name, lanebench unit, factor, direction); as benchunit.Tidy and
# benchfmt's built-in directions.
_STANDARD: dict[str, tuple[str, str, float, Direction]] = {
    "ns/op": ("time", "s", 1e-9, "smaller"),
    "MB/s": ("bytes_per_second", "B/s", 1e6, "bigger"),
    "B/op": ("alloc_bytes", "B", 1.0, "smaller"),
    "allocs/op": ("allocs", "count", 1.0, "smaller"),
}

# `go test` runs BenchmarkXxx functions only: no lower-case letter after the prefix, so
# a line like "Benchmarks done" printed by a test is not a result.
_NAME = re.compile(r"^Benchmark(?![a-z])\S*")
_RESULT = re.compile(r"^Benchmark(?![a-z])\S*\s+\S")
_CONFIG = re.compile(r"^([a-z][^\s:A-Z]*):(?:[ \t]+(.*))?$")
_FAIL = re.compile(r"^\s*--- FAIL: (Benchmark\S*)")
_ORPHAN = re.compile(r"^\s+\d+\s+[0-9.eE+-]+ \S+/op\b")
_PROCS = re.compile(r"^(.*?)(?:-(\d+))?$")
_STDOUT_HINT = "print with b.Log, or to stderr, so result lines stay whole"
_GO_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")  # what Go's regexp.QuoteMeta escapes


def sniff(doc: Document) -> bool:
    if doc.json is not None:
        return False
    return any(_RESULT.match(line) for line in doc.text.splitlines())


@dataclass
class _Acc:
    pkg: str | None
    base: str
    procs: int
    samples: dict[str, list[float]] = field(default_factory=dict)
    iterations: list[int] = field(default_factory=list)


def parse(doc: Document) -> HarnessOutput:
    f = Fields(doc.source, HARNESS)
    config: dict[str, str] = {}
    directions: dict[str, Direction] = {}
    accs: dict[tuple[str | None, str, int], _Acc] = {}
    failed: dict[tuple[str | None, str], str] = {}
    failing: tuple[str | None, str] | None = None  # the --- FAIL block being read
    first_config: dict[str, str] = {}
    for lineno, line in enumerate(doc.text.splitlines(), start=1):
        where = f"line {lineno}"
        if failing is not None:
            if line.startswith("    ") and not failed[failing]:
                failed[failing] = line.strip()  # the first log line says why
                continue
            failing = None
        if _NAME.match(line):
            fields = line.split()
            if len(fields) == 1:
                continue  # `go test -v` prints each name alone before its result
            _read_result(f, where, fields, config.get("pkg"), accs)
        elif line.startswith("Unit "):
            _read_unit(f, where, line, directions)
        elif m := _FAIL.match(line):
            failing = (config.get("pkg"), _split_procs(m.group(1)).group(1))
            failed[failing] = ""
        elif m := _CONFIG.match(line):
            key, value = m.group(1), (m.group(2) or "").strip()
            if value:
                config[key] = value
                first_config.setdefault(key, value)
            else:
                config.pop(key, None)
        elif _ORPHAN.match(line):
            raise f.error(where, "a result without a benchmark name: the benchmark printed "
                          "to stdout while it ran, splitting its result line", hint=_STDOUT_HINT)
    if not accs and not failed:
        raise f.error("", "no benchmark result lines (BenchmarkName  N  value unit ...)",
                      hint="run `go test -run '^$' -bench . -count N` and keep its stdout")
    cases = _cases(accs, failed, directions)
    context: dict[str, str] = {k: first_config[k] for k in ("goos", "goarch", "cpu") if k in first_config}
    return HarnessOutput(NAME, HARNESS, None, doc.source, tuple(cases), context)


def _split_procs(full: str) -> re.Match[str]:
    """`BenchmarkX-8` as its name and GOMAXPROCS (none when the name has no suffix)."""
    m = _PROCS.match(full)
    assert m is not None  # the pattern matches every string
    return m


def _read_result(f: Fields, where: str, fields: list[str], pkg: str | None,
                 accs: dict[tuple[str | None, str, int], _Acc]) -> None:
    full = fields[0]
    if not fields[1].isdigit():
        raise f.error(where, f"{full}: expected an iteration count, got {fields[1]!r}: the "
                      "benchmark printed to stdout while it ran, splitting its result line",
                      hint=_STDOUT_HINT)
    pairs = fields[2:]
    if not pairs or len(pairs) % 2:
        raise f.error(where, f"{full}: expected value/unit pairs after the iteration count")
    base, procs = _split_procs(full).groups()
    acc = accs.setdefault((pkg, base, int(procs or 1)), _Acc(pkg, base, int(procs or 1)))
    acc.iterations.append(int(fields[1]))
    for k in range(0, len(pairs), 2):
        try:
            value = float(pairs[k])
        except ValueError:
            raise f.error(where, f"{full}: value for {pairs[k + 1]} is not a number: "
                          f"{pairs[k]!r}") from None
        acc.samples.setdefault(pairs[k + 1], []).append(value)


def _read_unit(f: Fields, where: str, line: str, directions: dict[str, Direction]) -> None:
    parts = line.split()
    if len(parts) < 2:
        raise f.error(where, "Unit line without a unit")
    for kv in parts[2:]:
        key, _, value = kv.partition("=")
        if key == "better":
            if value not in ("higher", "lower"):
                raise f.error(where, f"Unit {parts[1]}: better must be higher or lower, got {value!r}")
            directions[parts[1]] = "bigger" if value == "higher" else "smaller"


def _cases(accs: dict[tuple[str | None, str, int], _Acc], failed: dict[tuple[str | None, str], str],
           directions: dict[str, Direction]) -> list[Case]:
    # A GOMAXPROCS suffix is kept in the name only when one benchmark ran at several
    # (-cpu 1,2), so a name does not change with the runner's core count.
    procs_seen: dict[tuple[str | None, str], set[int]] = {}
    for (pkg, base, procs) in accs:
        procs_seen.setdefault((pkg, base), set()).add(procs)
    cases: list[Case] = []
    for (pkg, base, procs), acc in accs.items():
        suffix = f"-{procs}" if len(procs_seen[(pkg, base)]) > 1 else ""
        metrics = []
        for unit, values in acc.samples.items():
            name, lane_unit, factor, direction = _STANDARD.get(unit, (unit, unit, 1.0, "unknown"))
            direction = directions.get(unit, direction)
            metrics.append(CaseMetric(name, lane_unit, direction,
                                      samples=tuple(v * factor for v in values)))
        cases.append(Case(
            name=_qualified(pkg, base) + suffix,
            selector=base,
            metrics=tuple(metrics),
            params={"gomaxprocs": str(procs)} | ({"pkg": pkg} if pkg else {}),
            error=_failure(failed, pkg, base),
            extra={"iterations": acc.iterations},
        ))
    for pkg, base in failed:
        if (pkg, base) not in procs_seen:
            cases.append(Case(name=_qualified(pkg, base), selector=base,
                              params={"pkg": pkg} if pkg else {}, error=_failure(failed, pkg, base)))
    return cases


def _failure(failed: dict[tuple[str | None, str], str], pkg: str | None, base: str) -> str | None:
    if (pkg, base) not in failed:
        return None
    return f"--- FAIL: {failed[(pkg, base)]}" if failed[(pkg, base)] else "--- FAIL"


def _qualified(pkg: str | None, base: str) -> str:
    return f"{pkg}.{base}" if pkg else base


def select_args(cases: Sequence[Case]) -> list[str]:
    """One `-bench` regex. `go test` splits it at `/` and matches level by level, and runs
    a benchmark's own result only when every level of the pattern matched a level of its
    name, so a pattern can be no deeper than the shallowest selected case: several cases
    become one alternation per level down to that depth. That can select neighbours too
    (A/x with B/y selects A/y; Split/words=10 with CRC32 selects every Split/...): they
    run, and are left unread. Packages stay as the command names them."""
    depth = min(len(c.selector.split("/")) for c in cases)
    levels: list[list[str]] = [[] for _ in range(depth)]
    for c in cases:
        for level, part in zip(levels, c.selector.split("/")[:depth], strict=True):
            quoted = _GO_SPECIAL.sub(r"\\\1", part)
            if quoted not in level:
                level.append(quoted)
    return ["-bench", "/".join(f"^({'|'.join(alts)})$" for alts in levels)]
