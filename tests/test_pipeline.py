"""The pull-request and baseline jobs end to end, as real `lanebench` subprocesses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.helpers import git, lanebench

pytestmark = pytest.mark.slow  # `lanebench` subprocesses measuring real benchmarks

CONFIG = """\
benchmarks:
  - name: quick
    command: [{py}, -c, "import time; time.sleep(0.01)"]
  - name: slowable
    command: [{py}, -c, "import os, time; time.sleep(float(os.environ.get('DELAY', '0.01')))"]
    paths: ["src/**"]
defaults:
  warmup: 0
  min_iterations: 10
  max_iterations: 10
"""


# The slowed benchmark sleeps 40x longer: a change large enough to be judged even when a
# loaded machine makes the reference workload too noisy to tell the runner speed, and the
# runner bound grows with that noise (docs/noise.md).
SLOW = {"DELAY": "0.4"}
# the local baseline of a project at the top of a git checkout
STORE = Path(".git", "lanebench", "baseline", "lanebench-results.json")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "lanebench.yml").write_text(CONFIG.format(py=json.dumps(sys.executable)))
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("x = 1\n")
    (tmp_path / "README.md").write_text("hello\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "init")
    git(tmp_path, "checkout", "-qb", "feature")
    return tmp_path


def without_calibration(project: Path) -> None:
    """For tests of where files go and what they carry: the reference workload's ten or more
    timings per run would measure nothing they check (tests/test_calibration.py does)."""
    config = project / ".github" / "lanebench.yml"
    config.write_text(config.read_text() + "  calibration: {measure: false}\n")
    git(project, "commit", "-qam", "no reference workload")


def commit(project: Path, path: str, text: str) -> None:
    (project / path).write_text(text)
    git(project, "commit", "-qam", f"change {path}")


def test_no_baseline_is_neutral_and_says_how_to_create_one(project: Path) -> None:
    proc = lanebench("pr", "--base", "main", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "create one with `lanebench baseline`" in proc.stdout
    comment = (project / "lanebench-results" / "report" / "comment.md").read_text()
    assert "no baseline" in comment.lower()


@pytest.mark.timing
def test_regression_fails_the_gate_and_unaffected_benchmark_is_carried_over(project: Path) -> None:
    assert lanebench("baseline", "-n", "10", cwd=project).returncode == 0
    assert (project / STORE).exists()
    commit(project, "src/app.py", "x = 2\n")
    proc = lanebench("pr", "--base", "main", cwd=project, env=SLOW)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    comparison = json.loads((project / "lanebench-results" / "report" / "comparison.json").read_text())
    verdicts = {(m["benchmark"], m["metric"]): m["verdict"] for m in comparison["metrics"]}
    assert verdicts[("slowable", "wall")] == "regression"


def test_change_outside_paths_carries_the_baseline_over(project: Path) -> None:
    assert lanebench("baseline", "-n", "10", cwd=project).returncode == 0
    (project / "tool.py").write_text("y = 1\n")
    git(project, "add", "tool.py")
    git(project, "commit", "-qm", "tool")
    proc = lanebench("pr", "--base", "main", cwd=project, env={"DELAY": "0.15"})
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # 1 only if `quick` drew noise
    results = json.loads((project / "lanebench-results" / "lanebench-results.json").read_text())
    statuses = {b["name"]: b["status"] for b in results["benchmarks"]}
    assert statuses == {"quick": "ok", "slowable": "carried_over"}


def test_docs_only_change_is_skipped_and_passes(project: Path) -> None:
    commit(project, "README.md", "more docs\n")
    proc = lanebench("pr", "--base", "main", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "lane: docs" in proc.stdout
    # the terminal gets plain text: no Markdown escapes, no prefix said twice
    assert proc.stdout.splitlines()[0] == "⏭️ skipped (docs lane) · the changed file matches (**/*.md 1)"
    assert "\\" not in proc.stdout
    assert not (project / "lanebench-results" / "lanebench-results.json").exists()
    comment = (project / "lanebench-results" / "report" / "comment.md").read_text()
    assert "docs lane" in comment


def test_without_base_the_lane_comes_from_the_default_branch_and_paired_names_the_base(
    project: Path,
) -> None:
    commit(project, "README.md", "more docs\n")
    for args in ((), ("--paired", "main")):
        proc = lanebench("pr", *args, cwd=project)
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        how = "--paired" if args else "no origin/HEAD; the first found of origin/main, origin/master, main"
        assert lines[1].startswith(f"base: main ({how}"), proc.stdout
        assert lines[2] == "lane: docs (the changed file matches (**/*.md 1))"
        assert not (project / "lanebench-results" / "lanebench-results.json").exists()


@pytest.mark.timing
def test_results_from_elsewhere_give_the_same_verdicts_as_compare(project: Path) -> None:
    assert lanebench("baseline", "-n", "10", cwd=project).returncode == 0
    head = project / "head.json"
    assert lanebench("run", "--output", str(head), cwd=project, env=SLOW).returncode == 0
    proc = lanebench("pr", "--results", str(head), "--lane", "standard", cwd=project)
    cli = lanebench(
        "compare", str(STORE), str(head), "--output", "cmp.json", cwd=project
    )
    assert proc.returncode == cli.returncode == 1, proc.stdout + proc.stderr + cli.stdout + cli.stderr
    via_pr = json.loads((project / "lanebench-results" / "report" / "comparison.json").read_text())
    via_cli = json.loads((project / "cmp.json").read_text())
    pick = lambda doc: {(m["benchmark"], m["metric"]): m["verdict"] for m in doc["metrics"]}  # noqa: E731
    assert pick(via_pr) == pick(via_cli)


def test_baseline_takes_the_iterations_the_config_sets(project: Path) -> None:
    # the widest built-in lane (heavy, up to 60) must not override what `defaults:` says
    config = project / ".github" / "lanebench.yml"
    config.write_text(config.read_text().replace("min_iterations: 10\n  max_iterations: 10",
                                                 "min_iterations: 2\n  max_iterations: 3")
                      + "  calibration: {measure: false}\n")
    proc = lanebench("baseline", cwd=project)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((project / "lanebench-results" / "lanebench-results.json").read_text())
    assert {b["name"]: len(b["samples"]["wall"]) for b in results["benchmarks"]} == {"quick": 3, "slowable": 3}


def test_git_add_leaves_results_out_and_branch_switches_keep_the_baseline(project: Path) -> None:
    without_calibration(project)
    assert lanebench("baseline", "-n", "3", cwd=project).returncode == 0
    assert (project / STORE).exists()
    assert (project / "lanebench-results" / ".gitignore").read_text().splitlines()[-1] == "*"
    git(project, "add", "-A")
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""
    # a branch that once committed the old baseline folder cannot take the baseline with it
    git(project, "checkout", "-qb", "old")
    (project / ".lanebench" / "baseline").mkdir(parents=True)
    (project / ".lanebench" / "baseline" / "lanebench-results.json").write_text("{}\n")
    git(project, "add", "-f", ".lanebench")
    git(project, "commit", "-qm", "committed by mistake")
    git(project, "checkout", "-q", "feature")
    assert not (project / ".lanebench").exists()  # git removed what that branch tracked
    proc = lanebench("pr", "--lane", "docs", cwd=project)  # measures nothing, reads the baseline
    assert proc.returncode == 0, proc.stderr
    assert f"baseline: {(project / STORE).resolve()}" in proc.stdout.splitlines()


def test_a_baseline_where_older_versions_kept_it_is_read_and_carried_forward(project: Path) -> None:
    without_calibration(project)
    assert lanebench("baseline", "-n", "3", cwd=project).returncode == 0
    old = project / ".lanebench" / "baseline" / "lanebench-results.json"
    old.parent.mkdir(parents=True)
    (project / STORE).rename(old)
    proc = lanebench("pr", "--lane", "docs", cwd=project)
    assert f"baseline: {old.resolve()} (where older versions kept it" in proc.stdout, proc.stdout
    assert (project / ".lanebench" / ".gitignore").exists()  # the old folder stays out of git too
    proc = lanebench("baseline", "-n", "3", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert f"(the older copy at {old.resolve()} is no longer read)" in proc.stdout
    assert len(json.loads((project / STORE).read_text())["history"]) == 2  # carried over
    assert old.exists()  # never deleted


def test_a_baseline_directory_named_on_the_command_line_is_used_as_given(project: Path) -> None:
    without_calibration(project)
    proc = lanebench("baseline", "-n", "3", "--store", "shared/main", cwd=project)
    assert proc.returncode == 0, proc.stderr
    stored = project / "shared" / "main" / "lanebench-results.json"
    assert f"baseline stored: {Path('shared/main/lanebench-results.json')}" in proc.stdout
    assert stored.exists() and not (project / STORE).exists()
    proc = lanebench("pr", "--lane", "docs", "--baseline", "shared/main", cwd=project)
    assert "baseline: shared/main/lanebench-results.json" in proc.stdout.splitlines(), proc.stdout


def test_local_baseline_carries_the_main_run_history_forward(project: Path) -> None:
    without_calibration(project)
    for _ in range(2):
        assert lanebench("baseline", "-n", "3", cwd=project).returncode == 0
    stored = json.loads((project / STORE).read_text())
    assert len(stored["history"]) == 2


def test_comment_says_which_comparison_was_used(project: Path) -> None:
    assert lanebench("baseline", "-n", "5", cwd=project).returncode == 0
    proc = lanebench("pr", "-n", "5", cwd=project)
    assert proc.returncode in (0, 1), proc.stderr
    # the branch has no commits of its own: nothing to decide a lane from, so everything runs
    assert "but HEAD has no commits of its own, so every benchmark runs" in proc.stdout
    results = json.loads((project / "lanebench-results" / "lanebench-results.json").read_text())
    assert {b["name"]: b["status"] for b in results["benchmarks"]} == {"quick": "ok", "slowable": "ok"}
    comment = (project / "lanebench-results" / "report" / "comment.md").read_text()
    html = (project / "lanebench-results" / "report" / "report.html").read_text()
    trust = json.loads((project / "lanebench-results" / "report" / "comparison.json").read_text())["extra"]["trust"]
    assert trust and f"**Comparison:** {trust}" in comment
    assert "<b>Comparison:</b>" in html
