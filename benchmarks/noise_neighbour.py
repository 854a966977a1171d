"""A noisy neighbour on this machine: how often does each comparison mode cry wolf?

Run by hand (about 10 minutes on 2 cores, plus 3 for the analysis; results go into
docs/noise.md):

    python benchmarks/noise_neighbour.py measure --out /tmp/noise_pools.json
    python benchmarks/noise_neighbour.py analyze --pools /tmp/noise_pools.json --virtual 1000

`measure` copies examples/demo into a temporary git repository with three commits:
`main`, `same` (identical benchmark code, only a comment differs) and `slower` (cpu_loop
does enough more loop iterations to take 10% longer: sized from a fit of its wall time
against the loop count, since the interpreter's start-up is a fixed cost; --change sets
the size). It then measures, with lanebench's own runner, calibration and paired runner:

- quiet:  real artifact-mode runs of `same` with nothing else of ours running;
- hog:    the same while a "noisy neighbour" runs: --hogs busy-looping processes (one per
          core by default, so every benchmark shares a core with one; each has a hard
          CPU-time limit and is killed when the run ends): a slow runner;
- quiet-slower: artifact runs of `slower` without the hog (a real ~+10% change);
- paired-same / paired-slower: paired runs (`same` or `slower` against `main`), with the
          hog running during both sides.

`analyze` resamples those pools of real iterations into many virtual pull requests. A
virtual run is one real run of the condition, picked at random, with its iterations
(and calibration timings) drawn with replacement: the two-stage bootstrap keeps the
run-to-run differences within a condition. Paired runs are resampled pair by pair.
Every virtual PR is judged by `lanebench.stats.compare`, as `lanebench pr` does:

- artifact, no defences: baseline = a hog run, head = a quiet run, files without
  calibration or history (what a comparison of two runs did before lanebench 1.1);
- artifact, calibration only: the same two runs with their calibration, no history;
- artifact, calibration + history: the baseline also carries 20 earlier main runs, each
  a hog or a quiet run with probability 1/2 (a mixed runner pool), the newest a hog run;
- paired: a paired run under the hog, its pairs drawn from every real paired run of the
  condition (pairing cancels what runs share, so pairs are pooled across runs).

A false verdict is any regression or improvement among the 3 benchmarks x 5 compared
metrics when no code changed; detection is a regression verdict on cpu-loop's wall or
CPU time with `slower` (each also counted alone).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lanebench.baseline import append_history  # noqa: E402
from lanebench.calibration.measure import run_calibrated  # noqa: E402
from lanebench.config import LaneSettings, load_config  # noqa: E402
from lanebench.metrics import COMPARED_BY_DEFAULT  # noqa: E402
from lanebench.results import BenchmarkResult, ResultsDocument, RunInfo, results_from_dict  # noqa: E402
from lanebench.runner import run_benchmarks  # noqa: E402
from lanebench.runner.paired import run_paired  # noqa: E402
from lanebench.stats import compare  # noqa: E402
from lanebench.stats.paired import paired_baseline  # noqa: E402
from lanebench.stats.sequential import SequentialStopper  # noqa: E402

GIT = ["git", "-c", "user.name=noise", "-c", "user.email=noise@example.invalid", "-c", "commit.gpgsign=false"]
HOG_CODE = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
DECIDED_WRONG = ("regression", "improvement")


# --- the project and the neighbour -------------------------------------------------------------


def make_project(parent: Path, slower_n: int) -> Path:
    root = parent / "demo"
    shutil.copytree(REPO / "examples" / "demo", root)
    cfg = root / ".github" / "lanebench.yml"
    cfg.write_text(cfg.read_text().replace("python3", sys.executable))

    def git(*args: str) -> None:
        subprocess.run([*GIT, *args], cwd=root, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "main")
    git("checkout", "-qb", "same")
    loop = root / "bench" / "cpu_loop.py"
    loop.write_text(loop.read_text() + "# a comment: no change in the work done\n")
    git("commit", "-qam", "same work")
    git("checkout", "-q", "main")
    git("checkout", "-qb", "slower")
    # more loop iterations: about +10% of the command's time (interpreter start-up is the
    # rest), the size of regression the defences must still catch
    loop.write_text(loop.read_text().replace(f'"{BASE_N}"', f'"{slower_n}"'))
    git("commit", "-qam", "more work")
    return root


BASE_N = 1_000_000  # cpu_loop.py's default loop count


def loop_wall(n: int, repeats: int = 9) -> float:
    """Median wall time of cpu_loop.py with n loop iterations (spawn to reap)."""
    script = REPO / "examples" / "demo" / "bench" / "cpu_loop.py"
    walls = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, str(script)], env=os.environ | {"DEMO_CPU_N": str(n)},
                       check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
    return sorted(walls)[repeats // 2]


def slower_loop(change: float) -> int:
    """The loop count whose wall time is (1 + change) x the default's: fit wall = a + b*n."""
    low, high = loop_wall(BASE_N // 2), loop_wall(BASE_N)
    slope = (high - low) / (BASE_N - BASE_N // 2)
    return round(BASE_N + change * high / slope)


def checkout(root: Path, branch: str) -> None:
    subprocess.run([*GIT, "checkout", "-q", branch], cwd=root, check=True, capture_output=True)


def _limit_cpu(seconds: int) -> Any:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    return apply


HOGS = 1


@contextmanager
def neighbour(enabled: bool, seconds: int = 600) -> Iterator[None]:
    """HOGS busy processes for the block; hard CPU-time limit, killed at the end."""
    procs: list[subprocess.Popen[bytes]] = []
    if enabled:
        for _ in range(HOGS):
            procs.append(subprocess.Popen(
                [sys.executable, "-S", "-c", HOG_CODE.format(seconds=seconds)],
                preexec_fn=_limit_cpu(seconds), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))
        time.sleep(0.5)
    try:
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


# --- measuring -----------------------------------------------------------------------------------


def lane(iterations: int) -> LaneSettings:
    return LaneSettings(warmup=1, min_iterations=iterations, max_iterations=iterations, timeout=120)


def artifact_run(root: Path, branch: str, hog: bool, iterations: int, out: Path) -> dict[str, Any]:
    checkout(root, branch)
    config = load_config(root / ".github" / "lanebench.yml")
    settings = lane(iterations)
    with neighbour(hog):
        doc = run_calibrated(
            lambda between: run_benchmarks(config, "noise", settings, list(config.benchmarks), output=out,
                                           run_info=RunInfo(commit=branch), between_benchmarks=between),
            settings.calibration,
        )
    return doc.to_dict()


def paired_run(root: Path, branch: str, iterations: int, out: Path) -> dict[str, Any]:
    checkout(root, branch)
    config = load_config(root / ".github" / "lanebench.yml")
    with neighbour(True):
        doc = run_paired(config, "noise", lane(iterations), list(config.benchmarks), base_ref="main",
                         output=out, run_info=RunInfo(commit=branch))
    return doc.to_dict()


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def measure(args: argparse.Namespace) -> None:
    global HOGS
    HOGS = args.hogs
    started = time.monotonic()
    pools: dict[str, Any] = {"settings": vars(args) | {"out": str(args.out)}, "load": [], "pools": {}}
    plan: list[tuple[str, str, str | None]] = []
    for i in range(args.runs):  # interleave the conditions so that machine drift hits all alike
        plan += [("quiet", "same", None), ("hog", "same", None), ("quiet-slower", "slower", None)]
        if i < args.paired_runs:
            plan += [("paired-same", "same", "paired"), ("paired-slower", "slower", "paired")]
    with tempfile.TemporaryDirectory(prefix="lanebench-noise-") as tmp:
        slower_n = slower_loop(args.change)
        pools["settings"]["slower_n"] = slower_n
        print(f"slower: cpu_loop with {slower_n:,} loop iterations instead of {BASE_N:,}", file=sys.stderr)
        root = make_project(Path(tmp), slower_n)
        out = Path(tmp) / "out.json"
        for index, (name, branch, kind) in enumerate(plan, 1):
            t0 = time.monotonic()
            pools["load"].append(load_average())
            if kind == "paired":
                doc = paired_run(root, branch, args.pairs, out)
            else:
                doc = artifact_run(root, branch, name == "hog", args.iterations, out)
            pools["pools"].setdefault(name, []).append(doc)
            print(f"[{index}/{len(plan)}] {name}: {time.monotonic() - t0:.1f} s "
                  f"(load {pools['load'][-1][0]})", file=sys.stderr, flush=True)
    pools["load"].append(load_average())
    pools["elapsed_seconds"] = round(time.monotonic() - started, 1)
    args.out.write_text(json.dumps(pools))
    print(f"wrote {args.out} in {pools['elapsed_seconds']:.0f} s", file=sys.stderr)


# --- resampling into virtual pull requests -------------------------------------------------------


def virtual_artifact(rng: random.Random, runs: list[ResultsDocument], n: int, tag: str) -> ResultsDocument:
    real = rng.choice(runs)
    benchmarks = []
    for b in real.benchmarks:
        picks = [rng.randrange(b.n) for _ in range(n)]
        benchmarks.append(BenchmarkResult(
            name=b.name, command=b.command, settings=b.settings,
            samples={m: [v[i] for i in picks] for m, v in b.samples.items()},
        ))
    calibration = None
    cal = real.calibration
    if cal is not None:
        k = len(cal.wall)
        picks = [rng.randrange(k) for _ in range(k)]
        calibration = dataclasses.replace(
            cal, samples={m: [cal.values(m)[i] for i in picks] for m in ("wall", "cpu")})
    # The neighbour stands for a slower runner: each virtual run is on a runner of its own,
    # so the boot id this one machine recorded is left out (two runners never share one).
    environment = {k: v for k, v in real.environment.items() if k != "machine_id"}
    return ResultsDocument(run=RunInfo(commit=tag, finished_at=tag), environment=environment,
                           benchmarks=benchmarks, calibration=calibration)


def virtual_paired(rng: random.Random, runs: list[ResultsDocument], n: int) -> ResultsDocument:
    """n pairs drawn from every pair of every real paired run of the condition.

    Pairs are pooled across runs (pairing cancels what runs share); resampling within one
    run would centre every virtual run on that run's chance estimate and overstate how
    often a verdict repeats. They are drawn without replacement while the pool is large
    enough: a pair drawn twice is a tie the real run would not have, and the signed-rank
    test would count it as two independent pairs.
    """
    benchmarks = []
    for b in runs[0].benchmarks:
        pool = [(run, i) for run in runs for i in range(run.benchmark(b.name).n)]  # type: ignore[union-attr]
        picks = rng.sample(pool, n) if n <= len(pool) else [pool[rng.randrange(len(pool))] for _ in range(n)]
        head = {m: [run.benchmark(b.name).samples[m][i] for run, i in picks] for m in b.samples}  # type: ignore[union-attr]
        assert b.paired is not None
        base = {m: [run.benchmark(b.name).paired.base_samples[m][i] for run, i in picks]  # type: ignore[union-attr]
                for m in b.paired.base_samples}
        order = [run.benchmark(b.name).paired.order[i] for run, i in picks]  # type: ignore[union-attr]
        benchmarks.append(BenchmarkResult(
            name=b.name, command=b.command, settings=b.settings, samples=head,
            paired=dataclasses.replace(b.paired, order=order, base_samples=base),
        ))
    return ResultsDocument(run=runs[0].run, environment=dict(runs[0].environment), benchmarks=benchmarks)


def adaptive_paired(rng: random.Random, runs: list[ResultsDocument], lane: LaneSettings,
                    used: list[int]) -> ResultsDocument:
    """A virtual paired run with adaptive pairs, as `run_paired` measures one: up to
    max_iterations pairs, cut at the first planned look where the paired stopper is satisfied."""
    doc = virtual_paired(rng, runs, lane.max_iterations)
    stopper = SequentialStopper(lane, family_size=len(doc.benchmarks) * len(COMPARED_BY_DEFAULT))
    for b in doc.benchmarks:
        block = b.paired
        assert block is not None
        n = next((k for k in stopper.plan.looks if stopper(
            b.name, {m: v[:k] for m, v in b.samples.items()}, {m: v[:k] for m, v in block.base_samples.items()},
        )), lane.max_iterations)
        used.append(n)
        b.samples = {m: v[:n] for m, v in b.samples.items()}
        block.base_samples = {m: v[:n] for m, v in block.base_samples.items()}
        block.order = block.order[:n]
        b.settings = dataclasses.replace(b.settings, adaptive=stopper.plan, min_iterations=lane.min_iterations,
                                         max_iterations=lane.max_iterations)
    return doc


def strip(doc: ResultsDocument) -> ResultsDocument:
    return ResultsDocument(run=doc.run, environment=doc.environment, benchmarks=doc.benchmarks)


def judge(base: ResultsDocument, head: ResultsDocument, settings: LaneSettings) -> dict[tuple[str, str], str]:
    comparison = compare(base, head, lane=settings)
    return {(m.benchmark, m.metric): m.verdict for m in comparison.metrics}


def wilson(k: int, n: int) -> tuple[float, float]:
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return ci.low, ci.high


def robust_spread(history: Any, benchmark: str, metric: str, measure: str | None = None) -> Any:
    """The alternative this script can compare: σ after setting aside MAD-flagged runs."""
    import statistics

    from lanebench.stats import history as hist
    from lanebench.stats.summary import outlier_indices

    logs = hist.log_medians(history, benchmark, metric, measure)
    if len(logs) < 2:
        return None
    outliers = set(outlier_indices(logs)) if len(logs) >= 5 else set()
    kept = [x for i, x in enumerate(logs) if i not in outliers]
    return hist.RunSpread(sigma=statistics.stdev(kept), runs=len(kept))


def analyze(args: argparse.Namespace) -> None:
    if args.spread == "robust":
        from lanebench.stats import history as hist

        hist.run_spread = robust_spread  # type: ignore[assignment]
    data = json.loads(args.pools.read_text())
    pools = {name: [results_from_dict(d) for d in docs] for name, docs in data["pools"].items()}
    rng = random.Random(args.seed)
    settings = LaneSettings()
    n, pairs = args.iterations, args.pairs
    counts: dict[str, list[int]] = {}
    used: dict[str, list[int]] = {"same": [], "slower": []}  # pairs per benchmark, adaptive

    def tally(key: str, wrong: bool) -> None:
        counts.setdefault(key, [0, 0])
        counts[key][0] += int(wrong)
        counts[key][1] += 1

    started = time.monotonic()
    for v in range(args.virtual):
        hog_base = virtual_artifact(rng, pools["hog"], n, f"base-{v}")
        for change, head_pool in (("same", "quiet"), ("slower", "quiet-slower")):
            head = virtual_artifact(rng, pools[head_pool], n, f"head-{v}")
            history = None
            for i in range(args.history - 1):
                condition = "hog" if rng.random() < 0.5 else "quiet"
                history = append_history(history, virtual_artifact(rng, pools[condition], n, f"h{v}-{i}"))
            with_history = append_history(history, hog_base, args.history)
            modes = {
                "artifact, no defences": (strip(hog_base), strip(head)),
                "artifact, calibration only": (hog_base, head),
                "artifact, calibration + history": (with_history, head),
            }
            for mode, (b, h) in modes.items():
                verdicts = judge(b, h, settings)
                record(tally, mode, change, verdicts)
            if args.adaptive:
                paired_lane = LaneSettings(min_iterations=args.adaptive[0], max_iterations=args.adaptive[1])
                paired_head = adaptive_paired(rng, pools[f"paired-{change}"], paired_lane, used[change])
                mode = f"paired, adaptive {args.adaptive[0]}-{args.adaptive[1]} pairs (hog on both sides)"
                record(tally, mode, change, judge(paired_baseline(paired_head), paired_head, paired_lane))
            else:
                paired_head = virtual_paired(rng, pools[f"paired-{change}"], pairs)
                record(tally, f"paired, {pairs} pairs (hog on both sides)", change,
                       judge(paired_baseline(paired_head), paired_head, settings))
    elapsed = time.monotonic() - started
    report(counts, data, args, elapsed)
    for change, pairs_used in used.items():
        if pairs_used:
            print(f"  adaptive pairs, {change}: mean {sum(pairs_used) / len(pairs_used):.1f} per benchmark, "
                  f"at the maximum in {sum(n == args.adaptive[1] for n in pairs_used) / len(pairs_used):.0%}")


def record(tally: Any, mode: str, change: str, verdicts: dict[tuple[str, str], str]) -> None:
    if change == "same":
        tally(f"{mode}|false", any(v in DECIDED_WRONG for v in verdicts.values()))
    else:
        wall = verdicts[("cpu-loop", "wall")] == "regression"
        cpu = verdicts[("cpu-loop", "cpu")] == "regression"
        tally(f"{mode}|detect", wall or cpu)
        tally(f"{mode}|detect-wall", wall)
        tally(f"{mode}|detect-cpu", cpu)
        others = [v for (b, m), v in verdicts.items() if not (b == "cpu-loop" and m in ("wall", "cpu"))]
        tally(f"{mode}|false-with-change", any(v in DECIDED_WRONG for v in others))


def medians(docs: list[ResultsDocument], bench: str, metric: str = "wall") -> float:
    import statistics

    return statistics.median(statistics.median(d.benchmark(bench).samples[metric]) for d in docs)  # type: ignore[union-attr]


def report(counts: dict[str, list[int]], data: dict[str, Any], args: argparse.Namespace, elapsed: float) -> None:
    pools = {name: [results_from_dict(d) for d in docs] for name, docs in data["pools"].items()}
    print(f"pools: {', '.join(f'{k} {len(v)} runs' for k, v in pools.items())}; measuring took "
          f"{data.get('elapsed_seconds', 0) / 60:.1f} min; load average (1 min) "
          f"{min(x[0] for x in data['load']):.2f}-{max(x[0] for x in data['load']):.2f}")
    for bench in ("cpu-loop", "file-io", "memory-alloc"):
        q, h = medians(pools["quiet"], bench), medians(pools["hog"], bench)
        print(f"  {bench}: median wall quiet {q * 1000:.0f} ms, hog {h * 1000:.0f} ms ({h / q:.2f}x)")
    cal = {k: sorted(x for d in pools[k] for x in (d.calibration.wall if d.calibration else [])) for k in ("quiet", "hog")}
    import statistics

    print(f"  calibration: median quiet {statistics.median(cal['quiet']) * 1000:.0f} ms, "
          f"hog {statistics.median(cal['hog']) * 1000:.0f} ms")
    print(f"{args.virtual} virtual PRs per mode (seed {args.seed}), {args.iterations} iterations per "
          f"artifact run, {args.pairs} pairs per paired run; analysis took {elapsed:.0f} s")
    slower_n = data["settings"].get("slower_n", 1_150_000)  # pools from before the fit used 1,150,000
    for metric in ("wall", "cpu"):
        change = medians(pools["quiet-slower"], "cpu-loop", metric) / medians(pools["quiet"], "cpu-loop", metric)
        print(f"  the change: cpu-loop {metric} {change:.3f}x in the quiet runs (loop {slower_n:,} vs {BASE_N:,})")
    print("| mode | false verdicts, no change | change found (wall or CPU) | on wall | on CPU | "
          "false verdicts elsewhere, with the change |")
    print("| --- | --- | --- | --- | --- | --- |")
    modes = dict.fromkeys(k.split("|")[0] for k in counts)
    for mode in modes:
        cells = []
        for kind in ("false", "detect", "detect-wall", "detect-cpu", "false-with-change"):
            k, total = counts[f"{mode}|{kind}"]
            lo, hi = wilson(k, total)
            cells.append(f"{k / total * 100:.1f}% ({lo * 100:.1f}-{hi * 100:.1f}%)")
        print(f"| {mode} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    m = sub.add_parser("measure", help="measure the pools of real iterations")
    m.add_argument("--runs", type=int, default=10, help="real artifact runs per condition")
    m.add_argument("--paired-runs", type=int, default=6, help="real paired runs per condition")
    m.add_argument("--iterations", type=int, default=10)
    m.add_argument("--pairs", type=int, default=15)
    m.add_argument("--hogs", type=int, default=os.cpu_count() or 1,
                   help="busy-looping neighbour processes (default: one per core)")
    m.add_argument("--change", type=float, default=0.10, help="the `slower` commit's target wall-time change")
    m.add_argument("--out", type=Path, default=Path("/tmp/noise_pools.json"))
    a = sub.add_parser("analyze", help="resample the pools into virtual pull requests")
    a.add_argument("--pools", type=Path, default=Path("/tmp/noise_pools.json"))
    a.add_argument("--virtual", type=int, default=1000)
    a.add_argument("--iterations", type=int, default=10, help="iterations per virtual artifact run")
    a.add_argument("--pairs", type=int, default=15, help="pairs per virtual paired run")
    a.add_argument("--adaptive", type=int, nargs=2, metavar=("MIN", "MAX"), default=None,
                   help="paired runs with adaptive pairs (MIN to MAX, as run_paired) instead of --pairs")
    a.add_argument("--history", type=int, default=20, help="main runs in the baseline's history")
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--spread", choices=("sd", "robust"), default="sd",
                   help="history spread: lanebench's SD of every run, or a MAD-screened SD")
    args = parser.parse_args()
    measure(args) if args.step == "measure" else analyze(args)


if __name__ == "__main__":
    main()
