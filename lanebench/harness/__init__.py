"""Benchmark harnesses' own output files, read into cases with metrics, units and directions.

One module per format, each with `sniff(doc)`, `parse(doc)` and `select_args(cases)` (or
None where the harness has no filter); this module names them and picks one:

    read("out.json")                        # detect the format from the content
    read("bench.txt", "go")                 # or name it
    select_args("google-benchmark", cases)  # the harness's arguments that run only these cases

Every failure is a `HarnessError` (a `ResultsError`, exit 2) naming the file, the field
and the harness version the file records. docs/harnesses.md says what each format gives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lanebench.harness import (
    github_action_benchmark,
    go,
    google_benchmark,
    hyperfine,
    pyperf,
    pytest_benchmark,
)
from lanebench.harness.document import Document
from lanebench.harness.model import (
    Case,
    CaseMetric,
    Direction,
    Evidence,
    HarnessError,
    HarnessOutput,
    Summary,
)

__all__ = [
    "FORMATS",
    "Case",
    "CaseMetric",
    "Direction",
    "Evidence",
    "Format",
    "HarnessError",
    "HarnessOutput",
    "Summary",
    "detect",
    "format_for",
    "read",
    "select_args",
]


@dataclass(frozen=True)
class Format:
    name: str
    parse: Callable[[Document], HarnessOutput]
    sniff: Callable[[Document], bool]
    select: Callable[[Sequence[Case]], list[str]] | None
    aliases: tuple[str, ...] = ()


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(pytest_benchmark.NAME, pytest_benchmark.parse, pytest_benchmark.sniff,
               pytest_benchmark.select_args, ("pytest",)),
        Format(pyperf.NAME, pyperf.parse, pyperf.sniff, pyperf.select_args),
        Format(hyperfine.NAME, hyperfine.parse, hyperfine.sniff, hyperfine.select_args),
        Format(google_benchmark.NAME, google_benchmark.parse, google_benchmark.sniff,
               google_benchmark.select_args, ("googlecpp",)),
        Format(go.NAME, go.parse, go.sniff, go.select_args),
        # One content, two formats: the direction is the format's name, not the file's.
        Format(github_action_benchmark.SMALLER, github_action_benchmark.parse_smaller,
               github_action_benchmark.sniff, None, ("customSmallerIsBetter",)),
        Format(github_action_benchmark.BIGGER, github_action_benchmark.parse_bigger,
               github_action_benchmark.sniff, None, ("customBiggerIsBetter",)),
    )
}
# The aliases are github-action-benchmark's `tool:` names, so its users can keep theirs.
_BY_ALIAS = {alias: f for f in FORMATS.values() for alias in f.aliases}


def format_for(name: str) -> Format:
    """The format called `name` (or one of its aliases); a HarnessError lists the known ones."""
    fmt = FORMATS.get(name) or _BY_ALIAS.get(name)
    if fmt is None:
        raise HarnessError(f"unknown harness format {name!r}",
                           hint=f"one of: {', '.join(FORMATS)}")
    return fmt


def detect(path: Path | str) -> str:
    """The format of a harness output file, from its content."""
    return _detect(Document.from_path(path))


def _detect(doc: Document) -> str:
    found = [f.name for f in FORMATS.values() if f.sniff(doc)]
    if set(found) == {github_action_benchmark.SMALLER, github_action_benchmark.BIGGER}:
        raise HarnessError(
            f"{doc.source}: github-action-benchmark custom JSON does not say which way is "
            "better",
            hint=f"name the format: {github_action_benchmark.SMALLER} or "
            f"{github_action_benchmark.BIGGER}",
        )
    if len(found) == 1:
        return found[0]
    if not found:
        what = "JSON" if doc.json is not None else "text"
        raise HarnessError(
            f"{doc.source}: {what} of no harness format lanebench knows",
            hint=f"name the format if it is one of: {', '.join(FORMATS)}",
        )
    raise HarnessError(f"{doc.source}: could be any of {', '.join(found)}",
                       hint="name the format")


def read(path: Path | str, format: str | None = None) -> HarnessOutput:
    """Read a harness output file; `format` (a name or alias) skips detection."""
    doc = Document.from_path(path)
    fmt = format_for(format) if format is not None else FORMATS[_detect(doc)]
    return fmt.parse(doc)


def select_args(format: str, cases: Sequence[Case]) -> list[str] | None:
    """Arguments that make the harness run only `cases`, or None when the harness has no
    way to select cases (pyperf, hyperfine, the custom JSON)."""
    fmt = format_for(format)
    if fmt.select is None or not cases:
        return None
    return fmt.select(cases)
