"""One invocation of a harness benchmark, as the runner records it (`runner.harness_measure`).

Values inside one process (pytest rounds, Google Benchmark repetitions, one Go test
binary's `-count` runs) share that process's luck: its memory layout, hash seed, CPU
frequency and neighbours. Pooled as independent samples they would make p-values too
small, so one invocation gives each case one value per metric: the median of the
harness's own values in it, else the median or mean it reported, else its single value.
Lanebench's iterations (separate invocations) are the samples; the harness's own values
are kept beside them (`raw`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lanebench.harness.benchmarks import keyed_metrics, metric_info
from lanebench.harness.model import HarnessOutput
from lanebench.results.checks import is_sample

INVOCATIONS = "invocations"


@dataclass
class CaseRun:
    """One case of a harness's output, as one invocation of the harness measured it:
    per metric one value (the median of the harness's own values in this process, or the
    statistic it reported instead), the values themselves, and what each metric is."""

    name: str
    selector: str
    values: dict[str, float]  # metric key -> this invocation's value
    raw: dict[str, list[float]] = field(default_factory=dict)  # metric key -> harness values
    info: dict[str, dict[str, Any]] = field(default_factory=dict)  # metric key -> MetricInfo dict
    params: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "selector": self.selector, "values": self.values,
                "raw": self.raw, "info": self.info, "params": self.params, "error": self.error}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> CaseRun:
        return cls(name=str(raw["name"]), selector=str(raw["selector"]),
                   values={k: float(v) for k, v in raw["values"].items()},
                   raw={k: [float(x) for x in v] for k, v in (raw.get("raw") or {}).items()},
                   info=dict(raw.get("info") or {}), params=dict(raw.get("params") or {}),
                   error=raw.get("error"))


@dataclass
class HarnessRun:
    """What a harness wrote in one invocation (`runner.harness_measure`)."""

    format: str
    harness: str
    version: str | None
    cases: list[CaseRun]

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "harness": self.harness, "version": self.version,
                "cases": [c.to_dict() for c in self.cases]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> HarnessRun:
        return cls(format=str(raw["format"]), harness=str(raw["harness"]),
                   version=raw.get("version"),
                   cases=[CaseRun.from_dict(c) for c in raw.get("cases") or []])



def invocation_cases(output: HarnessOutput) -> HarnessRun:
    """One invocation's cases: per metric this invocation's value (module docstring)."""
    cases: list[CaseRun] = []
    for case in output.cases:
        values: dict[str, float] = {}
        raw: dict[str, list[float]] = {}
        info: dict[str, dict[str, Any]] = {}
        for key, m in keyed_metrics(case):
            value = m.value
            if value is None or not is_sample(float(value)) or value < 0:
                continue
            values[key] = float(value)
            if m.samples:
                raw[key] = [float(v) for v in m.samples]
            described = metric_info(key, m).to_dict()
            described.pop("evidence", None)  # one value per invocation: samples across them
            info[key] = described
        cases.append(CaseRun(name=case.name, selector=case.selector, values=values, raw=raw,
                             info=info, params=dict(case.params), error=case.error))
    return HarnessRun(format=output.format, harness=output.harness, version=output.version,
                      cases=cases)
