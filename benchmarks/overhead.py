#!/usr/bin/env python3
"""Runner overhead and accuracy against hyperfine, run by hand (not part of the test suite).

For `true` (one iteration is nearly all harness) and `sleep 0.2` (the reported time should
be the sleep), alternate rounds of:

  hyperfine       `hyperfine -N --style none --export-json` (no shell, no output)
  measure         lanebench.runner.measure_once in a loop (what paired runs reuse): commands
                  started by the spawner process, the default
  measure-direct  the same, with commands spawned by this process itself (the fallback,
                  and how every command was spawned before the spawner existed)
  run-path        lanebench.runner.run_benchmarks: the whole `lanebench run` path per iteration
                  (checkpoint line + fsync, progress line, results file at the end)

and report, per tool:

  elapsed/iter  elapsed time of a round divided by the iterations it ran (warmups included)
  harness CPU   CPU time the harness itself used per iteration: lanebench's own rusage plus
                the spawner's run time (/proc/<pid>/schedstat); for hyperfine, its total
                rusage minus what it reports for its children (robust to other load on the
                machine, unlike elapsed time)
  min, median   of the times the tool reported for the command
  maxrss        median maxrss lanebench reported for the command (`true` is ~1 MiB itself:
                what shows is the floor, the size of the process that spawned it)

`--preload scipy.stats` imports that module first, so this process has the size of the
pipeline (`lanebench pr`, the GitHub Action) rather than of `lanebench run`.

Usage:
  python benchmarks/overhead.py                  # 9 rounds, 200 x true, 6 x sleep 0.2
  python benchmarks/overhead.py --preload scipy.stats --json overhead-scipy.json
Requires hyperfine on PATH (Debian/Ubuntu: apt-get install -y hyperfine).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lanebench.config import LaneSettings, config_from_dict  # noqa: E402
from lanebench.runner import measure_once, run_benchmarks, spawn_server, spawner  # noqa: E402
from lanebench.runner.progress import PlainProgress  # noqa: E402

WARMUP = {"true": 10, "sleep 0.2": 2}


def _spawner_cpu() -> float:
    """CPU seconds the spawner process has run (0 without one)."""
    server = spawner.get() if spawner.describe().mode == "spawner" else None
    if server is None:
        return 0.0
    with open(f"/proc/{server.pid}/schedstat") as fh:
        return int(fh.read().split()[0]) / 1e9


def _self_cpu() -> float:
    """This process's CPU time plus its spawner's: what the harness costs."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + _spawner_cpu()


def hyperfine_round(argv: list[str], runs: int, warmup: int, workdir: Path) -> dict:
    export = workdir / "hyperfine.json"
    started = time.perf_counter()
    proc = subprocess.Popen(
        ["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
         "--export-json", str(export), " ".join(argv)],
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"hyperfine failed with {proc.returncode}")
    result = json.loads(export.read_text())["results"][0]
    children = (result["user"] + result["system"]) * (runs + warmup)  # means exclude warmups
    total_cpu = usage.ru_utime + usage.ru_stime
    return {
        "elapsed": elapsed / (runs + warmup),
        "harness_cpu": (total_cpu - children) / (runs + warmup),
        "times": result["times"],
    }


def measure_round(argv: list[str], runs: int, warmup: int, workdir: Path) -> dict:
    env = dict(os.environ)
    logs = workdir / "logs"
    walls, maxrss = [], []
    cpu0, started = _self_cpu(), time.perf_counter()
    for i in range(runs + warmup):
        record = measure_once(argv, workdir, env, 60.0, 0.05, logs)
        if i >= warmup:
            walls.append(record.metrics["wall"])
            maxrss.append(record.metrics["maxrss"])
    elapsed, cpu = time.perf_counter() - started, _self_cpu() - cpu0
    return {
        "elapsed": elapsed / (runs + warmup),
        "harness_cpu": cpu / (runs + warmup),
        "times": walls,
        "maxrss": maxrss,
    }


def measure_direct_round(argv: list[str], runs: int, warmup: int, workdir: Path) -> dict:
    spawner.use_spawner(False)
    try:
        return measure_round(argv, runs, warmup, workdir)
    finally:
        spawner.use_spawner(True)


def run_path_round(argv: list[str], runs: int, warmup: int, workdir: Path) -> dict:
    config = config_from_dict({"benchmarks": [{"name": "cmd", "command": argv}]})
    lane = LaneSettings(warmup=warmup, min_iterations=runs, max_iterations=runs, budget="1h")
    with open(os.devnull, "w") as sink:
        cpu0, started = _self_cpu(), time.perf_counter()
        doc = run_benchmarks(
            config, "standard", lane, list(config.benchmarks), output=workdir / "results.json",
            progress=PlainProgress(sink),
        )
        elapsed, cpu = time.perf_counter() - started, _self_cpu() - cpu0
    return {
        "elapsed": elapsed / (runs + warmup),
        "harness_cpu": cpu / (runs + warmup),
        "times": doc.benchmarks[0].samples["wall"],
        "maxrss": doc.benchmarks[0].samples["maxrss"],
    }


TOOLS = {
    "hyperfine": hyperfine_round,
    "measure": measure_round,
    "measure-direct": measure_direct_round,
    "run-path": run_path_round,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--true-runs", type=int, default=200)
    parser.add_argument("--sleep-runs", type=int, default=6)
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures here")
    parser.add_argument("--preload", action="append", default=[], metavar="MODULE",
                        help="import MODULE first (e.g. scipy.stats: the pipeline's size)")
    args = parser.parse_args()
    for module in args.preload:
        importlib.import_module(module)
    if shutil.which("hyperfine") is None:
        print("hyperfine not found (apt-get install -y hyperfine)", file=sys.stderr)
        return 2
    version = subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.strip()
    commands = {
        "true": ([shutil.which("true") or "true"], args.true_runs),
        "sleep 0.2": ([shutil.which("sleep") or "sleep", "0.2"], args.sleep_runs),
    }
    raw: dict[str, dict[str, list[dict]]] = {c: {t: [] for t in TOOLS} for c in commands}
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="lanebench-overhead-") as tmp:
        workdir = Path(tmp)
        for round_no in range(1, args.rounds + 1):
            for label, (argv, runs) in commands.items():
                for tool, fn in TOOLS.items():  # interleaved: drift hits every tool alike
                    raw[label][tool].append(fn(argv, runs, WARMUP[label], workdir))
            print(f"round {round_no}/{args.rounds} done", file=sys.stderr)

    print(f"load average (1 min): {load_start:.2f} at start, {os.getloadavg()[0]:.2f} at end; "
          f"{version}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; {args.rounds} "
          f"interleaved rounds of {args.true_runs} x true and {args.sleep_runs} x sleep 0.2; "
          f"preloaded: {', '.join(args.preload) or 'nothing'}; this process's peak RSS "
          f"{spawn_server.peak_rss() / 2**20:.1f} MiB\n")
    print("| command | tool | elapsed/iter | vs hyperfine | harness CPU/iter | vs hyperfine "
          "| min | median | median minus hyperfine's | maxrss |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for label in commands:
        summary[label] = {}
        for tool in TOOLS:
            rounds = raw[label][tool]
            times = [t for r in rounds for t in r["times"]]
            summary[label][tool] = {
                "elapsed": statistics.median(r["elapsed"] for r in rounds),
                "harness_cpu": statistics.median(r["harness_cpu"] for r in rounds),
                "min": min(times),
                "median": statistics.median(times),
            }
            rss = [m for r in rounds for m in r.get("maxrss", [])]
            if rss:
                summary[label][tool]["maxrss"] = statistics.median(rss)
        base = summary[label]["hyperfine"]
        for tool, s in summary[label].items():
            rss = f"{s['maxrss'] / 2**20:.1f} MiB" if "maxrss" in s else ""
            print(f"| `{label}` | {tool} | {s['elapsed'] * 1e3:.3f} ms "
                  f"| {s['elapsed'] / base['elapsed']:.2f}x | {s['harness_cpu'] * 1e3:.3f} ms "
                  f"| {s['harness_cpu'] / base['harness_cpu']:.2f}x | {s['min'] * 1e3:.3f} ms "
                  f"| {s['median'] * 1e3:.3f} ms | {(s['median'] - base['median']) * 1e3:+.3f} ms "
                  f"| {rss} |")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "raw": raw}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
