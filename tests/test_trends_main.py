"""Trends on main end to end: `lanebench baseline` once per commit of a real git history,
each run carrying the record of main runs forward in the baseline store, then
`lanebench history` reading it.

The benchmark is a real process (a Python loop whose length each commit sets). Its times
on a shared machine move by several percent from run to run, so the verdicts asserted
here are on `write_chars`, the bytes its process tree wrote through system calls: the
loop writes one byte per 100 iterations, so that count follows the work exactly while
every other metric of the same runs (wall, CPU, memory) is recorded and analysed too.
The same history measured by time, and what time can resolve here, is
benchmarks/trends_main.py (figures in docs/trends.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lanebench.cli import main as lanebench
from lanebench.results import read_results

pytestmark = pytest.mark.slow  # 30 baseline runs of real processes

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
WORK = """\
import sys
n = int(open("work.txt").read())
total = 0
for i in range(n):
    total += i * i % 7
sys.stdout.write("x" * (n // 100))
"""
# +5% at commit 15, then +1% at 19, 21, 23, 25 and 27: each creeping step is below the
# practical threshold (4% here, for write_chars), together they are beyond it.
STEPS = {15: 1.05, 19: 1.01, 21: 1.01, 23: 1.01, 25: 1.01, 27: 1.01}
CONFIG = f"""\
benchmarks:
  - name: work
    command: [{json.dumps(sys.executable)}, work.py]
defaults:
  warmup: 0
  min_iterations: 3
  max_iterations: 3
  thresholds:
    metrics: {{write_chars: 4%}}
  calibration:
    measure: false
"""


def commit(repo: Path, message: str) -> str:
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-q", "--allow-empty", "-m", message], cwd=repo, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


def loop_lengths(commits: int = 30, start: int = 30_000) -> list[int]:
    lengths, n = [], float(start)
    for i in range(commits):
        n *= STEPS.get(i, 1.0)
        lengths.append(int(n))
    return lengths


def test_thirty_commits_on_main_the_step_and_the_creep_are_found_with_their_commits(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, store = tmp_path / "project", tmp_path / "store"
    (repo / ".github").mkdir(parents=True)
    (repo / ".github" / "lanebench.yml").write_text(CONFIG, encoding="utf-8")
    (repo / "work.py").write_text(WORK, encoding="utf-8")
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=repo, check=True)
    shas = []
    for i, n in enumerate(loop_lengths()):
        (repo / "work.txt").write_text(f"{n}\n", encoding="utf-8")
        shas.append(commit(repo, f"commit {i}: loop of {n}"))
        code = lanebench(["baseline", "--config", str(repo / ".github" / "lanebench.yml"),
                          "--store", str(store), "--output-dir", str(tmp_path / f"out-{i}")])
        assert code == 0, capsys.readouterr().err

    stored = read_results(store / "lanebench-results.json")
    assert stored.main_runs is not None
    assert [r.commit for r in stored.main_runs.runs] == shas  # one record per commit, in order
    assert {"wall", "cpu", "maxrss", "write_chars"} <= set(stored.main_runs.runs[-1].benchmarks["work"].metrics)
    capsys.readouterr()

    page = tmp_path / "trends.html"
    config = str(repo / ".github" / "lanebench.yml")  # its thresholds: 4% for write_chars
    assert lanebench(["history", str(store), "--config", config, "--metric", "write_chars",
                      "--json", "--html", str(page)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["runs"] == 30 and (found["first"], found["last"]) == (shas[0], shas[-1])
    alerts = [c for c in found["change_points"] if c["verdict"] == "regression"]
    assert len(alerts) == 2, json.dumps(found, indent=1)
    step, creep = alerts
    assert (step["last_good"], step["first_bad"]) == (shas[14], shas[15])
    assert step["ratio"] == pytest.approx(1.05, abs=0.01)
    # Exact counts leave no noise to hide the creep in: the search splits the staircase
    # where it is steepest on average, so the creep is a change point of its own inside the
    # creeping commits (19 to 27), smaller than the step, its interval reaching the
    # threshold; its range names one of the five commits (docs/trends.md, limits).
    assert shas.index(creep["first_bad"]) in range(20, 28)
    assert 1.02 < creep["ratio"] < step["ratio"] and creep["ci_high"] >= 1.04
    html = page.read_text(encoding="utf-8")
    assert '<section id="trends"' in html and shas[15][:7] in html

    # The step is new in the first run whose record shows it, and only there.
    row = f"after `{shas[14][:7]}`, by `{shas[15][:7]}`"
    summaries = [(tmp_path / f"out-{i}" / "report" / "summary.md").read_text(encoding="utf-8")
                 for i in range(30)]
    rows = [next((ln for ln in text.splitlines() if row in ln and "Bytes written" in ln), None)
            for text in summaries]
    first = next(i for i, r in enumerate(rows) if r is not None)
    assert first >= 19  # runs 15 to 19: the five after the step a change point needs at least
    assert "🆕" in rows[first] and not any("🆕" in r for r in rows[first + 1:] if r is not None)

    # the last baseline run's own job summary listed both, with their commits
    summary = (tmp_path / "out-29" / "report" / "summary.md").read_text(encoding="utf-8")
    assert "#### Trends on main" in summary
    assert f"after [`{shas[14][:7]}`]" not in summary  # no repository URL on the command line
    assert f"after `{shas[14][:7]}`, by `{shas[15][:7]}`" in summary
    assert f"by `{creep['first_bad'][:7]}`" in summary
