"""The per-run history record: round trip, bounds, and refusals of hostile files."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from lanebench.history_store import (
    BenchmarkPoint,
    History,
    HistoryError,
    Limits,
    MetricPoint,
    Runner,
    RunRecord,
    append_run,
    history_from_dict,
    history_from_json,
    history_to_dict,
    history_to_json,
)


def record(i: int, wall: float = 0.5) -> RunRecord:
    return RunRecord(
        commit=f"{i:040x}",
        date=f"2025-02-{i % 28 + 1:02d}T10:00:00Z",
        runners=(Runner("sha256:0123456789abcdef", {"wall": 0.101, "cpu": 0.1}),),
        benchmarks={
            "parse": BenchmarkPoint({
                "wall": MetricPoint(wall, 30, wall * 0.99, wall * 1.01),
                "maxrss": MetricPoint(12_000_000.0, 30, 11_900_000.0, 12_100_000.0),
            }),
            "tiny": BenchmarkPoint({"wall": MetricPoint(0.01, 3, None, None)}),
        },
        instruments={"time": "lanebench 1.2.0"},
    )


def good() -> dict[str, Any]:
    return history_to_dict(History(runs=(record(1), record(2))))


def test_round_trip_is_exact_and_compact() -> None:
    history = History(runs=tuple(record(i) for i in range(5)))
    text = history_to_json(history)
    assert history_from_json(text) == history
    assert "\n" not in text and ": " not in text
    point = json.loads(text)["runs"][0]["benchmarks"]["parse"]["metrics"]["wall"]
    assert point == [0.5, 30, 0.495, 0.505, "time"]


def test_two_hundred_runs_of_twenty_benchmarks_stay_near_a_megabyte() -> None:
    bench = BenchmarkPoint({m: MetricPoint(0.123456, 30, 0.12, 0.13) for m in ("wall", "cpu", "maxrss", "read_chars", "write_chars")})
    run = RunRecord(commit="a" * 40, date="2025-01-01T00:00:00Z", runners=(Runner("sha256:" + "0" * 16),),
                    benchmarks={f"benchmark-{i:02d}": bench for i in range(20)})
    history = History(runs=tuple(RunRecord(**{**run.__dict__, "commit": f"{i:040x}"}) for i in range(200)))
    assert len(history_to_json(history)) < 1_300_000


def test_append_keeps_the_last_runs_and_a_rerun_replaces_its_commit_in_place() -> None:
    history = None
    for i in range(205):
        history = append_run(history, record(i))
    assert history is not None
    assert len(history.runs) == 200
    assert history.runs[0].commit == f"{5:040x}"
    again = append_run(history, record(100, wall=0.7))
    assert len(again.runs) == 200
    assert [r.commit for r in again.runs] == [r.commit for r in history.runs]
    assert again.runs[95].benchmarks["parse"].metrics["wall"].median == 0.7
    assert len(append_run(None, record(1), keep=3).runs) == 1


def test_series_and_keys() -> None:
    runs = [record(1), record(2), record(3)]
    runs[1] = RunRecord(**{**runs[1].__dict__, "benchmarks": {"parse": runs[1].benchmarks["parse"]}})
    history = History(runs=tuple(runs))
    assert history.keys() == [("parse", "wall"), ("parse", "maxrss"), ("tiny", "wall")]
    assert [i for i, _ in history.series("tiny", "wall")] == [0, 2]


def mutate(path: str, value: Any) -> dict[str, Any]:
    """good() with the value at a dotted path (list indices as numbers) replaced."""
    data = copy.deepcopy(good())
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


WALL = "runs.0.benchmarks.parse.metrics.wall"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("runs", {"a": 1}, "runs: expected a list, got an object"),
        ("runs.0", "x", "runs[0]: expected an object, got a string"),
        ("runs.0.commit", 12345678, "runs[0].commit: expected a string, got an integer"),
        ("runs.0.commit", "not-hex!", "runs[0].commit: expected 7 to 64 lowercase hex digits"),
        ("runs.0.date", "yesterday", "runs[0].date: expected an ISO 8601 date and time"),
        ("runs.0.runners", None, "runs[0].runners: expected a list, got null"),
        ("runs.0.runners.0.calibration", {"wall": -1}, "calibration.wall: expected a finite number > 0"),
        ("runs.0.benchmarks.parse.runner", 3, 'benchmarks["parse"].runner: expected 0 to 0, got 3'),
        ("runs.0.benchmarks.parse.runner", True, "expected an integer, got a boolean"),
        ("runs.0.benchmarks.parse.metrics", [], 'benchmarks["parse"].metrics: expected an object, got a list'),
        (WALL, [0.5, 30, 0.4], "expected [median, n, low, high, instrument], got 3 items"),
        (WALL, {"median": 0.5}, "expected a list, got an object"),
        (WALL, ["0.5", 30, None, None, "time"], "wall[0] (median): expected a number, got a string"),
        (WALL, [1e999, 30, None, None, "time"], "wall[0] (median): expected a finite number >= 0"),
        (WALL, [-0.5, 30, None, None, "time"], "wall[0] (median): expected a finite number >= 0"),
        (WALL, [0.5, 0, None, None, "time"], "wall[1] (n): expected 1 to 1000000000, got 0"),
        (WALL, [0.5, 2.5, None, None, "time"], "wall[1] (n): expected an integer, got a number"),
        (WALL, [0.5, 3, 0.4, None, "time"], "low and high must both be numbers or both be null"),
        (WALL, [0.5, 3, 0.6, 0.7, "time"], "the interval [0.6, 0.7] does not hold the median 0.5"),
        (WALL, [0.5, 3, None, None, ""], "wall[4] (instrument): expected 1 to 200 characters, got 0"),
        (WALL, [0.5, 3, None, None, "x" * 201], "expected 1 to 200 characters, got 201"),
        (WALL, [0.5, 3, None, None, "ti\nme"], "control characters are not allowed"),
        ("version", 2, "history version 2 is not supported by this lanebench (reads 1) (upgrade lanebench)"),
        ("version", "1", "version: expected an integer, got a string"),
        ("format", "lanebench-results", "format: expected 'lanebench-history'"),
        ("confidence", 1.5, "confidence: expected a number in (0, 1)"),
    ],
)
def test_hostile_values_are_refused_with_one_line_naming_where(path: str, value: Any, message: str) -> None:
    with pytest.raises(HistoryError) as err:
        history_from_dict(mutate(path, value), source="baseline/history.json")
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith("baseline/history.json: ")
    assert message in text


def test_sizes_are_bounded() -> None:
    small = Limits(runs=1, benchmarks=1, points=2)
    with pytest.raises(HistoryError, match="runs: 2 entries, at most 1 allowed"):
        history_from_dict(good(), limits=small)
    one = copy.deepcopy(good())
    one["runs"] = one["runs"][:1]
    with pytest.raises(HistoryError, match=r"runs\[0\].benchmarks: 2 entries, at most 1 allowed"):
        history_from_dict(one, limits=Limits(benchmarks=1))
    with pytest.raises(HistoryError, match="more than 2 values in the history"):
        history_from_dict(one, limits=Limits(points=2))
    with pytest.raises(HistoryError, match="history is 21 bytes, at most 20 allowed"):
        history_from_json(b'{"format": "xxxxxxx"}', limits=Limits(bytes=20))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"", "not valid JSON"),
        (b'{"format": "lanebench-history", "version": 1, "runs": [', "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b'{"format": "lanebench-history", "version": 1, "confidence": NaN, "runs": []}', "NaN is not a number"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "top level: expected an object, got a list"),
    ],
)
def test_unreadable_text_is_refused(text: bytes, message: str) -> None:
    with pytest.raises(HistoryError, match=message):
        history_from_json(text, source="h.json")
