"""Harness benchmarks end to end: a real harness run by `lanebench run` once per iteration,
its cases compared as benchmarks of their own, verdicts that know which way is better,
SLA rules on harness metrics, and `lanebench import` of every format.

The third-party suite is a pytest-benchmark suite of tomli (the PyPI sdist kept in
tests/fixtures/init/tomli), one of whose cases is slowed on purpose in the head copy (it
parses its document ten times): a change far beyond this machine's noise, so the test
does not depend on a small timing difference."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lanebench.config import load_config
from lanebench.results import (
    BenchmarkResult,
    Calibration,
    HarnessBlock,
    MetricInfo,
    ResultsDocument,
    RunInfo,
    read_results,
)
from lanebench.stats import compare
from tests.init_helpers import init_env, lanebench
from tests.test_harness_live import require_module

FIX = Path(__file__).parent / "fixtures"
SUITE = FIX / "harness" / "tomli_suite"
PY = sys.executable


def _tomli_project(root: Path, *, slow: bool) -> Path:
    shutil.copytree(FIX / "init" / "tomli" / "src", root / "src")
    bench = (SUITE / "bench_tomli.py").read_text()
    if slow:
        bench = bench.replace("    return tomli.loads(ARRAYS)\n",
                              "    for _ in range(9):\n        tomli.loads(ARRAYS)\n"
                              "    return tomli.loads(ARRAYS)\n")
        assert "range(9)" in bench
    (root / "bench_tomli.py").write_text(bench)
    config = {
        # Under a load of 9 on 2 cores the reference workload's times vary by ±30%, and the
        # comparison then (rightly) leaves room for a runner effect of -57% to +284%: the
        # calibration is left out so that this test is about the cases, not this machine.
        "lanes": {"standard": {"calibration": {"measure": False}}},
        "benchmarks": [{
            "name": "tomli",
            "harness": "pytest-benchmark",
            "command": [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                        "bench_tomli.py", "--benchmark-json={output}", "--benchmark-min-rounds=5",
                        "--benchmark-min-time=0.00005", "--benchmark-max-time=0.001",
                        "--benchmark-warmup=off"],
            "env": {"PYTHONPATH": "src"},
            "paths": ["src/**", "bench_tomli.py"],
        }],
    }
    (root / "lanebench.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def _run(root: Path, out: str, n: int = 5) -> Path:
    proc = lanebench("run", "-c", "lanebench.yml", "-n", str(n), "-w", "0", "-o", out, cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root / out


@pytest.mark.slow
def test_a_slowed_tomli_case_is_the_one_regression_with_the_harness_samples(tmp_path: Path) -> None:
    require_module("pytest_benchmark")
    base_root = _tomli_project(tmp_path / "base", slow=False)
    head_root = _tomli_project(tmp_path / "head", slow=True)
    base_file, head_file = _run(base_root, "base.json"), _run(head_root, "head.json")
    head = read_results(head_file)

    names = [b.name for b in head.benchmarks]
    assert names == ["tomli", "tomli/bench_tomli.py::test_small", "tomli/bench_tomli.py::test_tables",
                     "tomli/bench_tomli.py::test_arrays"]
    whole, arrays = head.benchmark("tomli"), head.benchmark("tomli/bench_tomli.py::test_arrays")
    assert whole is not None and whole.is_invocation and len(whole.samples["wall"]) == 5
    assert arrays is not None and set(arrays.samples) == {"time"} and arrays.n == 5
    assert "wall" not in arrays.samples  # measured inside the harness: no rusage of its own
    assert arrays.harness is not None and arrays.harness.version == "5.3.1"
    assert arrays.harness.samples_are == "invocations"
    rounds = arrays.harness.raw["time"]
    assert len(rounds) == 5 and all(len(r) >= 5 for r in rounds)
    # each invocation's sample is the median of that invocation's own rounds
    for sample, own in zip(arrays.samples["time"], rounds, strict=True):
        ordered = sorted(own)
        mid = len(ordered) // 2
        median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        assert math.isclose(sample, median)

    config = load_config(head_root / "lanebench.yml")
    comparison = compare(read_results(base_file), head, lane=config.lanes["standard"])
    verdicts = {(m.benchmark, m.metric): m.verdict for m in comparison.metrics}
    assert verdicts[("tomli/bench_tomli.py::test_arrays", "time")] == "regression"
    for case in ("test_small", "test_tables"):
        assert verdicts[(f"tomli/bench_tomli.py::{case}", "time")] in ("unchanged", "inconclusive")
    assert not any(b == "tomli" for b, _ in verdicts)  # the invocation is recorded, not compared

    report = lanebench("report", str(base_file), str(head_file), "--config", "lanebench.yml",
                       "-f", "comment", cwd=head_root)
    assert report.returncode == 0, report.stderr
    comment = report.stdout.replace("\\_", "_")  # Markdown escapes the underscores
    rows: dict[str, str] = {}
    for line in comment.splitlines():  # the verdict table first; the full statistics later
        if line.startswith("| tomli/"):
            rows.setdefault(line.split("|")[1].strip(), line)
    assert "🔴 regression (slower)" in rows["tomli/bench_tomli.py::test_arrays"], comment
    for case in ("test_small", "test_tables"):
        row = rows[f"tomli/bench_tomli.py::{case}"]
        assert "unchanged" in row or "inconclusive" in row, comment


def _rates_project(root: Path, rate: float) -> Path:
    root.mkdir()
    script = (SUITE / "throughput.py").read_text().replace("RATE = 1000.0", f"RATE = {rate}")
    (root / "throughput.py").write_text(script)
    config = {
        "lanes": {"standard": {"sla": ["throughput.median >= 900/s"],
                               "calibration": {"measure": False}}},
        "benchmarks": [{"name": "rates", "harness": "custom-bigger-is-better",
                        "command": [PY, "throughput.py", "{output}"]}],
    }
    (root / "lanebench.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


@pytest.mark.slow
def test_a_throughput_drop_of_20_percent_is_a_slower_regression_and_breaks_the_sla(tmp_path: Path) -> None:
    base_root, head_root = _rates_project(tmp_path / "base", 1000.0), _rates_project(tmp_path / "head", 800.0)
    base_file, head_file = _run(base_root, "base.json", n=8), _run(head_root, "head.json", n=8)
    head = read_results(head_file)
    encode = head.benchmark("rates/encode")
    assert encode is not None and len(encode.samples["value"]) == 8
    assert encode.harness is not None
    assert encode.harness.metrics["value"].direction == "bigger"
    assert encode.harness.metrics["value"].unit == "ops/s"

    check = lanebench("check", str(base_file), str(head_file), "--config", "lanebench.yml",
                      "--json", cwd=head_root)
    assert check.returncode == 1, check.stdout + check.stderr
    result = json.loads(check.stdout)
    rows = [m for m in result["comparison"]["metrics"] if m["benchmark"] == "rates/encode"]
    assert [(m["verdict"], m["direction"]) for m in rows] == [("regression", "bigger")]
    assert rows[0]["ratio"] < 0.85 and rows[0]["reason"].startswith("slower: throughput")
    sla = [f for f in result["sla"]["findings"] if f["rule"] == "throughput.median >= 900/s"]
    assert [(f["benchmark"], f["passed"]) for f in sla] == [("rates/encode", False)]

    # the same drop the other way round is an improvement: faster
    back = compare(head, read_results(base_file), lane=load_config(head_root / "lanebench.yml").lanes["standard"])
    (row,) = [m for m in back.metrics if m.benchmark == "rates/encode"]
    assert row.verdict == "improvement" and row.reason.startswith("faster: throughput")


def _case(name: str, metric: str, unit: str, direction: str, values: list[float]) -> BenchmarkResult:
    return BenchmarkResult(
        name=name, command=["bench"], samples={metric: values},
        harness=HarnessBlock(format="go", metrics={metric: MetricInfo(unit=unit, direction=direction)}),
    )


def _doc(calibration_wall: float, benchmarks: list[BenchmarkResult]) -> ResultsDocument:
    times = [calibration_wall * (1 + 0.001 * (i % 3)) for i in range(10)]
    return ResultsDocument(run=RunInfo(), environment={}, benchmarks=benchmarks,
                           calibration=Calibration.from_times(times, times))


def test_a_runner_twice_as_slow_divides_times_and_multiplies_rates() -> None:
    base_values = [1.0 + 0.01 * (i % 5) for i in range(10)]
    base = _doc(0.1, [_case("t", "time", "s", "smaller", base_values),
                      _case("r", "bytes_per_second", "B/s", "bigger", [1 / v for v in base_values])])
    # head's runner is twice as slow: every time doubles and every rate halves
    head = _doc(0.2, [_case("t", "time", "s", "smaller", [2 * v for v in base_values]),
                      _case("r", "bytes_per_second", "B/s", "bigger", [0.5 / v for v in base_values])])
    lane = load_config_text("benchmarks: [{name: x, command: [x]}]").lanes["standard"]
    rows = {m.benchmark: m for m in compare(base, head, lane=lane).metrics}
    assert math.isclose(rows["t"].extra["raw_ratio"], 2.0, rel_tol=0.02)
    assert math.isclose(rows["r"].extra["raw_ratio"], 0.5, rel_tol=0.02)
    # normalised: both unchanged code, ratio 1 (dividing the rate would make it 0.25)
    assert math.isclose(rows["t"].ratio, 1.0, rel_tol=0.02)
    assert math.isclose(rows["r"].ratio, 1.0, rel_tol=0.02)
    assert rows["r"].verdict != "regression" and rows["t"].verdict != "regression"


def load_config_text(text: str):  # noqa: ANN201
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as fh:
        fh.write(text)
    return load_config(Path(fh.name))


def test_unknown_direction_changes_without_a_verdict_and_summaries_get_welch() -> None:
    lane = load_config_text("benchmarks: [{name: x, command: [x]}]").lanes["standard"]
    base = ResultsDocument(RunInfo(), {}, [_case("c", "time", "s", "smaller", [1.0] * 5 + [1.01] * 5)])
    head = ResultsDocument(RunInfo(), {}, [_case("c", "time", "s", "smaller", [2.0] * 5 + [2.01] * 5)])
    for doc in (base, head):
        doc.benchmarks[0].harness.metrics["time"] = MetricInfo(unit="s", direction="unknown")
    assert not compare(base, head, lane=lane).metrics  # not compared unless asked for
    (row,) = compare(base, head, lane=lane, metrics=["time"]).metrics
    assert row.verdict == "inconclusive" and "does not say which way is better" in row.reason

    def summarised(mean: float, n: int) -> BenchmarkResult:
        info = MetricInfo(unit="s", evidence="summary",
                          summary={"n": n, "mean": mean, "stddev": mean * 0.01})
        return BenchmarkResult(name="s", command=["b"],
                               harness=HarnessBlock(format="pytest-benchmark", metrics={"time": info}))

    (row,) = compare(ResultsDocument(RunInfo(), {}, [summarised(1.0, 20)]),
                     ResultsDocument(RunInfo(), {}, [summarised(1.5, 20)]), lane=lane).metrics
    assert (row.verdict, row.method) == ("regression", "welch-from-summaries")
    assert row.base is None and row.head is None  # no made-up samples
    (row,) = compare(ResultsDocument(RunInfo(), {}, [summarised(1.0, 2)]),
                     ResultsDocument(RunInfo(), {}, [summarised(1.5, 2)]), lane=lane).metrics
    assert row.verdict == "insufficient data" and "at least 3 per side" in row.reason


IMPORTS = [
    ("pytest-benchmark", "pytest_benchmark/with-data.json", 6, 6),
    ("pytest-benchmark", "pytest_benchmark/stats-only.json", 6, 0),
    ("pyperf", "pyperf/suite.json", 3, 3),
    ("hyperfine", "hyperfine/ignore-failure.json", 2, 2),
    ("google-benchmark", "google_benchmark/repetitions.json", 4, 3),
    ("go", "go/count5.txt", 6, 6),
    ("custom-smaller-is-better", "github_action_benchmark/smaller.json", None, 0),
    ("custom-bigger-is-better", "github_action_benchmark/bigger.json", 2, 0),
]


@pytest.mark.parametrize(("fmt", "path", "cases", "with_samples"), IMPORTS)
def test_import_writes_a_results_file_compare_reads(tmp_path: Path, fmt: str, path: str,
                                                    cases: int | None, with_samples: int) -> None:
    out = tmp_path / "imported.json"
    proc = subprocess.run([PY, "-m", "lanebench", "import", fmt, str(FIX / "harness" / path),
                           "-o", str(out), "--prefix", "suite"],
                          env=init_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = read_results(out)
    if cases is not None:
        assert len(doc.benchmarks) == cases
    assert sum(1 for b in doc.benchmarks if b.samples) == with_samples
    assert all(b.name.startswith("suite/") and b.harness is not None for b in doc.benchmarks)
    assert all(b.harness.samples_are == "within-process" for b in doc.benchmarks)
    compared = subprocess.run([PY, "-m", "lanebench", "compare", str(out), str(out),
                               "-o", str(tmp_path / "c.json")],
                              env=init_env(), capture_output=True, text=True, timeout=120,
                              cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    rows = json.loads((tmp_path / "c.json").read_text())["metrics"]
    assert rows and not any(r["verdict"] in ("regression", "improvement") for r in rows)


def test_import_refuses_an_unknown_format_and_undirected_custom_json(tmp_path: Path) -> None:
    bigger = FIX / "harness" / "github_action_benchmark" / "bigger.json"
    for argv, words in ((["nosuch", str(bigger)], "unknown harness format 'nosuch'"),
                        (["auto", str(bigger)], "does not say which way is better")):
        proc = subprocess.run([PY, "-m", "lanebench", "import", *argv, "-o", str(tmp_path / "x.json")],
                              env=init_env(), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and words in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_cases_whose_paths_are_untouched_are_deselected_and_carried_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lanebench.changes import ChangedFile, ChangeSet
    from lanebench.pipeline import PipelineRequest, judge_change, measure_baseline

    require_module("pytest_benchmark")
    # The pipeline runs in this process: the suite's own pytest-xdist worker variable would
    # reach the inner pytest, and pytest-benchmark switches itself off under xdist.
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(FIX / "harness" / "pytest_benchmark" / "bench_demo.py", root)
    config = {
        "lanes": {"standard": {"calibration": {"measure": False}, "warmup": 0}},
        "benchmarks": [{
            "name": "demo",
            "harness": "pytest-benchmark",
            "command": [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                        "bench_demo.py", "--benchmark-json={output}", "--benchmark-min-rounds=3",
                        "--benchmark-min-time=0.00005", "--benchmark-max-time=0.001",
                        "--benchmark-warmup=off"],
            "paths": ["bench_demo.py", "sort/**", "parse/**"],
            "cases": {"bench_demo.py::test_sort*": {"paths": ["sort/**"]}},
        }],
    }
    (root / "lanebench.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    cfg = load_config(root / "lanebench.yml")
    base = measure_baseline(PipelineRequest(config=cfg, output_dir=tmp_path / "base", iterations=2)).head
    assert base is not None
    sort_cases = [b.name for b in base.benchmarks if "test_sort" in b.name]
    assert sort_cases == ["demo/bench_demo.py::test_sort[10]", "demo/bench_demo.py::test_sort[1000]"]

    changes = ChangeSet(files=(ChangedFile("parse/int.py"),))
    result = judge_change(PipelineRequest(config=cfg, output_dir=tmp_path / "head", change_set=changes,
                                          baseline=base, iterations=2))
    head = result.head
    assert head is not None
    for name in sort_cases:
        carried, source = head.benchmark(name), base.benchmark(name)
        assert carried is not None and source is not None
        assert carried.status == "carried_over" and carried.samples == source.samples
    join = head.benchmark("demo/bench_demo.py::test_join")
    assert join is not None and join.status == "ok" and join.n == 2
    # the harness ran without the carried cases: its last output names none of them
    written = json.loads((tmp_path / "head" / ".lanebench" / "logs" / "demo" / "harness-output").read_text())
    ran = [b["fullname"] for b in written["benchmarks"]]
    assert "bench_demo.py::test_join" in ran and not any("test_sort" in n for n in ran)
    verdicts = {m.benchmark: m.verdict for m in result.comparison.metrics} if result.comparison else {}
    assert verdicts[sort_cases[0]] == "carried over"


def test_an_invocations_cases_survive_the_checkpoint(tmp_path: Path) -> None:
    from lanebench import harness as harness_pkg
    from lanebench.harness.invocation import invocation_cases
    from lanebench.runner.checkpoint import (
        CheckpointJournal,
        CheckpointWriter,
        read_checkpoint,
        replayed,
    )
    from lanebench.runner.sample import Run, Sample

    read = invocation_cases(harness_pkg.read(FIX / "harness" / "google_benchmark" / "repetitions.json"))
    run = Run("ok", wall=0.5, metrics={name: 1.0 for name in (
        "wall", "cpu", "user", "sys", "maxrss", "tree_rss", "read_bytes", "write_bytes",
        "read_chars", "write_chars", "peak_threads", "peak_processes")}, harness=read)
    path = tmp_path / "c.jsonl"
    writer = CheckpointWriter(path, {"hash": "h", "lane": "standard", "benchmarks": ["g"], "run": {}})
    CheckpointJournal(writer).sample("g", 1, "measured", Sample([run]))
    writer.close()
    _, records, damaged = read_checkpoint(path)
    ((_, _, _, sample),) = replayed(records)
    assert damaged == 0 and sample.runs[0].harness == read
    sort8 = next(c for c in read.cases if c.name == "BM_Sort/8")
    # one value per metric: the median of the repetitions, the repetitions kept beside it
    assert sort8.values["real_time"] == sorted(sort8.raw["real_time"])[1]
    assert len(sort8.raw["real_time"]) == 3


@pytest.mark.parametrize(("entry", "words"), [
    ({"harness": "nosuch", "command": ["x"]}, "harness: unknown format 'nosuch'"),
    ({"harness": "pyperf", "command": ["x"], "output": "file"}, "output: file needs {output}"),
    ({"harness": "go", "command": ["x", "{output}"], "output": "stdout"}, "output: stdout, but"),
    ({"command": ["x"], "output": "file"}, "only a harness benchmark has one"),
])
def test_harness_entries_are_checked_with_one_line_each(entry: dict, words: str) -> None:
    from lanebench.config import config_from_dict
    from lanebench.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        config_from_dict({"benchmarks": [{"name": "b", **entry}]})
    assert words in str(err.value)


def test_sla_rules_name_harness_metrics_and_rates() -> None:
    from lanebench.config.sla import RuleSyntaxError, parse_rule

    rule = parse_rule("throughput.median >= 1000/s")
    assert (rule.metric, rule.op, rule.limit, rule.limit_unit) == ("throughput", ">=", 1000.0, "/s")
    assert parse_rule("time.p95 <= 2ms").limit == pytest.approx(0.002)
    with pytest.raises(RuleSyntaxError, match='did you mean "wall"'):
        parse_rule("wal.p95 <= 2s")


@pytest.mark.slow
def test_a_failing_test_leaves_the_other_cases_measured(tmp_path: Path) -> None:
    require_module("pytest_benchmark")
    root = tmp_path / "project"
    root.mkdir()
    (root / "bench_mixed.py").write_text(
        "def test_ok(benchmark):\n    benchmark(sum, range(100))\n\n\n"
        "def test_broken(benchmark):\n    benchmark(lambda: 1 / 0)\n"
    )
    config = {
        "lanes": {"standard": {"calibration": {"measure": False}}},
        "benchmarks": [{
            "name": "mixed",
            "harness": "pytest-benchmark",
            "command": [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                        "bench_mixed.py", "--benchmark-json={output}", "--benchmark-min-rounds=3",
                        "--benchmark-max-time=0.001", "--benchmark-warmup=off"],
        }],
    }
    (root / "lanebench.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    doc = read_results(_run(root, "r.json", n=2))
    whole, ok = doc.benchmark("mixed"), doc.benchmark("mixed/bench_mixed.py::test_ok")
    assert whole is not None and whole.status == "ok" and not whole.failures
    assert any("exited non-zero in 2 of 2 invocations" in note for note in whole.notes)
    assert ok is not None and ok.status == "ok" and ok.n == 2
    assert doc.benchmark("mixed/bench_mixed.py::test_broken") is None  # pytest-benchmark drops it
