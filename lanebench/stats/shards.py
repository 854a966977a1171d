"""Cross-run corrections when a side was measured in shards, each on its own runner.

A merged results file (`lanebench.shards.merge`) keeps each shard's environment and
calibration. A benchmark's change is corrected for the speed of the runner that measured
it on each side: head's shard against the baseline's shard (or the baseline's one
runner), each pair of runners a `CrossRun` of its own. One calibration for every shard
would divide a fast runner's benchmarks by a slow runner's speed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lanebench.config.model import LaneSettings
from lanebench.machine import machine_differences
from lanebench.results import ResultsDocument, ShardRecord
from lanebench.stats.evaluate import MetricAnalysis
from lanebench.stats.history import UNMODELLED_TRUST, Correction, CrossRun

PREFIX = "artifact baseline, "


def is_sharded(doc: ResultsDocument) -> bool:
    return bool(doc.shards)


def runner_view(doc: ResultsDocument, shard: ShardRecord | None) -> ResultsDocument:
    """`doc` as seen from one of its runners: that shard's environment and calibration."""
    if shard is None:
        return doc
    return dataclasses.replace(doc, environment=shard.environment, calibration=shard.calibration)


def _label(base: ShardRecord | None, head: ShardRecord | None) -> str:
    if head is not None and base is not None:
        return f"head {head.label}, baseline {base.label}"
    if head is not None:
        return f"head {head.label}"
    assert base is not None
    return f"baseline {base.label}"


@dataclass
class _Pair:
    label: str
    cross: CrossRun | None
    base: ResultsDocument
    head: ResultsDocument


@dataclass
class ShardedCrossRun:
    """`CrossRun`'s interface over the runner pairs of a sharded comparison."""

    lane: LaneSettings
    base: ResultsDocument
    head: ResultsDocument
    pairs: dict[tuple[int, int], _Pair] = field(default_factory=dict)

    @classmethod
    def from_documents(cls, base: ResultsDocument, head: ResultsDocument,
                       lane: LaneSettings) -> ShardedCrossRun:
        made = cls(lane, base, head)
        for bench in head.benchmarks:
            if base.benchmark(bench.name) is not None:
                made.pair(bench.name)
        return made

    def pair(self, benchmark: str) -> _Pair:
        b, h = self.base.shard_of(benchmark), self.head.shard_of(benchmark)
        key = (h.index if h else 0, b.index if b else 0)
        if key not in self.pairs:
            base, head = runner_view(self.base, b), runner_view(self.head, h)
            self.pairs[key] = _Pair(_label(b, h), CrossRun.from_documents(base, head, self.lane),
                                    base, head)
        return self.pairs[key]

    def adjust(self, analysis: MetricAnalysis, benchmark: str, metric: str,
               kind: str, measure: str | None = None) -> tuple[MetricAnalysis, Correction | None]:
        pair = self.pair(benchmark)
        if pair.cross is None:
            return analysis, None
        analysis, correction = pair.cross.adjust(analysis, benchmark, metric, kind, measure)
        if correction is not None:
            correction = dataclasses.replace(correction, runner=pair.label)
        return analysis, correction

    def _used(self) -> list[_Pair]:
        return [self.pairs[k] for k in sorted(self.pairs)]

    def trust(self, corrections: Sequence[Correction]) -> str:
        lines = []
        for pair in self._used():
            mine = [c for c in corrections if c.runner == pair.label]
            lines.append((pair.label, pair.cross.trust(mine) if pair.cross else UNMODELLED_TRUST))
        texts = {text for _, text in lines}
        count = f"{len(lines)} runner pair{'s' if len(lines) != 1 else ''}"
        if len(texts) == 1:
            return f"{texts.pop()} (sharded: {count}, each compared with its own runners' calibration)"
        return (f"sharded, each shard compared with its own runners' calibration ({count}): "
                + "; ".join(f"{label}: {text.removeprefix(PREFIX)}" for label, text in lines))

    def summary(self, corrections: Sequence[Correction]) -> dict[str, Any]:
        shards = []
        notes: list[str] = []
        for pair in self._used():
            if pair.cross is None:
                shards.append({"runners": pair.label, "mode": "artifact", "modelled": False})
                continue
            mine = [c for c in corrections if c.runner == pair.label]
            shards.append({"runners": pair.label, **pair.cross.summary(mine)})
            notes.extend(f"{pair.label}: {note}" for note in pair.cross.notes())
        return {"mode": "artifact", "sharded": True, "shards": shards,
                "bounded_metrics": sum(c.bounded for c in corrections), "notes": notes}

    def warnings(self) -> list[str]:
        out: list[str] = []
        for pair in self._used():
            found = machine_differences(pair.base.environment, pair.head.environment)
            if pair.cross is not None:
                found += pair.cross.warnings()
            out.extend(f"{pair.label}: {line}" for line in found)
        return out
