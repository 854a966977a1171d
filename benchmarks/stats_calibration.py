"""Calibrate lanebench's verdicts against real processes on this machine.

Two steps, run by hand (see docs/statistics.md for the recorded results):

    python benchmarks/stats_calibration.py measure --rounds 1200 --out /tmp/stats_pool.json
    python benchmarks/stats_calibration.py analyze --pool /tmp/stats_pool.json

`measure` runs a CPU-bound command in three variants (baseline, +5% and +10% work) in
interleaved rounds (a fresh random order each round, so that machine drift hits every
variant alike) and records wall time, CPU time and max RSS of every iteration.

`analyze` turns that pool of real iterations into many virtual CI runs. Each virtual
benchmark's baseline and head are contiguous blocks of the measured series taken at two
different, randomly chosen times (block resampling keeps the drift and autocorrelation of
the real series, which independent resampling would wash out). Every virtual run compares
20 benchmarks with `lanebench.stats.compare`, exactly as `lanebench compare` does.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

VARIANTS = {"base": 1.00, "plus5": 1.05, "plus10": 1.10}
LOOP = "s = 0\nfor i in range({n}):\n    s += i * i\n"


def command(n: int) -> list[str]:
    return [sys.executable, "-S", "-c", LOOP.format(n=n)]


def measure_once(argv: list[str]) -> dict[str, float]:
    """Wall time from spawn to reap, CPU time and max RSS from the child's rusage."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"calibration command failed with exit code {proc.returncode}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "maxrss": float(usage.ru_maxrss * 1024),
    }


def median_wall(n: int, repeats: int = 9) -> float:
    walls = sorted(measure_once(command(n))["wall"] for _ in range(repeats))
    return walls[repeats // 2]


def loop_sizes(base_n: int) -> dict[str, int]:
    """Loop counts whose wall time is 1.00x, 1.05x and 1.10x the baseline's.

    The interpreter's start-up is a fixed cost, so +5% work is not +5% loop iterations:
    fit wall = a + b*n on two sizes and solve for the targets.
    """
    low, high = base_n // 2, base_n
    t_low, t_high = median_wall(low), median_wall(high)
    slope = (t_high - t_low) / (high - low)
    t_base = t_high
    return {name: round(base_n + (factor - 1.0) * t_base / slope) for name, factor in VARIANTS.items()}


def measure(rounds: int, base_n: int, out: Path, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(5):  # warm the page cache and the CPU frequency governor
        measure_once(command(base_n))
    sizes = loop_sizes(base_n)
    series: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
    load: list[float] = []  # 1-minute load average at the start of each round
    started = time.time()
    for r in range(rounds):
        load.append(os.getloadavg()[0])
        order = list(VARIANTS)
        rng.shuffle(order)
        for name in order:
            series[name].append(measure_once(command(sizes[name])))
        if (r + 1) % 100 == 0:
            print(f"round {r + 1}/{rounds} ({time.time() - started:.0f} s)", file=sys.stderr)
    doc: dict[str, Any] = {
        "command": LOOP.format(n="N"),
        "python": sys.executable,
        "loop_sizes": sizes,
        "rounds": rounds,
        "seconds": round(time.time() - started, 1),
        "cpu_count": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "load_per_round": load,
        "samples": {
            name: {m: [it[m] for it in its] for m in ("wall", "cpu", "maxrss")}
            for name, its in series.items()
        },
    }
    out.write_text(json.dumps(doc))
    print(f"wrote {out}: {rounds} rounds x {len(VARIANTS)} variants in {doc['seconds']} s")


# --- analysis: virtual CI runs resampled from the measured series -------------------------

METRICS = ("wall", "cpu", "maxrss")
N_BENCHMARKS = 20


def lane_settings(name: str) -> Any:
    from lanebench.config.lane_specs import DEFAULT_LANES
    from lanebench.config.model import LaneSettings

    raw = {k: v for k, v in DEFAULT_LANES[name].items() if k in LaneSettings.model_fields}
    return LaneSettings.model_validate(raw)


def results_doc(samples: dict[str, dict[str, list[float]]], settings: Any = None) -> Any:
    from lanebench.results import BenchmarkResult, ResultsDocument, RunInfo, RunSettings

    return ResultsDocument(
        run=RunInfo(),
        environment={},
        benchmarks=[
            BenchmarkResult(name=name, command=["calibration"], samples=s,
                            settings=settings or RunSettings())
            for name, s in samples.items()
        ],
    )


class Pool:
    """The measured series per variant and metric, and the load average of each round."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.series = {
            variant: {m: np.asarray(v[m], dtype=float) for m in METRICS}
            for variant, v in doc["samples"].items()
        }
        self.rounds = len(self.series["base"]["wall"])
        self.load = np.asarray(doc.get("load_per_round") or [0.0] * self.rounds)
        self.max_load = math.inf

    def quiet(self, rounds: Any) -> bool:
        return bool(np.all(self.load[rounds] < self.max_load))

    def take(self, variant: str, rounds: Any) -> dict[str, list[float]]:
        return {m: [float(x) for x in self.series[variant][m][rounds]] for m in METRICS}


def windows(rng: Any, pool: Pool, n: int, mode: str, adaptive: bool) -> tuple[Any, Any]:
    """Round indices of one benchmark's baseline and head.

    same-window: one window of 2n consecutive rounds, the baseline from its even rounds and
    the head from its odd rounds, as a same-runner interleaved run would see the machine.
    With adaptive sampling the head's rounds are taken in random order, so that the first
    k head iterations sample the same machine state as the whole baseline rather than the
    window's first 2k rounds only.
    different-times: two disjoint blocks of n consecutive rounds at random times, as a
    baseline measured on main hours before the pull request would.
    """
    for _ in range(100_000):
        if mode == "same-window":
            start = int(rng.integers(0, pool.rounds - 2 * n + 1))
            base = np.arange(start, start + 2 * n, 2)
            head = np.arange(start + 1, start + 2 * n, 2)
            if adaptive:
                head = rng.permutation(head)
        else:
            a, b = (int(x) for x in rng.integers(0, pool.rounds - n + 1, size=2))
            if abs(a - b) < n:
                continue
            base, head = np.arange(a, a + n), np.arange(b, b + n)
        if pool.quiet(base) and pool.quiet(head):
            return base, head
    raise SystemExit(f"no window of {n} rounds has a load average below --max-load")


def virtual_run(rng: Any, pool: Pool, lane: Any, change: str, mode: str, adaptive: bool) -> dict[str, Any]:
    """20 benchmarks; benchmark 0 gets the `change` variant as head, the rest are A/A."""
    from lanebench.results import RunSettings
    from lanebench.stats import compare, sequential_stopper

    n = lane.max_iterations
    base, head_plan = {}, {}
    for i in range(N_BENCHMARKS):
        base_rounds, head_rounds = windows(rng, pool, n, mode, adaptive)
        base[f"b{i:02d}"] = pool.take("base", base_rounds)
        head_plan[f"b{i:02d}"] = pool.take(change if i == 0 else "base", head_rounds)
    base_doc = results_doc(base)
    used: dict[str, int] = {}
    if adaptive:
        stopper = sequential_stopper(base_doc, lane, metrics=METRICS)
        head = {}
        for name, full in head_plan.items():
            k = lane.min_iterations
            while k < n and not stopper(name, {m: v[:k] for m, v in full.items()}):
                k += 1
            head[name] = {m: v[:k] for m, v in full.items()}
            used[name] = k
        head_doc = results_doc(head, RunSettings(adaptive=stopper.plan))
    else:
        head_doc = results_doc(head_plan)
    comparison = compare(base_doc, head_doc, lane=lane, metrics=METRICS)
    verdicts = {(m.benchmark, m.metric): m.verdict for m in comparison.metrics}
    detectable = {
        m.metric: bool(m.noise and m.noise.detectable) for m in comparison.metrics if m.benchmark == "b00"
    }
    out: dict[str, Any] = {"verdicts": verdicts, "used": used, "detectable": detectable}
    # github-action-benchmark's rule on the same samples: alert when head/base > threshold,
    # on the ratio of means of all iterations, and on one iteration each (its usual input)
    out["gab_means"] = {
        name: sum(head_doc.benchmark(name).samples["wall"]) / len(head_doc.benchmark(name).samples["wall"])
        / (sum(b["wall"]) / len(b["wall"]))
        for name, b in base.items()
    }
    out["gab_single"] = {name: head_plan[name]["wall"][0] / b["wall"][0] for name, b in base.items()}
    return out


def rate_ci(hits: int, total: int) -> str:
    from scipy.stats import binomtest

    if total == 0:
        return "n/a"
    ci = binomtest(hits, total).proportion_ci(confidence_level=0.95, method="exact")
    return f"{hits / total * 100:.1f}% [{ci.low * 100:.1f}, {ci.high * 100:.1f}]"


def scenario(pool: Pool, lane_name: str, change: str, mode: str, adaptive: bool, runs: int, seed: int) -> dict[str, Any]:
    lane = lane_settings(lane_name)
    rng = np.random.default_rng(seed)
    false_regression = false_any = 0
    detected = {m: 0 for m in METRICS}
    false_by_metric = {m: 0 for m in METRICS}
    # the same, among runs in which lanebench's noise check said δ was detectable for b00
    quiet_runs = {m: 0 for m in METRICS}
    quiet_detected = {m: 0 for m in METRICS}
    gab = {("means", 2.0): [0, 0], ("means", 1.1): [0, 0], ("single", 2.0): [0, 0], ("single", 1.1): [0, 0]}
    used_changed: list[int] = []
    used_others: list[int] = []
    used_decided: list[int] = []  # b00's iterations in runs where its wall verdict was decided
    started = time.time()
    for _ in range(runs):
        r = virtual_run(rng, pool, lane, change, mode, adaptive)
        others = {k: v for k, v in r["verdicts"].items() if change == "base" or k[0] != "b00"}
        false_regression += any(v == "regression" for v in others.values())
        for m in METRICS:
            false_by_metric[m] += any(v == "regression" for k, v in others.items() if k[1] == m)
        false_any += any(v in ("regression", "improvement") for v in others.values())
        for m in METRICS:
            hit = r["verdicts"].get(("b00", m)) == "regression"
            detected[m] += hit
            if r["detectable"].get(m):
                quiet_runs[m] += 1
                quiet_detected[m] += hit
        for (kind, threshold), counts in gab.items():
            ratios = r["gab_means"] if kind == "means" else r["gab_single"]
            counts[0] += any(x > threshold for b, x in ratios.items() if change == "base" or b != "b00")
            counts[1] += ratios["b00"] > threshold
        if adaptive:
            if r["verdicts"].get(("b00", "wall")) in ("regression", "unchanged"):
                used_decided.append(r["used"]["b00"])
            used_changed.append(r["used"]["b00"])
            used_others.extend(v for k, v in r["used"].items() if k != "b00")
    result: dict[str, Any] = {
        "lane": lane_name,
        "min_iterations": lane.min_iterations,
        "max_iterations": lane.max_iterations,
        "change": change,
        "mode": mode,
        "adaptive": adaptive,
        "runs": runs,
        "seconds": round(time.time() - started, 1),
        "false_regression_any_of_20": rate_ci(false_regression, runs),
        "false_regression_or_improvement_any_of_20": rate_ci(false_any, runs),
        "false_regression_any_of_20_by_metric": {m: rate_ci(false_by_metric[m], runs) for m in METRICS},
        "gab_false_alert_any_of_20": {f"{k}@{t:.0%}": rate_ci(c[0], runs) for (k, t), c in gab.items()},
    }
    if change != "base":
        result["detected"] = {m: rate_ci(detected[m], runs) for m in METRICS}
        result["noise_check_detectable_share"] = {m: round(quiet_runs[m] / runs, 3) for m in METRICS}
        result["detected_when_detectable"] = {m: rate_ci(quiet_detected[m], quiet_runs[m]) for m in METRICS}
        result["gab_detected"] = {f"{k}@{t:.0%}": rate_ci(c[1], runs) for (k, t), c in gab.items()}
    if adaptive:
        result["iterations_changed"] = {"mean": float(np.mean(used_changed)), "median": float(np.median(used_changed))}
        result["iterations_unchanged"] = {"mean": float(np.mean(used_others)), "median": float(np.median(used_others))}
        if used_decided:
            result["iterations_changed_when_wall_decided"] = {
                "runs": len(used_decided), "mean": float(np.mean(used_decided)),
                "median": float(np.median(used_decided)),
            }
    return result


SCENARIOS = [
    # lane, head variant of benchmark 0, window mode, adaptive
    ("standard", "base", "same-window", False),
    ("standard", "plus10", "same-window", False),
    ("standard", "plus5", "same-window", False),
    ("heavy", "base", "same-window", False),
    ("heavy", "plus5", "same-window", False),
    ("standard", "base", "same-window", True),
    ("standard", "plus10", "same-window", True),
    ("heavy", "base", "same-window", True),
    ("heavy", "plus5", "same-window", True),
    ("standard", "base", "different-times", False),
    ("standard", "plus10", "different-times", False),
]


def describe_pool(pool: Pool, doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"rounds": pool.rounds, "loop_sizes": doc["loop_sizes"], "seconds": doc["seconds"]}
    if "load_per_round" in doc:
        load = np.asarray(doc["load_per_round"])
        out["load_average"] = {
            "median": round(float(np.median(load)), 2),
            "max": round(float(np.max(load)), 2),
            "share_of_rounds_below_1.5": round(float(np.mean(load < 1.5)), 3),
        }
    base = pool.series["base"]
    for variant, s in pool.series.items():
        w = s["wall"]
        log_w = np.log(w)
        out[variant] = {
            "wall_median_ms": round(float(np.median(w)) * 1e3, 2),
            "wall_ratio_to_base": round(float(np.median(w) / np.median(base["wall"])), 4),
            "cpu_ratio_to_base": round(float(np.median(s["cpu"]) / np.median(base["cpu"])), 4),
            "wall_cv": round(float(np.std(w, ddof=1) / np.mean(w)), 4),
            "wall_robust_log_sd": round(float(1.4826 * np.median(np.abs(log_w - np.median(log_w)))), 4),
            "wall_median_per_100_rounds_ms": [
                round(float(np.median(w[i : i + 100])) * 1e3, 1) for i in range(0, len(w), 100)
            ],
        }
    return out


def analyze(pool_path: Path, runs: int, seed: int, out: Path | None, only: str | None,
            max_load: float | None) -> None:
    doc = json.loads(pool_path.read_text())
    pool = Pool(doc)
    if max_load is not None:
        if "load_per_round" not in doc:
            raise SystemExit("--max-load needs a pool measured with load_per_round (re-run measure)")
        pool.max_load = max_load
    report: dict[str, Any] = {"pool": describe_pool(pool, doc), "max_load": max_load, "scenarios": []}
    print(json.dumps(report["pool"], indent=1))
    for i, (lane_name, change, mode, adaptive) in enumerate(SCENARIOS):
        if only and only not in f"{lane_name} {change} {mode} {'adaptive' if adaptive else 'fixed'}":
            continue
        n_runs = max(runs // 2, 1) if adaptive else runs
        res = scenario(pool, lane_name, change, mode, adaptive, n_runs, seed + i)
        report["scenarios"].append(res)
        print(json.dumps(res), flush=True)
    if out is not None:
        out.write_text(json.dumps(report, indent=1))
        print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    m = sub.add_parser("measure", help="measure the pool of real iterations")
    m.add_argument("--rounds", type=int, default=1200)
    m.add_argument("--loop", type=int, default=1_200_000, help="loop count of the baseline variant")
    m.add_argument("--out", type=Path, default=Path("stats_pool.json"))
    m.add_argument("--seed", type=int, default=1)
    a = sub.add_parser("analyze", help="resample the pool into virtual CI runs and report error rates")
    a.add_argument("--pool", type=Path, default=Path("stats_pool.json"))
    a.add_argument("--runs", type=int, default=1000, help="virtual runs per fixed-size scenario (half for adaptive)")
    a.add_argument("--seed", type=int, default=7)
    a.add_argument("--out", type=Path, default=None, help="also write the report as JSON")
    a.add_argument("--only", default=None, help="run the scenarios whose description contains this text")
    a.add_argument("--max-load", type=float, default=None,
                   help="only windows whose rounds all started below this 1-minute load average")
    args = parser.parse_args(argv)
    if args.step == "measure":
        measure(args.rounds, args.loop, args.out, args.seed)
    else:
        analyze(args.pool, args.runs, args.seed, args.out, args.only, args.max_load)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
