"""Harness readers on output files made by the real tools (tests/fixtures/harness/*/make.sh)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanebench import harness
from lanebench.harness import HarnessError, pytest_benchmark

FIX = Path(__file__).parent / "fixtures" / "harness"


def approx(values: list[float]) -> object:
    return pytest.approx(values, rel=1e-12)


# --- pytest-benchmark --------------------------------------------------------------------


def test_pytest_benchmark_json_has_every_round_as_samples() -> None:
    out = harness.read(FIX / "pytest_benchmark" / "with-data.json")
    assert (out.format, out.harness, out.version) == ("pytest-benchmark", "pytest-benchmark", "5.3.1")
    assert [c.name for c in out.cases] == [
        "bench_demo.py::test_join",
        "bench_demo.py::test_sort[10]",
        "bench_demo.py::test_sort[1000]",
        "bench_demo.py::test_pedantic",
        "bench_demo.py::TestParse::test_int[short]",
        "bench_demo.py::TestParse::test_int[long]",
    ]
    pedantic = out.case("bench_demo.py::test_pedantic")
    assert pedantic is not None and pedantic.extra["group"] == "fixed-rounds"
    assert pedantic.extra["iterations"] == 3
    time = pedantic.primary
    assert time is not None and (time.name, time.unit, time.direction) == ("time", "s", "smaller")
    assert time.samples == approx([1.3396333088167012e-05, 1.2992667204040723e-05,
                                   1.2995999592628019e-05, 1.294933341948005e-05,
                                   1.5002333384472877e-05])
    assert time.evidence == "samples"
    assert time.summary is not None and time.summary.mean == 1.3467333337757736e-05
    sort10 = out.case("bench_demo.py::test_sort[10]")
    assert sort10 is not None and sort10.params == {"size": "10"}
    assert out.case("bench_demo.py::TestParse::test_int[long]").params == {"text": "12345678901234567890"}


def test_pytest_benchmark_saved_run_without_data_is_summary_only() -> None:
    out = harness.read(FIX / "pytest_benchmark" / "stats-only.json")
    time = out.case("bench_demo.py::test_sort[1000]").primary
    assert time.samples is None
    assert time.evidence == "summary"
    s = time.summary
    assert (s.n, s.mean, s.stddev, s.min, s.max, s.median) == (
        5, 7.926364000013563e-06, 2.12867428701491e-07, 7.732800004305318e-06,
        8.257680001406697e-06, 7.839049994800006e-06)
    assert time.value == 7.839049994800006e-06  # the harness's median


def test_pytest_benchmark_selects_by_node_id() -> None:
    out = harness.read(FIX / "pytest_benchmark" / "with-data.json")
    cases = [out.case("bench_demo.py::test_sort[10]"), out.case("bench_demo.py::TestParse::test_int[short]")]
    assert harness.select_args("pytest-benchmark", cases) == [
        "bench_demo.py::test_sort[10]", "bench_demo.py::TestParse::test_int[short]"]
    assert pytest_benchmark.deselect_args(cases) == [
        "--deselect", "bench_demo.py::test_sort[10]",
        "--deselect", "bench_demo.py::TestParse::test_int[short]"]


# --- pyperf ------------------------------------------------------------------------------


def test_pyperf_reads_every_value_of_every_run_and_no_warmup() -> None:
    out = harness.read(FIX / "pyperf" / "suite.json")
    assert (out.format, out.version) == ("pyperf", "2.11.0")
    assert [c.name for c in out.cases] == ["sort-100", "join-x10", "int-parse"]
    join = out.case("join-x10")
    assert join.extra == {"loops": 16, "inner_loops": 10, "values_per_run": [3, 3, 3]}
    time = join.primary
    assert (time.name, time.unit, time.direction) == ("time", "s", "smaller")
    assert time.samples == approx([
        1.6035687508519914e-06, 1.617962493583036e-06, 2.041350001036335e-06,
        1.1152812476211693e-06, 8.972124987849383e-07, 1.088993747089262e-06,
        1.6220374959630134e-06, 1.5856062532293435e-06, 1.616275005744683e-06])
    # warmup values (e.g. 9.180562415167514e-07 in run 2) are not samples
    assert 9.180562415167514e-07 not in time.samples
    assert harness.select_args("pyperf", out.cases) is None


def test_pyperf_calibration_run_has_no_values() -> None:
    sort = harness.read(FIX / "pyperf" / "calibrated.json").case("sort-100")
    assert sort.primary.samples == approx([1.8469648424002116e-06, 5.8466318364480685e-06,
                                           1.534546873571685e-06, 1.8356787112594475e-06])
    assert sort.extra["values_per_run"] == [2, 2]
    assert sort.extra["loops"] == 1024


def test_pyperf_memory_unit_is_bytes() -> None:
    memory = harness.read(FIX / "pyperf" / "memory.json").case("sort-100").primary
    assert (memory.name, memory.unit, memory.direction) == ("memory", "B", "smaller")
    assert memory.samples == (12062720.0, 12169216.0)


def test_pyperf_gzip_file_reads_the_same(tmp_path: Path) -> None:
    import gzip

    gz = tmp_path / "suite.json.gz"
    gz.write_bytes(gzip.compress((FIX / "pyperf" / "suite.json").read_bytes()))
    assert harness.detect(gz) == "pyperf"
    assert harness.read(gz).cases == harness.read(FIX / "pyperf" / "suite.json").cases


# --- hyperfine ---------------------------------------------------------------------------


def test_hyperfine_times_are_samples_user_and_system_are_means_only() -> None:
    out = harness.read(FIX / "hyperfine" / "parameters.json")
    assert (out.format, out.version) == ("hyperfine", None)
    assert [c.name for c in out.cases] == ["sleep 0.001", "sleep 0.003"]
    case = out.case("sleep 0.003")
    assert case.params == {"n": "3"}
    wall, user, sys = case.metrics
    assert wall.name == "wall" and wall.samples == approx([
        0.0018182775000000003, 0.0017481935000000005, 0.0032075845000000005,
        0.005524599500000001, 0.0016564475000000003])
    assert (user.name, user.samples, user.summary.mean, user.evidence) == (
        "user", None, 0.0011551400000000002, "single")
    assert (sys.name, sys.summary.n, sys.summary.mean) == ("sys", 5, 0.0)


def test_hyperfine_zero_times_from_shell_correction_are_noted() -> None:
    wall = harness.read(FIX / "hyperfine" / "parameters.json").case("sleep 0.001").primary
    assert wall.samples.count(0.0) == 3
    assert "-N" in wall.note


def test_hyperfine_ignored_failures_stay_samples_and_are_listed() -> None:
    out = harness.read(FIX / "hyperfine" / "ignore-failure.json")
    ok, failing = out.cases
    assert (ok.name, failing.name) == ("true", "false-ignored")
    assert "failed_runs" not in ok.extra
    assert failing.extra["exit_codes"] == [1, 1, 1, 1]
    assert failing.extra["failed_runs"] == [0, 1, 2, 3]
    assert len(failing.primary.samples) == 4


# --- Google Benchmark --------------------------------------------------------------------


def test_google_benchmark_repetitions_are_samples_aggregates_are_summary() -> None:
    out = harness.read(FIX / "google_benchmark" / "repetitions.json")
    assert (out.format, out.version) == ("google-benchmark", None)
    assert out.context["library_build_type"] == "debug"
    assert [c.name for c in out.cases] == ["BM_Sort/8", "BM_Sort/512", "BM_Copy/4096", "BM_Fails"]
    copy = out.case("BM_Copy/4096")
    assert [m.name for m in copy.metrics] == ["real_time", "cpu_time", "bytes_per_second", "copies"]
    real = copy.metric("real_time")
    # time_unit "us": converted to seconds
    assert real.samples == approx([0.19466500098771886e-6, 0.27712126695556477e-6,
                                   0.18525695454109567e-6])
    assert real.summary.mean == pytest.approx(0.21901440749479306e-6, rel=1e-12)
    assert real.summary.stddev == pytest.approx(0.05054140057201486e-6, rel=1e-12)
    assert real.summary.n == 3
    throughput = copy.metric("bytes_per_second")
    assert (throughput.unit, throughput.direction) == ("B/s", "bigger")
    assert throughput.samples == (35330705756.53813, 34190143140.6536, 31215107655.55441)
    counter = copy.metric("copies")
    assert (counter.direction, counter.samples) == ("unknown", (50830.0, 50830.0, 50830.0))
    sort = out.case("BM_Sort/8")
    assert (sort.metric("items_per_second").unit, sort.metric("items_per_second").direction) == (
        "items/s", "bigger")


def test_google_benchmark_error_rows_make_a_failed_case() -> None:
    fails = harness.read(FIX / "google_benchmark" / "repetitions.json").case("BM_Fails")
    assert fails.error == "no input file"
    assert fails.metrics == ()


def test_google_benchmark_aggregates_only_is_summary_without_samples() -> None:
    out = harness.read(FIX / "google_benchmark" / "aggregates-only.json")
    real = out.case("BM_Sort/512").metric("real_time")
    assert real.samples is None
    assert real.evidence == "summary"
    assert (real.summary.n, real.summary.mean, real.summary.median, real.summary.stddev) == (
        3, pytest.approx(5910.996716353849e-9), pytest.approx(6411.435122018979e-9),
        pytest.approx(2002.0925454134838e-9))


def test_google_benchmark_one_run_is_a_single_value() -> None:
    real = harness.read(FIX / "google_benchmark" / "single.json").case("BM_Sort/8").metric("real_time")
    assert real.samples == approx([73.98140994379231e-9])
    assert real.evidence == "single"


def test_google_benchmark_filter_matches_whole_run_names() -> None:
    out = harness.read(FIX / "google_benchmark" / "repetitions.json")
    args = harness.select_args("google-benchmark", [out.case("BM_Sort/8"), out.case("BM_Copy/4096")])
    assert args == ["--benchmark_filter=^(BM_Sort/8|BM_Copy/4096)$"]


# --- Go ----------------------------------------------------------------------------------


def test_go_count_lines_are_samples_across_packages() -> None:
    out = harness.read(FIX / "go" / "count5.txt")
    assert (out.format, out.harness, out.version) == ("go", "go test", None)
    assert out.context == {"goos": "linux", "goarch": "amd64", "cpu": "AMD EPYC"}
    assert [c.name for c in out.cases] == [
        "example.com/demo/hashing.BenchmarkSHA256",
        "example.com/demo/hashing.BenchmarkCRC32",
        "example.com/demo/textproc.BenchmarkSplit/words=10",
        "example.com/demo/textproc.BenchmarkSplit/words=1000",
        "example.com/demo/textproc.BenchmarkSortStrings",
        "example.com/demo/textproc.BenchmarkNeedsInput",
    ]
    sha = out.case("example.com/demo/hashing.BenchmarkSHA256")
    assert sha.selector == "BenchmarkSHA256"
    assert sha.params == {"gomaxprocs": "2", "pkg": "example.com/demo/hashing"}
    time, mbs = sha.metrics
    assert (time.name, time.unit, time.direction) == ("time", "s", "smaller")
    assert time.samples == approx([11635e-9, 27248e-9, 11317e-9, 8417e-9, 8462e-9])
    assert (mbs.name, mbs.unit, mbs.direction) == ("bytes_per_second", "B/s", "bigger")
    assert mbs.samples == approx([352.05e6, 150.32e6, 361.94e6, 486.66e6, 484.02e6])
    split = out.case("example.com/demo/textproc.BenchmarkSplit/words=1000")
    assert [(m.name, m.unit, m.samples) for m in split.metrics[1:]] == [
        ("alloc_bytes", "B", (16384.0,) * 5), ("allocs", "count", (1.0,) * 5)]
    custom = out.case("example.com/demo/textproc.BenchmarkSortStrings").metric("compares/op")
    assert (custom.unit, custom.direction, custom.samples) == ("compares/op", "unknown", (856.0,) * 5)


def test_go_several_gomaxprocs_keep_their_suffix() -> None:
    out = harness.read(FIX / "go" / "cpu-list.txt")
    assert [c.name for c in out.cases] == ["example.com/demo/hashing.BenchmarkCRC32-1",
                                           "example.com/demo/hashing.BenchmarkCRC32-2"]
    assert out.cases[0].primary.samples == approx([419.5e-9, 297.2e-9])
    assert {c.selector for c in out.cases} == {"BenchmarkCRC32"}


def test_go_verbose_name_lines_are_skipped() -> None:
    out = harness.read(FIX / "go" / "verbose.txt")
    assert [c.name for c in out.cases] == ["example.com/demo/textproc.BenchmarkSplit/words=10"]
    assert out.cases[0].primary.samples == approx([568.9e-9, 560.5e-9])


def test_go_text_that_only_starts_with_benchmark_is_not_a_result(tmp_path: Path) -> None:
    f = tmp_path / "bench.txt"
    f.write_text("Benchmarks will start now\n" + (FIX / "go" / "verbose.txt").read_text())
    assert [c.name for c in harness.read(f, "go").cases] == [
        "example.com/demo/textproc.BenchmarkSplit/words=10"]


def test_go_failed_benchmark_is_a_failed_case_with_its_message() -> None:
    out = harness.read(FIX / "go" / "failing.txt")
    failed = out.case("example.com/demo/textproc.BenchmarkNeedsInput")
    assert failed.error == "--- FAIL: textproc_test.go:39: no input file"
    assert failed.metrics == ()
    assert out.case("example.com/demo/textproc.BenchmarkSplit/words=10").error is None


def test_go_unit_lines_give_custom_units_a_direction(tmp_path: Path) -> None:
    text = (FIX / "go" / "count5.txt").read_text()
    f = tmp_path / "bench.txt"
    f.write_text("Unit compares/op better=lower\n" + text)
    custom = harness.read(f).case("example.com/demo/textproc.BenchmarkSortStrings").metric("compares/op")
    assert custom.direction == "smaller"


def test_go_bench_regex_is_anchored_per_level_down_to_the_shallowest_case() -> None:
    out = harness.read(FIX / "go" / "count5.txt")
    split10 = out.case("example.com/demo/textproc.BenchmarkSplit/words=10")
    split1000 = out.case("example.com/demo/textproc.BenchmarkSplit/words=1000")
    crc = out.case("example.com/demo/hashing.BenchmarkCRC32")
    assert harness.select_args("go", [split10, split1000]) == [
        "-bench", "^(BenchmarkSplit)$/^(words=10|words=1000)$"]
    assert harness.select_args("go", [split10, crc]) == ["-bench", "^(BenchmarkSplit|BenchmarkCRC32)$"]


def test_go_regex_quotes_what_go_quotes() -> None:
    from lanebench.harness import Case

    case = Case(name="x", selector="BenchmarkParse/a.b+(c)")
    assert harness.select_args("go", [case]) == ["-bench", r"^(BenchmarkParse)$/^(a\.b\+\(c\))$"]


# --- github-action-benchmark custom JSON -------------------------------------------------


@pytest.mark.parametrize(("fmt", "direction"), [
    ("custom-smaller-is-better", "smaller"), ("customSmallerIsBetter", "smaller"),
    ("custom-bigger-is-better", "bigger"), ("customBiggerIsBetter", "bigger"),
])
def test_custom_json_direction_comes_from_the_format_name(fmt: str, direction: str) -> None:
    out = harness.read(FIX / "github_action_benchmark" / "bigger.json", fmt)
    served = out.case("requests served")
    value = served.primary
    assert (value.unit, value.direction, value.reported, value.samples, value.summary) == (
        "req/s", direction, 5123.4, None, None)
    assert value.evidence == "single"
    assert served.extra == {"range": "stddev: 211", "extra": "wrk -t2 -c32 -d10s"}


def test_custom_json_cannot_be_detected_without_a_direction() -> None:
    with pytest.raises(HarnessError, match="does not say which way is better") as err:
        harness.detect(FIX / "github_action_benchmark" / "smaller.json")
    assert "custom-smaller-is-better or custom-bigger-is-better" in str(err.value)


# --- detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "fmt"), [
    ("pytest_benchmark/with-data.json", "pytest-benchmark"),
    ("pytest_benchmark/stats-only.json", "pytest-benchmark"),
    ("pyperf/suite.json", "pyperf"),
    ("pyperf/memory.json", "pyperf"),
    ("hyperfine/parameters.json", "hyperfine"),
    ("google_benchmark/repetitions.json", "google-benchmark"),
    ("google_benchmark/aggregates-only.json", "google-benchmark"),
    ("go/count5.txt", "go"),
    ("go/verbose.txt", "go"),
])
def test_detect_recognises_each_fixture(path: str, fmt: str) -> None:
    assert harness.detect(FIX / path) == fmt


def test_unknown_format_name_lists_the_known_ones() -> None:
    with pytest.raises(HarnessError, match="unknown harness format 'criterion'.*pytest-benchmark"):
        harness.read(FIX / "go" / "count5.txt", "criterion")
