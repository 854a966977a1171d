"""github-action-benchmark's custom JSON (`tool: customSmallerIsBetter` or
`customBiggerIsBetter`): a list of `{"name", "unit", "value", "range"?, "extra"?}`.

Each case has one value of unstated statistic and no samples, and the file does not say
which way is better: the format name does (two formats, one reader). `range` and `extra`
are free text, kept in the case's extra and never parsed (`range` is "± 7,527" from cargo,
"stddev: 0.1" from pytest, or anything a script wrote). With one value per case no test is
possible: see docs/harnesses.md for what lanebench reports from it.
"""

from __future__ import annotations

from typing import Any

from lanebench.harness.document import Document
from lanebench.harness.model import Case, CaseMetric, Direction, Fields, HarnessOutput, unique_names

SMALLER = "custom-smaller-is-better"
BIGGER = "custom-bigger-is-better"
HARNESS = "github-action-benchmark custom JSON"


def sniff(doc: Document) -> bool:
    data = doc.json
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(e, dict) and {"name", "unit", "value"} <= e.keys() for e in data)
    )


def parse_smaller(doc: Document) -> HarnessOutput:
    return _parse(doc, SMALLER, "smaller")


def parse_bigger(doc: Document) -> HarnessOutput:
    return _parse(doc, BIGGER, "bigger")


def _parse(doc: Document, fmt: str, direction: Direction) -> HarnessOutput:
    data = doc.require_json(HARNESS)
    f = Fields(doc.source, HARNESS)
    if not isinstance(data, list):
        raise f.expected("", "a JSON list of {name, unit, value} entries", data)
    cases = [_case(f, e, f"[{i}]", direction) for i, e in enumerate(data)]
    unique_names(cases, f, hint="one entry per name: put the variant into the name")
    return HarnessOutput(fmt, HARNESS, None, doc.source, tuple(cases))


def _case(f: Fields, e: Any, where: str, direction: Direction) -> Case:
    if not isinstance(e, dict):
        raise f.expected(where, "an object", e)
    name = f.string(e, "name", f"{where}.name")
    unit = e.get("unit")
    if not isinstance(unit, str):
        raise f.expected(f"{where}.unit", "a string", unit)
    value = f.number(e, "value", f"{where}.value")
    extra: dict[str, Any] = {}
    for key in ("range", "extra"):
        if e.get(key) is not None:
            if not isinstance(e[key], str):
                raise f.expected(f"{where}.{key}", "a string", e[key])
            extra[key] = e[key]
    return Case(name=name, selector=name,
                metrics=(CaseMetric("value", unit, direction, reported=value),), extra=extra)


select_args = None
"""The file is written by the project's own script: there is no harness to pass a filter to."""
