"""The instructions instrument's parts: config, the choice of instruments, the results block,
compare on counts (exact, range, noisy, fingerprint mismatch), the reports and the advice.

Profiles are real cachegrind output (tests/fixtures/cachegrind, made by its make.sh): base
and head of one C program whose `slow_part` does 20% more work in head.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lanebench.advice import recommend
from lanebench.config import LaneSettings, config_from_dict
from lanebench.errors import ConfigError, LanebenchError
from lanebench.profile.cachegrind import read_tree
from lanebench.profile.store import compact_profile
from lanebench.report import ReportContext
from lanebench.report.html import render_html
from lanebench.report.markdown import render_comment
from lanebench.report.terminal import comparison_notes
from lanebench.results import (
    BenchmarkResult,
    InstructionCounts,
    ResultsDocument,
    RunInfo,
    read_results,
    write_results,
)
from lanebench.runner.counted import choose_instruments, declared_instrument
from lanebench.runner.instruments.valgrind import InstrumentError
from lanebench.stats import compare

FIXTURES = Path(__file__).parent / "fixtures" / "cachegrind"
BUILD_DIR = "/work/wt/counts/tests/fixtures/cachegrind/build"  # where make.sh compiled work.c
FINGERPRINT = {"tool": "cachegrind", "valgrind": "3.19.0", "arch": "x86_64", "cache_sim": False,
               "hash_seed": {"PYTHONHASHSEED": "0"}, "aslr": "off (setarch -R)"}


def config(**bench: object) -> dict:
    return {"version": 1, "benchmarks": [{"name": "b", "command": ["true"], **bench}]}


# --- config ---------------------------------------------------------------------------------


def test_instrument_is_read_per_benchmark_and_per_lane() -> None:
    cfg = config_from_dict({
        **config(instrument=["time", "instructions"], cache_sim=True),
        "defaults": {"instrument": "instructions", "repeats": 2, "thresholds": {"instructions": "0.5%"}},
    })
    spec, lane = cfg.benchmarks[0], cfg.lanes["standard"]
    assert spec.instrument == ["time", "instructions"] and spec.cache_sim is True
    assert lane.instrument == "instructions" and lane.repeats == 2
    assert lane.thresholds.for_metric("instructions", "count") == 0.005
    assert LaneSettings().thresholds.for_metric("instructions", "count") == 0.01  # default 1%
    assert LaneSettings().thresholds.for_metric("peak_threads", "count") == 0.10  # unchanged


@pytest.mark.parametrize("value, message", [
    ("cycles", "benchmarks[0].instrument"),
    ([], "at least one instrument"),
    (["time", "time"], "named twice"),
])
def test_a_bad_instrument_is_one_line_naming_the_key(value: object, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict(config(instrument=value))
    assert message in str(err.value) and "\n" not in str(err.value)


# --- which instruments measure a benchmark -------------------------------------------------


def test_auto_counts_where_valgrind_is_and_says_so_where_it_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANEBENCH_INSTRUMENT", raising=False)
    cfg = config_from_dict(config())
    spec, lane = cfg.benchmarks[0], cfg.lanes["standard"]
    assert declared_instrument(spec, lane) == "auto"
    found = choose_instruments([spec], lane, valgrind="/usr/bin/valgrind")["b"]
    assert (found.time, found.instructions, found.note) == (True, True, None)
    missing = choose_instruments([spec], lane, valgrind=None, missing="'valgrind' is not on PATH")["b"]
    assert (missing.time, missing.instructions) == (True, False)
    assert missing.note is not None and "apt-get install valgrind" in missing.note


def test_the_environment_sets_what_a_config_leaves_open(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = config_from_dict(config())
    spec, lane = cfg.benchmarks[0], cfg.lanes["standard"]
    monkeypatch.setenv("LANEBENCH_INSTRUMENT", "time,instructions")
    assert declared_instrument(spec, lane) == ["time", "instructions"]
    assert declared_instrument(config_from_dict(config(instrument="time")).benchmarks[0], lane) == "time"
    monkeypatch.setenv("LANEBENCH_INSTRUMENT", "cycles")
    with pytest.raises(ConfigError, match="LANEBENCH_INSTRUMENT='cycles'"):
        declared_instrument(spec, lane)


def test_naming_instructions_without_valgrind_is_a_usage_error() -> None:
    cfg = config_from_dict(config(instrument="instructions"))
    with pytest.raises(InstrumentError) as err:
        choose_instruments(cfg.benchmarks, cfg.lanes["standard"], valgrind=None,
                           missing="'valgrind' is not on PATH")
    assert err.value.exit_code == 2
    assert "benchmark b" in str(err.value) and "apt-get install valgrind" in str(err.value)


def test_the_cli_stops_before_measuring_when_valgrind_is_missing(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "lanebench.yml").write_text(
        "version: 1\nbenchmarks:\n  - name: b\n    command: [python3, -c, pass]\n    instrument: instructions\n")
    bin_dir = tmp_path / "bin"  # a PATH with python3 and git but no valgrind
    bin_dir.mkdir()
    for tool in ("python3", "git"):
        found = subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip()
        (bin_dir / tool).symlink_to(found)
    env = {**os.environ, "PATH": str(bin_dir)}
    done = subprocess.run([sys.executable, "-m", "lanebench", "run", "-c", ".github/lanebench.yml"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs valgrind" in lines[0] and "apt-get install valgrind" in lines[0]
    assert not (tmp_path / "lanebench-results.json").exists()


# --- the results block ---------------------------------------------------------------------


def stored(which: str) -> dict:
    return compact_profile(read_tree(FIXTURES / which), roots=[BUILD_DIR])


def document(counts: list[float], *, which: str = "base", fingerprint: dict | None = None,
             walls: list[float] | None = None) -> ResultsDocument:
    samples = {"instructions": counts}
    if walls is not None:
        samples["wall"] = walls
    block = InstructionCounts(fingerprint=dict(fingerprint or FINGERPRINT), profile=stored(which),
                              repeats=len(counts), cache_sim=False)
    bench = BenchmarkResult(name="work", command=["./work"], samples=samples, instructions=block)
    return ResultsDocument(run=RunInfo(commit="c" * 40), environment={}, benchmarks=[bench])


def test_the_block_and_both_instruments_samples_survive_a_round_trip(tmp_path: Path) -> None:
    doc = document([1e6, 1e6, 1e6], walls=[0.1] * 10)
    write_results(tmp_path / "r.json", doc)
    back = read_results(tmp_path / "r.json")
    assert back.to_dict() == doc.to_dict()
    assert back.schema_version == "1.4.0"
    bench = back.benchmarks[0]
    assert bench.instructions is not None and bench.instructions.profile == stored("base")
    assert bench.n == 10  # iterations of time; the repeats are their own count


def test_a_benchmark_counted_alone_has_its_repeats_for_n() -> None:
    assert document([5.0, 5.0]).benchmarks[0].n == 2


def test_a_damaged_profile_envelope_is_refused_with_its_path(tmp_path: Path) -> None:
    raw = document([1e6]).to_dict()
    raw["benchmarks"][0]["instructions"]["profile"]["totals"] = ["many"]
    (tmp_path / "r.json").write_text(json.dumps(raw))
    with pytest.raises(LanebenchError, match=r"benchmarks\[0\]\.instructions\.profile"):
        read_results(tmp_path / "r.json")


def test_time_metrics_of_unequal_length_are_still_refused(tmp_path: Path) -> None:
    raw = document([1e6], walls=[0.1, 0.2]).to_dict()
    raw["benchmarks"][0]["samples"]["cpu"] = [0.1]
    (tmp_path / "r.json").write_text(json.dumps(raw))
    with pytest.raises(LanebenchError, match="different sample counts"):
        read_results(tmp_path / "r.json")


# --- compare -------------------------------------------------------------------------------

BASE_TOTAL = read_tree(FIXTURES / "base").total()
HEAD_TOTAL = read_tree(FIXTURES / "head").total()


def instruction_row(comparison):  # type: ignore[no-untyped-def]
    return next(m for m in comparison.metrics if m.metric == "instructions")


def test_identical_repeats_compare_exactly_and_name_the_function() -> None:
    base = document([BASE_TOTAL] * 3, which="base")
    head = document([HEAD_TOTAL] * 3, which="head")
    comparison = compare(base, head, lane=LaneSettings())
    row = instruction_row(comparison)
    assert row.verdict == "regression" and row.method == "counts (exact)"
    assert row.ratio == pytest.approx(HEAD_TOTAL / BASE_TOTAL)
    assert row.p_value is None and row.p_adjusted is None
    assert comparison.settings["family_size"] == 0  # not a test: no share of α
    top = row.extra["functions"][0]
    assert (top["function"], top["file"]) == ("slow_part", "work.c")
    assert top["change"] == 168006 - 140005 and top["share"] > 0.99


def test_the_same_count_is_unchanged_and_a_small_change_within_the_threshold_too() -> None:
    base = document([1_000_000.0] * 3)
    assert instruction_row(compare(base, document([1_000_000.0] * 3), lane=LaneSettings())).verdict == "unchanged"
    assert instruction_row(compare(base, document([1_009_000.0] * 3), lane=LaneSettings())).verdict == "unchanged"
    assert instruction_row(compare(base, document([1_010_000.0] * 3), lane=LaneSettings())).verdict == "regression"


def test_repeats_a_few_instructions_apart_compare_by_their_range() -> None:
    base = document([1_000_000.0, 1_000_050.0, 1_000_020.0])
    row = instruction_row(compare(base, document([1_100_000.0, 1_100_030.0, 1_100_001.0]), lane=LaneSettings()))
    assert row.verdict == "regression" and row.method == "counts (range)"
    assert row.ci_low == pytest.approx(1_100_000 / 1_000_050)


def test_noisy_counts_go_to_the_two_sample_tests() -> None:
    base = document([1_000_000.0, 1_050_000.0, 980_000.0])
    row = instruction_row(compare(base, document([1_020_000.0, 990_000.0, 1_060_000.0]), lane=LaneSettings()))
    assert row.method == "mann-whitney" and row.verdict in ("insufficient data", "inconclusive")


def test_another_instrument_is_stated_and_never_compared() -> None:
    base = document([1_000_000.0] * 3)
    head = document([2_000_000.0] * 3, fingerprint={**FINGERPRINT, "valgrind": "3.22.0"})
    row = instruction_row(compare(base, head, lane=LaneSettings()))
    assert row.verdict == "inconclusive"
    assert "valgrind: 3.19.0 (base) vs 3.22.0 (head)" in row.reason
    assert row.extra["fingerprint_differences"] == ["valgrind: 3.19.0 (base) vs 3.22.0 (head)"]


def test_a_lane_threshold_applies_to_counts() -> None:
    lane = config_from_dict({**config(), "defaults": {"thresholds": {"instructions": "5%"}}}).lanes["standard"]
    row = instruction_row(compare(document([100.0] * 2), document([103.0] * 2), lane=lane))
    assert row.verdict == "unchanged" and row.threshold == 0.05


# --- reports and advice ----------------------------------------------------------------------


def test_every_report_shows_where_the_instructions_went() -> None:
    base = document([BASE_TOTAL] * 3, which="base")
    head = document([HEAD_TOTAL] * 3, which="head")
    comparison = compare(base, head, lane=LaneSettings())
    advice = recommend(comparison, head, base, None)
    ctx = ReportContext(head=head, comparison=comparison, base=base, advice=advice)

    comment = render_comment(ctx)
    assert "<details><summary>Where the instructions went: work, functions (machine code)" in comment
    assert "| slow\\_part (work.c) | 140,005 | 168,006 | +28.0k |" in comment
    first = advice[0]
    assert first.kind == "more-instructions" and first.evidence["function"]["function"] == "slow_part"
    assert "slow_part (work.c): +28.0k instructions" in first.text
    html = render_html(ctx)
    assert 'id="where-instructions-went"' in html and "slow_part (work.c)" in html
    assert any("slow_part (work.c)" in line for line in comparison_notes(comparison))


def test_an_unchanged_count_shows_no_function_table() -> None:
    base = document([BASE_TOTAL] * 3, which="base")
    comparison = compare(base, document([BASE_TOTAL] * 3, which="base"), lane=LaneSettings())
    assert "Where the instructions went" not in render_comment(ReportContext(head=base, comparison=comparison, base=base))
    assert not [a for a in recommend(comparison, base, base, None) if a.kind == "more-instructions"]


# --- auto: counts where valgrind runs the command and the budget allows ------------------------


def timed_doc(walls: list[float], *, spent: float) -> ResultsDocument:
    bench = BenchmarkResult(name="b", command=["true"], samples={"wall": walls})
    return ResultsDocument(run=RunInfo(measuring_seconds=spent), environment={}, benchmarks=[bench])


def test_auto_skips_counting_that_would_exceed_the_budget_and_says_so() -> None:
    from lanebench.runner.counted import InstrumentChoice, affordable

    lane = LaneSettings(budget=100.0, repeats=3)
    spec = config_from_dict(config()).benchmarks[0]
    auto = {"b": InstrumentChoice(True, True, "auto")}
    assert affordable(timed_doc([0.1] * 5, spent=10.0), [spec], lane, auto) == {}  # ~16 s fits
    skipped = affordable(timed_doc([1.0] * 5, spent=10.0), [spec], lane, auto)["b"]  # ~160 s does not
    assert skipped.instructions is False and skipped.time is True
    assert skipped.note is not None and "exceed the lane's budget" in skipped.note
    named = {"b": InstrumentChoice(False, True, "instructions")}
    assert affordable(timed_doc([1.0] * 5, spent=10.0), [spec], lane, named) == {}


def test_auto_keeps_the_time_results_of_a_command_valgrind_cannot_run() -> None:
    from lanebench.results import Failure
    from lanebench.runner.counted import merge_benchmark

    def timed() -> BenchmarkResult:
        return BenchmarkResult(name="b", command=["x"], samples={"wall": [0.1, 0.1]})

    counted = BenchmarkResult(name="b", command=["x"], samples={"instructions": []}, status="failed",
                              failures=[Failure(iteration=1, status="failed", message="under valgrind: exited with code 1")])
    kept = merge_benchmark(timed(), counted, optional=True)
    assert kept.status == "ok" and kept.failures == [] and "instructions" not in kept.samples
    assert "failed under valgrind (under valgrind: exited with code 1)" in kept.notes[-1]
    named = merge_benchmark(timed(), counted, optional=False)  # `instrument: instructions`: it fails
    assert named.status == "failed" and named.failures[0].message.startswith("instructions: ")
