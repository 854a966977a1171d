"""A lane's plain run: every benchmark's command measured in the project, checkpointed.

The stage loop (`runner.stages`) with one process-tree run per sample. Every finished
iteration goes to the checkpoint (`runner.checkpoint`) before the next one starts, and
`resume` replays it through the loop's bookkeeping to continue where a run stopped. One
run at a time writes a checkpoint (`lanebench.locking`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lanebench.config import BenchmarkSpec, Config, LaneSettings
from lanebench.errors import ConfigError
from lanebench.locking import FileLock
from lanebench.results import ResultsDocument, RunInfo
from lanebench.runner.checkpoint import (
    CheckpointJournal,
    CheckpointWriter,
    default_checkpoint_path,
    read_checkpoint,
    replayed,
    settings_hash,
)
from lanebench.runner.counted import measure_instruments
from lanebench.runner.measure import ProcessMeasure, default_log_dir
from lanebench.runner.progress import Progress
from lanebench.runner.sample import HEAD, StopRule
from lanebench.runner.stages import Stages


def _lane_settings_dump(lane: LaneSettings) -> dict[str, Any]:
    return lane.model_dump(mode="json", include=set(LaneSettings.model_fields))


class _Checkpoint:
    """The run's checkpoint: opened fresh, or replayed into the loop with `resume`."""

    def __init__(self, stages: Stages, path: Path, *, resume: bool, identity: str) -> None:
        self.stages = stages
        self.path = path
        self.resume = resume
        self.identity = identity
        self.writer: CheckpointWriter | None = None

    def open(self) -> None:
        stages, path, progress = self.stages, self.path, self.stages.progress
        stages.resumed_iterations = 0
        if self.resume and path.exists():
            header, records, damaged = read_checkpoint(path)
            self._check_same_run(header)
            started = header.get("run", {}).get("started_at")
            if isinstance(started, str):
                stages.run_info = dataclasses.replace(stages.run_info, started_at=started)
            stages.resumed_iterations = stages.replay(replayed(records))
            self.writer = CheckpointWriter(path, None)
            stages.journal = CheckpointJournal(self.writer)
            skipped = f"; skipped {damaged} damaged line(s)" if damaged else ""
            progress.message(
                f"resuming from {path}: {stages.resumed_iterations} iteration(s) already done{skipped}"
            )
            return
        if self.resume:
            progress.message(f"no checkpoint at {path}: starting from the beginning")
        elif path.exists():
            progress.message(
                f"replacing the checkpoint of an unfinished earlier run at {path} "
                "(pass --resume to continue it instead)"
            )
        self.writer = CheckpointWriter(
            path,
            {
                "hash": self.identity,
                "lane": stages.lane_name,
                "benchmarks": [t.name for t in stages.tracks],
                "run": stages.run_info.to_dict(),
            },
        )
        stages.journal = CheckpointJournal(self.writer)

    def _check_same_run(self, header: dict[str, Any]) -> None:
        path, stages = self.path, self.stages
        hint = f"delete {path} or run without --resume to start over"
        if header.get("hash") != self.identity:
            raise ConfigError(
                f"{path}: the checkpoint was written for a different run (lane "
                f"{header.get('lane')}, benchmarks {', '.join(header.get('benchmarks', []))}); "
                f"this run's lane, benchmarks or settings differ (lane {stages.lane_name}, "
                f"benchmarks {', '.join(t.name for t in stages.tracks)})",
                hint=hint,
            )
        old_commit = header.get("run", {}).get("commit")
        commit = stages.run_info.commit
        if old_commit and commit and old_commit != commit:
            raise ConfigError(
                f"{path}: the checkpoint was written at commit {old_commit[:12]}, "
                f"but the project is now at {commit[:12]}",
                hint=hint,
            )

    def close(self, *, finished: bool) -> None:
        if self.writer is not None:
            if finished:
                self.writer.remove()
            else:
                self.writer.close()


def run_benchmarks(
    config: Config,
    lane_name: str,
    lane: LaneSettings,
    benchmarks: list[BenchmarkSpec],
    *,
    output: Path,
    resume: bool = False,
    stop_rule: StopRule | None = None,
    progress: Progress | None = None,
    run_info: RunInfo | None = None,
    checkpoint: Path | None = None,
    log_dir: Path | None = None,
    between_benchmarks: Callable[[], None] | None = None,
) -> ResultsDocument:
    """Measure `benchmarks` under `lane`'s settings and return the results document.

    Without `stop_rule` each benchmark runs exactly `lane.min_iterations` measured
    iterations (callers that want N set min = max = N). With it, each runs at least
    `min_iterations` and at most `max_iterations`, stopping when the rule says so or the
    lane's budget would be exceeded.

    `output` is where the caller writes the document: the checkpoint (default
    `<output stem>.checkpoint.jsonl`) and the logs (default `.lanebench/logs/`) go beside
    it. The checkpoint is removed after a complete run. On SIGINT/SIGTERM it raises
    `RunInterrupted` with the partial document. `between_benchmarks` is called after each
    benchmark's minimum iterations (the calibration's interleaved timings).

    Benchmarks counting instructions (`instrument`, `runner.counted`) are counted after
    the time pass, `lane.repeats` times each, without checkpoint.
    """
    progress = progress or Progress()
    log_dir = log_dir or default_log_dir(output)
    info = run_info or RunInfo()

    def timed(specs: list[BenchmarkSpec]) -> ResultsDocument:
        return _run_timed(config, lane_name, lane, specs, output=output, resume=resume,
                          stop_rule=stop_rule, progress=progress, run_info=info,
                          checkpoint=checkpoint, log_dir=log_dir,
                          between_benchmarks=between_benchmarks)

    return measure_instruments(config, lane_name, lane, benchmarks, timed, roots={HEAD: config.root},
                               output=output, log_dir=log_dir, progress=progress, run_info=info)


def _run_timed(
    config: Config,
    lane_name: str,
    lane: LaneSettings,
    benchmarks: list[BenchmarkSpec],
    *,
    output: Path,
    resume: bool,
    stop_rule: StopRule | None,
    progress: Progress,
    run_info: RunInfo,
    checkpoint: Path | None,
    log_dir: Path,
    between_benchmarks: Callable[[], None] | None,
) -> ResultsDocument:
    """The time pass: the stage loop with one process-tree run per sample, checkpointed."""
    checkpoint_path = checkpoint or default_checkpoint_path(output)
    measure = ProcessMeasure(lane, {HEAD: config.root}, log_dir)
    stages = Stages(
        config, lane_name, lane, benchmarks, measure,
        output=output, run_info=run_info, progress=progress, stop_rule=stop_rule,
        between_benchmarks=between_benchmarks,
        resume_hint=f"continue with `lanebench run --resume` (checkpoint {checkpoint_path})",
    )
    if not lane.run:
        return stages.run()
    identity = settings_hash({
        "lane": lane_name,
        "settings": _lane_settings_dump(lane),
        "benchmarks": [b.model_dump(mode="json") for b in benchmarks],
        "adaptive": stop_rule is not None,
    })
    state = _Checkpoint(stages, checkpoint_path, resume=resume, identity=identity)
    # One run at a time per checkpoint: a second one writing into it would interleave
    # lines (and holes of NUL bytes) with the first's and lose both runs' samples.
    lock = FileLock(
        checkpoint_path, "the checkpoint",
        hint="wait for it to finish, or give this run another output (--output, --output-dir)",
    ).acquire()
    finished = False
    try:
        doc = stages.run(before=state.open)
        finished = True
        return doc
    finally:
        state.close(finished=finished)
        lock.release()
