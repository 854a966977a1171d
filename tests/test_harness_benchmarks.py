"""Harness cases as results-document entries (the typed `harness` block): valid, nothing invented."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanebench import harness
from lanebench.harness.benchmarks import benchmark_dicts
from lanebench.results import read_results, results_from_dict, write_results

FIX = Path(__file__).parent / "fixtures" / "harness"
OUTPUTS = [
    ("pytest_benchmark/with-data.json", None), ("pytest_benchmark/stats-only.json", None),
    ("pyperf/suite.json", None), ("hyperfine/ignore-failure.json", None),
    ("google_benchmark/repetitions.json", None), ("google_benchmark/aggregates-only.json", None),
    ("go/count5.txt", None), ("go/failing.txt", None),
    ("github_action_benchmark/bigger.json", "custom-bigger-is-better"),
]


def document(benchmarks: list[dict]) -> dict:
    return {"schema_version": "1.1.0", "kind": "lanebench-results", "run": {},
            "environment": {}, "benchmarks": benchmarks}


@pytest.mark.parametrize(("path", "fmt"), OUTPUTS)
def test_entries_are_a_valid_results_document_that_round_trips(tmp_path: Path, path: str,
                                                               fmt: str | None) -> None:
    out = harness.read(FIX / path, fmt)
    doc = results_from_dict(document(benchmark_dicts(out, ["bench"])), source=path)
    assert [b.name for b in doc.benchmarks] == [c.name for c in out.cases]
    written = write_results(tmp_path / "results.json", doc)
    again = read_results(written)
    assert [b.harness.to_dict() for b in again.benchmarks] == [b.harness.to_dict() for b in doc.benchmarks]
    assert all(b.harness.samples_are == "within-process" for b in again.benchmarks)


def test_samples_go_to_samples_and_summaries_stay_summaries() -> None:
    out = harness.read(FIX / "google_benchmark" / "repetitions.json")
    copy, fails = benchmark_dicts(out)[2], benchmark_dicts(out)[3]
    assert copy["samples"]["real_time"] == list(out.case("BM_Copy/4096").metric("real_time").samples)
    assert set(copy["samples"]) == {"real_time", "cpu_time", "bytes_per_second", "copies"}
    assert copy["harness"]["metrics"]["bytes_per_second"]["direction"] == "bigger"
    assert copy["harness"]["metrics"]["real_time"]["summary"]["n"] == 3
    assert (fails["status"], fails["samples"]) == ("failed", {})
    assert fails["notes"] == ["the harness reports a failure: no input file"]

    only = benchmark_dicts(harness.read(FIX / "google_benchmark" / "aggregates-only.json"))[0]
    assert only["samples"] == {}
    assert only["harness"]["metrics"]["real_time"]["evidence"] == "summary"

    single = benchmark_dicts(harness.read(FIX / "github_action_benchmark" / "bigger.json",
                                          "custom-bigger-is-better"))[0]
    assert single["samples"] == {}
    assert single["harness"]["metrics"]["value"] == {
        "unit": "req/s", "direction": "bigger", "evidence": "single", "reported": 5123.4}


def test_hyperfine_user_and_sys_means_are_not_samples() -> None:
    entry = benchmark_dicts(harness.read(FIX / "hyperfine" / "ignore-failure.json"))[0]
    assert set(entry["samples"]) == {"wall"}
    assert entry["harness"]["metrics"]["user"] == {
        "unit": "s", "direction": "smaller", "evidence": "single",
        "summary": {"n": 4, "mean": 0.000566}}


def test_metric_names_become_results_metric_names_and_keep_the_harness_name() -> None:
    from lanebench.harness.benchmarks import metric_key

    assert metric_key("compares/op") == "compares_per_op"
    assert metric_key("CacheMisses") == "cachemisses"
    assert metric_key("9lives") == "m_9lives"
    out = harness.read(FIX / "go" / "count5.txt")
    (entry,) = [e for e in benchmark_dicts(out) if e["name"].endswith("BenchmarkSortStrings")]
    assert entry["samples"]["compares_per_op"] == [856.0] * 5
    assert entry["harness"]["metrics"]["compares_per_op"]["name"] == "compares/op"
