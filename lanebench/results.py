"""The versioned results document: one JSON file per run, raw samples per metric.

Schema versions are semver strings. Readers accept any file whose major version they
know (unknown keys from newer minor versions are kept and written back untouched) and
refuse an unknown major version with a message that says which lanebench reads it.

1.1.0 added three optional blocks (1.0.0 files are read as before, without them):
- top-level `calibration`: the reference workload's times in this run
  (`lanebench.calibration`);
- top-level `history`: in a baseline, summaries of the last main-branch runs
  (`lanebench.baseline.append_history`);
- per benchmark, `paired`: the base commit's samples measured interleaved with head's
  (`lanebench.runner.paired`).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from lanebench.atomic_write import write_text_atomic
from lanebench.errors import ResultsError
from lanebench.limits import MAX_BENCHMARKS
from lanebench.metrics import METRICS
from lanebench.names import MAX_NAME_LENGTH, name_problem

SCHEMA_VERSION = "1.1.0"
SUPPORTED_MAJOR = 1
KIND = "lanebench-results"

BenchmarkStatus = Literal["ok", "failed", "timeout", "skipped", "carried_over", "interrupted"]
FailureStatus = Literal["failed", "timeout", "error"]


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


@dataclass
class BenchmarkResult:
    name: str
    command: list[str] | str
    shell: bool = False
    cwd: str = "."
    settings: dict[str, Any] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    status: BenchmarkStatus = "ok"
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of successful measured iterations."""
        return len(self.samples.get("wall", []))


@dataclass
class RunInfo:
    commit: str | None = None
    ref: str | None = None
    repository: str | None = None
    lane: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    status: Literal["complete", "interrupted", "running"] = "complete"
    config_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ResultsDocument:
    run: RunInfo
    environment: dict[str, Any]
    benchmarks: list[BenchmarkResult]
    schema_version: str = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def benchmark(self, name: str) -> BenchmarkResult | None:
        for b in self.benchmarks:
            if b.name == name:
                return b
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema_version": self.schema_version, "kind": KIND}
        out["run"] = _with_extra(asdict(self.run))
        out["environment"] = self.environment
        out["benchmarks"] = [_with_extra(asdict(b)) for b in self.benchmarks]
        out.update(self.extra)
        return out


def _with_extra(d: dict[str, Any]) -> dict[str, Any]:
    extra = d.pop("extra", {}) or {}
    d.update(extra)
    return d


# --- reading ---------------------------------------------------------------------------
#
# A results file may come from anywhere (a fork's pull request, a hand edit), so reading
# checks limits before work that grows with them, and types before use: everything the
# rest of lanebench reads from a ResultsDocument has the type its dataclass declares.

MAX_RESULTS_BYTES = 64 * 1024 * 1024  # the baseline artifact's per-file limit (baseline.py)
MAX_JSON_DEPTH = 32  # lanebench writes 5 levels; newer minor versions get room to grow
MAX_STRING_LENGTH = 64 * 1024  # any string: notes, stderr tails, environment values
# Every sample's magnitude is 0 or within [MIN_SAMPLE, MAX_SAMPLE]: a nanosecond (the
# clock's resolution) up to 10^15 (a petabyte; 30 million years). Ratios of two samples
# and sums of squares of a million of them then stay far from float overflow.
MIN_SAMPLE = 1e-9
MAX_SAMPLE = 1e15
METRIC_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
RUN_STATUSES = ("complete", "interrupted", "running")
BENCHMARK_STATUSES = ("ok", "failed", "timeout", "skipped", "carried_over", "interrupted")
FAILURE_STATUSES = ("failed", "timeout", "error")


@dataclass(frozen=True)
class ResultsLimits:
    """How much of a results file is read at most (the bundle reader passes tighter ones)."""

    max_bytes: int = MAX_RESULTS_BYTES
    max_benchmarks: int = MAX_BENCHMARKS
    max_name_length: int = MAX_NAME_LENGTH


class ResultsLimitError(ResultsError):
    """A results file over a limit or with an unfit name; `reason` names which:
    too-large, too-many-benchmarks, bad-benchmark-name or bad-metric-name."""

    def __init__(self, reason: str, message: str, *, hint: str | None = None) -> None:
        self.reason = reason
        super().__init__(message, hint=hint)


def parse_version(version: Any, source: str) -> tuple[int, int, int]:
    if not isinstance(version, str) or len(version) > 40:
        raise ResultsError(f"{source}: schema_version must be a string like \"1.0.0\", got {_shown(version)}")
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() and p.isascii() for p in parts):
        raise ResultsError(f"{source}: schema_version must look like \"1.0.0\", got {version!r}")
    return int(parts[0]), int(parts[1]), int(parts[2])


def check_major(version: Any, source: str, *, supported: int = SUPPORTED_MAJOR) -> None:
    major, _, _ = parse_version(version, source)
    if major != supported:
        newer = major > supported
        raise ResultsError(
            f"{source}: results schema {version} is not supported by this lanebench "
            f"(reads {supported}.x)",
            hint="upgrade lanebench" if newer else "re-create the file with this lanebench",
        )


def _shown(value: Any, limit: int = 60) -> str:
    """A value for an error line: repr, cut short (a hostile value can be megabytes)."""
    if isinstance(value, (dict, list)):
        return type(value).__name__
    text = repr(value[:limit] if isinstance(value, str) else value)
    return text if len(text) <= limit + 2 else text[:limit] + "…"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large for a float")
    return value


def parse_json(text: str | bytes) -> Any:
    """JSON as RFC 8259 defines it, nested at most MAX_JSON_DEPTH deep.

    Python's json module also reads NaN, Infinity and numbers that overflow to infinity,
    none of which a results file may hold. Raises json.JSONDecodeError for syntax errors
    and ValueError, with a message for a person, for everything else.
    """
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        message = str(exc)
        if "integer string conversion" in message:  # Python's limit on int digits
            message = "a number has too many digits"
        raise ValueError(message) from None
    check_json_shape(data)
    return data


def check_json_shape(data: Any) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH and strings longer than MAX_STRING_LENGTH.

    Iterative, so that depth costs no stack; linear in the number of values.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if isinstance(key, str) and len(key) > MAX_STRING_LENGTH:
                raise ValueError(f"a key is {len(key)} characters long (limit {MAX_STRING_LENGTH})")
            if isinstance(value, str):
                if len(value) > MAX_STRING_LENGTH:
                    raise ValueError(
                        f"a string is {len(value)} characters long (limit {MAX_STRING_LENGTH})"
                    )
            elif isinstance(value, (dict, list)):
                stack.append((value, depth + 1))


def _read_bounded(p: Path, what: str, max_bytes: int) -> bytes:
    try:
        with open(p, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise ResultsLimitError(
                    "too-large",
                    f"{p}: {what} is {size} bytes, over the limit of {max_bytes} bytes",
                    hint="results files hold at most 1000 benchmarks; run fewer iterations",
                )
            raw = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise ResultsError(f"{p}: {what} not found") from None
    except IsADirectoryError:
        raise ResultsError(f"{p}: {what} is a directory, not a file") from None
    except OSError as exc:
        raise ResultsError(f"{p}: cannot read {what}: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:  # a file that grows while it is read, or not a regular file
        raise ResultsLimitError("too-large", f"{p}: {what} is over the limit of {max_bytes} bytes")
    return raw


def load_json_file(
    path: Path | str, what: str = "results file", *, max_bytes: int = MAX_RESULTS_BYTES
) -> Any:
    """Read JSON with errors that distinguish missing, oversized, truncated and malformed files."""
    p = Path(path)
    raw = _read_bounded(p, what, max_bytes)
    if not raw.strip():
        raise ResultsError(f"{p}: {what} is empty", hint="the run that wrote it did not finish")
    try:
        return parse_json(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ResultsError(f"{p}: {what} is not UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        if exc.pos >= len(raw.rstrip()) - 1 or "Unterminated" in exc.msg or "Expecting" in exc.msg and exc.pos >= len(raw.rstrip()) - 2:
            raise ResultsError(
                f"{p}: {what} is truncated (JSON ends early at byte {exc.pos} of {len(raw)})",
                hint="the run that wrote it was cut short; re-run it, or use `lanebench run --resume`",
            ) from None
        raise ResultsError(
            f"{p}: {what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise ResultsError(f"{p}: {what} is not valid: {exc}") from None


def read_results(path: Path | str, *, limits: ResultsLimits | None = None) -> ResultsDocument:
    """Load and validate a results file."""
    limits = limits or ResultsLimits()
    data = load_json_file(path, max_bytes=limits.max_bytes)
    return results_from_dict(data, source=str(path), limits=limits)


def results_from_dict(
    data: Any, *, source: str = "<results>", limits: ResultsLimits | None = None
) -> ResultsDocument:
    """Validate a parsed results document; every problem is one ResultsError line."""
    limits = limits or ResultsLimits()
    if not isinstance(data, dict):
        raise ResultsError(f"{source}: not a lanebench results file (top level is not an object)")
    if "schema_version" not in data:
        raise ResultsError(f"{source}: not a lanebench results file (no schema_version)")
    if data.get("kind", KIND) != KIND:
        raise ResultsError(f"{source}: expected a {KIND} file, got kind {_shown(data.get('kind'))}")
    check_major(data["schema_version"], source)
    v = _Validator(source)
    run = v.obj(data, "run")
    env = v.obj(data, "environment")
    benches = v.list(data, "benchmarks")
    # Limits before any work that grows with what they bound.
    if len(benches) > limits.max_benchmarks:
        raise ResultsLimitError(
            "too-many-benchmarks",
            f"{source}: the results list {len(benches)} benchmarks (limit {limits.max_benchmarks})",
        )
    run_info = _run_from_dict(run, v)
    results = [_benchmark_from_dict(b, f"benchmarks[{i}]", v, limits) for i, b in enumerate(benches)]
    seen: set[str] = set()
    dupes: set[str] = set()
    for b in results:
        (dupes if b.name in seen else seen).add(b.name)
    if dupes:
        raise ResultsError(f"{source}: duplicate benchmark names: {', '.join(sorted(dupes))}")
    if "calibration" in data:
        _calibration(data["calibration"], v)
    if "history" in data:
        _history(data["history"], v)
    top_known = {"schema_version", "kind", "run", "environment", "benchmarks"}
    return ResultsDocument(
        run=run_info,
        environment=env,
        benchmarks=results,
        schema_version=data["schema_version"],
        extra={k: val for k, val in data.items() if k not in top_known},
    )


class _Validator:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, expected: str, got: Any) -> ResultsError:
        shown = "nothing" if got is None else type(got).__name__
        if isinstance(got, (str, int, float)) and not isinstance(got, bool):
            shown += f" {_shown(got)}"
        return ResultsError(f"{self.source}: {where}: expected {expected}, got {shown}")

    def obj(self, d: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
        val = d.get(key)
        if not isinstance(val, dict):
            raise self.fail(f"{where}{key}", "an object", val)
        return val

    def list(self, d: dict[str, Any], key: str, where: str = "") -> list[Any]:
        val = d.get(key)
        if not isinstance(val, list):
            raise self.fail(f"{where}{key}", "a list", val)
        return val

    def optional(self, d: dict[str, Any], key: str, kind: type | tuple[type, ...], expected: str,
                 where: str, default: Any = None) -> Any:
        """d[key] when it is of `kind` (bool never passes for int), `default` when absent."""
        if d.get(key) is None:
            return default
        val = d[key]
        if not isinstance(val, kind) or (isinstance(val, bool) and bool not in _types(kind)):
            raise self.fail(f"{where}.{key}", expected, val)
        return val

    def choice(self, d: dict[str, Any], key: str, choices: tuple[str, ...], where: str,
               default: str) -> str:
        val = d.get(key, default)
        if not isinstance(val, str) or val not in choices:
            raise self.fail(f"{where}.{key}", f"one of {', '.join(choices)}", val)
        return val

    def strings(self, d: dict[str, Any], key: str, where: str) -> list[str]:
        val = d.get(key)
        if val is None:
            return []
        if not isinstance(val, list) or not all(isinstance(x, str) for x in val):
            raise self.fail(f"{where}.{key}", "a list of strings", val)
        return list(val)

    def number(self, value: Any, where: str, *, positive: bool = False) -> float:
        if not _is_sample(value) or (positive and value == 0) or value < 0:
            raise self.fail(where, "a positive number" if positive else "a number >= 0", value)
        return float(value)


def _types(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _is_sample(x: Any) -> bool:
    """A number a measurement can be: 0, or of magnitude within [MIN_SAMPLE, MAX_SAMPLE]."""
    t = type(x)
    return (t is float or t is int) and (x == 0 or MIN_SAMPLE <= abs(x) <= MAX_SAMPLE)


def sample_problem(metric_name: str, value: Any) -> str | None:
    """Why `value` cannot be a measurement of `metric_name`, or None."""
    if not _is_sample(value):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{_shown(value)} is out of range (0, or {MIN_SAMPLE:g} to {MAX_SAMPLE:g})"
        return f"{'nothing' if value is None else type(value).__name__} is not a number"
    catalog = METRICS.get(metric_name)
    if catalog is not None and (value < 0 or (value == 0 and catalog.positive)):
        need = "above 0" if catalog.positive else "0 or more"
        return f"{value!r} is not a possible {metric_name} measurement (it is always {need})"
    return None


def _run_from_dict(run: dict[str, Any], v: _Validator) -> RunInfo:
    fields: dict[str, Any] = {}
    for key in ("commit", "ref", "repository", "started_at", "finished_at", "config_path"):
        fields[key] = v.optional(run, key, str, "a string", "run")
    lane = v.optional(run, "lane", str, "a lane name", "run")
    if lane is not None and name_problem(lane):
        raise ResultsError(f"{v.source}: run.lane: the lane name {_shown(lane)} {name_problem(lane)}")
    fields["lane"] = lane
    fields["status"] = v.choice(run, "status", RUN_STATUSES, "run", "complete")
    if "paired" in run:
        paired = run["paired"]
        if not isinstance(paired, dict):
            raise v.fail("run.paired", "an object", paired)
        for key in ("base_ref", "base_commit"):
            v.optional(paired, key, str, "a string", "run.paired")
    known = set(fields)
    return RunInfo(**fields, extra={k: val for k, val in run.items() if k not in known})


def _samples(raw: Any, where: str, v: _Validator) -> dict[str, list[float]]:
    """Per metric a list of numbers within the catalog's range, all lists of one length."""
    if not isinstance(raw, dict):
        raise v.fail(where, "an object", raw)
    samples: dict[str, list[float]] = {}
    lengths: set[int] = set()
    for metric_name, values in raw.items():
        if not METRIC_NAME_RE.fullmatch(metric_name):
            raise ResultsLimitError(
                "bad-metric-name",
                f"{v.source}: {where}: metric name {_shown(metric_name)} is not a lower-case "
                "identifier",
            )
        if not isinstance(values, list):
            raise v.fail(f"{where}.{metric_name}", "a list of numbers", values)
        if not all(_is_sample(x) for x in values):
            i, bad = next((i, x) for i, x in enumerate(values) if not _is_sample(x))
            what = (f"{_shown(bad)} is out of range (0, or {MIN_SAMPLE:g} to {MAX_SAMPLE:g})"
                    if isinstance(bad, (int, float)) and not isinstance(bad, bool)
                    else f"{type(bad).__name__} is not a number")
            raise ResultsError(f"{v.source}: {where}.{metric_name}[{i}]: {what}")
        if values and metric_name in METRICS:
            low = min(values)
            if low < 0 or (low == 0 and METRICS[metric_name].positive):
                i = values.index(low)
                need = "above 0" if METRICS[metric_name].positive else "0 or more"
                raise ResultsError(
                    f"{v.source}: {where}.{metric_name}[{i}]: {low!r} is not a possible "
                    f"{metric_name} measurement (it is always {need})",
                    hint="the file was edited or written by something other than lanebench",
                )
        samples[metric_name] = [float(x) for x in values]
        lengths.add(len(values))
    if len(lengths) > 1:
        raise ResultsError(
            f"{v.source}: {where}: metrics have different sample counts {sorted(lengths)}"
        )
    return samples


def _failures(raw: Any, where: str, v: _Validator) -> list[Failure]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise v.fail(where, "a list", raw)
    failures = []
    for j, f in enumerate(raw):
        at = f"{where}[{j}]"
        if not isinstance(f, dict) or "iteration" not in f or "status" not in f:
            raise v.fail(at, "an object with iteration and status", f)
        iteration = f["iteration"]
        if type(iteration) is not int or iteration < 0:
            raise v.fail(f"{at}.iteration", "an iteration number", iteration)
        wall = f.get("wall")
        failures.append(Failure(
            iteration=iteration,
            status=v.choice(f, "status", FAILURE_STATUSES, at, "failed"),  # type: ignore[arg-type]
            exit_code=v.optional(f, "exit_code", int, "an integer", at),
            signal=v.optional(f, "signal", int, "an integer", at),
            wall=None if wall is None else v.number(wall, f"{at}.wall"),
            stderr_tail=v.optional(f, "stderr_tail", str, "a string", at, ""),
            message=v.optional(f, "message", str, "a string", at, ""),
        ))
    return failures


def _benchmark_from_dict(b: Any, where: str, v: _Validator, limits: ResultsLimits) -> BenchmarkResult:
    if not isinstance(b, dict):
        raise v.fail(where, "an object", b)
    name = b.get("name")
    if not isinstance(name, str) or not name:
        raise v.fail(f"{where}.name", "a non-empty string", name)
    problem = name_problem(name, limits.max_name_length)
    if problem:
        raise ResultsLimitError(
            "bad-benchmark-name", f"{v.source}: {where}.name: benchmark name {_shown(name)} {problem}"
        )
    command = b.get("command", "")
    if not isinstance(command, str) and not (
        isinstance(command, list) and all(isinstance(a, str) for a in command)
    ):
        raise v.fail(f"{where}.command", "a string or a list of strings", command)
    samples = _samples(b.get("samples", {}), f"{where}.samples", v)
    if "paired" in b:
        paired = b["paired"]
        at = f"{where}.paired"
        if not isinstance(paired, dict):
            raise v.fail(at, "an object", paired)
        if "base_samples" in paired:
            _samples(paired["base_samples"], f"{at}.base_samples", v)
        _failures(paired.get("base_failures"), f"{at}.base_failures", v)
        v.choice(paired, "base_status", BENCHMARK_STATUSES, at, "ok")
        v.strings(paired, "base_notes", at)
        v.strings(paired, "order", at)
    known_keys = set(BenchmarkResult.__dataclass_fields__) - {"extra"}
    return BenchmarkResult(
        name=name,
        command=command,
        shell=v.optional(b, "shell", bool, "true or false", where, False),
        cwd=v.optional(b, "cwd", str, "a string", where, "."),
        settings=dict(v.optional(b, "settings", dict, "an object", where, {})),
        samples=samples,
        failures=_failures(b.get("failures"), f"{where}.failures", v),
        status=v.choice(b, "status", BENCHMARK_STATUSES, where, "ok"),  # type: ignore[arg-type]
        notes=v.strings(b, "notes", where),
        extra={k: val for k, val in b.items() if k not in known_keys},
    )


def _calibration(block: Any, v: _Validator) -> None:
    """The calibration block (lanebench.calibration): times of the reference workload."""
    if not isinstance(block, dict):
        raise v.fail("calibration", "an object", block)
    samples = block.get("samples")
    if samples is None:
        return
    if not isinstance(samples, dict):
        raise v.fail("calibration.samples", "an object", samples)
    for measure, values in samples.items():
        if not isinstance(values, list):
            raise v.fail(f"calibration.samples.{measure}", "a list of numbers", values)
        for i, x in enumerate(values):
            v.number(x, f"calibration.samples.{measure}[{i}]", positive=True)


def _history(entries: Any, v: _Validator) -> None:
    """The history block (lanebench.baseline.append_history): medians of earlier runs."""
    if not isinstance(entries, list):
        raise v.fail("history", "a list", entries)
    for i, entry in enumerate(entries):
        at = f"history[{i}]"
        if not isinstance(entry, dict):
            raise v.fail(at, "an object", entry)
        for key in ("commit", "finished_at", "environment"):
            v.optional(entry, key, str, "a string", at)
        benchmarks = v.optional(entry, "benchmarks", dict, "an object", at, {})
        for name, medians in benchmarks.items():
            if not isinstance(medians, dict):
                raise v.fail(f"{at}.benchmarks.{name[:60]}", "an object of medians", medians)
            for metric_name, value in medians.items():
                v.number(value, f"{at}.benchmarks.{name[:60]}.{metric_name[:60]}")
        calibration = v.optional(entry, "calibration", dict, "an object", at, {})
        for measure, value in calibration.items():
            if value is not None:
                v.number(value, f"{at}.calibration.{measure[:60]}", positive=True)


# --- writing ---------------------------------------------------------------------------


def write_json_atomic(path: Path | str, data: Any) -> Path:
    """Write JSON via a temp file and rename, so readers never see a half-written file."""
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return write_text_atomic(path, text)


def write_results(path: Path | str, doc: ResultsDocument) -> Path:
    return write_json_atomic(path, doc.to_dict())
