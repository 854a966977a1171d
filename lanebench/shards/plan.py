"""Which benchmarks shard K of N measures: the same answer on every job of a run.

Balanced by what the benchmarks took in the baseline (longest first, each onto the
shard with the least time so far: the LPT rule, within 4/3 of the best split); those
the baseline never timed are then dealt out evenly, starting with the least-loaded
shards. Ties break by name, so the split depends only on the benchmark names, the
baseline and N, never on which job starts first.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lanebench.config import Config
from lanebench.errors import ConfigError
from lanebench.results import ResultsDocument, ShardInfo

MAX_SHARDS = 256  # GitHub runs at most 256 jobs of one matrix


@dataclass(frozen=True)
class ShardSpec:
    """Shard `index` of `count`, both counted from 1."""

    index: int
    count: int

    @property
    def label(self) -> str:
        return f"shard {self.index} of {self.count}"

    @classmethod
    def parse(cls, text: str, source: str = "--shard") -> ShardSpec:
        """"2/4" -> ShardSpec(2, 4); anything else is one ConfigError line."""
        index, slash, count = text.strip().partition("/")
        ok = slash and index.isdigit() and count.isdigit() and index.isascii() and count.isascii()
        if not ok or not 1 <= int(index) <= int(count) <= MAX_SHARDS:
            raise ConfigError(
                f"{source} {text!r}: expected K/N with 1 <= K <= N <= {MAX_SHARDS} (e.g. 2/4)",
                hint="in a matrix: shard: ${{ matrix.shard }}/N with shard: [1, 2, ..., N]",
            )
        return cls(int(index), int(count))


def baseline_timings(baseline: ResultsDocument | None) -> dict[str, float]:
    """Seconds each benchmark took in the baseline's run: its measured wall times, its
    warmup at their median, and a paired benchmark's base side too."""
    timings: dict[str, float] = {}
    for bench in baseline.benchmarks if baseline is not None else ():
        wall = bench.samples.get("wall", [])
        if bench.status in ("skipped", "carried_over") or not wall:
            continue
        base_wall = bench.paired.base_samples.get("wall", []) if bench.paired else []
        warmup = bench.settings.warmup or 0
        spent = sum(wall) + sum(base_wall) + warmup * statistics.median(wall) * (2 if base_wall else 1)
        if spent > 0:
            timings[bench.name] = spent
    return timings


def split(names: Sequence[str], timings: Mapping[str, float], count: int) -> list[list[str]]:
    """`names` in `count` parts, each in the order of `names`."""
    parts: list[list[str]] = [[] for _ in range(count)]
    loads = [0.0] * count
    timed = sorted((n for n in set(names) if n in timings), key=lambda n: (-timings[n], n))
    for name in timed:
        k = min(range(count), key=lambda i: (loads[i], len(parts[i]), i))
        parts[k].append(name)
        loads[k] += timings[name]
    untimed = sorted(n for n in set(names) if n not in timings)
    extra = [0] * count
    for name in untimed:
        k = min(range(count), key=lambda i: (extra[i], loads[i], i))
        parts[k].append(name)
        extra[k] += 1
    place = {name: i for i, name in enumerate(names)}
    return [sorted(part, key=place.__getitem__) for part in parts]


def config_digest(config: Config) -> str:
    """What the config says, as a digest: shards planned from two configs do not merge."""
    text = json.dumps(config.model_dump(mode="json"), sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ShardPlan:
    """One shard's part of a split, and what identifies the whole split."""

    spec: ShardSpec
    parts: list[list[str]]
    names: list[str]  # the whole plan, in order
    timed: int  # how many of them the baseline had times for
    info: ShardInfo

    @property
    def mine(self) -> list[str]:
        return self.parts[self.spec.index - 1]

    def describe(self) -> str:
        basis = (f"balanced by the baseline's times of {self.timed} of {len(self.names)}"
                 if self.timed else f"no baseline times: {len(self.names)} dealt out evenly")
        return f"{self.spec.label}: {len(self.mine)} of {len(self.names)} benchmarks ({basis})"


def plan_shards(names: Sequence[str], spec: ShardSpec, baseline: ResultsDocument | None,
                config: Config) -> ShardPlan:
    """Shard `spec`'s part of `names` (the lane's benchmarks to measure, in order)."""
    timings = {n: t for n, t in baseline_timings(baseline).items() if n in set(names)}
    parts = split(names, timings, spec.count)
    source = None
    if baseline is not None and timings:
        source = f"baseline {baseline.run.commit or 'unknown commit'} finished {baseline.run.finished_at}"
    whole = json.dumps({"count": spec.count, "parts": parts}, separators=(",", ":"))
    mine = parts[spec.index - 1]
    position = {n: i for i, n in enumerate(names)}
    info = ShardInfo(
        index=spec.index, count=spec.count, benchmarks=list(mine),
        positions=[position[n] for n in mine], planned=len(names),
        plan="sha256:" + hashlib.sha256(whole.encode("utf-8")).hexdigest()[:16],
        config=config_digest(config), timings=source,
    )
    return ShardPlan(spec=spec, parts=parts, names=list(names), timed=len(timings), info=info)
