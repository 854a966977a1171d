"""Run benchmarks: spawn each command warmup + N times and measure its whole process tree.

`stages.Stages` is the loop every run goes through; what one sample is comes from a
`measure` (`sample.Measure`): `plain.run_benchmarks` measures one process tree per
sample, with a checkpoint, and `paired.run_paired` a base/head pair. `measure_once`
measures a single run of a command. Nothing here imports statistics: a stopping rule
(`sample.StopRule`) is handed in by the caller.
"""

from lanebench.runner.command_env import benchmark_environment
from lanebench.runner.identity import local_run_info
from lanebench.runner.interrupt import Interrupted, catch_signals
from lanebench.runner.plain import run_benchmarks
from lanebench.runner.process import IterationRecord, measure_once
from lanebench.runner.progress import Progress, make_progress
from lanebench.runner.sample import Attempt, Measure, Run, Sample, StopRule
from lanebench.runner.stages import RunInterrupted
from lanebench.secrets import SECRET_VARIABLES

__all__ = [
    "SECRET_VARIABLES",
    "Attempt",
    "Interrupted",
    "IterationRecord",
    "Measure",
    "Progress",
    "Run",
    "RunInterrupted",
    "Sample",
    "StopRule",
    "benchmark_environment",
    "catch_signals",
    "local_run_info",
    "make_progress",
    "measure_once",
    "run_benchmarks",
]
