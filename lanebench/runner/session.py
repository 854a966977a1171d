"""A lane's run: every benchmark warmup + N times, checkpointed, within the lane's budget.

Order of work:
1. for each benchmark in turn: `warmup` unmeasured iterations, then `min_iterations`
   measured ones (the minimum is never cut by the budget);
2. only with a stopping callback (adaptive mode), for each benchmark in turn: ask the
   callback; while it says "not enough" and `max_iterations` is not reached, run the
   warmup again (the other benchmarks ran meanwhile) and more iterations, each only if
   its expected duration (the median wall so far) fits the lane's remaining budget and
   this benchmark's fair share of it.

Every finished iteration goes to the checkpoint before the next one starts; replaying
the checkpoint through the same bookkeeping is how `--resume` continues a run.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lanebench.config import BenchmarkSpec, Config, LaneSettings
from lanebench.environment import capture_environment
from lanebench.errors import ConfigError, LanebenchError
from lanebench.locking import FileLock
from lanebench.metrics import METRICS
from lanebench.results import (
    BenchmarkResult,
    Failure,
    ResultsDocument,
    RunInfo,
    write_results,
)
from lanebench.runner import spawner, tree
from lanebench.runner.checkpoint import (
    CheckpointWriter,
    default_checkpoint_path,
    read_checkpoint,
    settings_hash,
)
from lanebench.runner.env import benchmark_environment
from lanebench.runner.interrupt import Interrupted, catch_signals, critical, shielded
from lanebench.runner.process import IterationRecord, measure_once
from lanebench.runner.progress import Progress
from lanebench.units import format_duration, format_size

StopCallback = Callable[[str, dict[str, list[float]]], bool]
"""`should_stop(benchmark_name, samples_so_far) -> True` when the benchmark has enough samples."""


class RunInterrupted(LanebenchError):
    """SIGINT/SIGTERM stopped the run; partial results were written. Exit code 130 or 143."""

    def __init__(self, message: str, *, signum: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.signum = signum
        self.exit_code = 128 + signum


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def log_folder_name(benchmark: str) -> str:
    """A benchmark name made safe as one path component."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", benchmark).strip("._") or "benchmark"
    return safe[:100]


def stop_note(stopper: Any, name: str, n: int, unit: str) -> str:
    """The note a benchmark gets when the stopping rule ends it, naming any metric the rule
    gave up on (`stats.sequential.futile`)."""
    note = f"stopping rule satisfied at {n} {unit}"
    given_up = stopper.futile_metrics(name) if hasattr(stopper, "futile_metrics") else []
    if given_up:
        note += (
            f" ({', '.join(given_up)}: too noisy to decide within max_iterations, more "
            f"{unit} would not change that)"
        )
    return note


def fits_budget(lane: LaneSettings, spent: float, stage_spent: float, need: float, share: float) -> bool:
    """Whether `need` more seconds fit both the lane's budget and this benchmark's fair
    share of what was left of it when its stage 2 began (`stage_spent` of it used)."""
    return spent + need <= lane.budget and stage_spent + need <= share


def budget_note(lane: LaneSettings, n: int, unit: str) -> str:
    return (
        f"budget {format_duration(lane.budget)} reached: stopped at {n} of max "
        f"{lane.max_iterations} {unit}"
    )


def default_log_dir(output: Path) -> Path:
    return output.parent / ".lanebench" / "logs"


@dataclass
class _Bench:
    """Bookkeeping of one benchmark; rebuilt identically from checkpoint records."""

    spec: BenchmarkSpec
    settings: dict[str, Any]
    samples: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in METRICS})
    failures: list[Failure] = field(default_factory=list)
    attempts: int = 0
    warmups: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0})
    stage2_spent: float = 0.0
    status: str | None = None  # set when the benchmark is finished
    notes: list[str] = field(default_factory=list)
    leftover_iterations: int = 0
    maxrss_floor: int = 0
    env: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def n(self) -> int:
        return len(self.samples["wall"])


def _lane_settings_dump(lane: LaneSettings) -> dict[str, Any]:
    return lane.model_dump(mode="json", include=set(LaneSettings.model_fields))


class _Session:
    def __init__(
        self,
        config: Config,
        lane_name: str,
        lane: LaneSettings,
        benchmarks: list[BenchmarkSpec],
        *,
        output: Path,
        resume: bool,
        should_stop: StopCallback | None,
        progress: Progress,
        run_info: RunInfo,
        checkpoint: Path | None,
        log_dir: Path | None,
        between_benchmarks: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.between_benchmarks = between_benchmarks
        self.lane_name = lane_name
        self.lane = lane
        self.output = output
        self.resume = resume
        self.should_stop = should_stop
        self.progress = progress
        self.run_info = run_info
        self.checkpoint_path = checkpoint or default_checkpoint_path(output)
        self.log_dir = log_dir or default_log_dir(output)
        self.spent = 0.0
        self.resumed_iterations = 0
        self.writer: CheckpointWriter | None = None
        adaptive = should_stop is not None and lane.max_iterations > lane.min_iterations
        self.benches = [
            _Bench(spec, self._settings(spec, adaptive), env=benchmark_environment(spec))
            for spec in benchmarks
        ]
        self.identity = settings_hash(
            {
                "lane": lane_name,
                "settings": _lane_settings_dump(lane),
                "benchmarks": [b.model_dump(mode="json") for b in benchmarks],
                "adaptive": should_stop is not None,
            }
        )

    def _settings(self, spec: BenchmarkSpec, adaptive: bool) -> dict[str, Any]:
        lane = self.lane
        return {
            "iterations": lane.max_iterations if adaptive else lane.min_iterations,
            "min_iterations": lane.min_iterations,
            "max_iterations": lane.max_iterations,
            "adaptive": adaptive,
            "warmup": lane.warmup,
            "timeout": spec.timeout if spec.timeout is not None else lane.timeout,
            "sample_interval": lane.sample_interval,
            "max_failures": lane.max_failures,
        }

    # --- checkpoint ----------------------------------------------------------------------

    def _open_checkpoint(self) -> None:
        path = self.checkpoint_path
        if self.resume and path.exists():
            header, records, damaged = read_checkpoint(path)
            self._check_same_run(header)
            started = header.get("run", {}).get("started_at")
            if isinstance(started, str):
                self.run_info = dataclasses.replace(self.run_info, started_at=started)
            by_name = {b.name: b for b in self.benches}
            for record in records:
                bench = by_name.get(record.get("benchmark", ""))
                if bench is None:
                    continue
                if record.get("type") == "iteration":
                    self._apply_iteration(bench, record)
                    self.resumed_iterations += 1
                elif record.get("type") == "stop":
                    self._apply_stop(bench, record)
            self.writer = CheckpointWriter(path, None)
            skipped = f"; skipped {damaged} damaged line(s)" if damaged else ""
            self.progress.message(
                f"resuming from {path}: {self.resumed_iterations} iteration(s) already done{skipped}"
            )
            return
        if self.resume:
            self.progress.message(f"no checkpoint at {path}: starting from the beginning")
        elif path.exists():
            self.progress.message(
                f"replacing the checkpoint of an unfinished earlier run at {path} "
                "(pass --resume to continue it instead)"
            )
        self.writer = CheckpointWriter(
            path,
            {
                "hash": self.identity,
                "lane": self.lane_name,
                "benchmarks": [b.name for b in self.benches],
                "run": dataclasses.asdict(self.run_info),
            },
        )

    def _check_same_run(self, header: dict[str, Any]) -> None:
        path = self.checkpoint_path
        hint = f"delete {path} or run without --resume to start over"
        if header.get("hash") != self.identity:
            raise ConfigError(
                f"{path}: the checkpoint was written for a different run (lane "
                f"{header.get('lane')}, benchmarks {', '.join(header.get('benchmarks', []))}); "
                f"this run's lane, benchmarks or settings differ (lane {self.lane_name}, "
                f"benchmarks {', '.join(b.name for b in self.benches)})",
                hint=hint,
            )
        old_commit = header.get("run", {}).get("commit")
        if old_commit and self.run_info.commit and old_commit != self.run_info.commit:
            raise ConfigError(
                f"{path}: the checkpoint was written at commit {old_commit[:12]}, "
                f"but the project is now at {self.run_info.commit[:12]}",
                hint=hint,
            )

    def _append(self, record: dict[str, Any]) -> None:
        assert self.writer is not None
        self.writer.append(record)

    # --- bookkeeping shared by live runs and replay --------------------------------------

    def _apply_iteration(self, bench: _Bench, rec: dict[str, Any]) -> None:
        bench.attempts += 1
        wall = rec.get("wall") or 0.0
        self.spent += wall
        if rec["stage"] == 2:
            bench.stage2_spent += wall
        warmup = rec["phase"] == "warmup"
        if warmup:
            bench.warmups[rec["stage"]] += 1
        if rec.get("leftovers"):
            bench.leftover_iterations += 1
        bench.maxrss_floor = max(bench.maxrss_floor, int(rec.get("maxrss_floor") or 0))
        if rec["status"] == "ok":
            if not warmup:
                for name in METRICS:
                    bench.samples[name].append(float(rec["metrics"][name]))
            return
        bench.failures.append(
            Failure(
                iteration=bench.attempts,
                status=rec["status"],
                exit_code=rec.get("exit_code"),
                signal=rec.get("signal"),
                wall=rec.get("wall"),
                stderr_tail=rec.get("stderr_tail", ""),
                message=("warmup: " if warmup else "") + rec.get("message", ""),
            )
        )

    @staticmethod
    def _apply_stop(bench: _Bench, rec: dict[str, Any]) -> None:
        bench.status = rec["status"]
        if rec.get("note"):
            bench.notes.append(rec["note"])

    # --- running -------------------------------------------------------------------------

    def _run_one(self, bench: _Bench, stage: int, phase: str, index: int, total: int) -> IterationRecord:
        spec = bench.spec
        record = measure_once(
            spec.argv,
            self.config.root / spec.cwd,
            bench.env,
            bench.settings["timeout"],
            bench.settings["sample_interval"],
            self.log_dir / log_folder_name(spec.name),
        )
        rec = {
            "type": "iteration",
            "benchmark": spec.name,
            "stage": stage,
            "phase": phase,
            "status": record.status,
            "metrics": record.metrics,
            "exit_code": record.exit_code,
            "signal": record.signal,
            "wall": record.wall,
            "stderr_tail": record.stderr_tail,
            "message": record.message,
            "leftovers": record.leftovers,
            "maxrss_floor": record.maxrss_floor,
        }
        with critical():
            self._append(rec)
            self._apply_iteration(bench, rec)
            if not record.ok:
                self._keep_failed_logs(bench, record)
        self.progress.iteration(spec.name, phase, index, total, record)
        if not record.ok and len(bench.failures) >= bench.settings["max_failures"]:
            count = len(bench.failures)
            self._stop(
                bench,
                "timeout" if record.status == "timeout" else "failed",
                f"stopped after {count} failed iteration{'s' if count > 1 else ''} "
                f"(max_failures {bench.settings['max_failures']})",
            )
        return record

    def _keep_failed_logs(self, bench: _Bench, record: IterationRecord) -> None:
        for path in (record.stdout_path, record.stderr_path):
            if path is not None and path.exists():
                path.replace(path.with_name(f"iteration-{bench.attempts}{path.suffix}"))

    def _stop(self, bench: _Bench, status: str, note: str | None) -> None:
        rec = {"type": "stop", "benchmark": bench.name, "status": status, "note": note}
        with critical():
            self._append(rec)
            self._apply_stop(bench, rec)
        self.progress.benchmark_finished(bench.name, status, bench.samples["wall"], bench.notes)

    def _minimum(self, bench: _Bench) -> None:
        """Stage 1: warmup and min_iterations."""
        if bench.status is not None:
            return
        warmup, target = self.lane.warmup, self.lane.min_iterations
        if bench.warmups[1] < warmup or bench.n < target:
            self.progress.benchmark_started(bench.name, bench.name, target)
            while bench.status is None and bench.warmups[1] < warmup:
                self._run_one(bench, 1, "warmup", bench.warmups[1] + 1, warmup)
            while bench.status is None and bench.n < target:
                self._run_one(bench, 1, "measured", bench.n + 1, target)
            if bench.status is None and self.should_stop is not None:
                self.progress.benchmark_finished(bench.name, "minimum done", bench.samples["wall"], [])
        if bench.status is None and self.should_stop is None:
            self._stop(bench, "ok", None)

    def _more(self, bench: _Bench, share_of: int) -> None:
        """Stage 2 (adaptive): more iterations until the callback, max_iterations or the budget."""
        assert self.should_stop is not None
        if bench.status is not None:
            return
        lane = self.lane
        # this benchmark's fair share of what was left of the budget when its stage 2 began
        share = (lane.budget - (self.spent - bench.stage2_spent)) / max(share_of, 1)
        started = False
        while bench.status is None:
            if self.should_stop(bench.name, {k: list(v) for k, v in bench.samples.items()}):
                self._stop(bench, "ok", stop_note(self.should_stop, bench.name, bench.n, "iterations"))
                break
            if bench.n >= lane.max_iterations:
                self._stop(bench, "ok", f"max_iterations ({lane.max_iterations}) reached")
                break
            walls = bench.samples["wall"]
            expected = statistics.median(walls) if walls else 0.0
            need = expected * (1 + max(0, lane.warmup - bench.warmups[2]))
            if not fits_budget(lane, self.spent, bench.stage2_spent, need, share):
                self._stop(bench, "ok", budget_note(lane, bench.n, "iterations"))
                break
            if not started:
                self.progress.benchmark_started(
                    bench.name, f"{bench.name} (more iterations)", lane.max_iterations
                )
                started = True
            while bench.status is None and bench.warmups[2] < lane.warmup:
                self._run_one(bench, 2, "warmup", bench.warmups[2] + 1, lane.warmup)
            if bench.status is None:
                self._run_one(bench, 2, "measured", bench.n + 1, lane.max_iterations)

    def run(self) -> ResultsDocument:
        if not self.lane.run:
            return self._finish(
                "complete",
                skipped=f"lane {self.lane_name} runs no benchmarks (run: false)",
            )
        tree.enable_subreaper()
        self.run_info = dataclasses.replace(self.run_info, started_at=utc_now())
        # One run at a time per checkpoint: a second one writing into it would interleave
        # lines (and holes of NUL bytes) with the first's and lose both runs' samples.
        lock = FileLock(
            self.checkpoint_path, "the checkpoint",
            hint="wait for it to finish, or give this run another output (--output, --output-dir)",
        ).acquire()
        try:
            return self._run_locked()
        finally:
            lock.release()

    def _run_locked(self) -> ResultsDocument:
        interrupted: Interrupted | None = None
        with catch_signals():
            try:
                self._open_checkpoint()
                self.progress.start(self.lane_name, [b.name for b in self.benches])
                for bench in self.benches:
                    before = bench.attempts
                    self._minimum(bench)
                    if self.between_benchmarks is not None and bench.attempts != before:
                        self.between_benchmarks()  # e.g. a calibration timing between benchmarks
                if self.should_stop is not None:
                    for i, bench in enumerate(self.benches):
                        self._more(bench, share_of=len(self.benches) - i)
            except Interrupted as exc:
                interrupted = exc
                with shielded():  # a second signal must not cut the partial results short
                    self._finish("interrupted")
            finally:
                self.progress.close()
                if self.writer is not None:
                    self.writer.close()
        if interrupted is not None:
            done = sum(b.n for b in self.benches)
            raise RunInterrupted(
                f"interrupted by {interrupted.name}: wrote partial results ({done} measured "
                f"iterations) to {self.output}",
                signum=interrupted.signum,
                hint=f"continue with `lanebench run --resume` (checkpoint {self.checkpoint_path})",
            )
        doc = self._finish("complete")
        if self.writer is not None:
            self.writer.remove()
        return doc

    # --- the results document ------------------------------------------------------------

    def _finish(self, status: str, *, skipped: str | None = None) -> ResultsDocument:
        results = [self._result(b, skipped) for b in self.benches]
        extra = dict(self.run_info.extra)
        extra.update(
            {
                "measuring_seconds": round(self.spent, 6),
                "budget_seconds": self.lane.budget,
                "subreaper": None,
                "resumed_iterations": self.resumed_iterations,
            }
        )
        if skipped is None:
            how = spawner.describe()
            # the spawner is the subreaper of the commands it starts; direct spawns need us
            extra["subreaper"] = how["mode"] == "spawner" or tree.enable_subreaper()
            extra["spawner"] = how
        if self.spent > self.lane.budget and skipped is None:
            extra["budget_note"] = (
                f"the minimum iterations alone took {format_duration(self.spent)}, "
                f"more than the lane's budget of {format_duration(self.lane.budget)}"
            )
        run = dataclasses.replace(
            self.run_info,
            lane=self.lane_name,
            started_at=self.run_info.started_at or utc_now(),
            finished_at=utc_now(),
            status=status,  # type: ignore[arg-type]
            config_path=self.run_info.config_path
            or (str(self.config.path) if self.config.path else None),
            extra=extra,
        )
        doc = ResultsDocument(run=run, environment=capture_environment(), benchmarks=results)
        write_results(self.output, doc)
        return doc

    def _result(self, bench: _Bench, skipped: str | None) -> BenchmarkResult:
        notes = list(bench.notes)
        status = bench.status
        if skipped is not None:
            status, notes = "skipped", [skipped]
        elif status is None:
            status = "interrupted"
            notes.append(
                f"interrupted after {bench.n} of {bench.settings['iterations']} iterations"
                if bench.attempts
                else "not started: the run was interrupted before it"
            )
        if bench.leftover_iterations:
            notes.append(
                f"killed processes left running after {bench.leftover_iterations} of "
                f"{bench.attempts} iterations (background processes outlived the command)"
            )
        extra: dict[str, Any] = {}
        if bench.maxrss_floor:
            extra["maxrss_floor"] = bench.maxrss_floor
            maxrss = bench.samples["maxrss"]
            if maxrss and statistics.median(maxrss) <= bench.maxrss_floor:
                notes.append(
                    f"maxrss is at the size of the process that spawned the command "
                    f"({format_size(bench.maxrss_floor)}): the kernel counts its memory in the "
                    "command's peak, so the command's own peak is at most that; tree_rss is "
                    "sampled instead (see docs/metrics.md)"
                )
        return BenchmarkResult(
            name=bench.name,
            command=bench.spec.command,
            shell=bench.spec.shell,
            cwd=bench.spec.cwd,
            settings=dict(bench.settings),
            samples={k: list(v) for k, v in bench.samples.items()},
            failures=list(bench.failures),
            status=status,  # type: ignore[arg-type]
            notes=notes,
            extra=extra,
        )


def run_benchmarks(
    config: Config,
    lane_name: str,
    lane: LaneSettings,
    benchmarks: list[BenchmarkSpec],
    *,
    output: Path,
    resume: bool = False,
    should_stop: StopCallback | None = None,
    progress: Progress | None = None,
    run_info: RunInfo | None = None,
    checkpoint: Path | None = None,
    log_dir: Path | None = None,
    between_benchmarks: Callable[[], None] | None = None,
) -> ResultsDocument:
    """Measure `benchmarks` under `lane`'s settings; write and return the results document.

    Without `should_stop` each benchmark runs exactly `lane.min_iterations` measured
    iterations (callers that want N set min = max = N). With it, each runs at least
    `min_iterations` and at most `max_iterations`, stopping when the callback returns
    True or the lane's budget would be exceeded.

    The document is written to `output` (also on SIGINT/SIGTERM, with run status
    "interrupted", before `RunInterrupted` is raised). The checkpoint (default
    `<output stem>.checkpoint.jsonl`) is removed after a complete run; command output
    goes to `log_dir` (default `.lanebench/logs/` beside `output`). `between_benchmarks`
    is called after each benchmark's minimum iterations (the calibration's interleaved
    timings).
    """
    session = _Session(
        config,
        lane_name,
        lane,
        benchmarks,
        output=output,
        resume=resume,
        should_stop=should_stop,
        progress=progress or Progress(),
        run_info=run_info or RunInfo(),
        checkpoint=checkpoint,
        log_dir=log_dir,
        between_benchmarks=between_benchmarks,
    )
    return session.run()
