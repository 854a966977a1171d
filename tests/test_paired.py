"""Paired A/B mode: base commit in a git worktree, interleaved with head, judged by pairs.

End to end on real git repositories in tmp dirs, with real processes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from lanebench.results import AdaptivePlan, BenchmarkResult, read_results
from lanebench.stats.paired import (
    _critical_k,
    _null_cdf,
    min_attainable_p,
    paired_baseline,
    paired_wilcoxon,
    signed_rank_p,
)
from tests.helpers import cli_env, git
from tests.helpers import lanebench as run_lanebench

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
# A shell script: /bin/sh starts in about a millisecond, so the 10 ms stand out even on a
# loaded machine, where interpreter start-up alone swings by tens of milliseconds.
SLEEP = "sleep {0}\necho {0}\n"
CONFIG = """\
benchmarks:
  - name: sleepy
    command: [/bin/sh, bench/sleepy.sh]
defaults:
  warmup: 1
  min_iterations: 20
  max_iterations: 20
"""


def private_tmp(cwd: Path) -> Path:
    """A temp folder of this test's own, so worktree checks never see other runs' folders."""
    folder = cwd.parent / "tmp"
    folder.mkdir(exist_ok=True)
    return folder


def lanebench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_lanebench(*args, cwd=cwd, env={"TMPDIR": str(private_tmp(cwd))})


def worktrees(repo: Path) -> list[str]:
    return [ln for ln in git(repo, "worktree", "list", "--porcelain").splitlines() if ln.startswith("worktree ")]


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """main: the benchmark sleeps 50 ms; branch feature: 60 ms (+20% on the sleep)."""
    root = tmp_path / "project"
    (root / ".github").mkdir(parents=True)
    (root / "bench").mkdir()
    (root / ".github" / "lanebench.yml").write_text(CONFIG.format(py=json.dumps(PY)))
    (root / "bench" / "sleepy.sh").write_text(SLEEP.format(0.05))
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-qb", "feature")
    (root / "bench" / "sleepy.sh").write_text(SLEEP.format(0.06))
    git(root, "commit", "-qam", "slower")
    return root


def verdicts(comparison: dict) -> dict[tuple[str, str], str]:
    return {(m["benchmark"], m["metric"]): m["verdict"] for m in comparison["metrics"]}


@pytest.mark.slow
def test_paired_run_finds_a_10ms_regression_and_removes_its_worktree(repo: Path) -> None:
    proc = lanebench("run", "--paired", "main", "-o", "paired.json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "paired with main" in proc.stdout
    assert len(worktrees(repo)) == 1  # the base worktree is gone again
    doc = read_results(repo / "paired.json")
    info = doc.run.paired
    assert info is not None and info.base_ref == "main"
    assert info.base_commit == git(repo, "rev-parse", "main").strip()
    assert not list(private_tmp(repo).glob("lanebench-base-*"))
    bench = doc.benchmark("sleepy")
    assert bench is not None
    block = bench.paired
    assert block is not None
    order = block.order
    # the interleaving order is recorded, one entry per pair, and balanced in blocks of two
    assert len(order) == bench.n == len(block.base_samples["wall"]) == 20
    assert set(order) == {"base-first", "head-first"}
    assert order.count("base-first") == order.count("head-first") == 10
    # each side ran its own commit's code, in its own tree
    logs = repo / ".lanebench" / "logs" / "sleepy"
    assert (logs / "base" / "last.stdout").read_text().strip() == "0.05"
    assert (logs / "head" / "last.stdout").read_text().strip() == "0.06"

    judged = lanebench("pr", "--results", "paired.json", "--lane", "standard", cwd=repo)
    assert judged.returncode == 1, judged.stdout + judged.stderr
    comparison = json.loads((repo / "lanebench-results" / "report" / "comparison.json").read_text())
    assert verdicts(comparison)[("sleepy", "wall")] == "regression"
    wall = next(m for m in comparison["metrics"] if m["metric"] == "wall")
    assert wall["method"] == "paired-wilcoxon"
    assert comparison["settings"]["comparison"] == "paired"
    assert comparison["extra"]["trust"].startswith("paired A/B on one runner: base main")
    assert comparison["cross_machine"] == []
    assert "paired with main" in judged.stdout


@pytest.mark.slow
def test_pr_paired_measures_and_judges_in_one_go(repo: Path) -> None:
    proc = lanebench("pr", "--paired", "main", "--lane", "standard", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    comparison = json.loads((repo / "lanebench-results" / "report" / "comparison.json").read_text())
    assert verdicts(comparison)[("sleepy", "wall")] == "regression"
    assert comparison["settings"]["comparison"] == "paired"
    assert len(worktrees(repo)) == 1


@pytest.mark.slow
def test_lane_setting_paired_uses_the_base_ref(repo: Path) -> None:
    config = repo / ".github" / "lanebench.yml"
    config.write_text(config.read_text() + "  comparison: paired\n")
    git(repo, "commit", "-qam", "paired lane")
    # no --base: the base is found as a pull request would have it (here: main)
    proc = lanebench("pr", "--lane", "standard", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "base: main (no origin/HEAD" in proc.stdout
    comparison = json.loads((repo / "lanebench-results" / "report" / "comparison.json").read_text())
    assert comparison["settings"]["comparison"] == "paired"
    assert comparison["head_run"]["paired"]["base_ref"] == "main"
    git(repo, "branch", "-m", "main", "trunk")  # no branch a base can be guessed from
    missing = lanebench("pr", "--lane", "standard", cwd=repo)
    assert missing.returncode == 2
    assert "compares paired, but no base commit is known" in missing.stderr


@pytest.mark.slow
def test_failing_setup_is_one_line_and_leaves_no_worktree(repo: Path) -> None:
    config = repo / ".github" / "lanebench.yml"
    config.write_text(config.read_text() + 'setup: "echo broken >&2; exit 3"\n')
    proc = lanebench("run", "--paired", "main", "-o", "paired.json", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert "setup command failed in the base tree (main): exited with code 3: broken" in lines[-1]
    assert len(worktrees(repo)) == 1


@pytest.mark.slow
def test_setup_runs_in_each_tree(repo: Path) -> None:
    config = repo / ".github" / "lanebench.yml"
    config.write_text(config.read_text() + 'setup: "git rev-parse HEAD > setup-ran.txt"\n')
    marker = repo / "setup-ran.txt"
    proc = lanebench("run", "--paired", "main", "-n", "2", "-o", "paired.json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert marker.read_text().strip() == git(repo, "rev-parse", "HEAD").strip()
    assert read_results(repo / "paired.json").run.paired.setup is True  # type: ignore[union-attr]


@pytest.mark.slow
def test_unknown_ref_says_how_to_fix(repo: Path) -> None:
    proc = lanebench("run", "--paired", "no-such-branch", cwd=repo)
    assert proc.returncode == 2
    assert 'paired mode: git knows no commit "no-such-branch"' in proc.stderr
    assert "fetch-depth: 0" in proc.stderr


@pytest.mark.slow
def test_benchmark_new_in_head_is_measured_alone_and_not_compared(repo: Path) -> None:
    config = repo / ".github" / "lanebench.yml"
    config.write_text(config.read_text().replace(
        "defaults:", f"  - name: fresh\n    command: [{json.dumps(PY)}, bench/fresh.py]\ndefaults:"))
    (repo / "bench" / "fresh.py").write_text("print('new')\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "new benchmark")
    proc = lanebench("run", "--paired", "main", "-n", "4", "-o", "paired.json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    doc = read_results(repo / "paired.json")
    fresh = doc.benchmark("fresh")
    assert fresh is not None and fresh.n == 4
    assert fresh.paired is not None and fresh.paired.base_status == "failed"
    assert any("head was measured alone" in note for note in fresh.notes)
    base = paired_baseline(doc)
    assert base.benchmark("fresh").n == 0  # type: ignore[union-attr]
    judged = lanebench("pr", "--results", "paired.json", "--lane", "standard", "--fail-on", "never", cwd=repo)
    assert judged.returncode == 0, judged.stderr
    comparison = json.loads((repo / "lanebench-results" / "report" / "comparison.json").read_text())
    assert verdicts(comparison)[("fresh", "wall")] == "no baseline"


@pytest.mark.slow
def test_sigterm_removes_the_worktree_and_writes_partial_results(repo: Path) -> None:
    (repo / "bench" / "sleepy.sh").write_text(SLEEP.format(0.5))
    git(repo, "commit", "-qam", "slow")
    proc = subprocess.Popen(
        [PY, "-m", "lanebench", "run", "--paired", "main", "-o", "paired.json"], cwd=repo,
        env=cli_env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while len(worktrees(repo)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(worktrees(repo)) == 2
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "paired runs cannot be resumed" in err
    assert len(worktrees(repo)) == 1
    doc = read_results(repo / "paired.json")
    assert doc.run.status == "interrupted"


# --- the statistics ---------------------------------------------------------------------


def test_exact_null_distribution_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    for n in (6, 11, 20):
        d = rng.normal(0.2, 1.0, n)
        ranks = sps.rankdata(np.abs(d))
        t_plus = int(ranks[d > 0].sum())
        total = n * (n + 1) // 2
        cdf = _null_cdf(n)
        ours = min(1.0, 2 * cdf[min(t_plus, total - t_plus)])
        theirs = sps.wilcoxon(d, method="exact").pvalue
        assert ours == pytest.approx(theirs, rel=1e-9)


@pytest.mark.slow
def test_signed_rank_p_with_ties_and_zeros_is_scipys_exact_permutation_p() -> None:
    # up to 13 differences scipy enumerates every sign flip when there are ties: the exact
    # answer; without ties its exact method. Ours must give both, at any n up to 50.
    # Each n from 3 to 13 once (scipy's enumeration costs 2^n), and the tie and zero
    # patterns by name: all tied, zeros with tied signs, one difference left, the most ties.
    rng = np.random.default_rng(4)
    cases = [np.round(rng.normal(0.3, 1.0, n), 1) for n in range(3, 13)]  # 13: the last one
    cases += [np.array(d) for d in (
        [0.5, 0.5, 0.5],
        [0.0, 0.0, 0.4, -0.4, 0.4],
        [0.0, 0.0, 0.0, 0.0, 0.3],
        [0.0, 0.1, -0.1, 0.1, 0.2, 0.2, -0.2, 0.3, 0.3, 0.3, -0.5, 0.5, 1.0],
    )]
    with_ties = [d for d in cases if len(set(np.abs(d[d != 0]))) < np.count_nonzero(d)]
    assert {len(d) for d in cases} == set(range(3, 14))
    assert any((d == 0).any() for d in with_ties) and any(not (d == 0).any() for d in with_ties)
    assert any(len(set(np.abs(d))) == len(d) for d in cases)  # and no ties at all
    for d in cases:
        expected = sps.wilcoxon(d, zero_method="wilcox", method="auto").pvalue
        assert signed_rank_p(d) == pytest.approx(expected, rel=1e-9), d
    for n in (14, 30, 50):
        d = rng.normal(0.3, 1.0, n)
        assert signed_rank_p(d) == pytest.approx(sps.wilcoxon(d, method="exact").pvalue, rel=1e-9)


def test_critical_value_matches_the_published_table() -> None:
    # two-sided 5% critical values of T (reject when T <= c): n=10: 8, n=20: 52, n=30: 137
    for n, c in ((10, 8), (20, 52), (30, 137)):
        assert _critical_k(n, 0.95) == c + 1
    assert min_attainable_p(10) == pytest.approx(2 / 1024)


def test_paired_interval_covers_the_true_ratio() -> None:
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(400):
        machine = np.exp(rng.normal(0, 0.3, 15))  # each pair on its own "machine speed"
        base = 0.1 * machine * np.exp(rng.normal(0, 0.02, 15))
        head = 0.1 * 1.07 * machine * np.exp(rng.normal(0, 0.02, 15))
        r = paired_wilcoxon(base, head)
        covered += r.ci_low <= 1.07 <= r.ci_high  # type: ignore[operator]
    assert 0.92 <= covered / 400 <= 0.985


def test_identical_pairs_are_an_exact_no_change() -> None:
    r = paired_wilcoxon([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert r.ratio == r.ci_low == r.ci_high == 1.0 and r.p_value == 1.0


# --- adaptive pairs -----------------------------------------------------------------------

ADAPTIVE = """\
benchmarks:
  - name: sleepy
    command: [/bin/sh, bench/sleepy.sh]
defaults:
  warmup: 1
  min_iterations: 4
  max_iterations: {max}
lanes:
  standard:
    budget: {budget}
"""


def adaptive_run(repo: Path, max_pairs: int, budget: str) -> BenchmarkResult:
    """`lanebench run --paired main` with 4 to max_pairs adaptive pairs; the benchmark's result."""
    (repo / ".github" / "lanebench.yml").write_text(ADAPTIVE.format(max=max_pairs, budget=budget))
    proc = lanebench("run", "--paired", "main", "-o", "paired.json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    bench = read_results(repo / "paired.json").benchmark("sleepy")
    assert bench is not None
    return bench


@pytest.mark.slow
def test_undecided_benchmark_gets_more_pairs_up_to_the_maximum(repo: Path) -> None:
    # 4-8 pairs can never reach a significant signed-rank p across 5 metrics: stage 2 runs
    # to max_iterations, and the file records the plan compare must spend α by
    bench = adaptive_run(repo, max_pairs=8, budget="10min")
    assert bench.paired is not None
    assert bench.n == len(bench.paired.base_samples["wall"]) == len(bench.paired.order) == 8
    plan = bench.settings.adaptive
    assert isinstance(plan, AdaptivePlan)
    assert plan.looks == [4, 5, 7, 8] and sum(plan.alpha_fractions) == pytest.approx(1.0)
    assert bench.settings.max_iterations == 8
    assert "max_iterations (8) pairs reached" in bench.notes

    lanebench("pr", "--results", "paired.json", "--lane", "standard", cwd=repo)
    comparison = json.loads((repo / "lanebench-results" / "report" / "comparison.json").read_text())
    wall = next(m for m in comparison["metrics"] if m["metric"] == "wall")
    assert wall["extra"]["alpha_fraction"] == pytest.approx(plan.alpha_fractions[-1])
    assert "look 4 of 4 at n = 8" in json.dumps(comparison)


@pytest.mark.slow
def test_more_pairs_stop_at_the_lane_budget(repo: Path) -> None:
    # a pair costs about 0.11 s: the first 4 pairs and their warmup leave room for about 7
    # more in 1.5 s, before the second look (16 pairs) could stop the benchmark, and far
    # from the 40 allowed: stage 2 stops at the budget and says so
    bench = adaptive_run(repo, max_pairs=40, budget="1.5s")
    assert 4 <= bench.n < 40
    assert f"budget 1.500 s reached: stopped at {bench.n} of max 40 pairs" in bench.notes, bench.notes


def _lane(min_iterations: int, max_iterations: int):  # noqa: ANN202
    from lanebench.config import LaneSettings

    return LaneSettings(min_iterations=min_iterations, max_iterations=max_iterations)


def _pairs(rng: np.random.Generator, n: int, ratio: float, noise: float) -> tuple[dict, dict]:
    """(head, base): the order a stopping rule takes them in."""
    machine = np.exp(rng.normal(0, 0.3, n))  # shared by both sides of a pair: cancels
    base = {m: list(0.1 * machine * np.exp(rng.normal(0, noise, n))) for m in ("wall", "cpu")}
    head = {m: list(0.1 * ratio * machine * np.exp(rng.normal(0, noise, n))) for m in ("wall", "cpu")}
    return head, base


def test_paired_stopper_stops_clear_and_hopeless_cases_at_the_first_look_only() -> None:
    from lanebench.stats import SequentialStopper

    rng = np.random.default_rng(5)
    stopper = SequentialStopper(_lane(10, 30), family_size=6)
    assert stopper.plan.looks == [10, 17, 23, 30]
    slower = _pairs(rng, 10, 1.30, 0.01)
    assert stopper("b", *slower)  # +30%, 1% noise: a regression at look 1
    same = _pairs(rng, 10, 1.0, 0.005)
    assert stopper("b", *same)  # no change, 0.5% noise: unchanged at look 1
    eleven = _pairs(rng, 11, 1.30, 0.01)
    assert not stopper("b", *eleven)  # 11 pairs is not a planned look
    noisy = _pairs(rng, 10, 1.0, 0.3)
    assert stopper("b", *noisy)  # 30% noise on each side: 30 pairs cannot decide
    assert stopper.given_up("b") == ["wall", "cpu"]
    # the same pairs with room for 400: an interval a sixth as wide may decide, so go on
    patient = SequentialStopper(_lane(10, 400), family_size=6)
    assert not patient("b", *noisy)
    assert patient.history["b"][-1][1]["wall"] == "inconclusive"


@pytest.mark.slow
def test_paired_stopper_keeps_false_alarms_within_alpha_over_its_looks() -> None:
    # A/A, noise at the threshold's size: stopping at the first decided look must not turn
    # four chances into four times α (seeded; 300 trials, 6 comparisons each)
    from lanebench.stats import SequentialStopper
    from lanebench.stats.paired import paired_analysis
    from lanebench.stats.sequential import analysis_fraction

    rng = np.random.default_rng(8)
    lane = _lane(10, 30)
    false = 0
    for _ in range(300):
        stopper = SequentialStopper(lane, family_size=6)
        head, base = _pairs(rng, 30, 1.0, 0.05)
        n = next((k for k in stopper.plan.looks
                  if stopper("b", {m: v[:k] for m, v in head.items()}, {m: v[:k] for m, v in base.items()})), 30)
        fraction, _ = analysis_fraction(stopper.plan, n)
        for m in ("wall", "cpu"):
            r = paired_analysis(base[m][:n], head[m][:n], lane.stats, fraction).result
            false += r is not None and r.p_value * 6 / fraction < lane.stats.alpha
    assert false / 300 <= 0.05
