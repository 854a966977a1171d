"""Trends on main with real processes and real time measurements, run by hand.

A git repository in a temporary directory, 30 commits of a small project whose one
benchmark is a CPU-bound Python loop; commit 15 makes the loop 5% longer and commits 19,
21, 23, 25 and 27 each 1% longer (the layout of tests/test_trends_main.py, which asserts
the same on the exact `write_chars` count). `lanebench baseline` (the real command, in
this process to save the interpreter start) runs once per commit into one baseline
store, with the calibration workload on, so each run's record carries the runner's speed.
Then the record is analysed as `lanebench history` does, and the script prints, per
metric, the change points and drifts found and whether the step (commits 14..15) and the
creep (19..27) were found.

    python benchmarks/trends_main.py [--iterations 10] [--loop 400000] [--repeat 1]

Figures: docs/trends.md, "A real main branch". Nothing here is asserted by the tests: time
on a shared machine moves by several percent from run to run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lanebench.cli import main as lanebench  # noqa: E402
from lanebench.config.model import Thresholds  # noqa: E402
from lanebench.main_trends import main_trends  # noqa: E402
from lanebench.results import read_results  # noqa: E402
from tests.test_trends_main import GIT, STEPS, WORK  # noqa: E402  (the same project as the test)

CREEP = range(19, 28)


def config(iterations: int) -> str:
    return f"""\
benchmarks:
  - name: work
    command: [{json.dumps(sys.executable)}, work.py]
defaults:
  warmup: 1
  min_iterations: {iterations}
  max_iterations: {iterations}
  thresholds:
    metrics: {{write_chars: 4%}}
"""


def one_history(iterations: int, loop: int, workdir: Path) -> tuple[list[str], Path, float]:
    repo, store = workdir / "project", workdir / "store"
    (repo / ".github").mkdir(parents=True)
    (repo / ".github" / "lanebench.yml").write_text(config(iterations), encoding="utf-8")
    (repo / "work.py").write_text(WORK, encoding="utf-8")
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=repo, check=True)
    shas: list[str] = []
    n = float(loop)
    started = time.monotonic()
    for i in range(30):
        n *= STEPS.get(i, 1.0)
        (repo / "work.txt").write_text(f"{int(n)}\n", encoding="utf-8")
        subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
        subprocess.run([*GIT, "commit", "-q", "--allow-empty", "-m", f"commit {i}"], cwd=repo, check=True)
        shas.append(subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True,
                                   capture_output=True, text=True).stdout.strip())
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = lanebench(["baseline", "--config", str(repo / ".github" / "lanebench.yml"),
                              "--store", str(store), "--output-dir", str(workdir / "out")])
        if code != 0:
            raise SystemExit(f"lanebench baseline failed at commit {i} (exit {code})")
        print(f"  commit {i:2d}: loop {int(n):,}", file=sys.stderr, flush=True)
    return shas, store / "lanebench-results.json", time.monotonic() - started


def describe(shas: list[str], results: Path, metrics: tuple[str, ...]) -> list[str]:
    doc = read_results(results)
    assert doc.main_runs is not None
    thresholds = Thresholds(metrics={"write_chars": 0.04})
    trends = main_trends(doc.main_runs, thresholds, metrics=metrics, find_new=False)
    out = []
    for t in trends.report.trends:
        s = t.series
        before = sorted(s.values[:15])  # the runs before any step: the noise alone
        cv = (before[11] - before[3]) / 1.349 / before[7]  # IQR / 1.349 over the median
        changes = [(shas.index(c.last_good), shas.index(c.first_bad), c.change.ratio, c.verdict) for c in t.changes]
        step = any(lg == 14 and fb == 15 and v == "regression" for lg, fb, _, v in changes)
        creep_cp = any(fb in CREEP and v == "regression" for _, fb, _, v in changes)
        drift = t.drift if t.drift is not None and t.drift.reported else None
        out.append(
            f"| {s.metric} | {'yes' if s.normalized else 'no'} | {cv * 100:.1f}% | "
            + "; ".join(f"{lg}..{fb} {(r - 1) * 100:+.1f}% {v}" for lg, fb, r, v in changes) + " | "
            + (f"{shas.index(drift.since)}..{shas.index(drift.until)} {(drift.drift.ratio - 1) * 100:+.1f}% "
               f"{drift.verdict}" if drift else "—") + " | "
            + f"{'yes' if step else 'no'} | "
            + ("drift" if drift else "change point" if creep_cp else "no") + " |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--loop", type=int, default=400_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    metrics = ("wall", "cpu", "user", "write_chars")
    for r in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="lanebench-trends-main-") as tmp:
            shas, results, seconds = one_history(args.iterations, args.loop, Path(tmp))
            print(f"\nhistory {r + 1}: 30 baseline runs in {seconds:.0f} s "
                  f"({args.iterations} iterations, loop {args.loop:,})\n")
            print("| metric | normalised | run-to-run noise (runs 0-14, IQR/1.349) | change points (runs, size, verdict) "
                  "| drift reported | step 14..15 found | creep 19..27 found as |")
            print("| :-- | :-- | --: | :-- | :-- | :-- | :-- |")
            for line in describe(shas, results, metrics):
                print(line)


if __name__ == "__main__":
    main()
