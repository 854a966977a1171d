"""Paired A/B runs: the base commit and head measured interleaved, on one machine.

The base commit is checked out in a temporary git worktree (`lanebench.worktree`); the
config's `setup` command runs once in each tree; then the stage loop (`runner.stages`)
runs with pairs for samples: per benchmark, `warmup` unmeasured runs of each side and
`min_iterations` measured pairs, then, with a stopping rule (the caller's
`stats.sequential.SequentialStopper` without a baseline), more pairs up to
`max_iterations` for benchmarks whose verdicts are still open, within their fair share of
the lane's budget. Each pair runs
base and head back to back, in an order drawn from a seeded RNG (`stats.seed`) in
shuffled blocks of two (each block has one base-first and one head-first pair), so that
neither side goes first more often (a first run can find colder caches) and the order
can be replayed. A pair whose base or head run fails is dropped from the samples (the
failure is recorded), so both sides' samples stay aligned pair by pair.

The results document is head's, with the base side inside it (`results.PairedRun`,
`results.PairedBenchmark`):

    run.paired = {"base_ref": "main", "base_commit": "<sha>", "seed": 0, "setup": true}
    benchmarks[i].paired = {
      "base_samples": {"wall": [...], ...},   # aligned with benchmarks[i].samples
      "order": ["head-first", "base-first", ...],  # one per kept pair
      "base_status": "ok", "base_failures": [...], "base_notes": [...]
    }

No checkpoint: a paired run is not resumable (an interrupted one returns what it has).
It costs about twice the lane's measuring time.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from lanebench.config import BenchmarkSpec, Config, LaneSettings
from lanebench.errors import ConfigError
from lanebench.results import PairedRun, ResultsDocument, RunInfo
from lanebench.runner.counted import measure_instruments
from lanebench.runner.measure import ProcessMeasure, default_log_dir
from lanebench.runner.process import measure_once
from lanebench.runner.progress import Progress
from lanebench.runner.sample import BASE, HEAD, Attempt, Sample, StopRule
from lanebench.runner.stages import RunInterrupted, Stages
from lanebench.secrets import without_secrets
from lanebench.worktree import base_worktree

SIDES = (BASE, HEAD)
ORDERS = {"base-first": (BASE, HEAD), "head-first": (HEAD, BASE)}


class PairMeasure(ProcessMeasure):
    """A sample is a pair: the benchmark in the base tree and in the project, back to back."""

    unit = "pairs"

    def __init__(self, lane: LaneSettings, base_root: Path, head_root: Path, log_dir: Path,
                 *, base_ref: str, seed: int) -> None:
        super().__init__(lane, {BASE: base_root, HEAD: head_root}, log_dir)
        self.base_ref = base_ref
        self.rng = random.Random(seed)
        self.orders: list[str] = []

    def label(self, spec: BenchmarkSpec) -> str:
        return f"{spec.name} (paired with {self.base_ref})"

    def next_order(self) -> str:
        """Orders come in shuffled blocks of both, so neither side goes first more than
        once in a row more often than the other: an order effect (a first run finding
        colder caches) then cancels instead of biasing the estimate."""
        if not self.orders:
            self.orders = sorted(ORDERS)
            self.rng.shuffle(self.orders)
        return self.orders.pop()

    def __call__(self, spec: BenchmarkSpec, attempt: Attempt) -> Sample:
        if attempt.phase == "warmup":  # warmups draw no order: the measured pairs' stay replayable
            return super().__call__(spec, attempt)
        order = self.next_order()
        runs = [self.run_side(spec, side, attempt) for side in ORDERS[order] if side in attempt.sides]
        return Sample(runs, order=order if len(runs) == len(SIDES) else None)


def _setup(config: Config, lane: LaneSettings, roots: dict[str, Path], log_dir: Path,
           base_ref: str, progress: Progress) -> bool:
    """The config's `setup` command in each tree; whether there was one."""
    command = config.setup
    if command is None:
        return False
    argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
    env = without_secrets()
    for side in SIDES:
        root = roots[side]
        progress.message(f"setup in the {side} tree ({root})")
        record = measure_once(argv, root, env, lane.budget, lane.sample_interval,
                              log_dir / "setup", log_name=side)
        if not record.ok:
            tail = next((ln for ln in reversed(record.stderr_tail.splitlines()) if ln.strip()), "")
            where = f"base tree ({base_ref})" if side == BASE else "head tree"
            raise ConfigError(
                f"setup command failed in the {where}: {record.message}"
                + (f": {tail.strip()[:200]}" if tail else ""),
                hint=f"fix `setup` in the config; its output is in {log_dir / 'setup'}",
            )
    return True


def run_paired(
    config: Config,
    lane_name: str,
    lane: LaneSettings,
    benchmarks: list[BenchmarkSpec],
    *,
    base_ref: str,
    output: Path,
    stop_rule: StopRule | None = None,
    progress: Progress | None = None,
    run_info: RunInfo | None = None,
    log_dir: Path | None = None,
    seed: int | None = None,
) -> ResultsDocument:
    """Measure `benchmarks` at `base_ref` and in the project, interleaved pair by pair.

    Runs `lane.min_iterations` pairs per benchmark after `lane.warmup` warmup runs of each
    side; with `stop_rule` (and max_iterations > min_iterations) more pairs, up to
    `lane.max_iterations`, while the rule says a benchmark's verdicts are undecided.
    Returns the paired results document (`output` is where the caller writes it; the logs
    go beside it); the worktree of `base_ref` is removed before returning, also on errors
    and interrupts (RunInterrupted holds the partial document).
    """
    progress = progress or Progress()
    log_dir = log_dir or default_log_dir(output)
    seed = lane.stats.seed if seed is None else seed
    started = time.monotonic()
    info = run_info or RunInfo()
    with base_worktree(config.root, base_ref) as tree:
        roots = {BASE: tree.root, HEAD: config.root}
        setup = False
        set_up = False

        def before() -> None:
            nonlocal setup, set_up
            if not set_up:
                setup = _setup(config, lane, roots, log_dir, base_ref, progress)
                set_up = True

        def timed(specs: list[BenchmarkSpec]) -> ResultsDocument:
            measure = PairMeasure(lane, tree.root, config.root, log_dir, base_ref=base_ref, seed=seed)
            stages = Stages(
                config, lane_name, lane, specs, measure,
                output=output, run_info=info, progress=progress, stop_rule=stop_rule,
                resume_hint="paired runs cannot be resumed; run again",
            )
            return stages.run(before=before)

        def with_pairs(doc: ResultsDocument) -> ResultsDocument:
            doc.run.paired = PairedRun(
                base_ref=base_ref, base_commit=tree.commit, seed=seed, setup=setup,
                elapsed_seconds=round(time.monotonic() - started, 3),
            )
            return doc

        try:
            return with_pairs(measure_instruments(
                config, lane_name, lane, benchmarks, timed, roots=roots, output=output,
                log_dir=log_dir, progress=progress, run_info=info,
            ))
        except RunInterrupted as exc:
            exc.partial = with_pairs(exc.partial)
            raise

