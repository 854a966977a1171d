"""The catalog of per-iteration metrics: name, unit, kind, where each comes from.

Every layer (runner, results, stats, sla, report) refers to metrics by these names.
`kind` picks the practical threshold δ (config `thresholds.<kind>`); `compared`
says whether `compare` tests it by default (each compared metric costs statistical
power under multiple-testing control, so near-duplicates are recorded, not tested);
`positive` says that every real measurement is above zero, so that a results file
holding 0 or less for it is refused (a wall time of -4 ms is not an improvement).
No metric can be negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["time", "memory", "io", "count"]


@dataclass(frozen=True)
class Metric:
    name: str
    unit: Literal["s", "bytes", "count"]
    kind: Kind
    label: str
    source: str
    compared: bool
    positive: bool


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("wall", "s", "time", "Wall time",
               "CLOCK_MONOTONIC from just before the spawn to the exit (pidfd); ns resolution",
               compared=True, positive=True),
        Metric("cpu", "s", "time", "CPU time (user+sys)",
               "os.wait4 rusage of the reaped child, which includes every descendant it waited for, "
               "plus orphans reaped by the spawner as subreaper; the total follows the scheduler's "
               "runtime (µs), the user/sys split is sampled at kernel ticks",
               compared=True, positive=True),
        # user and sys can each be 0: the kernel splits the CPU total by tick samples
        Metric("user", "s", "time", "User CPU time", "os.wait4 rusage ru_utime (see cpu)",
               compared=False, positive=False),
        Metric("sys", "s", "time", "System CPU time", "os.wait4 rusage ru_stime (see cpu)",
               compared=False, positive=False),
        Metric("maxrss", "bytes", "memory", "Max RSS of one process",
               "os.wait4 rusage ru_maxrss: the largest single process in the waited-for tree; "
               "exact peak, kernel-tracked, but never below the spawner's peak RSS, ~10 MiB (the "
               "kernel counts the spawning process's pre-exec memory)",
               compared=True, positive=True),
        Metric("tree_rss", "bytes", "memory", "Peak RSS of the tree (sum)",
               "psutil: sum of RSS over the whole process tree, peak over samples taken every "
               "sample_interval (50 ms default, first after 10 ms); misses peaks shorter than the "
               "interval; never below maxrss when maxrss is above the spawner's size",
               compared=False, positive=True),
        Metric("read_bytes", "bytes", "io", "Storage bytes read",
               "/proc/<pid>/io read_bytes of the exited child (includes descendants it reaped) plus "
               "orphans', each read as a zombie before reaping; page-cache hits count 0",
               compared=False, positive=False),
        Metric("write_bytes", "bytes", "io", "Storage bytes written",
               "/proc/<pid>/io write_bytes, as read_bytes", compared=False, positive=False),
        Metric("read_chars", "bytes", "io", "Bytes read (syscalls)",
               "/proc/<pid>/io rchar: bytes passed to read-like syscalls, cache hits included",
               compared=True, positive=False),
        Metric("write_chars", "bytes", "io", "Bytes written (syscalls)",
               "/proc/<pid>/io wchar: bytes passed to write-like syscalls", compared=True, positive=False),
        Metric("peak_threads", "count", "count", "Peak threads",
               "psutil: sum of num_threads over the tree, peak over samples; 1 when the command "
               "exits before the first sample", compared=False, positive=True),
        Metric("peak_processes", "count", "count", "Peak processes",
               "psutil: number of live processes in the tree, peak over samples; 1 when the "
               "command exits before the first sample", compared=False, positive=True),
    )
}

COMPARED_BY_DEFAULT: tuple[str, ...] = tuple(n for n, m in METRICS.items() if m.compared)

# Measured only by the instructions instrument (lanebench.runner.instruments.valgrind), so
# kept apart from METRICS, whose every entry the time instrument records for every run.
INSTRUMENT_METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("instructions", "count", "count", "Instructions",
               "valgrind --tool=cachegrind: Ir (instructions executed) summed over every "
               "process of the tree (--trace-children=yes); a process that execs keeps only "
               "its last program's count", compared=True, positive=True),
        Metric("l1_misses", "count", "count", "L1 cache misses (simulated)",
               "cachegrind with --cache-sim=yes and pinned cache geometry: I1mr + D1mr + D1mw "
               "over the tree", compared=False, positive=False),
        Metric("ll_misses", "count", "count", "Last-level cache misses (simulated)",
               "cachegrind with --cache-sim=yes: ILmr + DLmr + DLmw over the tree", compared=False, positive=False),
        Metric("estimated_cycles", "count", "count", "Estimated cycles",
               "iai-callgrind's formula on the simulated caches: L1 hits + 5 x LL hits + 35 x "
               "RAM hits, over every instruction and data access", compared=False, positive=True),
    )
}


# The instructions instrument's metrics compare tests when not told (after the time
# instrument's; a metric absent from a benchmark's samples is passed over). Kept out of
# COMPARED_BY_DEFAULT: that sizes the stopping rule's family of time tests.
COUNTS_COMPARED: tuple[str, ...] = tuple(n for n, m in INSTRUMENT_METRICS.items() if m.compared)


def metric(name: str) -> Metric:
    """The catalog entry; unknown names (from newer files) get a neutral description."""
    if name in METRICS:
        return METRICS[name]
    if name in INSTRUMENT_METRICS:
        return INSTRUMENT_METRICS[name]
    return Metric(name, "count", "count", name, "unknown to this lanebench version",
                  compared=False, positive=False)
