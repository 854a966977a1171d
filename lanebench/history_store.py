"""The history of main-branch runs: one compact record per run, bounded, carried forward.

Each baseline job on main appends the record of its own run to the history the previous
baseline carried, keeps the last `DEFAULT_KEEP` (200) and hands it on. Trends and change
points (`lanebench.stats.trends`) are computed from it alone: no raw samples, no results
files of old runs.

A record holds, per run: the commit and when the run finished; the runners the run used
(a fingerprint of the machine and its calibration medians: one runner today, several
once a suite is split over matrix jobs); the instruments' fingerprints (what measured:
`time` for today's process-tree measurement, `instructions` for an instruction counter
with its tool version); and per benchmark x metric the run's median, its iteration count
n, the median's distribution-free interval at the history's `confidence` and the
instrument that measured it. On disk (JSON) a point is a five-element list, which keeps
200 runs x 20 benchmarks x 5 metrics near 1 MB:

    {"format": "lanebench-history", "version": 1, "confidence": 0.95,
     "runs": [{"commit": "3f2a…", "date": "2025-01-31T12:00:00+00:00",
               "runners": [{"fingerprint": "sha256:…", "calibration": {"wall": 0.101, "cpu": 0.1}}],
               "instruments": {"time": "lanebench 1.2.0"},
               "benchmarks": {"parse": {"runner": 0,
                                        "metrics": {"wall": [0.1234, 30, 0.122, 0.125, "time"]}}}}]}

(`[median, n, low, high, instrument]`; low and high are null when n is too small for an
interval.) Runs are kept in the order their commits were first measured; a re-run of a
commit replaces that commit's record in place, so every commit is one point.

The reader treats the file as untrusted: a downloaded artifact or a hand-edited file may
hold anything. Every value's type is checked before use, sizes are bounded (`LIMITS`),
and a bad file is refused with one line naming the offending path and the fix.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from lanebench.errors import ResultsError

HISTORY_FORMAT = "lanebench-history"
HISTORY_VERSION = 1
DEFAULT_KEEP = 200
DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Limits:
    """What a reader accepts at most; a file beyond any of these is refused."""

    bytes: int = 64 * 1024 * 1024
    runs: int = 1000
    benchmarks: int = 1000  # per run
    metrics: int = 64  # per benchmark
    runners: int = 64  # per run
    instruments: int = 16  # per run
    calibration: int = 8  # measures per runner
    points: int = 2_000_000  # benchmark x metric values in the whole file
    name: int = 200  # characters in a benchmark, metric, instrument or measure name
    text: int = 300  # characters in a fingerprint or a date


LIMITS = Limits()
COMMIT = re.compile(r"[0-9a-f]{7,64}")
MAX_N = 10**9


class HistoryError(ResultsError):
    """A history file or block that cannot be read."""


@dataclass(frozen=True)
class Runner:
    """The machine one part of a run was measured on."""

    fingerprint: str  # digest of what makes machines differ in speed (CPU model, cores, ...)
    calibration: Mapping[str, float] = field(default_factory=dict)  # measure -> median seconds


@dataclass(frozen=True)
class MetricPoint:
    """One benchmark x metric in one run."""

    median: float
    n: int
    low: float | None  # the median's interval at the history's confidence
    high: float | None
    instrument: str = "time"


@dataclass(frozen=True)
class BenchmarkPoint:
    metrics: Mapping[str, MetricPoint]
    runner: int = 0  # index into RunRecord.runners


@dataclass(frozen=True)
class RunRecord:
    """One main-branch run."""

    commit: str
    date: str  # ISO 8601, when the run finished
    runners: tuple[Runner, ...]
    benchmarks: Mapping[str, BenchmarkPoint]
    instruments: Mapping[str, str] = field(default_factory=dict)  # name -> fingerprint

    def runner_of(self, benchmark: str) -> Runner | None:
        point = self.benchmarks.get(benchmark)
        if point is None or not 0 <= point.runner < len(self.runners):
            return None
        return self.runners[point.runner]


@dataclass(frozen=True)
class History:
    """Main's runs, oldest first."""

    runs: tuple[RunRecord, ...] = ()
    confidence: float = DEFAULT_CONFIDENCE

    def series(self, benchmark: str, metric: str) -> list[tuple[int, MetricPoint]]:
        """(run index, point) of every run that measured this benchmark x metric."""
        out = []
        for i, run in enumerate(self.runs):
            bench = run.benchmarks.get(benchmark)
            point = bench.metrics.get(metric) if bench is not None else None
            if point is not None:
                out.append((i, point))
        return out

    def keys(self) -> list[tuple[str, str]]:
        """Every benchmark x metric of the history, in order of first appearance."""
        seen: dict[tuple[str, str], None] = {}
        for run in self.runs:
            for name, bench in run.benchmarks.items():
                for metric in bench.metrics:
                    seen.setdefault((name, metric), None)
        return list(seen)


def append_run(history: History | None, run: RunRecord, keep: int = DEFAULT_KEEP) -> History:
    """`history` with `run` as its newest record, bounded to the last `keep` runs.

    A run of a commit already in the history replaces that record where it stands (a
    re-run measures the same commit again; one commit is one point of every series).
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    history = history or History()
    runs = list(history.runs)
    same = [i for i, r in enumerate(runs) if r.commit == run.commit]
    if same:
        runs[same[-1]] = run
        runs = [r for i, r in enumerate(runs) if i == same[-1] or r.commit != run.commit]
    else:
        runs.append(run)
    return replace(history, runs=tuple(runs[-keep:]))


# --- writing ------------------------------------------------------------------------------


def _point_list(p: MetricPoint) -> list[Any]:
    return [p.median, p.n, p.low, p.high, p.instrument]


def history_to_dict(history: History) -> dict[str, Any]:
    return {
        "format": HISTORY_FORMAT,
        "version": HISTORY_VERSION,
        "confidence": history.confidence,
        "runs": [
            {
                "commit": r.commit,
                "date": r.date,
                "runners": [
                    {"fingerprint": x.fingerprint, "calibration": dict(x.calibration)} for x in r.runners
                ],
                "instruments": dict(r.instruments),
                "benchmarks": {
                    name: {"runner": b.runner, "metrics": {m: _point_list(p) for m, p in b.metrics.items()}}
                    for name, b in r.benchmarks.items()
                },
            }
            for r in history.runs
        ],
    }


def history_to_json(history: History) -> str:
    """Compact JSON (no indentation: the file is read by programs, and its size matters)."""
    return json.dumps(history_to_dict(history), separators=(",", ":"), allow_nan=False)


# --- reading (untrusted input) --------------------------------------------------------------


class _Reader:
    def __init__(self, source: str, limits: Limits) -> None:
        self.source = source
        self.limits = limits
        self.points = 0

    def fail(self, where: str, problem: str) -> HistoryError:
        return HistoryError(
            f"{self.source}: {where}: {problem}",
            hint="the history is refused whole; delete it to start a new one, or restore a good copy",
        )

    def obj(self, value: Any, where: str, most: int | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, got {_kind(value)}")
        if most is not None and len(value) > most:
            raise self.fail(where, f"{len(value)} entries, at most {most} allowed")
        return value

    def list(self, value: Any, where: str, most: int) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {_kind(value)}")
        if len(value) > most:
            raise self.fail(where, f"{len(value)} entries, at most {most} allowed")
        return value

    def text(self, value: Any, where: str, most: int) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, got {_kind(value)}")
        if not value or len(value) > most:
            raise self.fail(where, f"expected 1 to {most} characters, got {len(value)}")
        if any(ord(c) < 32 for c in value):
            raise self.fail(where, "control characters are not allowed")
        return value

    def name(self, value: Any, where: str) -> str:
        return self.text(value, where, self.limits.name)

    def number(self, value: Any, where: str, *, positive: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"expected a number, got {_kind(value)}")
        number = float(value)
        if not math.isfinite(number) or number < 0 or (positive and number == 0):
            raise self.fail(where, f"expected a finite number {'> 0' if positive else '>= 0'}, got {value!r}")
        return number

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected an integer, got {_kind(value)}")
        if not low <= value <= high:
            raise self.fail(where, f"expected {low} to {high}, got {value}")
        return value

    def point(self, value: Any, where: str) -> MetricPoint:
        items = self.list(value, where, 5)
        if len(items) != 5:
            raise self.fail(where, f"expected [median, n, low, high, instrument], got {len(items)} items")
        median = self.number(items[0], f"{where}[0] (median)")
        n = self.integer(items[1], f"{where}[1] (n)", 1, MAX_N)
        low = None if items[2] is None else self.number(items[2], f"{where}[2] (low)")
        high = None if items[3] is None else self.number(items[3], f"{where}[3] (high)")
        if (low is None) != (high is None):
            raise self.fail(where, "low and high must both be numbers or both be null")
        if low is not None and high is not None and not low <= median <= high:
            raise self.fail(where, f"the interval [{low!r}, {high!r}] does not hold the median {median!r}")
        instrument = self.name(items[4], f"{where}[4] (instrument)")
        self.points += 1
        if self.points > self.limits.points:
            raise self.fail(where, f"more than {self.limits.points} values in the history")
        return MetricPoint(median=median, n=n, low=low, high=high, instrument=instrument)

    def runner(self, value: Any, where: str) -> Runner:
        d = self.obj(value, where)
        fingerprint = self.text(d.get("fingerprint"), f"{where}.fingerprint", self.limits.text)
        raw = self.obj(d.get("calibration", {}), f"{where}.calibration", self.limits.calibration)
        calibration = {
            self.name(k, f"{where}.calibration key"): self.number(v, f"{where}.calibration.{k}", positive=True)
            for k, v in raw.items()
        }
        return Runner(fingerprint=fingerprint, calibration=calibration)

    def run(self, value: Any, where: str) -> RunRecord:
        lim = self.limits
        d = self.obj(value, where)
        commit = self.text(d.get("commit"), f"{where}.commit", 64)
        if not COMMIT.fullmatch(commit):
            raise self.fail(f"{where}.commit", f"expected 7 to 64 lowercase hex digits, got {commit!r}")
        date = self.text(d.get("date"), f"{where}.date", lim.text)
        if parse_date(date) is None:
            raise self.fail(f"{where}.date", f"expected an ISO 8601 date and time, got {date!r}")
        runners = tuple(
            self.runner(r, f"{where}.runners[{i}]")
            for i, r in enumerate(self.list(d.get("runners"), f"{where}.runners", lim.runners))
        )
        instruments = {
            self.name(k, f"{where}.instruments key"): self.text(v, f"{where}.instruments.{k}", lim.text)
            for k, v in self.obj(d.get("instruments", {}), f"{where}.instruments", lim.instruments).items()
        }
        benchmarks: dict[str, BenchmarkPoint] = {}
        for name, raw in self.obj(d.get("benchmarks"), f"{where}.benchmarks", lim.benchmarks).items():
            at = f"{where}.benchmarks[{json.dumps(name)[:60]}]"
            self.name(name, at)
            b = self.obj(raw, at)
            runner = self.integer(b.get("runner", 0), f"{at}.runner", 0, max(0, len(runners) - 1))
            metrics = {
                self.name(m, f"{at}.metrics key"): self.point(p, f"{at}.metrics.{m}")
                for m, p in self.obj(b.get("metrics"), f"{at}.metrics", lim.metrics).items()
            }
            benchmarks[name] = BenchmarkPoint(metrics=metrics, runner=runner)
        return RunRecord(commit=commit, date=date, runners=runners, benchmarks=benchmarks, instruments=instruments)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def parse_date(text: str) -> datetime | None:
    """An ISO 8601 date-time (a trailing Z allowed, as Python 3.10 does not read it), or None."""
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None


def history_from_dict(data: Any, *, source: str = "<history>", limits: Limits = LIMITS) -> History:
    """A validated History; HistoryError (one line: where, what, the fix) otherwise."""
    reader = _Reader(source, limits)
    d = reader.obj(data, "top level")
    if d.get("format") != HISTORY_FORMAT:
        raise reader.fail("format", f"expected {HISTORY_FORMAT!r}, got {str(d.get('format'))[:40]!r}")
    version = reader.integer(d.get("version"), "version", 1, 10**6)
    if version != HISTORY_VERSION:
        raise HistoryError(
            f"{source}: history version {version} is not supported by this lanebench "
            f"(reads {HISTORY_VERSION})",
            hint="upgrade lanebench" if version > HISTORY_VERSION else "start a new history",
        )
    confidence = reader.number(d.get("confidence", DEFAULT_CONFIDENCE), "confidence", positive=True)
    if not confidence < 1:
        raise reader.fail("confidence", f"expected a number in (0, 1), got {confidence!r}")
    runs = tuple(
        reader.run(r, f"runs[{i}]") for i, r in enumerate(reader.list(d.get("runs"), "runs", limits.runs))
    )
    return History(runs=runs, confidence=confidence)


def history_from_json(text: str | bytes, *, source: str = "<history>", limits: Limits = LIMITS) -> History:
    """Parse and validate a history file's content, refusing an oversized one before parsing."""
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > limits.bytes:
        raise HistoryError(
            f"{source}: history is {size} bytes, at most {limits.bytes} allowed",
            hint="delete it to start a new one",
        )
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc) or type(exc).__name__
        raise HistoryError(f"{source}: history is not valid JSON: {message}",
                           hint="delete it to start a new one") from None
    return history_from_dict(data, source=source, limits=limits)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")
