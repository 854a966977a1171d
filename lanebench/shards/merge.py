"""The shards' results files back into one: every shard exactly once, one run, one split.

A refusal is one line naming the shard: a shard given twice, one missing (or
interrupted: "incomplete"), shards of two commits, two configs, two lanes or two splits,
a benchmark in two shards. The merged document lists the benchmarks in the plan's order
and keeps each shard's environment and calibration in `shards`: its benchmarks were
measured on that runner and are compared with that runner's speed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from lanebench.errors import EXIT_FAIL, ResultsError
from lanebench.results import (
    RESULTS_FILE_NAME,
    ResultsDocument,
    ShardInfo,
    ShardRecord,
    read_results,
)

MAX_SHARD_FILES = 1024  # files looked at under one directory


class ShardError(ResultsError):
    """Shard results that do not make one run (exit 2: the files given must change)."""


class ShardsIncomplete(ShardError):
    """A shard's results are missing or were interrupted: the run is not whole. Exit 1,
    like a failed gate: the workflow is right, the run is not."""

    exit_code = EXIT_FAIL

    def __init__(self, count: int, missing: Sequence[int], interrupted: Sequence[int] = ()) -> None:
        self.count = count
        self.missing = sorted(missing)
        self.interrupted = sorted(interrupted)
        parts = []
        if self.missing:
            parts.append(f"{_shards(self.missing, count)} missing")
        if self.interrupted:
            parts.append(f"{_shards(self.interrupted, count)} interrupted")
        super().__init__(
            "incomplete: " + ", ".join(parts),
            hint="a shard's job failed or uploaded no results; re-run the failed jobs",
        )


def _shards(indexes: Sequence[int], count: int) -> str:
    if len(indexes) == 1:
        return f"shard {indexes[0]} of {count}"
    return f"shards {', '.join(str(i) for i in indexes[:-1])} and {indexes[-1]} of {count}"


def find_shard_files(paths: Sequence[Path]) -> list[Path]:
    """The results files given: files as they are, directories searched for
    lanebench-results.json (actions/download-artifact puts each artifact in its own)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob(RESULTS_FILE_NAME) if p.is_file())
            if not inside:
                raise ShardError(f"{path}: no {RESULTS_FILE_NAME} in this directory",
                                 hint="download every shard's results artifact into it")
            found.extend(inside[:MAX_SHARD_FILES])
        elif path.is_file():
            found.append(path)
        else:
            raise ShardError(f"{path}: no such file or directory")
    if not found:
        raise ShardError("no shard results given", hint="pass the shards' results files or directories")
    return found


def merge_shard_files(paths: Sequence[Path]) -> ResultsDocument:
    """`merge_shards` of the results files found under `paths`."""
    return merge_shards([(str(p), read_results(p)) for p in find_shard_files(paths)])


def merge_shards(shards: Sequence[tuple[str, ResultsDocument]]) -> ResultsDocument:
    """One results document from every shard's, each (source, document); ShardError
    (ShardsIncomplete when one is missing or interrupted) when they are not one run."""
    infos: list[tuple[str, ResultsDocument, ShardInfo]] = []
    for source, doc in shards:
        if doc.run.shard is None:
            raise ShardError(f"{source}: not one shard's results (no run.shard)",
                             hint="measure each part with `lanebench run --shard K/N`")
        infos.append((source, doc, doc.run.shard))
    first_source, first, first_info = infos[0]
    by_index: dict[int, tuple[str, ResultsDocument, ShardInfo]] = {}
    for source, doc, info in infos:
        where = f"{info.label} ({source})"
        if info.count != first_info.count:
            raise ShardError(f"{where}: split into {info.count} shards, {first_info.label} "
                             f"({first_source}) into {first_info.count}",
                             hint="merge the shards of one run")
        if info.index in by_index:
            raise ShardError(f"{info.label}: given twice ({by_index[info.index][0]} and {source})",
                             hint="pass each shard's results once")
        by_index[info.index] = (source, doc, info)
        _same(where, "measured commit", doc.run.commit, first.run.commit, first_info, first_source)
        _same(where, "was planned from config", info.config, first_info.config, first_info, first_source)
        _same(where, "ran lane", doc.run.lane, first.run.lane, first_info, first_source)
        base_commit = doc.run.paired.base_commit if doc.run.paired else None
        first_base = first.run.paired.base_commit if first.run.paired else None
        _same(where, "was paired with base", base_commit, first_base, first_info, first_source)
    owner: dict[str, ShardInfo] = {}
    for source, doc, info in infos:
        names = {b.name for b in doc.benchmarks}
        for name in [*info.benchmarks, *sorted(names - set(info.benchmarks))]:
            other = owner.get(name)
            if other is not None:
                raise ShardError(f"benchmark {name!r} is in {other.label} and in {info.label} "
                                 f"({source})", hint="merge the shards of one run")
            owner[name] = info
    for source, _doc, info in infos:
        if info.plan != first_info.plan:
            raise ShardError(
                f"{info.label} ({source}) was split differently from {first_info.label} "
                f"({first_source}): timings from {info.timings or 'none'} against "
                f"{first_info.timings or 'none'}",
                hint="a new baseline landed while the shards started; re-run all shards")
    missing = [k for k in range(1, first_info.count + 1) if k not in by_index]
    interrupted = [k for k, (_s, d, _i) in by_index.items() if d.run.status != "complete"]
    if missing or interrupted:
        raise ShardsIncomplete(first_info.count, missing, interrupted)
    for source, doc, info in infos:
        absent = [n for n in info.benchmarks if doc.benchmark(n) is None]
        if absent:
            raise ShardError(f"{info.label} ({source}): no results for {absent[0]!r} of its part",
                             hint="pass the results file the shard's run wrote, unedited")
    return _merged([by_index[k] for k in sorted(by_index)])


def _same(where: str, what: str, value: str | None, first: str | None, first_info: ShardInfo,
          first_source: str) -> None:
    if value != first:
        raise ShardError(f"{where} {what} {value or 'unknown'}, {first_info.label} "
                         f"({first_source}) {first or 'unknown'}",
                         hint="merge the shards of one run: same commit, config and lane")


def _merged(ordered: list[tuple[str, ResultsDocument, ShardInfo]]) -> ResultsDocument:
    _, first, _ = ordered[0]
    position: dict[str, int] = {}
    for _, _, info in ordered:
        position.update(zip(info.benchmarks, info.positions, strict=True))
    benchmarks = [copy.deepcopy(b) for _, doc, _ in ordered for b in doc.benchmarks]
    benchmarks.sort(key=lambda b: position.get(b.name, len(position)))
    records = [
        ShardRecord(index=info.index, count=info.count, benchmarks=[b.name for b in doc.benchmarks],
                    environment=copy.deepcopy(doc.environment),
                    calibration=copy.deepcopy(doc.calibration), run=doc.run.to_dict())
        for _, doc, info in ordered
    ]
    runs = [doc.run for _, doc, _ in ordered]
    started = [r.started_at for r in runs if r.started_at]
    finished = [r.finished_at for r in runs if r.finished_at]
    measuring = [r.measuring_seconds for r in runs if r.measuring_seconds is not None]
    run = replace(
        copy.deepcopy(first.run), shard=None,
        started_at=min(started) if started else None,
        finished_at=max(finished) if finished else None,
        # each shard had the lane's budget on its own runner: the longest one is what
        # the budget bounds
        measuring_seconds=max(measuring) if measuring else None,
    )
    # the reports' environment: the first runner that measured anything
    environment = next((d.environment for _, d, _ in ordered if d.benchmarks), first.environment)
    return ResultsDocument(
        run=run, environment=copy.deepcopy(environment), benchmarks=benchmarks,
        calibration=None, history=None, shards=records,
    )
