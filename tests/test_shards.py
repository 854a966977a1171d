"""Shards: the split every job agrees on, the merge and its refusals, and verdicts that do
not depend on whether a suite ran as one job or as four on four runners."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lanebench.baseline import append_history, history_of
from lanebench.config import Config, LaneSettings, config_from_dict
from lanebench.errors import ConfigError
from lanebench.results import (
    BenchmarkResult,
    Calibration,
    PairedBenchmark,
    PairedRun,
    ResultsDocument,
    RunInfo,
    read_results,
    write_results,
)
from lanebench.shards import (
    ShardError,
    ShardsIncomplete,
    ShardSpec,
    merge_shards,
    plan_shards,
    split,
)
from lanebench.stats import compare
from lanebench.stats.paired import paired_baseline
from tests.helpers import REPO

NAMES = [f"b{i:02d}" for i in range(12)]
ENV = {"cpu_model": "x", "cpu_count": 2, "machine": "x86_64", "python": "3.11.9"}
REGRESSED, IMPROVED = "b03", "b07"


def config_for(names: list[str], iterations: int = 5) -> Config:
    return config_from_dict({
        "benchmarks": [{"name": n, "command": ["true"]} for n in names],
        "defaults": {"min_iterations": iterations, "max_iterations": iterations},
    })


def calibration(scale: float, rng: np.random.Generator) -> Calibration:
    times = list(0.1 * scale * np.exp(rng.normal(0, 0.005, 6)))
    return Calibration.from_times(times, times, workload=1, python="3.11.9",
                                  phases=["start"] * 3 + ["end"] * 3)


def benchmark(name: str, centre: float, rng: np.random.Generator, n: int = 12) -> BenchmarkResult:
    wall = list(centre * np.exp(rng.normal(0, 0.01, n)))
    return BenchmarkResult(name=name, command=["true"], samples={"wall": wall, "cpu": [w * 0.9 for w in wall]})


def centre(name: str) -> float:
    return 0.05 * (1 + NAMES.index(name) % 5)  # 0.05 .. 0.25 s: unequal, for balancing


def main_run(seed: int, commit: str) -> ResultsDocument:
    rng = np.random.default_rng(seed)
    return ResultsDocument(
        run=RunInfo(commit=commit, finished_at=f"2025-01-{seed + 1:02d}T00:00:00Z", lane="baseline"),
        environment=dict(ENV),
        benchmarks=[benchmark(n, centre(n) * float(np.exp(rng.normal(0, 0.01))), rng) for n in NAMES],
        calibration=calibration(1.0, rng),
    )


@pytest.fixture(scope="module")
def baseline() -> ResultsDocument:
    """main's baseline with six runs of history: cross-run spread is known."""
    doc = None
    for seed in range(6):
        doc = append_history(doc, main_run(seed, f"m{seed}"))
    assert doc is not None
    return doc


def head_job(seed: int = 99) -> ResultsDocument:
    """The pull request's whole suite measured in one job: one benchmark regressed 50%,
    one improved 40%, the rest unchanged."""
    rng = np.random.default_rng(seed)
    factor = {REGRESSED: 1.5, IMPROVED: 0.6}
    return ResultsDocument(
        run=RunInfo(commit="h1", finished_at="2025-02-01T00:00:00Z", lane="standard"),
        environment=dict(ENV),
        benchmarks=[benchmark(n, centre(n) * factor.get(n, 1.0), rng) for n in NAMES],
        calibration=calibration(1.0, rng),
    )


def shards_of(job: ResultsDocument, count: int, base: ResultsDocument | None,
              config: Config | None = None, *, slower: dict[int, float] | None = None,
              commit: str | None = None) -> list[ResultsDocument]:
    """`job`'s very samples as `count` shard results, shard k's runner `slower[k]` times
    slower (its calibration and its benchmarks' times scaled alike)."""
    config = config or config_for(NAMES)
    docs = []
    for k in range(1, count + 1):
        plan = plan_shards([b.name for b in job.benchmarks], ShardSpec(k, count), base, config)
        scale = (slower or {}).get(k, 1.0)
        benches = []
        for name in plan.mine:
            b = dataclasses.replace(job.benchmark(name))  # type: ignore[type-var]
            b.samples = {m: [v * scale for v in vs] for m, vs in b.samples.items()}
            benches.append(b)
        cal = job.calibration
        if cal is not None:
            cal = Calibration.from_times([t * scale for t in cal.wall], [t * scale for t in cal.cpu],
                                         workload=cal.workload, python=cal.python, phases=cal.phases)
        run = dataclasses.replace(job.run, shard=plan.info, commit=commit or job.run.commit)
        docs.append(ResultsDocument(run=run, environment=dict(job.environment, runner=f"r{k}"),
                                    benchmarks=benches, calibration=cal))
    return docs


def verdicts(base: ResultsDocument, head: ResultsDocument) -> dict[tuple[str, str], tuple[str, float | None]]:
    comparison = compare(base, head, lane=LaneSettings())
    return {(m.benchmark, m.metric): (m.verdict, m.ratio) for m in comparison.metrics}


# --- the split ------------------------------------------------------------------------------


def test_shard_spec_reads_k_of_n_and_refuses_anything_else() -> None:
    assert ShardSpec.parse("2/4") == ShardSpec(2, 4)
    assert ShardSpec.parse(" 1/1 ").label == "shard 1 of 1"
    for bad in ("0/4", "5/4", "4", "a/b", "2/0", "-1/3", "1/257", "２/４"):
        with pytest.raises(ConfigError) as err:
            ShardSpec.parse(bad)
        assert "expected K/N with 1 <= K <= N" in err.value.message and "\n" not in str(err.value)


def test_longest_first_onto_the_least_loaded_shard() -> None:
    timings = {"a": 7.0, "b": 6.0, "c": 5.0, "d": 4.0, "e": 3.0, "f": 2.0, "g": 1.0}
    parts = split(list("abcdefg"), timings, 3)
    assert parts == [["a", "f", "g"], ["b", "e"], ["c", "d"]]
    loads = [sum(timings[n] for n in p) for p in parts]
    assert max(loads) == 10.0  # the best a split of these 28 s into three can do


def test_untimed_benchmarks_are_dealt_out_evenly_after_the_timed_ones() -> None:
    names = [f"n{i}" for i in range(10)] + ["slow"]
    parts = split(names, {"slow": 100.0}, 4)
    assert "slow" in parts[0]
    untimed = [len([n for n in p if n != "slow"]) for p in parts]
    assert untimed == [2, 3, 3, 2]  # counts differ by one at most; the loaded shard gets fewer


def test_every_job_computes_the_same_split_whatever_order_it_sees() -> None:
    timings = {n: centre(n) for n in NAMES[:8]}  # four benchmarks without times
    reference = split(NAMES, timings, 4)
    for seed in range(5):
        order = list(np.random.default_rng(seed).permutation(NAMES))
        shuffled_timings = dict(sorted(timings.items(), key=lambda kv: order.index(kv[0])))
        parts = split(NAMES, shuffled_timings, 4)
        assert parts == reference
    assert sorted(itertools.chain(*reference)) == sorted(NAMES)


def test_every_shard_of_a_plan_carries_the_same_split_digest(baseline: ResultsDocument) -> None:
    config = config_for(NAMES)
    plans = [plan_shards(NAMES, ShardSpec(k, 4), baseline, config) for k in range(1, 5)]
    assert len({p.info.plan for p in plans}) == 1 and len({p.info.config for p in plans}) == 1
    assert sorted(itertools.chain(*(p.mine for p in plans))) == sorted(NAMES)
    assert plans[0].timed == 12 and "balanced by the baseline's times" in plans[0].describe()
    unbalanced = plan_shards(NAMES, ShardSpec(1, 4), None, config)
    assert unbalanced.info.plan != plans[0].info.plan and unbalanced.info.timings is None


# --- verdicts: one job or four shards ----------------------------------------------------


def test_same_samples_give_the_same_verdicts_merged_from_four_shards_as_from_one_job(
    baseline: ResultsDocument,
) -> None:
    job = head_job()
    merged = merge_shards([(f"shard-{i}", d) for i, d in enumerate(shards_of(job, 4, baseline))])
    one, four = verdicts(baseline, job), verdicts(baseline, merged)
    assert one.keys() == four.keys() and len(one) == 24
    assert four == one
    assert four[(REGRESSED, "wall")][0] == "regression"
    assert four[(IMPROVED, "wall")][0] == "improvement"
    assert four[("b00", "wall")][0] == "unchanged"


def test_each_shard_is_normalised_by_its_own_runner(baseline: ResultsDocument) -> None:
    """Shard 2's runner is twice as slow: its calibration says so, and its benchmarks are
    judged as if measured on the others' runner. One calibration for all would call them
    regressions."""
    job = head_job()
    shards = shards_of(job, 4, baseline, slower={2: 2.0})
    merged = merge_shards([(f"shard-{i}", d) for i, d in enumerate(shards)])
    judged = verdicts(baseline, merged)
    one = verdicts(baseline, job)
    assert {k: v[0] for k, v in judged.items()} == {k: v[0] for k, v in one.items()}
    for key, (_, ratio) in judged.items():
        assert ratio == pytest.approx(one[key][1], rel=0.02)

    on_slow_runner = set(shards[1].run.shard.benchmarks)  # type: ignore[union-attr]
    one_calibration = dataclasses.replace(merged, shards=None, calibration=shards[0].calibration)
    naive = verdicts(baseline, one_calibration)
    wrong = {b for (b, m), (v, _) in naive.items() if m == "wall" and v != one[(b, m)][0]}
    assert wrong == on_slow_runner - {REGRESSED}


def test_the_comparison_says_it_was_sharded_and_names_runner_pairs(baseline: ResultsDocument) -> None:
    shards = shards_of(head_job(), 4, baseline)
    shards[2].environment["cpu_model"] = "another cpu"
    merged = merge_shards([(str(i), d) for i, d in enumerate(shards)])
    comparison = compare(baseline, merged, lane=LaneSettings())
    assert "sharded" in comparison.extra["trust"]
    runner = comparison.extra["runner"]
    assert runner["sharded"] is True
    assert [s["runners"] for s in runner["shards"]] == [f"head shard {k} of 4" for k in range(1, 5)]
    # shard 3's runner had another CPU than the baseline's: said for that pair alone
    assert [line.split(": ")[0] for line in comparison.cross_machine] == ["head shard 3 of 4"]


def paired_job(base_commit: str = "b1") -> ResultsDocument:
    """A paired run of the suite: each benchmark's base side measured beside head."""
    rng = np.random.default_rng(5)
    factor = {REGRESSED: 1.5, IMPROVED: 0.6}
    benches = []
    for name in NAMES:
        base = benchmark(name, centre(name), rng)
        head = benchmark(name, centre(name) * factor.get(name, 1.0), rng)
        head.paired = PairedBenchmark(base_samples=base.samples,
                                      order=["base-first", "head-first"] * 6)
        benches.append(head)
    run = RunInfo(commit="h1", lane="standard",
                  paired=PairedRun(base_ref="main", base_commit=base_commit, seed=1))
    return ResultsDocument(run=run, environment=dict(ENV), benchmarks=benches)


def test_paired_shards_give_the_verdicts_of_one_paired_job() -> None:
    job = paired_job()
    merged = merge_shards([(str(i), d) for i, d in enumerate(shards_of(job, 4, None))])
    one = verdicts(paired_baseline(job), job)
    four = verdicts(paired_baseline(merged), merged)
    assert four == one and four[(REGRESSED, "wall")][0] == "regression"
    comparison = compare(paired_baseline(merged), merged, lane=LaneSettings())
    assert comparison.settings["comparison"] == "paired"
    assert "each of 4 shards paired on its own runner" in comparison.extra["trust"]


def test_shards_paired_with_two_base_commits_are_refused() -> None:
    first = shards_of(paired_job(), 2, None)
    second = shards_of(paired_job("b2"), 2, None)
    with pytest.raises(ShardError) as err:
        merge_shards([("one.json", first[0]), ("two.json", second[1])])
    assert one_line(err) == "shard 2 of 2 (two.json) was paired with base b2, shard 1 of 2 (one.json) b1"


def test_a_merged_baseline_keeps_each_benchmarks_runner_speed_in_its_history(
    baseline: ResultsDocument,
) -> None:
    main = main_run(7, "m7")
    shards = shards_of(main, 2, baseline, slower={2: 2.0})
    merged = append_history(baseline, merge_shards([(str(i), d) for i, d in enumerate(shards)]))
    entry = history_of(merged)[-1]
    assert entry.calibration is None
    slow = shards[1].run.shard.benchmarks  # type: ignore[union-attr]
    fast = shards[0].run.shard.benchmarks  # type: ignore[union-attr]
    assert entry.benchmark_calibration is not None
    ratio = entry.calibration_for(slow[0])["wall"] / entry.calibration_for(fast[0])["wall"]  # type: ignore[operator]
    assert ratio == pytest.approx(2.0, rel=0.05)
    # what the next pull request's history sees: normalised medians, as from one runner
    again = verdicts(merged, head_job())
    assert again[("b00", "wall")][0] == "unchanged"


def test_merged_file_lists_the_plan_order_and_round_trips(tmp_path: Path,
                                                          baseline: ResultsDocument) -> None:
    merged = merge_shards([(str(i), d) for i, d in enumerate(shards_of(head_job(), 4, baseline))])
    assert [b.name for b in merged.benchmarks] == NAMES
    assert merged.calibration is None and merged.run.shard is None
    assert [s.index for s in merged.shards or []] == [1, 2, 3, 4]
    path = write_results(tmp_path / "m.json", merged)
    again = read_results(path)
    assert again.to_dict() == merged.to_dict()
    assert again.shard_of("b03") is not None and again.shard_of("nope") is None


# --- refusals ---------------------------------------------------------------------------------


def one_line(exc: pytest.ExceptionInfo[ShardError]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return exc.value.message


def test_a_missing_shard_is_incomplete(baseline: ResultsDocument) -> None:
    shards = shards_of(head_job(), 4, baseline)
    with pytest.raises(ShardsIncomplete) as err:
        merge_shards([(str(i), d) for i, d in enumerate(shards) if i != 2])
    assert one_line(err) == "incomplete: shard 3 of 4 missing"
    assert err.value.exit_code == 1


def test_an_interrupted_shard_is_incomplete(baseline: ResultsDocument) -> None:
    shards = shards_of(head_job(), 4, baseline)
    shards[0].run.status = "interrupted"
    with pytest.raises(ShardsIncomplete) as err:
        merge_shards([(str(i), d) for i, d in enumerate(shards)])
    assert one_line(err) == "incomplete: shard 1 of 4 interrupted"


def test_a_shard_given_twice_is_refused(baseline: ResultsDocument) -> None:
    shards = shards_of(head_job(), 4, baseline)
    with pytest.raises(ShardError) as err:
        merge_shards([("a.json", shards[1]), ("b.json", shards[0]), ("c.json", shards[1])])
    assert one_line(err) == "shard 2 of 4: given twice (a.json and c.json)"


def test_shards_of_two_commits_are_refused(baseline: ResultsDocument) -> None:
    job = head_job()
    shards = shards_of(job, 2, baseline)
    other = shards_of(job, 2, baseline, commit="h2")
    with pytest.raises(ShardError) as err:
        merge_shards([("one.json", shards[0]), ("two.json", other[1])])
    assert one_line(err) == "shard 2 of 2 (two.json) measured commit h2, shard 1 of 2 (one.json) h1"


def test_shards_of_two_configs_are_refused(baseline: ResultsDocument) -> None:
    job = head_job()
    shards = shards_of(job, 2, baseline)
    other = shards_of(job, 2, baseline, config_for(NAMES, iterations=7))
    with pytest.raises(ShardError) as err:
        merge_shards([("one.json", shards[0]), ("two.json", other[1])])
    assert one_line(err).startswith("shard 2 of 2 (two.json) was planned from config sha256:")


def test_a_benchmark_in_two_shards_is_refused(baseline: ResultsDocument) -> None:
    shards = shards_of(head_job(), 2, baseline)
    stray = shards[0].benchmarks[0]
    shards[1].benchmarks.append(stray)
    with pytest.raises(ShardError) as err:
        merge_shards([("one.json", shards[0]), ("two.json", shards[1])])
    assert one_line(err) == f"benchmark {stray.name!r} is in shard 1 of 2 and in shard 2 of 2 (two.json)"


def test_shards_split_from_two_baselines_are_refused(baseline: ResultsDocument) -> None:
    """Shard 2 started after a new baseline landed: its split leaves a benchmark to no
    shard (and no benchmark is in two), which its split's digest shows."""
    shards = shards_of(head_job(), 2, baseline)
    second = shards[1]
    info = second.run.shard
    assert info is not None
    dropped = info.benchmarks[0]
    second.run.shard = dataclasses.replace(
        info, benchmarks=info.benchmarks[1:], positions=info.positions[1:], plan="sha256:other",
        timings="baseline m9 finished 2025-03-01T00:00:00Z")
    second.benchmarks = [b for b in second.benchmarks if b.name != dropped]
    with pytest.raises(ShardError) as err:
        merge_shards([("one.json", shards[0]), ("two.json", second)])
    assert one_line(err).startswith(
        "shard 2 of 2 (two.json) was split differently from shard 1 of 2 (one.json): timings "
        "from baseline m9 finished 2025-03-01T00:00:00Z against baseline m5")


def test_a_file_that_is_not_a_shard_is_refused(baseline: ResultsDocument) -> None:
    with pytest.raises(ShardError) as err:
        merge_shards([("whole.json", head_job())])
    assert one_line(err) == "whole.json: not one shard's results (no run.shard)"


# --- the command line -------------------------------------------------------------------------


def lanebench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "lanebench", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


SLEEP_CONFIG = """\
benchmarks:
{benches}
defaults:
  warmup: 0
  min_iterations: 3
  max_iterations: 3
"""


@pytest.mark.slow
def test_run_shard_and_merge_on_the_command_line(tmp_path: Path) -> None:
    """Four real `lanebench run --shard K/4`, then `lanebench merge` of their folder, then
    the refusals of the command line: one line on stderr naming the shard, exit 2 (1 when
    a shard is missing)."""
    project = tmp_path / "project"
    (project / ".github").mkdir(parents=True)
    benches = "\n".join(
        f"  - name: s{i}\n    command: [{json.dumps(sys.executable)}, -c, \"import time; time.sleep({0.01 * (i % 3 + 1)})\"]"
        for i in range(6))
    (project / ".github" / "lanebench.yml").write_text(SLEEP_CONFIG.format(benches=benches))
    for k in range(1, 5):
        proc = lanebench("run", "--shard", f"{k}/4", "-o", f"out/shard-{k}/lanebench-results.json",
                         cwd=project)
        assert proc.returncode == 0, proc.stderr
        assert f"shard {k} of 4:" in proc.stderr
    merged = lanebench("merge", "out", "-o", "merged.json", cwd=project)
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.startswith("wrote merged.json: 4 shards, 6 benchmark(s)")
    doc = read_results(project / "merged.json")
    assert [b.name for b in doc.benchmarks] == [f"s{i}" for i in range(6)]
    assert all(len(b.samples["wall"]) == 3 for b in doc.benchmarks)
    assert all(s.calibration is not None and s.calibration.usable for s in doc.shards or [])

    files = [f"out/shard-{k}/lanebench-results.json" for k in range(1, 5)]
    missing = lanebench("merge", *files[:2], files[3], "-o", "m.json", cwd=project)
    assert missing.returncode == 1
    assert missing.stderr.splitlines() == [
        "lanebench: error: incomplete: shard 3 of 4 missing (a shard's job failed or uploaded "
        "no results; re-run the failed jobs)"]
    twice = lanebench("merge", *files, files[1], "-o", "m.json", cwd=project)
    assert twice.returncode == 2 and len(twice.stderr.splitlines()) == 1
    assert f"shard 2 of 4: given twice ({files[1]} and {files[1]})" in twice.stderr
    assert not (project / "m.json").exists()

    # the merged file is judged like one job's: `pr --results` against a baseline
    baseline = lanebench("run", "-o", "base.json", cwd=project)
    assert baseline.returncode == 0, baseline.stderr
    judged = lanebench("pr", "--results", "merged.json", "--baseline", "base.json",
                       "--output-dir", "report", cwd=project)
    assert judged.returncode in (0, 1), judged.stderr
    comparison = json.loads((project / "report" / "report" / "comparison.json").read_text())
    assert {b["name"] for b in comparison["benchmarks"]} == {f"s{i}" for i in range(6)}
    assert "sharded" in comparison["extra"]["trust"]
