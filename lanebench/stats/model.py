"""The comparison document: what `compare` returns and every later stage reads.

A pure data model (no scipy here). `Comparison.to_dict()` is the comparison JSON;
every number in it is reproducible from the two results files' raw samples.
Fields may be added in minor schema versions; none are removed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

COMPARISON_SCHEMA_VERSION = "1.0.0"
COMPARISON_KIND = "lanebench-comparison"

Verdict = Literal[
    "regression",
    "improvement",
    "unchanged",
    "inconclusive",
    "insufficient data",
    "failed",
    "skipped",
    "carried over",
    "no baseline",
]
# Verdicts that mean "the gate has something to say" vs. not.
DECIDED: tuple[str, ...] = ("regression", "improvement", "unchanged")


@dataclass
class Summary:
    """Descriptive statistics of one sample (one benchmark, one metric, one run)."""

    n: int
    median: float
    mean: float
    stdev: float
    cv: float
    p95: float
    p99: float
    min: float
    max: float
    mad: float
    outliers: list[int] = field(default_factory=list)  # indices into the raw samples
    outlier_rule: str = ""


@dataclass
class Noise:
    """Whether δ is detectable at this noise level with the samples at hand."""

    cv: float
    detectable: bool
    needed_n: int | None  # samples per side for 80% power at δ; None when unbounded
    message: str = ""


@dataclass
class MetricComparison:
    benchmark: str
    metric: str
    unit: str
    kind: str
    threshold: float  # practical threshold δ as a fraction (0.05 = 5%)
    verdict: Verdict
    reason: str  # one sentence: why this verdict
    base: Summary | None = None
    head: Summary | None = None
    ratio: float | None = None  # head / base point estimate (see method)
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    method: str = ""  # e.g. "mann-whitney", "welch-log", "paired-wilcoxon"
    noise: Noise | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    direction: str = "smaller"  # which way is better: smaller, bigger (throughput), unknown

    @property
    def change(self) -> float | None:
        """Relative change (ratio - 1), e.g. 0.07 for +7%."""
        return None if self.ratio is None else self.ratio - 1.0

    @property
    def undetectable(self) -> bool:
        """Too noisy to detect δ, and the verdict did not settle it either: a decided
        verdict (regression, improvement, unchanged) proves the data were precise enough,
        whatever the power estimate made before the test said."""
        return self.noise is not None and not self.noise.detectable and self.verdict not in DECIDED


@dataclass
class BenchmarkOutcome:
    """Benchmark-level status: whether it could be compared at all."""

    name: str
    status: Literal[
        "compared", "failed", "skipped", "carried over", "missing in baseline", "missing in head"
    ]
    notes: list[str] = field(default_factory=list)
    base_n: int = 0
    head_n: int = 0


@dataclass
class Comparison:
    lane: str | None
    settings: dict[str, Any]  # test, correction, alpha, confidence, thresholds used
    base_run: dict[str, Any]
    head_run: dict[str, Any]
    base_environment: dict[str, Any]
    head_environment: dict[str, Any]
    cross_machine: list[str]  # human-readable environment differences; empty = same machine
    benchmarks: list[BenchmarkOutcome]
    metrics: list[MetricComparison]
    schema_version: str = COMPARISON_SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def by_verdict(self, verdict: str) -> list[MetricComparison]:
        return [m for m in self.metrics if m.verdict == verdict]

    @property
    def regressions(self) -> list[MetricComparison]:
        return self.by_verdict("regression")

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for m in self.metrics:
            out[m.verdict] = out.get(m.verdict, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        d = plain_data(self)
        d = {"schema_version": d.pop("schema_version"), "kind": COMPARISON_KIND, **d}
        d["counts"] = self.counts()
        return d


_ATOMS = (str, int, float, bool, type(None))
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def plain_data(obj: Any) -> Any:
    """What `dataclasses.asdict` returns, without its cost on thousands of rows.

    asdict deep-copies every leaf through `copy.deepcopy`; a comparison of 4,000 rows has
    a quarter of a million leaves, nearly all immutable numbers and strings, which are
    returned as they are here. Containers are copied the way asdict copies them, and
    anything else still goes through `copy.deepcopy`.
    """
    kind = type(obj)
    if kind in _ATOMS:
        return obj
    if kind is list:
        return [plain_data(v) for v in obj]
    if kind is dict:
        return {plain_data(k): plain_data(v) for k, v in obj.items()}
    names = _FIELD_NAMES.get(kind)
    if names is None and is_dataclass(obj) and not isinstance(obj, type):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(obj))
    if names is not None:
        return {name: plain_data(getattr(obj, name)) for name in names}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return kind(*[plain_data(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return kind(plain_data(v) for v in obj)
    if isinstance(obj, dict):
        return kind((plain_data(k), plain_data(v)) for k, v in obj.items())
    return copy.deepcopy(obj)
