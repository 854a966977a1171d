"""A harness's cases as results-document benchmarks (the `harness` block, `results.model`).

Two ways in:
- `imported_results`: one output file as it is (`lanebench import`): a case's samples are
  the harness's own values of one process (`samples_are: within-process`); a metric the
  harness kept only statistics of keeps them as its `summary`, one value as `reported`,
  and has no samples: nothing is invented.
- `harness.invocation`: one invocation of a harness benchmark (`runner.harness_measure`).
"""

from __future__ import annotations

import re
from typing import Any

from lanebench.harness.model import Case, CaseMetric, HarnessOutput
from lanebench.results import BenchmarkResult, HarnessBlock, MetricInfo
from lanebench.results.checks import is_sample

WITHIN_PROCESS = "within-process"


def metric_key(name: str) -> str:
    """A harness's metric name as a results-file metric name (a lower-case identifier of at
    most 64 characters): Go's `compares/op` is `compares_per_op`, a Google Benchmark user
    counter `CacheMisses` is `cachemisses`."""
    key = re.sub(r"[^a-z0-9_]+", "_", name.lower().replace("/", "_per_")).strip("_")
    if not key or not key[0].isalpha():
        key = "m_" + key
    return key[:64]


def keyed_metrics(case: Case) -> list[tuple[str, CaseMetric]]:
    """The case's metrics with their results keys, unique within the case."""
    out: list[tuple[str, CaseMetric]] = []
    keys: set[str] = set()
    for m in case.metrics:
        key = metric_key(m.name)
        while key in keys:  # two names that differ only in what a key cannot hold
            key = key[:60] + f"_{len(keys)}"
        keys.add(key)
        out.append((key, m))
    return out


def metric_info(key: str, m: CaseMetric) -> MetricInfo:
    return MetricInfo(
        unit=m.unit, direction=m.direction, evidence=m.evidence,
        name=m.name if key != m.name else None,
        summary=m.summary.to_dict() if m.summary is not None else None,
        reported=m.reported,
    )


def _usable(values: tuple[float, ...] | None) -> bool:
    return bool(values) and all(is_sample(float(v)) and v >= 0 for v in values or ())


def imported_results(output: HarnessOutput, command: list[str] | str = "") -> list[BenchmarkResult]:
    """One results benchmark per case, in the harness's order, samples as the harness kept
    them (see the module docstring)."""
    return [_imported(output, case, command) for case in output.cases]


def _imported(output: HarnessOutput, case: Case, command: list[str] | str) -> BenchmarkResult:
    primary = case.primary
    count = len(primary.samples) if primary is not None and primary.samples else None
    samples: dict[str, list[float]] = {}
    metrics: dict[str, MetricInfo] = {}
    notes: list[str] = []
    for key, m in keyed_metrics(case):
        info = metric_info(key, m)
        if m.samples:
            if len(m.samples) == count and _usable(m.samples):
                samples[key] = [float(v) for v in m.samples]
            else:  # one count per benchmark, values in range: keep it beside, say so
                info.extra["samples"] = [float(v) for v in m.samples]
                notes.append(f"{m.name}: {len(m.samples)} values where {primary.name if primary else '?'} "
                             f"has {count}, or values out of range; kept under harness.metrics")
                if info.evidence == "samples":
                    info.evidence = "summary" if m.summary and m.summary.n else "single"
        if m.note:
            notes.append(f"{m.name}: {m.note}")
        metrics[key] = info
    status = "ok"
    if case.error is not None:
        notes.insert(0, f"the harness reports a failure: {case.error}")
        status = "failed" if not samples else "ok"
    return BenchmarkResult(
        name=case.name,
        command=command,
        samples=samples,
        status=status,  # type: ignore[arg-type]
        notes=notes,
        harness=HarnessBlock(
            format=output.format, harness=output.harness, version=output.version,
            selector=case.selector, samples_are=WITHIN_PROCESS, params=dict(case.params),
            metrics=metrics, extra={"extra": case.extra} if case.extra else {},
        ),
    )


def benchmark_dicts(output: HarnessOutput, command: list[str] | str = "") -> list[dict[str, Any]]:
    """`imported_results` as the JSON entries of a results document."""
    return [b.to_dict() for b in imported_results(output, command)]
