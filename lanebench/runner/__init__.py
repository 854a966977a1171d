"""Run benchmarks: spawn each command warmup + N times and measure its whole process tree.

`run_benchmarks` runs a lane's benchmarks with checkpointing and writes the results
document; `measure_once` measures a single run of a command (paired A/B runs reuse it).
"""

from lanebench.runner.env import benchmark_environment
from lanebench.runner.identity import local_run_info
from lanebench.runner.interrupt import Interrupted, catch_signals
from lanebench.runner.process import IterationRecord, measure_once
from lanebench.runner.progress import Progress, make_progress
from lanebench.runner.session import RunInterrupted, StopCallback, run_benchmarks
from lanebench.secrets import SECRET_VARIABLES

__all__ = [
    "SECRET_VARIABLES",
    "Interrupted",
    "IterationRecord",
    "Progress",
    "RunInterrupted",
    "StopCallback",
    "benchmark_environment",
    "catch_signals",
    "local_run_info",
    "make_progress",
    "measure_once",
    "run_benchmarks",
]
