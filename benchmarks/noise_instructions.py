"""Instruction counts beside a noisy neighbour: false verdicts, detection and cost.

Run by hand (28 minutes of measuring on 2 cores at a load of 6-16, half a minute for the
analysis, 2-3 minutes each for the cost and the blind spots; results go into
docs/noise.md, "Instruction counts beside a noisy neighbour", and docs/instructions.md):

    python benchmarks/noise_instructions.py measure --runs 11 --loop 200000 --out /tmp/noise_instructions.json
    python benchmarks/noise_instructions.py analyze --pools /tmp/noise_instructions.json --adaptive 10 30
    python benchmarks/noise_instructions.py cost --repeats 3
    python benchmarks/noise_instructions.py blind --repeats 3

`measure` copies examples/demo's cpu-loop benchmark (a pure-Python integer loop) into a
temporary git repository, its loop shortened to --loop iterations (0.05-0.1 s plain, a
few seconds under valgrind), with three commits: `main`, `same` (only a comment added)
and `slower` (the loop made longer so that the command executes --change more
instructions, 2% by default: sized from two counted runs, since the interpreter's
start-up is a fixed cost). Then, in rounds that interleave the conditions so machine
drift hits them alike:

- hog:          `main` measured beside --hogs busy-looping processes (one per core by
                default: each benchmark process shares its core): the baseline;
- quiet:        `same` measured with nothing else of ours running: an unchanged PR;
- quiet-slower: `slower` measured the same way: a PR with the change;
- paired-same / paired-slower: paired runs (`same` or `slower` against `main`), the
                neighbour running during both sides.

A run of the first three conditions is one lanebench artifact run of the time instrument
(its runner, calibration on, --iterations iterations after one warmup) followed, under
the same condition, by --repeats runs of the command under cachegrind through
`lanebench.runner.instruments.valgrind.run_counted` (the instrument's own wrapping,
environment and fingerprint).

`analyze` forms virtual pull requests from those real runs:

- instructions (artifact, no history): every (hog run, quiet run) combination is one PR:
  base = the hog run's repeats, head = the quiet (or quiet-slower) run's repeats, judged
  by `lanebench.stats.deterministic.compare_counts` with the two runs' fingerprints,
  the rule the product's compare uses for counts. With 11 runs per condition that is
  121 PRs, each made of two different real runs; no repeat is resampled. Also, with one
  repeat a side, every (baseline count, head count) pair of counted runs.
- time, artifact, calibration only (no history): the same (hog run, quiet run)
  combinations, their real iterations and calibration as measured, judged by
  `lanebench.stats.compare`.
- time, artifact, calibration + history: the same, the baseline also carrying 19
  earlier main runs, each a bootstrap copy of a hog or a quiet run (probability 1/2:
  a mixed runner pool), as noise_neighbour.py does.
- time, paired: one virtual paired run per PR, its pairs drawn without replacement from
  every real pair of the condition (noise_neighbour.virtual_paired), neighbour on both
  sides; fixed --pairs pairs, or adaptive as run_paired with --adaptive MIN MAX.

Each time mode is judged at the lane default δ = 5% and at δ = 1% (the instructions'
default threshold). A false verdict is any regression or improvement among the compared
metrics when no code changed (instructions: 1 metric; time: cpu-loop's 5); the change is
found when instructions, or cpu-loop's wall or CPU time, gets a regression verdict.

`cost` runs each of examples/demo's benchmarks --repeats times plainly and --repeats
times under cachegrind, alternating, and prints wall and CPU time (user + system of the
process tree) of both, their ratio, the instruction counts each repeat gave, and the
cost per benchmark at the defaults (time: 1 warmup + 10 iterations; instructions: 3
repeats).

`blind` shows what a count cannot see, each workload --repeats times plainly and under
cachegrind: a sleep (0.05 s vs 0.5 s), two threads hashing in parallel (hashlib releases
the GIL) vs the same two hashes one after the other, and a JIT (node, when installed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import noise_neighbour as nn  # noqa: E402
from instructions_determinism import cpu_seconds  # noqa: E402

from lanebench.baseline import append_history  # noqa: E402
from lanebench.config import LaneSettings, load_config  # noqa: E402
from lanebench.config.model import Thresholds  # noqa: E402
from lanebench.results import ResultsDocument, results_from_dict  # noqa: E402
from lanebench.runner.instruments.valgrind import run_counted  # noqa: E402
from lanebench.stats.deterministic import compare_counts  # noqa: E402
from lanebench.stats.paired import paired_baseline  # noqa: E402

BENCH = "cpu-loop"
DEFAULT_LOOP = 200_000
CONFIG = """version: 1
benchmarks:
  - name: cpu-loop
    description: Pure-Python arithmetic loop; CPU-bound, single thread.
    command: [{python}, bench/cpu_loop.py]
    paths: ["bench/cpu_loop.py"]
"""


# --- the project ------------------------------------------------------------------------


def git(root: Path, *args: str) -> None:
    subprocess.run([*nn.GIT, *args], cwd=root, check=True, capture_output=True)


def counted(root: Path, work: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """One run of cpu-loop under cachegrind: its count, wall and CPU time, fingerprint."""
    out = Path(tempfile.mkdtemp(dir=work))
    before = cpu_seconds()
    run = run_counted([sys.executable, "bench/cpu_loop.py"], out, cwd=root, env=env or dict(os.environ))
    cpu = cpu_seconds() - before
    shutil.rmtree(out)
    if run.returncode != 0:
        raise SystemExit(f"cpu_loop.py exited {run.returncode} under valgrind")
    return {"instructions": int(run.reading.metrics["instructions"]), "wall": run.wall, "cpu": cpu,
            "fingerprint": run.fingerprint}


def make_project(parent: Path, loop: int, change: float) -> tuple[Path, int, dict[str, int]]:
    """The repository with `main`, `same` and `slower`; returns the slower loop count and
    the two counts the size was fitted from."""
    root = parent / "demo"
    (root / "bench").mkdir(parents=True)
    source = (REPO / "examples" / "demo" / "bench" / "cpu_loop.py").read_text()
    loop_file = root / "bench" / "cpu_loop.py"
    loop_file.write_text(source.replace('"1000000"', f'"{loop}"'))
    (root / ".github").mkdir()
    (root / ".github" / "lanebench.yml").write_text(CONFIG.format(python=sys.executable))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "main")
    # instructions = a + b * loop: two counted runs give the slope, the start-up is the rest
    fit = {str(n): counted(root, parent, dict(os.environ, DEMO_CPU_N=str(n)))["instructions"]
           for n in (loop // 2, loop)}
    slope = (fit[str(loop)] - fit[str(loop // 2)]) / (loop - loop // 2)
    slower = round(loop + change * fit[str(loop)] / slope)
    git(root, "checkout", "-qb", "same")
    loop_file.write_text(loop_file.read_text() + "# a comment: no change in the work done\n")
    git(root, "commit", "-qam", "same work")
    git(root, "checkout", "-q", "main")
    git(root, "checkout", "-qb", "slower")
    loop_file.write_text(loop_file.read_text().replace(f'"{loop}"', f'"{slower}"'))
    git(root, "commit", "-qam", "more work")
    return root, slower, fit


# --- measuring --------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> None:
    nn.HOGS = args.hogs
    started = time.monotonic()
    data: dict[str, Any] = {"settings": vars(args) | {"out": str(args.out)}, "load": [], "pools": {}}
    plan: list[tuple[str, str]] = []
    for i in range(args.runs):
        plan += [("hog", "main"), ("quiet", "same"), ("quiet-slower", "slower")]
        if i < args.paired_runs:
            plan += [("paired-same", "same"), ("paired-slower", "slower")]
    with tempfile.TemporaryDirectory(prefix="lanebench-noise-instr-") as tmp:
        work = Path(tmp)
        root, slower, fit = make_project(work, args.loop, args.change)
        data["settings"] |= {"slower_loop": slower, "fit": fit}
        print(f"slower: {slower:,} loop iterations instead of {args.loop:,} (fit: {fit})", file=sys.stderr)
        out = work / "out.json"
        for index, (name, branch) in enumerate(plan, 1):
            t0 = time.monotonic()
            data["load"].append(nn.load_average())
            if name.startswith("paired"):
                entry: dict[str, Any] = {"time": nn.paired_run(root, branch, args.pairs, out)}
            else:
                hog = name == "hog"
                entry = {"time": nn.artifact_run(root, branch, hog, args.iterations, out)}
                nn.checkout(root, branch)
                with nn.neighbour(hog):
                    entry["counts"] = [counted(root, work) for _ in range(args.repeats)]
            data["pools"].setdefault(name, []).append(entry)
            seen = sorted({c["instructions"] for c in entry.get("counts", [])})
            print(f"[{index}/{len(plan)}] {name}: {time.monotonic() - t0:.1f} s (load "
                  f"{data['load'][-1][0]}) {', '.join(f'{c:,}' for c in seen)}", file=sys.stderr, flush=True)
    data["load"].append(nn.load_average())
    data["elapsed_seconds"] = round(time.monotonic() - started, 1)
    args.out.write_text(json.dumps(data))
    print(f"wrote {args.out} in {data['elapsed_seconds']:.0f} s", file=sys.stderr)


# --- virtual pull requests --------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.cells: dict[str, list[int]] = {}

    def add(self, key: str, hit: bool) -> None:
        cell = self.cells.setdefault(key, [0, 0])
        cell[0] += int(hit)
        cell[1] += 1

    def text(self, key: str) -> str:
        if key not in self.cells:
            return "–"
        k, n = self.cells[key]
        lo, hi = nn.wilson(k, n)
        return f"{k}/{n} = {k / n * 100:.1f}% ({lo * 100:.1f}–{hi * 100:.1f}%)"


def time_verdicts(tally: Tally, mode: str, change: str, verdicts: dict[tuple[str, str], str]) -> None:
    if change == "same":
        tally.add(f"{mode}|false", any(v in nn.DECIDED_WRONG for v in verdicts.values()))
        return
    wall = verdicts[(BENCH, "wall")] == "regression"
    cpu = verdicts[(BENCH, "cpu")] == "regression"
    tally.add(f"{mode}|found", wall or cpu)
    tally.add(f"{mode}|found-wall", wall)
    tally.add(f"{mode}|found-cpu", cpu)
    others = [v for (_, m), v in verdicts.items() if m not in ("wall", "cpu")]
    tally.add(f"{mode}|false-with-change", any(v in nn.DECIDED_WRONG for v in others))


def lane_with(threshold: float | None, **kw: int) -> LaneSettings:
    if threshold is None:
        return LaneSettings(**kw)
    return LaneSettings(thresholds=Thresholds(time=threshold), **kw)


def analyze(args: argparse.Namespace) -> None:
    data = json.loads(args.pools.read_text())
    pools = data["pools"]
    docs = {name: [results_from_dict(e["time"]) for e in entries] for name, entries in pools.items()}
    rng = random.Random(args.seed)
    tally = Tally()
    methods: dict[str, dict[str, int]] = {"same": {}, "slower": {}}
    changes: dict[str, set[float]] = {"same": set(), "slower": set()}
    started = time.monotonic()
    thresholds: list[tuple[str, float | None]] = [("δ 5%", None), ("δ 1%", 0.01)]
    pr = 0
    for i, base in enumerate(pools["hog"]):
        for j in range(len(pools["quiet"])):
            for change, head_pool in (("same", "quiet"), ("slower", "quiet-slower")):
                head = pools[head_pool][j]
                # instructions: the first --repeats counts of each run, as the instrument records them
                b = [c["instructions"] for c in base["counts"][: args.repeats]]
                h = [c["instructions"] for c in head["counts"][: args.repeats]]
                result = compare_counts(b, h, threshold=args.threshold,
                                        base_fingerprint=base["counts"][0]["fingerprint"],
                                        head_fingerprint=head["counts"][0]["fingerprint"])
                methods[change][result.method] = methods[change].get(result.method, 0) + 1
                if result.ratio is not None:
                    changes[change].add(round(result.ratio - 1, 9))
                mode = f"instructions, artifact, no history, {args.repeats} repeats (δ {args.threshold * 100:g}%)"
                if change == "same":
                    tally.add(f"{mode}|false", result.verdict in nn.DECIDED_WRONG)
                else:
                    tally.add(f"{mode}|found", result.verdict == "regression")
                # time, the same two real runs
                b_doc, h_doc = docs["hog"][i], docs[head_pool][j]
                history = None
                for k in range(args.history - 1):
                    condition = "hog" if rng.random() < 0.5 else "quiet"
                    history = append_history(history, nn.virtual_artifact(
                        rng, docs[condition], args.iterations, f"h{pr}-{k}"))
                with_history = append_history(history, b_doc, args.history)
                paired_head = nn.virtual_paired(rng, docs[f"paired-{change}"], args.pairs)
                adaptive = None
                if args.adaptive:
                    adaptive_lane = LaneSettings(min_iterations=args.adaptive[0], max_iterations=args.adaptive[1])
                    adaptive = nn.adaptive_paired(rng, docs[f"paired-{change}"], adaptive_lane, [])
                for label, threshold in thresholds:
                    settings = lane_with(threshold)
                    time_verdicts(tally, f"time, artifact, calibration, no history ({label})", change,
                                  nn.judge(b_doc, h_doc, settings))
                    time_verdicts(tally, f"time, artifact, calibration + {args.history}-run history ({label})",
                                  change, nn.judge(with_history, h_doc, settings))
                    time_verdicts(tally, f"time, paired, {args.pairs} pairs, neighbour on both sides ({label})",
                                  change, nn.judge(paired_baseline(paired_head), paired_head, settings))
                    if adaptive is not None:
                        adaptive_settings = lane_with(threshold, min_iterations=args.adaptive[0],
                                                      max_iterations=args.adaptive[1])
                        time_verdicts(tally, f"time, paired, adaptive {args.adaptive[0]}–{args.adaptive[1]} "
                                      f"pairs ({label})", change,
                                      nn.judge(paired_baseline(adaptive), adaptive, adaptive_settings))
            pr += 1
    # one repeat a side, every (baseline count, head count) pair of counted runs: more PRs
    # from the same runs, each a different pair of real valgrind runs
    for base in (c for e in pools["hog"] for c in e["counts"]):
        for change, head_pool in (("same", "quiet"), ("slower", "quiet-slower")):
            for head in (c for e in pools[head_pool] for c in e["counts"]):
                result = compare_counts([base["instructions"]], [head["instructions"]], threshold=args.threshold,
                                        base_fingerprint=base["fingerprint"], head_fingerprint=head["fingerprint"])
                mode = f"instructions, 1 repeat, every pair of counted runs (δ {args.threshold * 100:g}%)"
                if change == "same":
                    tally.add(f"{mode}|false", result.verdict in nn.DECIDED_WRONG)
                else:
                    tally.add(f"{mode}|found", result.verdict == "regression")
    describe(data, docs, args)
    print(f"{pr} virtual PRs per change ({len(pools['hog'])} hog runs x {len(pools['quiet'])} quiet runs), "
          f"seed {args.seed}; analysis took {time.monotonic() - started:.0f} s")
    for change in ("same", "slower"):
        shown = ", ".join(f"{c * 100:+.6f}%" for c in sorted(changes[change]))
        print(f"  instructions, {change}: methods {methods[change]}; head/base changes seen: {shown}")
    print()
    print("| mode | false verdicts, no change | change found | on wall | on CPU | false verdicts elsewhere, with the change |")
    print("| --- | --- | --- | --- | --- | --- |")
    for mode in dict.fromkeys(k.split("|")[0] for k in tally.cells):
        cells = [tally.text(f"{mode}|{kind}") for kind in ("false", "found", "found-wall", "found-cpu", "false-with-change")]
        print(f"| {mode} | " + " | ".join(cells) + " |")


def describe(data: dict[str, Any], docs: dict[str, list[ResultsDocument]], args: argparse.Namespace) -> None:
    pools, settings = data["pools"], data["settings"]
    loads = [x[0] for x in data["load"]]
    print(f"pools: {', '.join(f'{k} {len(v)} runs' for k, v in pools.items())}; measuring took "
          f"{data['elapsed_seconds'] / 60:.1f} min; load average (1 min) {min(loads):.2f}-{max(loads):.2f}; "
          f"--hogs {settings['hogs']}, loop {settings['loop']:,} -> {settings['slower_loop']:,}")
    for name in ("hog", "quiet", "quiet-slower"):
        counts = [c for e in pools[name] for c in e["counts"]]
        values = [c["instructions"] for c in counts]
        distinct = sorted(set(values))
        runs_identical = sum(len({c["instructions"] for c in e["counts"]}) == 1 for e in pools[name])
        wall = statistics.median(c["wall"] for c in counts)
        cpu = statistics.median(c["cpu"] for c in counts)
        t_wall = nn.medians(docs[name], BENCH, "wall")
        t_cpu = nn.medians(docs[name], BENCH, "cpu")
        print(f"  {name}: {len(values)} counted runs, {len(distinct)} distinct counts "
              f"({', '.join(f'{v:,}' for v in distinct[:4])}{' …' if len(distinct) > 4 else ''}), "
              f"repeats identical within {runs_identical}/{len(pools[name])} runs; under valgrind median "
              f"wall {wall:.2f} s, CPU {cpu:.2f} s; time runs median wall {t_wall * 1000:.1f} ms, "
              f"CPU {t_cpu * 1000:.1f} ms")
    for metric in ("wall", "cpu"):
        ratio = nn.medians(docs["quiet-slower"], BENCH, metric) / nn.medians(docs["quiet"], BENCH, metric)
        print(f"  the change in the quiet time runs: {metric} {ratio:.4f}x")
    for name in ("paired-same", "paired-slower"):
        for metric in ("wall", "cpu"):
            logs = [math.log(h / b) for doc in docs[name] for block in [doc.benchmark(BENCH)] if block and block.paired
                    for h, b in zip(block.samples[metric], block.paired.base_samples[metric], strict=True)]
            print(f"  {name}, {metric}: {len(logs)} real pairs, median head/base {math.exp(statistics.median(logs)):.4f}, "
                  f"SD of the log ratio {statistics.stdev(logs):.3f}")
    hog_vs_quiet = nn.medians(docs["hog"], BENCH, "wall") / nn.medians(docs["quiet"], BENCH, "wall")
    print(f"  the neighbour: cpu-loop wall {hog_vs_quiet:.2f}x (hog main / quiet same)")


# --- cost -------------------------------------------------------------------------------


def plain_and_counted(argv: Sequence[str], repeats: int, work: Path, *, cwd: Path,
                      env: dict[str, str] | None = None) -> dict[str, list[float]]:
    """`repeats` plain runs and as many under cachegrind, alternating: wall and CPU time
    (user + system of the tree) of each, and the counts."""
    runs: dict[str, list[float]] = {k: [] for k in ("plain_wall", "plain_cpu", "vg_wall", "vg_cpu", "counts")}
    for _ in range(repeats):
        before, start = cpu_seconds(), time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
        runs["plain_wall"].append(time.perf_counter() - start)
        runs["plain_cpu"].append(cpu_seconds() - before)
        out = Path(tempfile.mkdtemp(dir=work))
        before = cpu_seconds()
        run = run_counted(argv, out, cwd=cwd, env=env)
        runs["vg_cpu"].append(cpu_seconds() - before)
        runs["vg_wall"].append(run.wall)
        runs["counts"].append(int(run.reading.metrics["instructions"]))
        shutil.rmtree(out)
    return runs


def counts_text(values: Sequence[float]) -> str:
    spread = (max(values) - min(values)) / min(values)
    shown = f"{len(set(values))} distinct of {len(values)}: " + ", ".join(f"{v:,.0f}" for v in values)
    return shown + (f" (spread {spread * 100:.2g}%)" if spread else "")


def cost(args: argparse.Namespace) -> None:
    config = load_config(REPO / "examples" / "demo" / ".github" / "lanebench.yml")
    root = REPO / "examples" / "demo"
    print(f"load average (1 min) at start {nn.load_average()[0]}")
    print("| benchmark | plain: wall / CPU | under cachegrind: wall / CPU | ratio: wall / CPU | "
          "counts of the repeats | per benchmark at the defaults (wall) |")
    print("| --- | ---: | ---: | ---: | --- | ---: |")
    with tempfile.TemporaryDirectory(prefix="lanebench-instr-cost-") as tmp:
        work = Path(tmp)
        for spec in config.benchmarks:
            argv = [sys.executable if a == "python3" else a for a in spec.argv]
            env = dict(os.environ) | dict(spec.env)
            runs = plain_and_counted(argv, args.repeats, work, cwd=root, env=env)
            pw, pc = statistics.median(runs["plain_wall"]), statistics.median(runs["plain_cpu"])
            vw, vc = statistics.median(runs["vg_wall"]), statistics.median(runs["vg_cpu"])
            per_bench = f"{11 * pw:.2f} s vs {3 * vw:.2f} s = {3 * vw / (11 * pw):.1f}x"
            print(f"| {spec.name} | {pw:.3f} s / {pc:.3f} s | {vw:.2f} s / {vc:.2f} s | "
                  f"{vw / pw:.0f}x / {vc / pc:.0f}x | {counts_text(runs['counts'])} | {per_bench} |", flush=True)
    print(f"load average (1 min) at end {nn.load_average()[0]}")


THREADS = """import hashlib, sys, threading
data = b"x" * (16 << 20)
work = lambda: hashlib.sha256(data).digest()
if sys.argv[1] == "parallel":
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads: t.start()
    for t in threads: t.join()
else:
    work(); work()
"""
NODE_LOOP = "let s = 0; for (let i = 0; i < 3e6; i++) { s += (i * i) % 7 } console.log(s)"


def blind(args: argparse.Namespace) -> None:
    workloads = [
        ("sleep 0.05 s", [sys.executable, "-c", "import time; time.sleep(0.05)"]),
        ("sleep 0.5 s", [sys.executable, "-c", "import time; time.sleep(0.5)"]),
        ("two sha256 of 16 MiB, one after the other", [sys.executable, "-c", THREADS, "serial"]),
        ("the same two in two threads at once", [sys.executable, "-c", THREADS, "parallel"]),
    ]
    node = shutil.which("node")
    if node:
        workloads.append((f"node: a 3M-iteration loop ({node})", [node, "-e", NODE_LOOP]))
    print(f"load average (1 min) at start {nn.load_average()[0]}")
    print("| workload | plain: wall / CPU | under cachegrind: wall / CPU | instructions of the repeats |")
    print("| --- | ---: | ---: | --- |")
    with tempfile.TemporaryDirectory(prefix="lanebench-instr-blind-") as tmp:
        for label, argv in workloads:
            runs = plain_and_counted(argv, args.repeats, Path(tmp), cwd=Path(tmp))
            print(f"| {label} | {statistics.median(runs['plain_wall']):.3f} s / "
                  f"{statistics.median(runs['plain_cpu']):.3f} s | {statistics.median(runs['vg_wall']):.2f} s / "
                  f"{statistics.median(runs['vg_cpu']):.2f} s | {counts_text(runs['counts'])} |", flush=True)
    print(f"load average (1 min) at end {nn.load_average()[0]}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    m = sub.add_parser("measure", help="measure the real runs")
    m.add_argument("--runs", type=int, default=11, help="real runs per artifact condition")
    m.add_argument("--paired-runs", type=int, default=6, help="real paired runs per condition")
    m.add_argument("--iterations", type=int, default=10, help="time iterations per artifact run")
    m.add_argument("--pairs", type=int, default=20, help="pairs per real paired run")
    m.add_argument("--repeats", type=int, default=3, help="counted runs per artifact run")
    m.add_argument("--loop", type=int, default=DEFAULT_LOOP, help="cpu_loop.py's iterations on main")
    m.add_argument("--change", type=float, default=0.02, help="the `slower` commit's instruction change")
    m.add_argument("--hogs", type=int, default=os.cpu_count() or 1,
                   help="busy-looping neighbour processes (default: one per core)")
    m.add_argument("--out", type=Path, default=Path("/tmp/noise_instructions.json"))
    a = sub.add_parser("analyze", help="judge the virtual pull requests")
    a.add_argument("--pools", type=Path, default=Path("/tmp/noise_instructions.json"))
    a.add_argument("--repeats", type=int, default=3, help="counted repeats per side (at most measured)")
    a.add_argument("--threshold", type=float, default=0.01, help="δ for instructions")
    a.add_argument("--iterations", type=int, default=10, help="iterations per virtual history run")
    a.add_argument("--pairs", type=int, default=15, help="pairs per virtual paired run")
    a.add_argument("--adaptive", type=int, nargs=2, metavar=("MIN", "MAX"), default=None,
                   help="also paired runs with adaptive pairs (MIN to MAX, as run_paired)")
    a.add_argument("--history", type=int, default=20, help="main runs in the history row's baseline")
    a.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("cost", help="instruction runs vs time runs on examples/demo")
    c.add_argument("--repeats", type=int, default=3)
    b = sub.add_parser("blind", help="what counts cannot see: sleeps, threads, a JIT")
    b.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    {"measure": measure, "analyze": analyze, "cost": cost, "blind": blind}[args.step](args)


if __name__ == "__main__":
    main()
