"""Paired A/B runs: the base commit and head measured interleaved, on one machine.

The base commit is checked out in a temporary git worktree (`lanebench.worktree`); the
config's `setup` command runs once in each tree; then, per benchmark, `warmup`
unmeasured iterations of each side and `min_iterations` measured pairs. With adaptive
pairs (the default when max_iterations > min_iterations) a second stage follows, as in
artifact runs: each benchmark whose verdicts are not yet all decided gets more pairs, up
to `max_iterations`, looked at only at planned pair counts with alpha spending
(`stats.sequential.PairedStopper`), within its fair share of the lane's budget. Each pair
runs base and head back to back, in an order drawn from a seeded RNG (`stats.seed`) in
shuffled blocks of two (each block has one base-first and one head-first pair), so that
neither side goes first more often (a first run can find colder caches) and the order
can be replayed. A pair whose base or head iteration fails is dropped from the samples (the
failure is recorded), so both sides' samples stay aligned pair by pair.

The results document is head's, with the base side inside it:

    run.paired = {"base_ref": "main", "base_commit": "<sha>", "seed": 0, "setup": true}
    benchmarks[i].paired = {
      "base_samples": {"wall": [...], ...},   # aligned with benchmarks[i].samples
      "order": ["head-first", "base-first", ...],  # one per kept pair
      "base_status": "ok", "base_failures": [...], "base_notes": [...]
    }

No checkpoint: a paired run is not resumable (an interrupted one writes what it has).
It costs about twice the lane's measuring time.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lanebench.config import BenchmarkSpec, Config, LaneSettings
from lanebench.environment import capture_environment
from lanebench.errors import ConfigError
from lanebench.metrics import COMPARED_BY_DEFAULT, METRICS
from lanebench.results import BenchmarkResult, Failure, ResultsDocument, RunInfo, write_results
from lanebench.runner import tree
from lanebench.runner.env import benchmark_environment
from lanebench.runner.interrupt import Interrupted, catch_signals, shielded
from lanebench.runner.process import IterationRecord, measure_once
from lanebench.runner.progress import Progress
from lanebench.runner.session import (
    RunInterrupted,
    budget_note,
    default_log_dir,
    fits_budget,
    log_folder_name,
    stop_note,
    utc_now,
)
from lanebench.secrets import without_secrets
from lanebench.stats.sequential import PairedStopper
from lanebench.worktree import BaseTree, base_worktree

PAIRED_KEY = "paired"
SIDES = ("base", "head")
ORDERS = {"base-first": ("base", "head"), "head-first": ("head", "base")}


@dataclass
class _Side:
    samples: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in METRICS})
    failures: list[Failure] = field(default_factory=list)
    stopped: str | None = None  # "failed" / "timeout" once max_failures is reached
    note: str = ""


@dataclass
class _Pairs:
    spec: BenchmarkSpec
    settings: dict[str, Any]
    base: _Side = field(default_factory=_Side)
    head: _Side = field(default_factory=_Side)
    order: list[str] = field(default_factory=list)
    attempts: int = 0
    status: str | None = None
    notes: list[str] = field(default_factory=list)

    def side(self, name: str) -> _Side:
        return self.base if name == "base" else self.head


def _setup_argv(command: Any) -> list[str]:
    return ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)


class _PairedSession:
    def __init__(
        self,
        config: Config,
        lane_name: str,
        lane: LaneSettings,
        benchmarks: list[BenchmarkSpec],
        *,
        base_ref: str,
        output: Path,
        progress: Progress,
        run_info: RunInfo,
        log_dir: Path | None,
        seed: int,
        adaptive: bool,
    ) -> None:
        self.config = config
        self.lane_name = lane_name
        self.lane = lane
        self.base_ref = base_ref
        self.output = output
        self.progress = progress
        self.run_info = run_info
        self.log_dir = log_dir or default_log_dir(output)
        self.seed = seed
        self.rng = random.Random(seed)
        self.orders: list[str] = []
        self.spent = 0.0
        self.tree: BaseTree | None = None
        self.started = time.monotonic()
        self.stopper: PairedStopper | None = None
        if adaptive and lane.max_iterations > lane.min_iterations:
            self.stopper = PairedStopper(lane, family_size=len(benchmarks) * len(COMPARED_BY_DEFAULT))
        self.benches = [_Pairs(spec, self._settings(spec)) for spec in benchmarks]

    def _settings(self, spec: BenchmarkSpec) -> dict[str, Any]:
        lane = self.lane
        pairs = lane.max_iterations if self.stopper is not None else lane.min_iterations
        return {
            "iterations": pairs,
            "min_iterations": lane.min_iterations,
            "max_iterations": pairs,
            # the plan itself, so that compare spends the share of the look the run ended at
            "adaptive": dict(self.stopper.policy) if self.stopper is not None else False,
            "warmup": lane.warmup,
            "timeout": spec.timeout if spec.timeout is not None else lane.timeout,
            "sample_interval": lane.sample_interval,
            "max_failures": lane.max_failures,
            "comparison": "paired",
        }

    def _next_order(self) -> str:
        """Orders come in shuffled blocks of both, so neither side goes first more than
        once in a row more often than the other: an order effect (a first run finding
        colder caches) then cancels instead of biasing the estimate."""
        if not self.orders:
            self.orders = sorted(ORDERS)
            self.rng.shuffle(self.orders)
        return self.orders.pop()

    # --- running -------------------------------------------------------------------------

    def _root(self, side: str) -> Path:
        assert self.tree is not None
        return self.tree.root if side == "base" else self.config.root

    def _setup(self) -> bool:
        command = self.config.setup
        if command is None:
            return False
        env = without_secrets()
        for side in SIDES:
            root = self._root(side)
            self.progress.message(f"setup in the {side} tree ({root})")
            record = measure_once(
                _setup_argv(command), root, env, self.lane.budget, self.lane.sample_interval,
                self.log_dir / "setup", log_name=side,
            )
            if not record.ok:
                tail = next((ln for ln in reversed(record.stderr_tail.splitlines()) if ln.strip()), "")
                where = f"base tree ({self.base_ref})" if side == "base" else "head tree"
                raise ConfigError(
                    f"setup command failed in the {where}: {record.message}"
                    + (f": {tail.strip()[:200]}" if tail else ""),
                    hint=f"fix `setup` in the config; its output is in {self.log_dir / 'setup'}",
                )
        return True

    def _measure(self, bench: _Pairs, side: str, phase: str, index: int, total: int) -> IterationRecord:
        spec = bench.spec
        record = measure_once(
            spec.argv,
            self._root(side) / spec.cwd,
            benchmark_environment(spec),
            bench.settings["timeout"],
            bench.settings["sample_interval"],
            self.log_dir / log_folder_name(spec.name) / side,
        )
        self.spent += record.wall or 0.0
        self.progress.iteration(spec.name, phase, index, total, record)
        return record

    def _fail(self, bench: _Pairs, side: str, record: IterationRecord, phase: str) -> None:
        s = bench.side(side)
        s.failures.append(Failure(
            iteration=bench.attempts,
            status=record.status,  # type: ignore[arg-type]
            exit_code=record.exit_code,
            signal=record.signal,
            wall=record.wall,
            stderr_tail=record.stderr_tail,
            message=("warmup: " if phase == "warmup" else "") + record.message,
        ))
        if len(s.failures) >= bench.settings["max_failures"] and s.stopped is None:
            s.stopped = "timeout" if record.status == "timeout" else "failed"
            count = len(s.failures)
            s.note = (
                f"{side} side stopped after {count} failed iteration{'s' if count > 1 else ''} "
                f"(max_failures {bench.settings['max_failures']}): {record.message}"
            )

    def _warmup(self, bench: _Pairs, done: int, total: int) -> int:
        for _ in range(self.lane.warmup):
            for side in SIDES:
                if bench.side(side).stopped is None:
                    bench.attempts += 1
                    done += 1
                    record = self._measure(bench, side, "warmup", done, total)
                    if not record.ok:
                        self._fail(bench, side, record, "warmup")
        return done

    def _pair(self, bench: _Pairs, done: int, total: int) -> int:
        """One pair in a fresh order; a pair with a failed side is not kept."""
        order = self._next_order()
        bench.attempts += 1
        records: dict[str, IterationRecord] = {}
        for side in ORDERS[order]:
            if bench.side(side).stopped is None:
                done += 1
                records[side] = self._measure(bench, side, "measured", done, total)
        failed = [side for side, record in records.items() if not record.ok]
        for side in failed:
            self._fail(bench, side, records[side], "measured")
        if failed:
            return done
        if "base" in records:
            bench.order.append(order)
        for side, record in records.items():
            for name in METRICS:
                bench.side(side).samples[name].append(float(record.metrics[name]))
        return done

    def _run_benchmark(self, bench: _Pairs) -> None:
        """Stage 1: warmup and min_iterations pairs."""
        pairs = self.lane.min_iterations
        total = 2 * (self.lane.warmup + pairs)
        self.progress.benchmark_started(
            bench.spec.name, f"{bench.spec.name} (paired with {self.base_ref})", total
        )
        done = self._warmup(bench, 0, total)
        while bench.head.stopped is None:
            if bench.base.stopped is None:
                if len(bench.order) >= pairs:
                    break
            elif bench.order or len(bench.head.samples["wall"]) >= pairs:
                # Pairs measured before the base side broke stay valid. With none, head is
                # measured alone: the report still shows its numbers, marked uncompared.
                break
            done = self._pair(bench, done, total)
        if self.stopper is None or not self._healthy(bench):
            self._finish_benchmark(bench)
        else:
            self.progress.benchmark_finished(bench.spec.name, "minimum done", bench.head.samples["wall"], [])

    def _healthy(self, bench: _Pairs) -> bool:
        return bench.head.stopped is None and bench.base.stopped is None

    def _more(self, bench: _Pairs, share_of: int) -> None:
        """Stage 2 (adaptive): more pairs until every verdict is decided, max_iterations or
        this benchmark's fair share of the budget left."""
        assert self.stopper is not None
        lane = self.lane
        spent_before = self.spent
        share = (lane.budget - self.spent) / max(share_of, 1)
        started, done = False, 0
        total = 2 * (lane.warmup + lane.max_iterations - len(bench.order))
        while self._healthy(bench):
            n = len(bench.order)
            base = bench.base.samples
            head = bench.head.samples
            if self.stopper.pairs(bench.spec.name, base, head):
                bench.notes.append(stop_note(self.stopper, bench.spec.name, n, "pairs"))
                break
            if n >= lane.max_iterations:
                bench.notes.append(f"max_iterations ({lane.max_iterations}) pairs reached")
                break
            # the next pair (and a re-warming of both sides before the first) must fit
            pair = statistics.median(base["wall"]) + statistics.median(head["wall"]) if n else 0.0
            need = pair * (1 + (0 if started else lane.warmup))
            if not fits_budget(lane, self.spent, self.spent - spent_before, need, share):
                bench.notes.append(budget_note(lane, n, "pairs"))
                break
            if not started:
                self.progress.benchmark_started(
                    bench.spec.name, f"{bench.spec.name} (more pairs)", total
                )
                done = self._warmup(bench, done, total)
                started = True
            done = self._pair(bench, done, total)
        self._finish_benchmark(bench)

    def _finish_benchmark(self, bench: _Pairs) -> None:
        if bench.head.stopped is not None:
            bench.status = bench.head.stopped
            bench.notes.append(bench.head.note)
        else:
            bench.status = "ok"
        if bench.base.stopped is not None:
            kept = len(bench.order)
            bench.notes.append(
                bench.base.note
                + (f"; {kept} pairs measured before it are kept" if kept
                   else "; head was measured alone and has nothing to be compared with")
            )
        self.progress.benchmark_finished(
            bench.spec.name, bench.status, bench.head.samples["wall"], bench.notes
        )

    def run(self) -> ResultsDocument:
        tree.enable_subreaper()
        self.run_info = dataclasses.replace(self.run_info, started_at=utc_now())
        setup = False
        with base_worktree(self.config.root, self.base_ref) as base_tree:
            self.tree = base_tree
            try:
                with catch_signals():
                    setup = self._setup()
                    self.progress.start(self.lane_name, [b.spec.name for b in self.benches])
                    for bench in self.benches:
                        self._run_benchmark(bench)
                    if self.stopper is not None:
                        waiting = [b for b in self.benches if self._healthy(b)]
                        for i, bench in enumerate(waiting):
                            self._more(bench, share_of=len(waiting) - i)
            except Interrupted as exc:
                with shielded():
                    self._finish("interrupted", setup)
                raise RunInterrupted(
                    f"interrupted by {exc.name}: wrote partial paired results to {self.output}",
                    signum=exc.signum,
                    hint="paired runs cannot be resumed; run again",
                ) from None
            finally:
                self.progress.close()
            return self._finish("complete", setup)

    # --- the results document ------------------------------------------------------------

    def _finish(self, status: str, setup: bool) -> ResultsDocument:
        assert self.tree is not None
        extra = dict(self.run_info.extra)
        extra.update(
            {
                "measuring_seconds": round(self.spent, 6),
                "budget_seconds": self.lane.budget,
                PAIRED_KEY: {
                    "base_ref": self.base_ref,
                    "base_commit": self.tree.commit,
                    "seed": self.seed,
                    "setup": setup,
                    "elapsed_seconds": round(time.monotonic() - self.started, 3),
                },
            }
        )
        run = dataclasses.replace(
            self.run_info,
            lane=self.lane_name,
            finished_at=utc_now(),
            status=status,  # type: ignore[arg-type]
            config_path=self.run_info.config_path
            or (str(self.config.path) if self.config.path else None),
            extra=extra,
        )
        doc = ResultsDocument(
            run=run,
            environment=capture_environment(),
            benchmarks=[self._result(b) for b in self.benches],
        )
        write_results(self.output, doc)
        return doc

    def _result(self, bench: _Pairs) -> BenchmarkResult:
        status = bench.status or "interrupted"
        notes = list(bench.notes)
        if bench.status is None:
            notes.append(f"interrupted after {len(bench.order)} pairs")
        base_status = bench.base.stopped or ("ok" if bench.status else "interrupted")
        return BenchmarkResult(
            name=bench.spec.name,
            command=bench.spec.command,
            shell=bench.spec.shell,
            cwd=bench.spec.cwd,
            settings=dict(bench.settings),
            samples={k: list(v) for k, v in bench.head.samples.items()},
            failures=list(bench.head.failures),
            status=status,  # type: ignore[arg-type]
            notes=notes,
            extra={
                PAIRED_KEY: {
                    "base_samples": {k: list(v) for k, v in bench.base.samples.items()},
                    "order": list(bench.order),
                    "base_status": base_status,
                    "base_failures": [dataclasses.asdict(f) for f in bench.base.failures],
                    "base_notes": [bench.base.note] if bench.base.note else [],
                }
            },
        )


def run_paired(
    config: Config,
    lane_name: str,
    lane: LaneSettings,
    benchmarks: list[BenchmarkSpec],
    *,
    base_ref: str,
    output: Path,
    progress: Progress | None = None,
    run_info: RunInfo | None = None,
    log_dir: Path | None = None,
    seed: int | None = None,
    adaptive: bool = True,
) -> ResultsDocument:
    """Measure `benchmarks` at `base_ref` and in the project, interleaved pair by pair.

    Runs `lane.min_iterations` pairs per benchmark after `lane.warmup` warmup runs of each
    side; with `adaptive` (and max_iterations > min_iterations) more pairs, up to
    `lane.max_iterations`, while a benchmark's verdicts are undecided. Writes the paired
    results document to `output` and returns it; the worktree of `base_ref` is removed
    before returning, also on errors and interrupts.
    """
    session = _PairedSession(
        config,
        lane_name,
        lane,
        benchmarks,
        base_ref=base_ref,
        output=output,
        progress=progress or Progress(),
        run_info=run_info or RunInfo(),
        log_dir=log_dir,
        seed=lane.stats.seed if seed is None else seed,
        adaptive=adaptive,
    )
    return session.run()
