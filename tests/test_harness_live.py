"""Run each real harness on the tiny suites beside the fixtures, read what it wrote, and
run it again with the arguments `select_args` builds: the harness must then run the
selected cases (and, where its filter cannot be exact, the neighbours it says). Skipped,
with the reason, where a tool is not installed; failed instead in CI (CI=true), where
.ci/run installs them. Workloads are tiny; nothing here asserts a speed."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lanebench import harness
from lanebench.harness import pytest_benchmark

FIX = Path(__file__).parent / "fixtures" / "harness"


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(argv, cwd=cwd, env={**base, **(env or {})}, capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, f"{argv} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def require(present: bool, what: str, install: str) -> None:
    """Skip where the tool is absent; in CI (CI=true) fail, so the test cannot vanish."""
    if present:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is not installed; .ci/run must install it ({install})")
    pytest.skip(f"{what} is not installed ({install})")


def require_module(name: str) -> None:
    require(importlib.util.find_spec(name) is not None, name, "pip install -e '.[test]'")


def require_tool(tool: str, package: str) -> None:
    require(shutil.which(tool) is not None, tool, f"apt-get install {package}")


def test_pytest_benchmark_live(tmp_path: Path) -> None:
    require_module("pytest_benchmark")
    shutil.copy(FIX / "pytest_benchmark" / "bench_demo.py", tmp_path)
    # the suite's own pytest-xdist worker variables must not reach the inner pytest:
    # pytest-benchmark switches itself off under xdist and writes no JSON
    common = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
              "--benchmark-min-time=0.0001", "--benchmark-max-time=0.001",
              "--benchmark-min-rounds=3", "--benchmark-warmup=off"]
    run([*common, "bench_demo.py", "--benchmark-json=all.json"], tmp_path)
    out = harness.read(tmp_path / "all.json")
    assert out.format == "pytest-benchmark"
    assert len(out.cases) == 6
    for case in out.cases:
        assert case.primary.summary.n >= 3
        assert len(case.primary.samples) == case.primary.summary.n

    # Node ids in place of the test path: exactly these (test_sort[10] is a prefix of no
    # other id here, but -k "test_sort[10]" would be a substring match).
    chosen = [out.case("bench_demo.py::test_sort[10]"), out.case("bench_demo.py::TestParse::test_int[long]")]
    run([*common, "--benchmark-json=some.json", *harness.select_args(out.format, chosen)], tmp_path)
    assert [c.name for c in harness.read(tmp_path / "some.json").cases] == [c.name for c in chosen]

    # --deselect beside the test path: everything but these.
    run([*common, "bench_demo.py", "--benchmark-json=rest.json",
         *pytest_benchmark.deselect_args(chosen)], tmp_path)
    rest = [c.name for c in harness.read(tmp_path / "rest.json").cases]
    assert rest == [c.name for c in out.cases if c not in chosen]


def test_pyperf_live(tmp_path: Path) -> None:
    require_module("pyperf")
    run([sys.executable, str(FIX / "pyperf" / "bench_demo.py"), "--quiet", "-p", "2", "-n", "2",
         "-w", "1", "-l", "4", "-o", str(tmp_path / "out.json")], tmp_path)
    out = harness.read(tmp_path / "out.json")
    assert out.format == "pyperf"
    assert [c.name for c in out.cases] == ["sort-100", "join-x10", "int-parse"]
    for case in out.cases:
        assert len(case.primary.samples) == 4  # 2 processes x 2 values, warmups left out
        assert case.extra["values_per_run"] == [2, 2]


def test_hyperfine_live(tmp_path: Path) -> None:
    require_tool("hyperfine", "hyperfine")
    run(["hyperfine", "--style", "none", "-N", "--runs", "3", "--ignore-failure",
         "--parameter-list", "code", "0,1", "--export-json", "out.json", "sh -c 'exit {code}'"],
        tmp_path)
    out = harness.read(tmp_path / "out.json")
    assert out.format == "hyperfine"
    assert [c.params for c in out.cases] == [{"code": "0"}, {"code": "1"}]
    assert [c.extra.get("failed_runs") for c in out.cases] == [None, [0, 1, 2]]
    assert all(len(c.primary.samples) == 3 for c in out.cases)


def test_google_benchmark_live(tmp_path: Path) -> None:
    require_tool("g++", "g++")
    require(Path("/usr/include/benchmark/benchmark.h").exists(), "Google Benchmark",
            "apt-get install libbenchmark-dev")
    binary = tmp_path / "bench_demo"
    run(["g++", "-O2", "-std=c++17", str(FIX / "google_benchmark" / "bench_demo.cc"),
         "-o", str(binary), "-lbenchmark", "-lpthread"], tmp_path)
    common = [str(binary), "--benchmark_min_time=0.001", "--benchmark_repetitions=2",
              "--benchmark_format=json"]
    out_path = tmp_path / "all.json"
    out_path.write_text(run(common, tmp_path).stdout)
    out = harness.read(out_path)
    assert [c.name for c in out.cases] == ["BM_Sort/8", "BM_Sort/512", "BM_Copy/4096", "BM_Fails"]
    copy = out.case("BM_Copy/4096")
    assert len(copy.metric("real_time").samples) == 2
    assert copy.metric("real_time").summary.n == 2
    assert copy.metric("bytes_per_second").direction == "bigger"
    assert out.case("BM_Fails").error == "no input file"

    # BM_Sort/8 must not pull in BM_Sort/512 (the filter is anchored).
    chosen = [out.case("BM_Sort/8"), out.case("BM_Copy/4096")]
    some = tmp_path / "some.json"
    some.write_text(run([*common, *harness.select_args(out.format, chosen)], tmp_path).stdout)
    assert [c.name for c in harness.read(some).cases] == ["BM_Sort/8", "BM_Copy/4096"]


def test_go_live(tmp_path: Path) -> None:
    require_tool("go", "golang-go")
    demo = tmp_path / "demo"
    shutil.copytree(FIX / "go" / "demo", demo)
    env = {**os.environ, "GOFLAGS": "-mod=mod"}
    if not os.access(Path.home(), os.W_OK):  # go needs a build cache
        env["GOCACHE"] = str(tmp_path / "gocache")
    common = ["go", "test", "-run", "^$", "-benchtime", "20x", "-count", "2"]
    all_txt = tmp_path / "all.txt"
    all_txt.write_text(run([*common, "-bench", ".", "./..."], demo, env).stdout)
    out = harness.read(all_txt)
    assert out.format == "go"
    assert len(out.cases) == 6
    assert all(len(c.primary.samples) == 2 for c in out.cases)

    def selected(chosen: list[str]) -> list[str]:
        cases = [out.case(f"example.com/demo/{name}") for name in chosen]
        some = tmp_path / "some.txt"
        some.write_text(run([*common, *harness.select_args(out.format, cases), "./..."], demo, env).stdout)
        return sorted(c.name.removeprefix("example.com/demo/") for c in harness.read(some).cases)

    # Each level is anchored: words=10 does not pull in words=1000.
    assert selected(["textproc.BenchmarkSplit/words=10"]) == ["textproc.BenchmarkSplit/words=10"]
    # A top-level case beside a sub-benchmark limits the pattern to one level, so every
    # Split sub-benchmark runs as well (left unread by whoever asked for the two).
    assert selected(["textproc.BenchmarkSplit/words=10", "hashing.BenchmarkCRC32"]) == [
        "hashing.BenchmarkCRC32", "textproc.BenchmarkSplit/words=10",
        "textproc.BenchmarkSplit/words=1000"]
