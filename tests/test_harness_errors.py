"""Malformed harness output: each problem is one HarnessError line naming the file, the
field and the harness version the file records (exit 2, like any unreadable input)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lanebench import harness
from lanebench.errors import EXIT_USAGE, ResultsError
from lanebench.harness import HarnessError

FIX = Path(__file__).parent / "fixtures" / "harness"


def mutated(tmp_path: Path, fixture: str, change: Callable[[Any], Any]) -> Path:
    data = copy.deepcopy(json.loads((FIX / fixture).read_text()))
    data = change(data) or data
    out = tmp_path / Path(fixture).name
    out.write_text(json.dumps(data))
    return out


def error_of(path: Path, fmt: str | None = None) -> str:
    with pytest.raises(HarnessError) as err:
        harness.read(path, fmt)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def set_in(path: list[Any], value: Any) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def delete_in(path: list[Any]) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return change


@pytest.mark.parametrize(("fixture", "change", "expected"), [
    ("pytest_benchmark/with-data.json", set_in(["benchmarks", 1, "stats", "mean"], "fast"),
     "pytest-benchmark 5.3.1: benchmarks[1].stats.mean: expected a finite number, got 'fast'"),
    ("pytest_benchmark/with-data.json", set_in(["benchmarks", 0, "stats", "data"], [1e-6, 2e-6]),
     "pytest-benchmark 5.3.1: benchmarks[0].stats.data: 2 values but stats.rounds is 5"),
    ("pytest_benchmark/with-data.json", delete_in(["benchmarks", 2, "fullname"]),
     "pytest-benchmark 5.3.1: benchmarks[2].fullname: expected a non-empty string, got nothing"),
    ("pytest_benchmark/stats-only.json", set_in(["benchmarks", 0, "stats"], [1, 2]),
     "pytest-benchmark 5.3.1: benchmarks[0].stats: expected an object, got list"),
    ("pyperf/suite.json", set_in(["version"], "2.0"),
     "pyperf 2.11.0, file format 2.0: version: file format '2.0' is not one lanebench reads"),
    ("pyperf/suite.json", set_in(["benchmarks", 2, "runs", 1, "values", 0], "x"),
     "pyperf 2.11.0, file format 1.0: benchmarks[2].runs[1].values[0]: expected a finite number"),
    ("pyperf/suite.json", set_in(["metadata", "unit"], "furlong"),
     "benchmarks[0].metadata.unit: unknown unit 'furlong'"),
    ("pyperf/calibrated.json", lambda d: d["benchmarks"][0].update(runs=d["benchmarks"][0]["runs"][:1]),
     "benchmarks[0].runs: benchmark 'sort-100' has no values (only calibration or warmup runs)"),
    ("hyperfine/parameters.json", set_in(["results", 0, "times", 2], None),
     "hyperfine (version not recorded): results[0].times[2]: expected a finite number, got nothing"),
    ("hyperfine/ignore-failure.json", set_in(["results", 1, "exit_codes"], [1, 1]),
     "hyperfine (version not recorded): results[1].exit_codes: 2 exit codes for 4 times"),
    ("hyperfine/ignore-failure.json", set_in(["results", 1, "command"], "true"),
     "two cases are named 'true' (give each command a distinct --command-name)"),
    ("google_benchmark/repetitions.json", set_in(["benchmarks", 0, "time_unit"], "fortnight"),
     "google-benchmark (version not recorded): benchmarks[0].time_unit: unknown time unit 'fortnight'"),
    ("google_benchmark/repetitions.json", delete_in(["benchmarks", 8, "cpu_time"]),
     "benchmarks[8].cpu_time: expected a finite number, got nothing"),
    ("google_benchmark/single.json", lambda d: d["context"].update(library_version="v1.9.1")
     or d["benchmarks"][0].update(run_type="warmup"),
     "google-benchmark v1.9.1: benchmarks[0].run_type: unknown run type 'warmup'"),
    ("github_action_benchmark/smaller.json", set_in([1, "value"], "341 KiB"),
     "github-action-benchmark custom JSON (version not recorded): [1].value: expected a finite number"),
    ("github_action_benchmark/smaller.json", lambda d: d.append(d[0]),
     "two cases are named 'parse config - p95 latency'"),
])
def test_malformed_json_field_is_named(tmp_path: Path, fixture: str, change: Callable[[Any], Any],
                                       expected: str) -> None:
    path = mutated(tmp_path, fixture, change)
    fmt = "custom-smaller-is-better" if "github_action" in fixture else None
    assert expected in error_of(path, fmt)


@pytest.mark.parametrize(("text", "expected"), [
    # As `go test` writes it when a benchmark prints to stdout (fmt.Println) while it runs.
    ("pkg: x\nBenchmarkChatty-2   \thello from chatty\n     100\t      2209 ns/op\n",
     "go test (version not recorded): line 2: BenchmarkChatty-2: expected an iteration count, "
     "got 'hello': the benchmark printed to stdout"),
    ("BenchmarkChatty-2   \t\n     100\t      2209 ns/op\n",
     "line 2: a result without a benchmark name: the benchmark printed to stdout"),
    ("BenchmarkA-2   100   12 ns/op   7\n",
     "line 1: BenchmarkA-2: expected value/unit pairs after the iteration count"),
    ("BenchmarkA-2   100   twelve ns/op\n",
     "line 1: BenchmarkA-2: value for ns/op is not a number: 'twelve'"),
    ("PASS\nok  \texample.com/x\t0.01s\n",
     "no benchmark result lines"),
    ("Unit ns/op better=sideways\nBenchmarkA 1 2 ns/op\n",
     "line 1: Unit ns/op: better must be higher or lower, got 'sideways'"),
])
def test_malformed_go_line_is_named(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bench.txt"
    path.write_text(text)
    assert expected in error_of(path, "go")


def test_truncated_json_says_the_run_was_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_text((FIX / "google_benchmark" / "single.json").read_text()[:300])
    message = error_of(path, "google-benchmark")
    assert "not valid JSON" in message and "cut short" in message


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "the file is empty"),
    (b"\xff\xfe\x00garbage", "not UTF-8 text"),
    (b'{"results": 3}', "results: expected a list, got 3"),
    (b"[1, 2, 3]", "expected a JSON object with a benchmarks list, got list"),
])
def test_unreadable_content_is_named(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "out.json"
    path.write_bytes(content)
    fmt = "hyperfine" if b"results" in content else "pytest-benchmark"
    assert expected in error_of(path, fmt)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert "harness output file not found" in error_of(tmp_path / "nope.json")
    assert "is a directory" in error_of(tmp_path)


def test_unknown_content_is_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_text('{"some": "other tool"}')
    message = error_of(path)
    assert "JSON of no harness format lanebench knows" in message
    assert "pytest-benchmark" in message  # the hint lists the names to give


def test_harness_error_is_an_input_error_with_exit_2() -> None:
    assert issubclass(HarnessError, ResultsError)
    assert HarnessError("x").exit_code == EXIT_USAGE
