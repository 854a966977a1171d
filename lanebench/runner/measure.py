"""One sample of a benchmark as one process-tree run per side (`measure_once`).

A plain run's sample is one run in the project; a paired run's sample runs the same
benchmark in each tree (`runner.paired` chooses the order). Command output goes to
`<log dir>/<benchmark>/` (one folder per side when there are two), a failed run's kept
as `iteration-N.stdout/.stderr` beside the last run's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from lanebench.config import BenchmarkSpec, LaneSettings
from lanebench.metrics import METRICS
from lanebench.runner.command_env import benchmark_environment
from lanebench.runner.process import IterationRecord, measure_once
from lanebench.runner.sample import HEAD, Attempt, Run, Sample


def log_folder_name(benchmark: str) -> str:
    """A benchmark name made safe as one path component."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", benchmark).strip("._") or "benchmark"
    return safe[:100]


def default_log_dir(output: Path) -> Path:
    return output.parent / ".lanebench" / "logs"


def run_of(record: IterationRecord, side: str = HEAD) -> Run:
    return Run(
        status=record.status, wall=record.wall, metrics=dict(record.metrics),
        exit_code=record.exit_code, signal=record.signal, stderr_tail=record.stderr_tail,
        message=record.message, leftovers=record.leftovers, maxrss_floor=record.maxrss_floor,
        side=side,
    )


class ProcessMeasure:
    """Wall, CPU, memory and I/O of the command's process tree (`metrics.METRICS`), one
    run per side, each side in its own project root."""

    metrics: tuple[str, ...] = tuple(METRICS)
    unit = "iterations"

    def __init__(self, lane: LaneSettings, roots: Mapping[str, Path], log_dir: Path) -> None:
        self.lane = lane
        self.roots = dict(roots)
        self.sides = tuple(self.roots)
        self.log_dir = log_dir
        self._env: dict[str, dict[str, str]] = {}

    def label(self, spec: BenchmarkSpec) -> str:
        return spec.name

    def metrics_for(self, spec: BenchmarkSpec) -> tuple[str, ...]:
        return self.metrics

    def __call__(self, spec: BenchmarkSpec, attempt: Attempt) -> Sample:
        return Sample([self.run_side(spec, side, attempt) for side in attempt.sides])

    def environment(self, spec: BenchmarkSpec) -> dict[str, str]:
        """The benchmark's environment, built once per benchmark."""
        env = self._env.get(spec.name)
        if env is None:
            env = self._env[spec.name] = benchmark_environment(spec)
        return env

    def log_folder(self, spec: BenchmarkSpec, side: str) -> Path:
        """Where one side's runs of a benchmark keep their logs."""
        logs = self.log_dir / log_folder_name(spec.name)
        return logs / side if len(self.sides) > 1 else logs

    def run_side(self, spec: BenchmarkSpec, side: str, attempt: Attempt) -> Run:
        env = self.environment(spec)
        logs = self.log_folder(spec, side)
        timeout = spec.timeout if spec.timeout is not None else self.lane.timeout
        record = measure_once(spec.argv, self.roots[side] / spec.cwd, env, timeout,
                              self.lane.sample_interval, logs)
        if not record.ok:
            for path in (record.stdout_path, record.stderr_path):
                if path is not None and path.exists():
                    path.replace(path.with_name(f"iteration-{attempt.number}{path.suffix}"))
        return run_of(record, side)
