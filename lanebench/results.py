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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from lanebench.atomic_write import write_text_atomic
from lanebench.errors import ResultsError

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


def parse_version(version: Any, source: str) -> tuple[int, int, int]:
    if not isinstance(version, str):
        raise ResultsError(f"{source}: schema_version must be a string like \"1.0.0\", got {version!r}")
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
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


def load_json_file(path: Path | str, what: str = "results file") -> Any:
    """Read JSON with errors that distinguish missing, truncated and malformed files."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ResultsError(f"{p}: {what} not found") from None
    except OSError as exc:
        raise ResultsError(f"{p}: cannot read {what}: {exc.strerror or exc}") from None
    if not raw.strip():
        raise ResultsError(f"{p}: {what} is empty", hint="the run that wrote it did not finish")
    try:
        return json.loads(raw.decode("utf-8"))
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


def read_results(path: Path | str) -> ResultsDocument:
    """Load and validate a results file."""
    data = load_json_file(path)
    return results_from_dict(data, source=str(path))


def results_from_dict(data: Any, *, source: str = "<results>") -> ResultsDocument:
    if not isinstance(data, dict):
        raise ResultsError(f"{source}: not a lanebench results file (top level is not an object)")
    if "schema_version" not in data:
        raise ResultsError(f"{source}: not a lanebench results file (no schema_version)")
    if data.get("kind", KIND) != KIND:
        raise ResultsError(f"{source}: expected a {KIND} file, got kind {data.get('kind')!r}")
    check_major(data["schema_version"], source)
    v = _Validator(source)
    run = v.obj(data, "run")
    env = v.obj(data, "environment")
    benches = v.list(data, "benchmarks")
    run_known = {f for f in RunInfo.__dataclass_fields__ if f != "extra"}
    run_info = RunInfo(
        **{k: run[k] for k in run_known if k in run},
        extra={k: val for k, val in run.items() if k not in run_known},
    )
    results = [_benchmark_from_dict(b, f"benchmarks[{i}]", v) for i, b in enumerate(benches)]
    names = [b.name for b in results]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ResultsError(f"{source}: duplicate benchmark names: {', '.join(sorted(dupes))}")
    for key, expected in (("calibration", dict), ("history", list)):
        if key in data and not isinstance(data[key], expected):
            raise v.fail(key, "an object" if expected is dict else "a list", data[key])
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
        return ResultsError(f"{self.source}: {where}: expected {expected}, got {type(got).__name__}")

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


def _benchmark_from_dict(b: Any, where: str, v: _Validator) -> BenchmarkResult:
    if not isinstance(b, dict):
        raise v.fail(where, "an object", b)
    name = b.get("name")
    if not isinstance(name, str) or not name:
        raise v.fail(f"{where}.name", "a non-empty string", name)
    samples_raw = b.get("samples", {})
    if not isinstance(samples_raw, dict):
        raise v.fail(f"{where}.samples", "an object", samples_raw)
    samples: dict[str, list[float]] = {}
    lengths: set[int] = set()
    for metric_name, values in samples_raw.items():
        if not isinstance(values, list) or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in values
        ):
            raise ResultsError(
                f"{v.source}: {where}.samples.{metric_name}: expected a list of finite numbers"
            )
        samples[metric_name] = [float(x) for x in values]
        lengths.add(len(values))
    if len(lengths) > 1:
        raise ResultsError(
            f"{v.source}: {where}.samples: metrics have different sample counts {sorted(lengths)}"
        )
    if "paired" in b and not isinstance(b["paired"], dict):
        raise v.fail(f"{where}.paired", "an object", b["paired"])
    failures = []
    for j, f in enumerate(b.get("failures", []) or []):
        if not isinstance(f, dict) or "iteration" not in f or "status" not in f:
            raise v.fail(f"{where}.failures[{j}]", "an object with iteration and status", f)
        known = {k: f[k] for k in Failure.__dataclass_fields__ if k in f}
        failures.append(Failure(**known))
    known_keys = set(BenchmarkResult.__dataclass_fields__) - {"extra"}
    return BenchmarkResult(
        name=name,
        command=b.get("command", ""),
        shell=bool(b.get("shell", False)),
        cwd=str(b.get("cwd", ".")),
        settings=dict(b.get("settings", {}) or {}),
        samples=samples,
        failures=failures,
        status=b.get("status", "ok"),
        notes=list(b.get("notes", []) or []),
        extra={k: val for k, val in b.items() if k not in known_keys},
    )


# --- writing ---------------------------------------------------------------------------


def write_json_atomic(path: Path | str, data: Any) -> Path:
    """Write JSON via a temp file and rename, so readers never see a half-written file."""
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return write_text_atomic(path, text)


def write_results(path: Path | str, doc: ResultsDocument) -> Path:
    return write_json_atomic(path, doc.to_dict())
