"""The stage loop every run goes through; plain and paired runs differ only in `measure`.

Order of work:
1. for each benchmark in turn: `warmup` unmeasured samples, then `min_iterations`
   measured ones (the minimum is never cut by the budget);
2. only with a stopping rule (adaptive mode: a rule and max_iterations > min_iterations),
   for each benchmark still open in turn: ask the rule; while it says "not enough" and
   `max_iterations` is not reached, run the warmup again (the other benchmarks ran
   meanwhile) and more samples, each only if its expected cost (the median of the
   benchmark's samples so far) fits the lane's remaining budget and this benchmark's fair
   share of it.

A sample is what `measure` returns: one run of the benchmark, or a base/head pair. A
side whose runs fail `max_failures` times stops: head's stop ends the benchmark; a base
side's stop keeps the pairs measured before it, or measures head alone when there are
none. Every sample is handed to the journal (a plain run's checkpoint) before the next
one starts; replaying the journal through the same bookkeeping is how `--resume`
continues a run. The loop writes no file: it returns the results document, or raises
`RunInterrupted` holding the partial one for the caller to write.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from lanebench.config import BenchmarkSpec, Config, LaneSettings
from lanebench.errors import LanebenchError
from lanebench.formatting import format_duration, format_size
from lanebench.machine import capture_environment
from lanebench.results import (
    AdaptivePlan,
    BenchmarkResult,
    BenchmarkStatus,
    Failure,
    PairedBenchmark,
    ResultsDocument,
    RunInfo,
    RunSettings,
    Samples,
)
from lanebench.runner import spawner, tree
from lanebench.runner.interrupt import Interrupted, catch_signals, critical, shielded
from lanebench.runner.progress import Progress
from lanebench.runner.sample import (
    BASE,
    HEAD,
    Attempt,
    Journal,
    Measure,
    Phase,
    Run,
    Sample,
    StopRule,
)


class RunInterrupted(LanebenchError):
    """SIGINT/SIGTERM stopped the run; `partial` holds what it measured, for the caller
    to write before it exits with 130 or 143."""

    def __init__(self, message: str, *, signum: int, partial: ResultsDocument,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.signum = signum
        self.exit_code = 128 + signum
        self.partial = partial


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def fits_budget(lane: LaneSettings, spent: float, stage_spent: float, need: float, share: float) -> bool:
    """Whether `need` more seconds fit both the lane's budget and this benchmark's fair
    share of what was left of it when its stage 2 began (`stage_spent` of it used)."""
    return spent + need <= lane.budget and stage_spent + need <= share


def benchmark_settings(
    lane: LaneSettings, spec: BenchmarkSpec, adaptive: AdaptivePlan | bool, *, paired: bool
) -> RunSettings:
    """The settings a benchmark is measured under: the one place they are written."""
    return RunSettings(
        iterations=lane.max_iterations if adaptive else lane.min_iterations,
        min_iterations=lane.min_iterations,
        max_iterations=lane.max_iterations,
        adaptive=adaptive,
        warmup=lane.warmup,
        timeout=spec.timeout if spec.timeout is not None else lane.timeout,
        sample_interval=lane.sample_interval,
        max_failures=lane.max_failures,
        comparison="paired" if paired else None,
    )


@dataclass
class Track:
    """Bookkeeping of one benchmark; rebuilt identically by replaying its journal."""

    spec: BenchmarkSpec
    settings: RunSettings
    sides: tuple[str, ...]
    samples: dict[str, Samples]  # side -> metric -> values, kept samples only
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    stopped: dict[str, tuple[BenchmarkStatus, str]] = field(default_factory=dict)  # side -> why
    order: list[str] = field(default_factory=list)  # per sample of every side
    costs: list[float] = field(default_factory=list)  # seconds per kept sample
    kept: int = 0  # kept samples (head's count)
    complete: int = 0  # kept samples that hold every side
    attempts: int = 0
    warmups: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0})
    stage2_spent: float = 0.0
    status: BenchmarkStatus | None = None  # set when the benchmark is finished
    notes: list[str] = field(default_factory=list)
    leftover_runs: int = 0
    maxrss_floor: int = 0

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def n(self) -> int:
        return self.kept

    @property
    def companions_stopped(self) -> bool:
        return any(side in self.stopped for side in self.sides if side != HEAD)


class Stages:
    """One run of a lane's benchmarks through both stages (see the module docstring)."""

    def __init__(
        self,
        config: Config,
        lane_name: str,
        lane: LaneSettings,
        benchmarks: list[BenchmarkSpec],
        measure: Measure,
        *,
        output: Path,
        run_info: RunInfo,
        progress: Progress,
        stop_rule: StopRule | None = None,
        journal: Journal | None = None,
        between_benchmarks: Callable[[], None] | None = None,
        resume_hint: str = "run again",
    ) -> None:
        self.config = config
        self.lane_name = lane_name
        self.lane = lane
        self.measure = measure
        self.output = output
        self.run_info = run_info
        self.progress = progress
        self.journal = journal
        self.between_benchmarks = between_benchmarks
        self.resume_hint = resume_hint
        self.adaptive = stop_rule is not None and lane.max_iterations > lane.min_iterations
        self.stop_rule = stop_rule if self.adaptive else None
        self.spent = 0.0
        self.resumed_iterations: int | None = None  # set by a run that can resume
        self.unit = measure.unit
        paired = BASE in measure.sides
        plan = self.stop_rule.plan if self.stop_rule is not None else None
        adaptive = (plan if plan is not None else True) if self.adaptive else False
        self.tracks = [
            Track(
                spec,
                benchmark_settings(lane, spec, adaptive, paired=paired),
                measure.sides,
                {side: {m: [] for m in measure.metrics_for(spec)} for side in measure.sides},
                failures={side: [] for side in measure.sides},
            )
            for spec in benchmarks
        ]

    # --- bookkeeping shared by live runs and replay --------------------------------------

    def track(self, name: str) -> Track | None:
        return next((t for t in self.tracks if t.name == name), None)

    def apply(self, track: Track, stage: int, phase: Phase, sample: Sample) -> None:
        """Count one sample into `track`: its cost, its failures, its values when kept."""
        track.attempts += 1
        cost = sum(run.seconds for run in sample.runs)
        self.spent += cost
        if stage == 2:
            track.stage2_spent += cost
        if phase == "warmup":
            track.warmups[stage] += 1
        failed = [run for run in sample.runs if not run.ok]
        for run in sample.runs:
            track.leftover_runs += bool(run.leftovers)
            track.maxrss_floor = max(track.maxrss_floor, run.maxrss_floor)
        for run in failed:
            self._fail(track, run, phase)
        if phase == "warmup" or failed:
            return
        for run in sample.runs:
            for name, values in track.samples[run.side].items():
                values.append(float(run.metrics[name]))
        track.kept += 1
        track.costs.append(cost)
        if len(sample.runs) == len(track.sides):
            track.complete += 1
            if sample.order is not None:
                track.order.append(sample.order)

    def _fail(self, track: Track, run: Run, phase: Phase) -> None:
        failures = track.failures[run.side]
        failures.append(Failure(
            iteration=track.attempts,
            status="error" if run.status == "ok" else run.status,
            exit_code=run.exit_code,
            signal=run.signal,
            wall=run.wall,
            stderr_tail=run.stderr_tail,
            message=("warmup: " if phase == "warmup" else "") + run.message,
        ))
        limit = track.settings.max_failures or self.lane.max_failures
        if len(failures) < limit or run.side in track.stopped:
            return
        count = len(failures)
        stopped = f"stopped after {count} failed iteration{'s' if count > 1 else ''} (max_failures {limit})"
        if len(track.sides) > 1:  # say which side, and why
            stopped = f"{run.side} side {stopped}: {run.message}"
        track.stopped[run.side] = ("timeout" if run.status == "timeout" else "failed", stopped)

    @staticmethod
    def apply_stop(track: Track, status: BenchmarkStatus, note: str | None) -> None:
        track.status = status
        if note:
            track.notes.append(note)

    def replay(self, records: Iterable[tuple[str, int, Phase, Sample] | tuple[str, BenchmarkStatus, str | None]]) -> int:
        """Feed a journal's records back: (benchmark, stage, phase, sample) for a sample,
        (benchmark, status, note) for a finished benchmark. Returns the samples replayed."""
        count = 0
        for record in records:
            track = self.track(record[0])
            if track is None:
                continue
            if len(record) == 4:
                _, stage, phase, sample = record
                self.apply(track, stage, phase, sample)
                count += 1
            else:
                _, status, note = record
                self.apply_stop(track, status, note)
        return count

    # --- running -------------------------------------------------------------------------

    def _sample(self, track: Track, stage: int, phase: Phase, index: int, total: int) -> None:
        sides = tuple(side for side in track.sides if side not in track.stopped)
        sample = self.measure(track.spec, Attempt(phase, stage, track.attempts + 1, sides))
        with critical():
            if self.journal is not None:
                self.journal.sample(track.name, stage, phase, sample)
            self.apply(track, stage, phase, sample)
        for run in sample.runs:
            shown_side = run.side if len(track.sides) > 1 else None
            self.progress.iteration(track.name, phase, index, total, run, side=shown_side)
        if HEAD in track.stopped:
            self._stop(track, *track.stopped[HEAD])
        elif stage == 2 and track.companions_stopped:
            self._stop(track, "ok", None)

    def _stop(self, track: Track, status: BenchmarkStatus, note: str | None) -> None:
        with critical():
            if self.journal is not None:
                self.journal.stop(track.name, status, note)
            self.apply_stop(track, status, note)
        self.progress.benchmark_finished(track.name, status, self._walls(track), self.notes(track))

    @staticmethod
    def _walls(track: Track) -> list[float]:
        """Head's kept wall times; a measure without them (instruction counts) reports the
        elapsed time of each kept sample instead."""
        return track.samples[HEAD].get("wall", track.costs)

    def _first_stage_done(self, track: Track) -> bool:
        # Pairs measured before the base side broke stay valid. With none, head is
        # measured alone: the report still shows its numbers, marked uncompared.
        if track.companions_stopped and track.complete:
            return True
        return track.n >= self.lane.min_iterations

    def _minimum(self, track: Track) -> None:
        """Stage 1: warmup and min_iterations."""
        if track.status is not None:
            return
        warmup, target = self.lane.warmup, self.lane.min_iterations
        if track.warmups[1] < warmup or not self._first_stage_done(track):
            self.progress.benchmark_started(track.name, self.measure.label(track.spec), target)
            while track.status is None and track.warmups[1] < warmup:
                self._sample(track, 1, "warmup", track.warmups[1] + 1, warmup)
            while track.status is None and not self._first_stage_done(track):
                self._sample(track, 1, "measured", track.n + 1, target)
            if track.status is None and self.stop_rule is not None and not track.companions_stopped:
                self.progress.benchmark_finished(track.name, "minimum done", self._walls(track), [])
        if track.status is None and (self.stop_rule is None or track.companions_stopped):
            self._stop(track, "ok", None)

    def _more(self, track: Track, share_of: int) -> None:
        """Stage 2: more samples until the stopping rule, max_iterations or the budget."""
        rule = self.stop_rule
        assert rule is not None
        lane, unit = self.lane, self.unit
        # this benchmark's fair share of what was left of the budget when its stage 2 began
        share = (lane.budget - (self.spent - track.stage2_spent)) / max(share_of, 1)
        started = False
        while track.status is None:
            base = track.samples.get(BASE)
            if rule(track.name, _copy(track.samples[HEAD]), None if base is None else _copy(base)):
                self._stop(track, "ok", self._stop_note(rule, track))
                break
            if track.n >= lane.max_iterations:
                what = "" if unit == "iterations" else f" {unit}"
                self._stop(track, "ok", f"max_iterations ({lane.max_iterations}){what} reached")
                break
            expected = statistics.median(track.costs) if track.costs else 0.0
            need = expected * (1 + max(0, lane.warmup - track.warmups[2]))
            if not fits_budget(lane, self.spent, track.stage2_spent, need, share):
                self._stop(track, "ok", f"budget {format_duration(lane.budget)} reached: stopped at "
                           f"{track.n} of max {lane.max_iterations} {unit}")
                break
            if not started:
                self.progress.benchmark_started(
                    track.name, f"{track.name} (more {unit})", lane.max_iterations
                )
                started = True
            while track.status is None and track.warmups[2] < lane.warmup:
                self._sample(track, 2, "warmup", track.warmups[2] + 1, lane.warmup)
            if track.status is None:
                self._sample(track, 2, "measured", track.n + 1, lane.max_iterations)

    def _stop_note(self, rule: StopRule, track: Track) -> str:
        """The note a benchmark gets when the stopping rule ends it, naming any metric the
        rule gave up on (`stats.sequential.futile`)."""
        note = f"stopping rule satisfied at {track.n} {self.unit}"
        given_up = list(rule.given_up(track.name))
        if given_up:
            note += (
                f" ({', '.join(given_up)}: too noisy to decide within max_iterations, more "
                f"{self.unit} would not change that)"
            )
        return note

    def run(self, before: Callable[[], None] | None = None) -> ResultsDocument:
        """Both stages; `before` (opening a checkpoint, a setup command) runs first, under
        the same signal handling. Returns the results document; raises RunInterrupted."""
        if not self.lane.run:
            return self.document(
                "complete", skipped=f"lane {self.lane_name} runs no benchmarks (run: false)"
            )
        tree.enable_subreaper()
        self.run_info = dataclasses.replace(self.run_info, started_at=utc_now())
        with catch_signals():
            try:
                if before is not None:
                    before()
                self.progress.start(self.lane_name, [t.name for t in self.tracks])
                for track in self.tracks:
                    attempts = track.attempts
                    self._minimum(track)
                    if self.between_benchmarks is not None and track.attempts != attempts:
                        self.between_benchmarks()  # e.g. a calibration timing between benchmarks
                if self.stop_rule is not None:
                    waiting = [t for t in self.tracks if t.status is None]
                    for i, track in enumerate(waiting):
                        self._more(track, share_of=len(waiting) - i)
            except Interrupted as exc:
                with shielded():  # a second signal must not cut the partial results short
                    partial = self.document("interrupted")
                done = sum(t.n for t in self.tracks)
                raise RunInterrupted(
                    f"interrupted by {exc.name}: wrote partial results ({done} measured "
                    f"{self.unit}) to {self.output}",
                    signum=exc.signum, partial=partial, hint=self.resume_hint,
                ) from None
            finally:
                self.progress.close()
        return self.document("complete")

    # --- the results document ------------------------------------------------------------

    def document(self, status: Literal["complete", "interrupted"], *,
                 skipped: str | None = None) -> ResultsDocument:
        run = dataclasses.replace(
            self.run_info,
            lane=self.lane_name,
            started_at=self.run_info.started_at or utc_now(),
            finished_at=utc_now(),
            status=status,
            config_path=self.run_info.config_path
            or (str(self.config.path) if self.config.path else None),
            measuring_seconds=round(self.spent, 6),
            budget_seconds=self.lane.budget,
            resumed_iterations=self.resumed_iterations,
        )
        if skipped is None:
            run.spawner = spawner.describe()
            # the spawner is the subreaper of the commands it starts; direct spawns need us
            run.subreaper = run.spawner.mode == "spawner" or tree.enable_subreaper()
            if self.spent > self.lane.budget:
                run.budget_note = (
                    f"the minimum iterations alone took {format_duration(self.spent)}, "
                    f"more than the lane's budget of {format_duration(self.lane.budget)}"
                )
        results = [self._result(t, skipped) for t in self.tracks]
        return ResultsDocument(run=run, environment=capture_environment(), benchmarks=results)

    def notes(self, track: Track) -> list[str]:
        """The benchmark's notes, then why a side other than head stopped."""
        notes = list(track.notes)
        for side in track.sides:
            if side != HEAD and side in track.stopped:
                kept = track.complete
                notes.append(
                    track.stopped[side][1]
                    + (f"; {kept} {self.unit} measured before it are kept" if kept
                       else "; head was measured alone and has nothing to be compared with")
                )
        return notes

    def _result(self, track: Track, skipped: str | None) -> BenchmarkResult:
        notes = self.notes(track)
        status = track.status
        if skipped is not None:
            status, notes = "skipped", [skipped]
        elif status is None:
            status = "interrupted"
            notes.append(
                f"interrupted after {track.n} of {track.settings.iterations} {self.unit}"
                if track.attempts
                else "not started: the run was interrupted before it"
            )
        if track.leftover_runs:
            notes.append(
                f"killed processes left running after {track.leftover_runs} of "
                f"{track.attempts} {self.unit} (background processes outlived the command)"
            )
        head = track.samples[HEAD]
        if track.maxrss_floor:
            maxrss = head.get("maxrss", [])
            if maxrss and statistics.median(maxrss) <= track.maxrss_floor:
                notes.append(
                    f"maxrss is at the size of the process that spawned the command "
                    f"({format_size(track.maxrss_floor)}): the kernel counts its memory in the "
                    "command's peak, so the command's own peak is at most that; tree_rss is "
                    "sampled instead (see docs/metrics.md)"
                )
        paired = None
        if BASE in track.sides:
            base_stop = track.stopped.get(BASE)
            paired = PairedBenchmark(
                base_samples=_copy(track.samples[BASE]),
                order=list(track.order),
                base_status=base_stop[0] if base_stop else ("ok" if track.status else "interrupted"),
                base_failures=list(track.failures[BASE]),
                base_notes=[base_stop[1]] if base_stop else [],
            )
        spec = track.spec
        return BenchmarkResult(
            name=spec.name,
            command=spec.command,
            shell=spec.shell,
            cwd=spec.cwd,
            settings=dataclasses.replace(track.settings),
            samples=_copy(head),
            failures=list(track.failures[HEAD]),
            status=status,
            notes=notes,
            maxrss_floor=track.maxrss_floor or None,
            paired=paired,
        )


def _copy(samples: Samples) -> Samples:
    return {k: list(v) for k, v in samples.items()}

