"""What the stage loop and a `measure` function hand each other.

The loop (`runner.stages`) asks for one sample at a time with an `Attempt`; `measure`
answers with a `Sample`: one `Run` of the benchmark, or one run per side of a base/head
pair. What measures a run (the process-tree measurement, an instruction counter) is
the measure's business; the loop only counts, times, stops and records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from lanebench.config import BenchmarkSpec
from lanebench.results import AdaptivePlan, Samples

Phase = Literal["warmup", "measured"]
RunStatus = Literal["ok", "failed", "timeout", "error"]
HEAD = "head"
BASE = "base"


@dataclass(frozen=True)
class Attempt:
    """What the loop asks `measure` for: one sample of a benchmark."""

    phase: Phase
    stage: int  # 1: warmup and min_iterations; 2: more, while the stopping rule wants them
    number: int  # this sample's number among the benchmark's attempts, from 1 (log files)
    sides: tuple[str, ...]  # the sides still measured: ("head",), or ("base", "head")


@dataclass
class Run:
    """One run of a command within a sample, as `measure` reports it."""

    status: RunStatus
    wall: float | None = None  # its elapsed time: what the lane's budget counts
    metrics: dict[str, float] = field(default_factory=dict)  # the measure's metrics, when ok
    exit_code: int | None = None
    signal: int | None = None
    stderr_tail: str = ""
    message: str = ""
    leftovers: int = 0  # processes it left running, killed by the runner
    maxrss_floor: int = 0  # the smallest peak RSS the spawning process lets a command show
    side: str = HEAD

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def seconds(self) -> float:
        return self.wall or 0.0


@dataclass
class Sample:
    """What one call of `measure` returns: its runs in the order they ran."""

    runs: list[Run]
    order: str | None = None  # a pair's order ("base-first" / "head-first"), kept with it


class Measure(Protocol):
    """Takes one sample of a benchmark. A plain run measures one process tree per sample
    (`runner.measure.ProcessMeasure`), a paired run one per side (`runner.paired`)."""

    sides: tuple[str, ...]  # ("head",) or ("base", "head"): the loop keeps samples per side
    unit: str  # what notes call a sample: "iterations", "pairs"

    def metrics_for(self, spec: BenchmarkSpec) -> tuple[str, ...]:
        """The metrics every ok run of `spec` has: each gets a sample list."""
        ...

    def label(self, spec: BenchmarkSpec) -> str:
        """The progress label of a benchmark's first stage."""
        ...

    def __call__(self, spec: BenchmarkSpec, attempt: Attempt) -> Sample: ...


class StopRule(Protocol):
    """Whether a benchmark has enough samples (adaptive mode, `stats.sequential`)."""

    @property
    def plan(self) -> AdaptivePlan | None:
        """Recorded as `settings.adaptive`: compare spends the same α."""
        ...

    def __call__(self, benchmark: str, head: Samples, base: Samples | None, /) -> bool:
        """True when the samples so far suffice; `base` is the paired run's base side."""
        ...

    def given_up(self, benchmark: str, /) -> Sequence[str]:
        """The metrics the last answer gave up on as undecidable, for the benchmark's note."""
        ...


class Journal(Protocol):
    """Where each sample and each finished benchmark is recorded as it happens (a plain
    run's checkpoint), so that replaying it rebuilds the loop's state."""

    def sample(self, benchmark: str, stage: int, phase: Phase, sample: Sample) -> None: ...

    def stop(self, benchmark: str, status: str, note: str | None) -> None: ...
