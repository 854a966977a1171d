"""What every harness reader returns: the cases a harness measured, each with its metrics.

A metric carries its unit and direction, and either the harness's raw samples or, where the
format keeps none, only the summary statistics it does keep. A summary is never turned into
a made-up sample list: `Evidence` says what a comparison can do with each metric.
"""

from __future__ import annotations

import builtins
import math
from dataclasses import dataclass, field
from typing import Any, Literal, TypeGuard

from lanebench.errors import ResultsError

Direction = Literal["smaller", "bigger", "unknown"]
"""Which way is better: "smaller" for times and costs, "bigger" for throughput; "unknown"
where the format does not say (a user-defined counter), which a comparison reports as a
change without calling it better or worse."""

Evidence = Literal["samples", "summary", "single"]
"""What a metric offers a comparison: raw samples (any test); a summary with n, mean and
standard deviation (a Welch test from summaries); or a single value (a ratio only)."""


class HarnessError(ResultsError):
    """A harness output file is missing, malformed or of an unknown shape (exit 2)."""


@dataclass(frozen=True)
class Summary:
    """Statistics a harness reported instead of (or besides) its samples; None = not given."""

    n: int | None = None
    mean: float | None = None
    stddev: float | None = None
    min: float | None = None
    max: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None

    def scaled(self, factor: float) -> Summary:
        """The same statistics in another unit (every field but n is linear in the unit)."""

        def s(x: float | None) -> float | None:
            return None if x is None else x * factor

        return Summary(self.n, s(self.mean), s(self.stddev), s(self.min), s(self.max),
                       s(self.median), s(self.q1), s(self.q3))

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class CaseMetric:
    """One metric of one case. `samples` are raw values in `unit`; `summary` holds what the
    harness itself computed (for a format without samples, all there is); `reported` is the
    one value a format gives when it has neither (github-action-benchmark's custom JSON),
    a value of unstated statistic."""

    name: str
    unit: str
    direction: Direction
    samples: tuple[float, ...] | None = None
    summary: Summary | None = None
    reported: float | None = None
    note: str = ""

    @property
    def evidence(self) -> Evidence:
        if self.samples is not None and len(self.samples) >= 2:
            return "samples"
        s = self.summary
        if s is not None and s.n is not None and s.n >= 2 and s.mean is not None and s.stddev is not None:
            return "summary"
        return "single"

    @property
    def value(self) -> float | None:
        """One representative value: the median of the samples, else the harness's median,
        else its mean, else the single value it reported."""
        if self.samples:
            ordered = sorted(self.samples)
            mid = len(ordered) // 2
            return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        s = self.summary
        if s is not None and (s.median is not None or s.mean is not None):
            return s.median if s.median is not None else s.mean
        return self.reported


@dataclass(frozen=True)
class Case:
    """One benchmark the harness ran.

    `name` is stable and unique within the output; `selector` is the harness's own id for
    the case, the one its command line selects it by (see each format's `select_args`).
    `metrics` is ordered, the primary metric first. A case the harness reports as failed
    has `error` set and usually no metrics.
    """

    name: str
    selector: str
    metrics: tuple[CaseMetric, ...] = ()
    params: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def metric(self, name: str) -> CaseMetric | None:
        return next((m for m in self.metrics if m.name == name), None)

    @property
    def primary(self) -> CaseMetric | None:
        return self.metrics[0] if self.metrics else None


@dataclass(frozen=True)
class HarnessOutput:
    """A harness's output file, read: which harness (and version, when the file says), the
    cases in the harness's order, and the run's context (machine, options) as given."""

    format: str
    harness: str
    version: str | None
    source: str
    cases: tuple[Case, ...]
    context: dict[str, Any] = field(default_factory=dict)

    def case(self, name: str) -> Case | None:
        return next((c for c in self.cases if c.name == name), None)


# --- field access with errors that name the file, the field and the harness version -------


class Fields:
    """Typed access to a parsed document; every failure is one HarnessError line:
    `<file>: <harness> <version>: <field>: <what was expected>, got <what was there>`."""

    def __init__(self, source: str, harness: str, version: str | None = None) -> None:
        self.source = source
        self.harness = harness
        self.version = version

    @property
    def seen(self) -> str:
        return f"{self.harness} {self.version}" if self.version else f"{self.harness} (version not recorded)"

    def error(self, where: str, problem: str, hint: str | None = None) -> HarnessError:
        prefix = f"{self.source}: {self.seen}"
        return HarnessError(f"{prefix}: {where}: {problem}" if where else f"{prefix}: {problem}",
                            hint=hint)

    def expected(self, where: str, what: str, got: Any) -> HarnessError:
        return self.error(where, f"expected {what}, got {_describe(got)}")

    def obj(self, d: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        val = d.get(key)
        if not isinstance(val, dict):
            raise self.expected(where, "an object", val)
        return val

    def list(self, d: dict[str, Any], key: str, where: str) -> list[Any]:
        val = d.get(key)
        if not isinstance(val, list):
            raise self.expected(where, "a list", val)
        return val

    def string(self, d: dict[str, Any], key: str, where: str) -> str:
        val = d.get(key)
        if not isinstance(val, str) or not val:
            raise self.expected(where, "a non-empty string", val)
        return val

    def number(self, d: dict[str, Any], key: str, where: str) -> float:
        val = d.get(key)
        if not is_number(val):
            raise self.expected(where, "a finite number", val)
        return float(val)

    def optional_number(self, d: dict[str, Any], key: str, where: str) -> float | None:
        if d.get(key) is None:
            return None
        return self.number(d, key, where)

    def numbers(self, d: dict[str, Any], key: str, where: str) -> builtins.list[float]:
        values = self.list(d, key, where)
        for i, x in enumerate(values):
            if not is_number(x):
                raise self.expected(f"{where}[{i}]", "a finite number", x)
        return [float(x) for x in values]


def is_number(x: Any) -> TypeGuard[float]:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _describe(val: Any) -> str:
    if val is None:
        return "nothing"
    if isinstance(val, str):
        return f"{val[:40]!r}"
    if isinstance(val, bool):
        return str(val).lower()
    if isinstance(val, (int, float)):
        return repr(val)
    return type(val).__name__


def unique_names(cases: list[Case], fields: Fields, hint: str) -> None:
    """Case names are keys downstream; a duplicate would silently merge two cases."""
    seen: set[str] = set()
    for c in cases:
        if c.name in seen:
            raise fields.error("", f"two cases are named {c.name!r}", hint=hint)
        seen.add(c.name)
