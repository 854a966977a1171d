"""How long `lanebench.stats.compare` takes for suites of various sizes (run by hand).

    python benchmarks/stats_speed.py [--repeat 5]

Builds two results documents in memory (lognormal timings, the five metrics compared by
default) and times `compare` on them: the median of --repeat calls after one warm-up.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import numpy as np

from lanebench.config.model import LaneSettings
from lanebench.metrics import COMPARED_BY_DEFAULT
from lanebench.results import BenchmarkResult, ResultsDocument, RunInfo
from lanebench.stats import compare


def document(benchmarks: int, n: int, seed: int) -> ResultsDocument:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(benchmarks):
        samples = {}
        for metric in COMPARED_BY_DEFAULT:
            scale = 0.1 if metric in ("wall", "cpu") else 1e6
            samples[metric] = [float(v) for v in np.exp(rng.normal(math.log(scale), 0.05, n))]
        out.append(BenchmarkResult(name=f"bench-{i}", command=["x"], samples=samples))
    return ResultsDocument(run=RunInfo(), environment={}, benchmarks=out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("| benchmarks | samples per side | comparisons | median time | per comparison |")
    print("| --- | --- | --- | --- | --- |")
    for benchmarks, n in ((20, 30), (20, 60), (100, 30), (100, 60), (20, 1000)):
        base, head = document(benchmarks, n, 1), document(benchmarks, n, 2)
        lane = LaneSettings()
        compare(base, head, lane=lane)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = compare(base, head, lane=lane)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        rows = len(result.metrics)
        print(f"| {benchmarks} | {n} | {rows} | {median * 1e3:.0f} ms | {median / rows * 1e3:.2f} ms |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
