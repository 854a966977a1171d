"""The results document's parts, typed, each with its one reader and its one writer.

A part is a dataclass with `read(checks, raw, where)`, which checks untrusted JSON and
returns the part (a ResultsError naming the path otherwise), and `to_dict()`. The
owners (`ResultsDocument`, `RunInfo`, `BenchmarkResult`) list their optional parts as
fields made by `block()` or `scalar()`: reading and writing find them there, so adding a
part to the file is adding its class here and one field to its owner. Keys a part does
not know (a newer minor version's) are kept in its `extra` and written back as read.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from lanebench.history_store import History, history_from_dict, history_to_dict
from lanebench.results.checks import Checks

SCHEMA_VERSION = "1.4.0"
SUPPORTED_MAJOR = 1
KIND = "lanebench-results"

BenchmarkStatus = Literal["ok", "failed", "timeout", "skipped", "carried_over", "interrupted"]
FailureStatus = Literal["failed", "timeout", "error"]
RunStatus = Literal["complete", "interrupted", "running"]
RUN_STATUSES: tuple[RunStatus, ...] = ("complete", "interrupted", "running")
BENCHMARK_STATUSES: tuple[BenchmarkStatus, ...] = (
    "ok", "failed", "timeout", "skipped", "carried_over", "interrupted",
)
FAILURE_STATUSES: tuple[FailureStatus, ...] = ("failed", "timeout", "error")

Samples = dict[str, list[float]]  # metric name -> one value per measured iteration


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


# --- how owners declare their optional parts ------------------------------------------


@dataclass(frozen=True)
class Part:
    """An optional part of an owner: the key it has in the file, how to read and write it."""

    key: str
    read: Callable[[Checks, dict[str, Any], str], Any]  # (checks, owner's raw dict, where)
    write: Callable[[Any], Any]


def block(key: str, kind: Any, *, many: bool = False) -> Any:
    """A field holding the part `kind` (a class with `read` and `to_dict`) found under
    `key`, or a list of them with `many`; None when the file has none."""

    def read(checks: Checks, raw: dict[str, Any], where: str) -> Any:
        at = _at(where, key)
        if not many:
            return kind.read(checks, raw[key], at)
        items = raw[key]
        if not isinstance(items, list):
            raise checks.fail(at, "a list", items)
        return [kind.read(checks, item, f"{at}[{i}]") for i, item in enumerate(items)]

    def write(value: Any) -> Any:
        return [item.to_dict() for item in value] if many else value.to_dict()

    return field(default=None, metadata={"part": Part(key, read, write)})


def main_runs(key: str) -> Any:
    """A field holding the per-run record of main (`lanebench.history_store`, read with
    that module's own limits and checks); None when the file has none."""

    def read(checks: Checks, raw: dict[str, Any], where: str) -> History:
        return history_from_dict(raw[key], source=f"{checks.source}: {_at(where, key)}")

    return field(default=None, metadata={"part": Part(key, read, history_to_dict)})


def scalar(key: str, check: Callable[[Checks, dict[str, Any], str, str], Any]) -> Any:
    """A field holding one checked value (`check` is a `Checks` method); None when absent."""

    def read(checks: Checks, raw: dict[str, Any], where: str) -> Any:
        return check(checks, raw, key, where)

    return field(default=None, metadata={"part": Part(key, read, lambda value: value)})


def _parts(cls: Any) -> list[tuple[str, Part]]:
    return [(f.name, f.metadata["part"]) for f in fields(cls) if "part" in f.metadata]


def part_keys(cls: Any) -> set[str]:
    """The file keys of an owner's optional parts."""
    return {part.key for _, part in _parts(cls)}


def read_parts(cls: Any, checks: Checks, raw: dict[str, Any], where: str) -> dict[str, Any]:
    """field name -> value for each of `cls`'s parts present in `raw`."""
    return {name: part.read(checks, raw, where) for name, part in _parts(cls)
            if raw.get(part.key) is not None}


def write_parts(obj: Any, out: dict[str, Any]) -> dict[str, Any]:
    """`out` with each of `obj`'s parts that is set, then `obj.extra` (as read)."""
    for name, part in _parts(type(obj)):
        value = getattr(obj, name)
        if value is not None:
            out[part.key] = part.write(value)
    out.update(obj.extra)
    return out


def _unknown(raw: dict[str, Any], known: set[str]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in known}


# --- failures -----------------------------------------------------------------------------


@dataclass
class Failure:
    """A measured iteration that did not succeed; its metrics are not in the samples."""

    iteration: int
    status: FailureStatus
    exit_code: int | None = None
    signal: int | None = None
    wall: float | None = None
    stderr_tail: str = ""
    message: str = ""

    @classmethod
    def read(cls, checks: Checks, raw: Any, where: str) -> Failure:
        if not isinstance(raw, dict) or "iteration" not in raw or "status" not in raw:
            raise checks.fail(where, "an object with iteration and status", raw)
        iteration = raw["iteration"]
        if type(iteration) is not int or iteration < 0:
            raise checks.fail(f"{where}.iteration", "an iteration number", iteration)
        wall = raw.get("wall")
        return cls(
            iteration=iteration,
            status=checks.choice(raw, "status", FAILURE_STATUSES, where, "failed"),  # type: ignore[arg-type]
            exit_code=checks.integer(raw, "exit_code", where),
            signal=checks.integer(raw, "signal", where),
            wall=None if wall is None else checks.number(wall, f"{where}.wall"),
            stderr_tail=checks.optional(raw, "stderr_tail", str, "a string", where, ""),
            message=checks.optional(raw, "message", str, "a string", where, ""),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "iteration": self.iteration, "status": self.status, "exit_code": self.exit_code,
            "signal": self.signal, "wall": self.wall, "stderr_tail": self.stderr_tail,
            "message": self.message,
        }


def read_failures(checks: Checks, raw: Any, where: str) -> list[Failure]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise checks.fail(where, "a list", raw)
    return [Failure.read(checks, f, f"{where}[{j}]") for j, f in enumerate(raw)]


# --- a benchmark's settings -----------------------------------------------------------------


@dataclass
class AdaptivePlan:
    """The alpha-spending plan a benchmark was measured under (`stats.sequential`): the
    sample counts it was looked at, and each look's share of α. `compare` spends the
    share of the look the run ended at."""

    looks: list[int]
    alpha_fractions: list[float]
    scheme: str = "alpha-spending"
    spending: str = "pocock"
    reconstructed: bool = False  # rebuilt from min/max iterations (a file saying `true`); not written
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, checks: Checks, raw: Any, where: str) -> AdaptivePlan:
        plan = checks.block(raw, where)
        looks, fractions = plan.get("looks"), plan.get("alpha_fractions")
        ok = (
            isinstance(looks, list)
            and isinstance(fractions, list)
            and len(looks) == len(fractions) > 0
            and all(type(n) is int for n in looks)
            and all(type(f) in (int, float) and 0 <= f <= 1 for f in fractions)
            and sum(fractions) <= 1.0 + 1e-9
            and looks == sorted(set(looks))
        )
        if not ok:
            raise checks.fail(
                where, "increasing integer looks and as many alpha_fractions in [0, 1] "
                "summing to at most 1", plan)
        assert isinstance(looks, list) and isinstance(fractions, list)
        return cls(
            looks=list(looks),
            alpha_fractions=[float(f) for f in fractions],
            scheme=checks.text(plan, "scheme", where) or "alpha-spending",
            spending=checks.text(plan, "spending", where) or "pocock",
            extra=_unknown(plan, {"looks", "alpha_fractions", "scheme", "spending"}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "spending": self.spending, "looks": list(self.looks),
                "alpha_fractions": list(self.alpha_fractions), **self.extra}


@dataclass
class RunSettings:
    """How a benchmark was measured. `iterations` is what it aimed for (max_iterations when
    adaptive, else min_iterations); min and max are the lane's bounds in every mode;
    `adaptive` is the stopping rule's plan (True: a rule without one; False: fixed size)."""

    iterations: int | None = None
    min_iterations: int | None = None
    max_iterations: int | None = None
    adaptive: AdaptivePlan | bool | None = None
    warmup: int | None = None
    timeout: float | None = None
    sample_interval: float | None = None
    max_failures: int | None = None
    comparison: str | None = None  # "paired" for base/head pairs
    extra: dict[str, Any] = field(default_factory=dict)

    COUNTS = ("iterations", "min_iterations", "max_iterations", "warmup", "max_failures")
    DURATIONS = ("timeout", "sample_interval")

    @classmethod
    def read(cls, checks: Checks, raw: Any, where: str) -> RunSettings:
        s = checks.block(raw, where)
        values: dict[str, Any] = {k: checks.count(s, k, where) for k in cls.COUNTS}
        values.update({k: checks.seconds(s, k, where) for k in cls.DURATIONS})
        adaptive = s.get("adaptive")
        if isinstance(adaptive, dict):
            adaptive = AdaptivePlan.read(checks, adaptive, f"{where}.adaptive")
        elif adaptive is not None and not isinstance(adaptive, bool):
            raise checks.fail(f"{where}.adaptive", "true, false or a plan object", adaptive)
        known = {*cls.COUNTS, *cls.DURATIONS, "adaptive", "comparison"}
        return cls(**values, adaptive=adaptive, comparison=checks.text(s, "comparison", where),
                   extra=_unknown(s, known))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("iterations", "min_iterations", "max_iterations", "adaptive", "warmup",
                    "timeout", "sample_interval", "max_failures", "comparison"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value.to_dict() if isinstance(value, AdaptivePlan) else value
        out.update(self.extra)
        return out


# --- paired runs ------------------------------------------------------------------------


@dataclass
class PairedRun:
    """`run.paired`: the base commit measured beside head in this run (`runner.paired`)."""

    base_ref: str | None = None
    base_commit: str | None = None
    seed: int | None = None
    setup: bool | None = None  # whether the config's setup ran in both trees
    elapsed_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, checks: Checks, raw: Any, where: str) -> PairedRun:
        p = checks.block(raw, where)
        return cls(
            base_ref=checks.text(p, "base_ref", where),
            base_commit=checks.text(p, "base_commit", where),
            seed=checks.integer(p, "seed", where),
            setup=checks.flag(p, "setup", where),
            elapsed_seconds=checks.seconds(p, "elapsed_seconds", where),
            extra=_unknown(p, {"base_ref", "base_commit", "seed", "setup", "elapsed_seconds"}),
        )

    def to_dict(self) -> dict[str, Any]:
        out = {"base_ref": self.base_ref, "base_commit": self.base_commit, "seed": self.seed,
               "setup": self.setup, "elapsed_seconds": self.elapsed_seconds}
        return {**{k: v for k, v in out.items() if v is not None}, **self.extra}


@dataclass
class PairedBenchmark:
    """`benchmarks[i].paired`: the base side of a paired benchmark. `base_samples[m][i]`
    and the benchmark's `samples[m][i]` ran back to back, in the order `order[i]`."""

    base_samples: Samples = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # "base-first" / "head-first", one per pair
    base_status: BenchmarkStatus = "ok"
    base_failures: list[Failure] = field(default_factory=list)
    base_notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, checks: Checks, raw: Any, where: str) -> PairedBenchmark:
        p = checks.block(raw, where)
        base_samples = p.get("base_samples")
        return cls(
            base_samples={} if base_samples is None
            else checks.samples(base_samples, f"{where}.base_samples"),
            base_failures=read_failures(checks, p.get("base_failures"), f"{where}.base_failures"),
            base_status=checks.choice(p, "base_status", BENCHMARK_STATUSES, where, "ok"),  # type: ignore[arg-type]
            base_notes=checks.strings(p, "base_notes", where),
            order=checks.strings(p, "order", where),
            extra=_unknown(p, {"base_samples", "order", "base_status", "base_failures",
                               "base_notes"}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_samples": {k: list(v) for k, v in self.base_samples.items()},
            "order": list(self.order),
            "base_status": self.base_status,
            "base_failures": [f.to_dict() for f in self.base_failures],
            "base_notes": list(self.base_notes),
            **self.extra,
        }


# --- instruction counts ------------------------------------------------------------------


PROFILE_FORMAT = "lanebench-profile/1"  # lanebench.profile.store.FORMAT


def _stored_profile(checks: Checks, raw: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
    """A stored profile's envelope checked (its `data` is decoded only when diffed)."""
    value = raw.get(key)
    if value is None:
        return None
    at = f"{where}.{key}"
    p = checks.block(value, at)
    if p.get("format") != PROFILE_FORMAT:
        raise checks.fail(f"{at}.format", f'"{PROFILE_FORMAT}"', p.get("format"))
    events, totals = p.get("events"), p.get("totals")
    if not (isinstance(events, list) and all(isinstance(e, str) for e in events)
            and isinstance(totals, list) and len(totals) == len(events)
            and all(type(t) is int and t >= 0 for t in totals)):
        raise checks.fail(at, "events and as many whole-number totals", {"events": events, "totals": totals})
    if not isinstance(p.get("data"), str):
        raise checks.fail(f"{at}.data", "a string", p.get("data"))
    for name in ("folded_below", "kept", "functions", "processes"):
        checks.count(p, name, at)
    return dict(p)


def _fingerprint(checks: Checks, raw: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
    value = raw.get(key)
    return None if value is None else dict(checks.block(value, f"{where}.{key}"))


@dataclass
class InstructionCounts:
    """`benchmarks[i].instructions`: how the instruction counts in its samples were taken
    (`lanebench.runner.counted`). `fingerprint` is what must match for two runs' counts
    to be comparable (`runner.instruments.valgrind.fingerprint`); `profile` is the last
    repeat's cachegrind profile, stored size-bounded (`profile.store`); `python_profile`
    the bytecodes each Python function executed, for a Python program
    (`runner.instruments.python_functions`). A paired run keeps the base side's beside them."""

    fingerprint: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] | None = None
    repeats: int | None = None
    cache_sim: bool | None = None
    base_fingerprint: dict[str, Any] | None = None
    base_profile: dict[str, Any] | None = None
    # bytecodes per Python function (event Bc), when the program is Python
    python_profile: dict[str, Any] | None = None
    base_python_profile: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = ("fingerprint", "profile", "repeats", "cache_sim", "base_fingerprint", "base_profile",
            "python_profile", "base_python_profile")

    @classmethod
    def read(cls, checks: Checks, raw: Any, where: str) -> InstructionCounts:
        c = checks.block(raw, where)
        return cls(
            fingerprint=_fingerprint(checks, c, "fingerprint", where) or {},
            profile=_stored_profile(checks, c, "profile", where),
            repeats=checks.count(c, "repeats", where),
            cache_sim=checks.flag(c, "cache_sim", where),
            base_fingerprint=_fingerprint(checks, c, "base_fingerprint", where),
            base_profile=_stored_profile(checks, c, "base_profile", where),
            python_profile=_stored_profile(checks, c, "python_profile", where),
            base_python_profile=_stored_profile(checks, c, "base_python_profile", where),
            extra=_unknown(c, set(cls.KEYS)),
        )

    def to_dict(self) -> dict[str, Any]:
        out = {key: getattr(self, key) for key in self.KEYS}
        return {**{k: v for k, v in out.items() if v is not None}, **self.extra}


# --- calibration -------------------------------------------------------------------------


@dataclass
class Calibration:
    """The reference workload's times in one run (`lanebench.calibration`)."""

    workload: int | None = None  # calibration.workload.VERSION
    python: str | None = None
    samples: Samples = field(default_factory=dict)  # measure ("wall", "cpu") -> times
    phases: list[str] = field(default_factory=list)  # "start", "between", "end": one per time
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def wall(self) -> list[float]:
        return self.samples.get("wall", [])

    @property
    def cpu(self) -> list[float]:
        return self.samples.get("cpu", [])

    @property
    def n(self) -> int:
        return len(self.wall)

    @property
    def usable(self) -> bool:
        """Times of both measures, as many of each: what a runner-speed ratio needs."""
        return bool(self.wall) and len(self.wall) == len(self.cpu)

    def values(self, measure: str) -> list[float]:
        return self.wall if measure == "wall" else self.cpu

    @classmethod
    def from_times(cls, wall: list[float], cpu: list[float], *, workload: int | None = None,
                   python: str | None = None, phases: list[str] | None = None) -> Calibration:
        return cls(workload=workload, python=python, samples={"wall": list(wall), "cpu": list(cpu)},
                   phases=list(phases or []))

    def median(self, measure: str = "wall") -> float | None:
        values = self.values(measure)
        return statistics.median(values) if values else None

    @classmethod
    def read(cls, checks: Checks, raw: Any, where: str) -> Calibration:
        c = checks.block(raw, where)
        samples: Samples = {}
        raw_samples = c.get("samples")
        if raw_samples is not None:
            if not isinstance(raw_samples, dict):
                raise checks.fail(f"{where}.samples", "an object", raw_samples)
            for measure, values in raw_samples.items():
                at = f"{where}.samples.{measure[:60]}"
                if not isinstance(values, list):
                    raise checks.fail(at, "a list of numbers", values)
                samples[measure] = [checks.number(x, f"{at}[{i}]", positive=True)
                                    for i, x in enumerate(values)]
        return cls(
            workload=checks.integer(c, "workload", where),
            python=checks.text(c, "python", where),
            samples=samples,
            phases=checks.strings(c, "phases", where),
            extra=_unknown(c, {"workload", "python", "samples", "phases"}),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.workload is not None:
            out["workload"] = self.workload
        if self.python is not None:
            out["python"] = self.python
        out["samples"] = {k: list(v) for k, v in self.samples.items()}
        out["phases"] = list(self.phases)
        out.update(self.extra)
        return out


# --- history of main-branch runs -------------------------------------------------------------

@dataclass
class HistoryEntry:
    """One earlier main-branch run in a baseline's `history` (`baseline.append_history`):
    its identity, calibration medians and per benchmark x metric median."""

    commit: str | None = None
    finished_at: str | None = None
    environment: str | None = None  # `baseline.environment_digest` of the machine
    calibration: dict[str, float | None] | None = None  # measure -> median time
    benchmarks: dict[str, dict[str, float]] | None = None  # benchmark -> metric -> median
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, checks: Checks, raw: Any, where: str) -> HistoryEntry:
        e = checks.block(raw, where)
        benchmarks: dict[str, dict[str, float]] | None = None
        if e.get("benchmarks") is not None:
            benchmarks = {}
            raw_benchmarks = checks.optional(e, "benchmarks", dict, "an object", where, {})
            for name, medians in raw_benchmarks.items():
                at = f"{where}.benchmarks.{name[:60]}"
                if not isinstance(medians, dict):
                    raise checks.fail(at, "an object of medians", medians)
                benchmarks[name] = {
                    metric: checks.number(value, f"{at}.{metric[:60]}")
                    for metric, value in medians.items()
                }
        calibration: dict[str, float | None] | None = None
        if e.get("calibration") is not None:
            raw_calibration = checks.optional(e, "calibration", dict, "an object", where, {})
            calibration = {
                measure: None if value is None
                else checks.number(value, f"{where}.calibration.{measure[:60]}", positive=True)
                for measure, value in raw_calibration.items()
            }
        return cls(
            commit=checks.text(e, "commit", where),
            finished_at=checks.text(e, "finished_at", where),
            environment=checks.text(e, "environment", where),
            calibration=calibration,
            benchmarks=benchmarks,
            extra=_unknown(e, {"commit", "finished_at", "environment", "calibration", "benchmarks"}),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "commit": self.commit,
            "finished_at": self.finished_at,
            "environment": self.environment,
            "calibration": self.calibration,
        }
        if self.benchmarks is not None:
            out["benchmarks"] = self.benchmarks
        out.update(self.extra)
        return out


# --- the run -------------------------------------------------------------------------------


@dataclass
class SpawnerInfo:
    """`run.spawner`: how commands were started (`runner.spawner.describe`)."""

    mode: str = "spawner"  # "spawner", or "direct" (lanebench spawned them itself)
    restarts: int | None = None
    reason: str | None = None  # why "direct"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, checks: Checks, raw: Any, where: str) -> SpawnerInfo:
        s = checks.block(raw, where)
        return cls(mode=checks.text(s, "mode", where) or "spawner",
                   restarts=checks.count(s, "restarts", where),
                   reason=checks.text(s, "reason", where),
                   extra=_unknown(s, {"mode", "restarts", "reason"}))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": self.mode}
        if self.restarts is not None:
            out["restarts"] = self.restarts
        if self.reason is not None:
            out["reason"] = self.reason
        return {**out, **self.extra}


@dataclass
class RunInfo:
    """Which code was measured, where, and how the run went."""

    commit: str | None = None
    ref: str | None = None
    repository: str | None = None
    lane: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    status: RunStatus = "complete"
    config_path: str | None = None
    # how the runner spent its time
    measuring_seconds: float | None = scalar("measuring_seconds", Checks.seconds)
    budget_seconds: float | None = scalar("budget_seconds", Checks.seconds)
    budget_note: str | None = scalar("budget_note", Checks.text)
    resumed_iterations: int | None = scalar("resumed_iterations", Checks.count)
    # how it started commands, and what it could not do
    spawner: SpawnerInfo | None = block("spawner", SpawnerInfo)
    subreaper: bool | None = scalar("subreaper", Checks.flag)
    calibration_problem: str | None = scalar("calibration_problem", Checks.text)
    paired: PairedRun | None = block("paired", PairedRun)
    # the GitHub job that ran it (the action)
    event: str | None = scalar("event", Checks.text)
    pr: int | None = scalar("pr", Checks.integer)
    pr_head_sha: str | None = scalar("pr_head_sha", Checks.text)
    run_id: str | None = scalar("run_id", Checks.text)
    # "base" on the base side of a paired file (`stats.paired.paired_baseline`)
    paired_side: str | None = scalar("paired_side", Checks.text)
    extra: dict[str, Any] = field(default_factory=dict)

    CORE = ("commit", "ref", "repository", "lane", "started_at", "finished_at", "status",
            "config_path")

    def to_dict(self) -> dict[str, Any]:
        out = {key: getattr(self, key) for key in self.CORE}
        return write_parts(self, out)


# --- a benchmark and the document ----------------------------------------------------------


@dataclass
class BenchmarkResult:
    name: str
    command: list[str] | str
    shell: bool = False
    cwd: str = "."
    settings: RunSettings = field(default_factory=RunSettings)
    samples: Samples = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    status: BenchmarkStatus = "ok"
    notes: list[str] = field(default_factory=list)
    # the largest peak RSS any command spawned by the runner can report (its own size)
    maxrss_floor: int | None = scalar("maxrss_floor", Checks.count)
    paired: PairedBenchmark | None = block("paired", PairedBenchmark)
    instructions: InstructionCounts | None = block("instructions", InstructionCounts)
    extra: dict[str, Any] = field(default_factory=dict)

    CORE = ("name", "command", "shell", "cwd", "settings", "samples", "failures", "status", "notes")

    @property
    def n(self) -> int:
        """Number of successful measured iterations (repeats, for a benchmark measured by
        instruction counts alone)."""
        if "wall" in self.samples:
            return len(self.samples["wall"])
        return len(self.samples.get("instructions", []))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "command": list(self.command) if isinstance(self.command, list) else self.command,
            "shell": self.shell,
            "cwd": self.cwd,
            "settings": self.settings.to_dict(),
            "samples": {k: list(v) for k, v in self.samples.items()},
            "failures": [f.to_dict() for f in self.failures],
            "status": self.status,
            "notes": list(self.notes),
        }
        return write_parts(self, out)


@dataclass
class ResultsDocument:
    run: RunInfo
    environment: dict[str, Any]
    benchmarks: list[BenchmarkResult]
    schema_version: str = SCHEMA_VERSION
    calibration: Calibration | None = block("calibration", Calibration)
    # None: the file has no history block at all (one from before 1.1, or not a baseline)
    history: list[HistoryEntry] | None = block("history", HistoryEntry, many=True)
    # In a baseline: one compact record per main-branch run, for trends (up to 200 runs)
    main_runs: History | None = main_runs("main_runs")
    extra: dict[str, Any] = field(default_factory=dict)

    CORE = ("schema_version", "kind", "run", "environment", "benchmarks")

    def benchmark(self, name: str) -> BenchmarkResult | None:
        for b in self.benchmarks:
            if b.name == name:
                return b
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema_version": self.schema_version, "kind": KIND}
        out["run"] = self.run.to_dict()
        out["environment"] = self.environment
        out["benchmarks"] = [b.to_dict() for b in self.benchmarks]
        return write_parts(self, out)
