"""Simulated error rates and power curves of lanebench's verdicts (run by hand).

    python benchmarks/stats_simulation.py [--runs 300] [--power-runs 100] [--only aa,power,gab,adaptive]

Prints Markdown tables (recorded in docs/statistics.md). Timings are lognormal around
100 ms with noise sigma on the log scale (≈ CV), plus outliers: 3% of iterations 1.2-2x
slower, and, in the "bursts" model, runs of 1-3 consecutive slow iterations starting at
1% of iterations (a noisy neighbour). Every virtual CI run compares 20 benchmarks on the
wall metric with `lanebench.stats.compare` (Holm over the 20); "any of 20" rates count
runs with at least one such verdict. Seeded: the same command prints the same tables.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from scipy.stats import binomtest

from lanebench.config.model import LaneSettings
from lanebench.results import AdaptivePlan, RunSettings
from lanebench.stats import compare, sequential_stopper
from lanebench.stats.simulate import timings, wall_results

K = 20


def rate(hits: int, total: int) -> str:
    ci = binomtest(hits, total).proportion_ci(method="exact")
    return f"{hits / total * 100:.1f}% [{ci.low * 100:.1f}, {ci.high * 100:.1f}]"


def virtual_runs(runs: int, n: int, factor: float, sigma: float, bursts: float, seed: int,
                 observe: Callable[[dict[str, str], dict[str, list[float]], dict[str, list[float]]], None]) -> None:
    rng = np.random.default_rng(seed)
    lane = LaneSettings()
    for _ in range(runs):
        base = {f"b{i:02d}": timings(rng, n, 1.0, sigma, bursts=bursts) for i in range(K)}
        head = {f"b{i:02d}": timings(rng, n, factor if i == 0 else 1.0, sigma, bursts=bursts) for i in range(K)}
        c = compare(wall_results(base), wall_results(head), lane=lane, metrics=["wall"])
        observe({m.benchmark: m.verdict for m in c.metrics}, base, head)


def aa_table(runs: int) -> None:
    print("### A/A: false verdicts in any of 20 benchmarks\n")
    print(f"{runs} virtual runs per row; 95% Clopper-Pearson intervals.\n")
    print("| noise σ | n per side | model | false regression | false regression or improvement |")
    print("| --- | --- | --- | --- | --- |")
    for sigma in (0.02, 0.05, 0.10):
        for n in (30, 60):
            for model, bursts in (("independent outliers", 0.0), ("with bursts", 0.01)):
                reg = any_ = 0

                def observe(v: dict[str, str], *_: object) -> None:
                    nonlocal reg, any_
                    reg += "regression" in v.values()
                    any_ += "regression" in v.values() or "improvement" in v.values()

                virtual_runs(runs, n, 1.0, sigma, bursts, seed=int(sigma * 1000) + n, observe=observe)
                print(f"| {sigma:.2f} | {n} | {model} | {rate(reg, runs)} | {rate(any_, runs)} |", flush=True)
    print()


def power_table(runs: int) -> None:
    changes = (1.0, 1.02, 1.03, 1.05, 1.075, 1.10, 1.15, 1.20)
    print("### Power: share of runs in which the one changed benchmark (of 20) is a regression\n")
    print(f"{runs} virtual runs per cell, bursts model, threshold 5%, Holm over 20.\n")
    print("| noise σ | n per side | " + " | ".join(f"{(c - 1) * 100:+g}%" for c in changes) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in changes) + " |")
    for sigma in (0.02, 0.05, 0.10):
        for n in (10, 20, 30, 60):
            cells = []
            for c in changes:
                hits = 0

                def observe(v: dict[str, str], *_: object) -> None:
                    nonlocal hits
                    hits += v["b00"] == "regression"

                virtual_runs(runs, n, c, sigma, 0.01, seed=n * 7 + int(c * 1000), observe=observe)
                cells.append(f"{hits / runs * 100:.0f}%")
            print(f"| {sigma:.2f} | {n} | " + " | ".join(cells) + " |", flush=True)
    print()


def gab_table(runs: int) -> None:
    """github-action-benchmark's rule vs lanebench's verdicts on the same samples."""
    print("### github-action-benchmark's ratio rule vs lanebench, same samples\n")
    print(f"{runs} virtual runs per row, 20 benchmarks, n = 30 per side, bursts model. "
          "Alert rule: head/base > threshold, on the ratio of means of all iterations and on "
          "a single iteration per side (the tool's usual input).\n")
    print("| noise σ | true change of b00 | lanebench regression (b00) | lanebench false regression (others) "
          "| means > 200% (b00 / others) | means > 110% (b00 / others) | single > 200% (b00 / others) "
          "| single > 110% (b00 / others) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for sigma in (0.02, 0.05, 0.10):
        for factor in (1.0, 1.05, 1.10, 2.5):
            counts = {k: 0 for k in ("lb_hit", "lb_false", "m2_hit", "m2_false", "m11_hit", "m11_false",
                                     "s2_hit", "s2_false", "s11_hit", "s11_false")}

            def observe(v: dict[str, str], base: dict[str, list[float]], head: dict[str, list[float]],
                        counts: dict[str, int] = counts) -> None:
                counts["lb_hit"] += v["b00"] == "regression"
                counts["lb_false"] += any(x == "regression" for b, x in v.items() if b != "b00")
                means = {b: float(np.mean(head[b]) / np.mean(base[b])) for b in base}
                single = {b: head[b][0] / base[b][0] for b in base}
                for key, ratios, t in (("m2", means, 2.0), ("m11", means, 1.1), ("s2", single, 2.0),
                                       ("s11", single, 1.1)):
                    counts[f"{key}_hit"] += ratios["b00"] > t
                    counts[f"{key}_false"] += any(r > t for b, r in ratios.items() if b != "b00")

            virtual_runs(runs, 30, factor, sigma, 0.01, seed=int(sigma * 100) + int(factor * 100), observe=observe)

            def pair(key: str, counts: dict[str, int] = counts) -> str:
                return f"{counts[key + '_hit'] / runs * 100:.0f}% / {counts[key + '_false'] / runs * 100:.0f}%"

            print(f"| {sigma:.2f} | {(factor - 1) * 100:+g}% | {counts['lb_hit'] / runs * 100:.0f}% | "
                  f"{counts['lb_false'] / runs * 100:.1f}% | {pair('m2')} | {pair('m11')} | {pair('s2')} | "
                  f"{pair('s11')} |", flush=True)
    print()


def adaptive_row(runs: int, lane_name: str, lane: LaneSettings, sigma: float, factor: float,
                 naive: bool = False) -> str:
    rng = np.random.default_rng(int(sigma * 100) + int(factor * 100) + lane.max_iterations)
    false_reg = hit = 0
    used0: list[int] = []
    used_rest: list[int] = []
    for _ in range(runs):
        base = wall_results({f"b{i:02d}": timings(rng, lane.max_iterations, 1.0, sigma, bursts=0.01) for i in range(K)})
        stopper = sequential_stopper(base, lane, metrics=["wall"])
        if naive:  # look after every iteration, each look at the full α
            every = list(range(lane.min_iterations, lane.max_iterations + 1))
            stopper.plan = AdaptivePlan(looks=every, alpha_fractions=[1.0] * len(every))
        head = {}
        for i in range(K):
            name = f"b{i:02d}"
            full = timings(rng, lane.max_iterations, factor if i == 0 else 1.0, sigma, bursts=0.01)
            k = lane.min_iterations
            while k < lane.max_iterations and not stopper(name, {"wall": full[:k]}):
                k += 1
            head[name] = full[:k]
            (used0 if i == 0 else used_rest).append(k)
        settings = RunSettings() if naive else RunSettings(adaptive=stopper.plan)
        c = compare(base, wall_results(head, settings), lane=lane, metrics=["wall"])
        v = {m.benchmark: m.verdict for m in c.metrics}
        false_reg += any(x == "regression" for b, x in v.items() if b != "b00" or factor == 1.0)
        hit += v["b00"] == "regression"
    lanes = f"{lane_name} ({lane.min_iterations}-{lane.max_iterations})" + (", naive looks" if naive else "")
    return (f"| {lanes} | {sigma:.2f} | {(factor - 1) * 100:+g}% | {rate(false_reg, runs)} | "
            f"{hit / runs * 100:.0f}% | {np.mean(used0):.1f} | {np.mean(used_rest):.1f} |")


def adaptive_table(runs: int) -> None:
    print("### Adaptive iterations (alpha spending over 4 looks)\n")
    print(f"{runs} virtual runs per row, 20 benchmarks (b00 changed), bursts model. The last row "
          "looks after every iteration at the full α instead, the rule alpha spending replaces.\n")
    print("| lane (min-max) | noise σ | true change | false regression (others) | b00 regression "
          "| b00 mean iterations | others mean iterations |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    standard = LaneSettings(min_iterations=10, max_iterations=30)
    heavy = LaneSettings(min_iterations=15, max_iterations=60)
    for lane_name, lane in (("standard", standard), ("heavy", heavy)):
        for sigma in (0.02, 0.05):
            for factor in (1.0, 1.05, 1.10):
                print(adaptive_row(runs, lane_name, lane, sigma, factor), flush=True)
    print(adaptive_row(runs, "standard", standard, 0.05, 1.0, naive=True), flush=True)
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=300, help="virtual runs per A/A, gab and adaptive row")
    parser.add_argument("--power-runs", type=int, default=100, help="virtual runs per power cell")
    parser.add_argument("--only", default="aa,power,gab,adaptive")
    args = parser.parse_args()
    started = time.time()
    parts = args.only.split(",")
    if "aa" in parts:
        aa_table(args.runs)
    if "power" in parts:
        power_table(args.power_runs)
    if "gab" in parts:
        gab_table(args.runs)
    if "adaptive" in parts:
        adaptive_table(max(args.runs // 3, 1))
    print(f"({time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
