"""One job against four shards: how much wall time a split suite saves, and how even the
split is.

Run by hand (about 20 minutes with --no-even, 25 without; the figures go into
docs/shards.md):

    python benchmarks/shards.py --iterations 20 --no-even --out /tmp/shards.json

A temporary project holds 40 sleep-bound benchmarks (`sleep S` with S from 0.2 to 2.0 s,
spread unevenly over the list), --iterations each (20 by default). Sleeping shares one machine fairly: four shards launched
at once on this machine behave like four runners, whatever its core count. Measured:

1. single: `lanebench run` of all 40, one process: the suite's wall time, and the
   baseline whose times balance the split;
2. sharded: `lanebench run --shard K/4 --baseline single.json` for K = 1..4, launched
   together: wall time from the first launch to the last exit; balance = the slowest
   shard's wall time over the mean shard's;
3. even: the same without --baseline (no times: benchmarks dealt out by count), for
   comparison with the balanced split;

then `lanebench merge` of the four sharded results, which must hold all 40 benchmarks.
Every wall time includes each job's fixed costs (start-up, and the calibration workload
timed before, after and between benchmarks). Those are CPU work: four shards pay them at
once on this machine's shared cores, where four runners would each use their own.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def sleeps(count: int) -> list[float]:
    """0.2 .. 2.0 s, in an order that puts long and short ones side by side."""
    return [round(0.2 + 1.8 * ((i * 17) % count) / (count - 1), 3) for i in range(count)]


def write_project(root: Path, count: int, iterations: int) -> Path:
    (root / ".github").mkdir(parents=True)
    lines = ["benchmarks:"]
    for i, seconds in enumerate(sleeps(count)):
        lines += [f"  - name: sleep-{i:02d}", f"    command: [sleep, \"{seconds}\"]"]
    lines += ["defaults:", "  warmup: 0", f"  min_iterations: {iterations}",
              f"  max_iterations: {iterations}", ""]
    (root / ".github" / "lanebench.yml").write_text("\n".join(lines), encoding="utf-8")
    return root


def lanebench(*args: str) -> list[str]:
    return [sys.executable, "-m", "lanebench", *args]


def run_single(project: Path) -> float:
    start = time.perf_counter()
    subprocess.run(lanebench("run", "-o", "single.json"), cwd=project, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def run_shards(project: Path, shards: int, name: str, baseline: str | None,
               durations: list[float]) -> dict[str, Any]:
    """The shards launched together; each one's wall time, and the whole's."""
    extra = ["--baseline", baseline] if baseline else []
    start = time.perf_counter()
    procs = [
        subprocess.Popen(lanebench("run", "--shard", f"{k}/{shards}", *extra, "-o",
                                   f"{name}/shard-{k}.json"),
                         cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for k in range(1, shards + 1)
    ]
    walls: list[float] = [0.0] * shards
    pending = dict(enumerate(procs))
    while pending:
        for k, proc in list(pending.items()):
            if proc.poll() is not None:
                walls[k] = time.perf_counter() - start
                if proc.returncode != 0:
                    raise SystemExit(f"shard {k + 1} failed: {proc.stderr.read() if proc.stderr else ''}")
                del pending[k]
        time.sleep(0.01)
    total = max(walls)
    parts = [json.loads((project / name / f"shard-{k}.json").read_text())["run"]["shard"]["benchmarks"]
             for k in range(1, shards + 1)]
    return {
        "wall_seconds": total,
        "shard_wall_seconds": walls,
        "balance": max(walls) / statistics.mean(walls),
        "benchmarks_per_shard": [len(p) for p in parts],
        # one iteration of each of the shard's benchmarks
        "sleep_seconds_per_iteration": [round(sum(durations[int(n.split("-")[1])] for n in p), 3)
                                        for p in parts],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", type=int, default=40)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-even", action="store_true",
                        help="skip the third run (the split by count, without times)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lanebench-shards-") as tmp:
        project = write_project(Path(tmp) / "project", args.benchmarks, args.iterations)
        single = run_single(project)
        durations = sleeps(args.benchmarks)
        balanced = run_shards(project, args.shards, "balanced", "single.json", durations)
        even = None if args.no_even else run_shards(project, args.shards, "even", None, durations)
        files = [f"balanced/shard-{k}.json" for k in range(1, args.shards + 1)]
        merged = subprocess.run(lanebench("merge", *files, "-o", "merged.json"), cwd=project,
                                capture_output=True, text=True, check=True)
        merged_doc = json.loads((project / "merged.json").read_text())
        assert len(merged_doc["benchmarks"]) == args.benchmarks, merged.stdout
    result = {
        "benchmarks": args.benchmarks, "shards": args.shards, "iterations": args.iterations,
        "sleep_seconds_total": round(sum(sleeps(args.benchmarks)) * args.iterations, 3),
        "single_wall_seconds": single,
        "sharded": balanced,
        "sharded_share_of_single": balanced["wall_seconds"] / single,
        "even_split": even,
        "even_share_of_single": even["wall_seconds"] / single if even else None,
        "merged": merged.stdout.strip(),
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    ok = result["sharded_share_of_single"] <= 0.30 and balanced["balance"] <= 1.15
    print(f"sharded wall {balanced['wall_seconds']:.1f} s = {result['sharded_share_of_single']:.0%} "
          f"of one job's {single:.1f} s; balance {balanced['balance']:.3f} "
          + (f"(even split without times: {even['balance']:.3f}); " if even else "; ")
          + f"{'within' if ok else 'OUTSIDE'} the 30% / 1.15 targets", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
