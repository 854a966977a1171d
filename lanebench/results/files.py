"""A results file in and out: `read_results` checks it whole, `write_results` writes it whole.

`write_results` is the one function that writes a results document to disk; the
measuring job calls it once per run (`pipeline.record`), and the local baseline store
once per stored baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lanebench.atomic_write import write_json_atomic
from lanebench.errors import ResultsError
from lanebench.limits import MAX_BENCHMARKS
from lanebench.names import MAX_NAME_LENGTH, name_problem
from lanebench.results.checks import Checks, shown
from lanebench.results.json_input import MAX_RESULTS_BYTES, ResultsLimitError, load_json_file
from lanebench.results.model import (
    BENCHMARK_STATUSES,
    KIND,
    RUN_STATUSES,
    SUPPORTED_MAJOR,
    BenchmarkResult,
    ResultsDocument,
    RunInfo,
    RunSettings,
    part_keys,
    read_failures,
    read_parts,
)

RESULTS_FILE_NAME = "lanebench-results.json"  # in an output directory, a baseline store, an artifact


@dataclass(frozen=True)
class ResultsLimits:
    """How much of a results file is read at most (the bundle reader passes tighter ones)."""

    max_bytes: int = MAX_RESULTS_BYTES
    max_benchmarks: int = MAX_BENCHMARKS
    max_name_length: int = MAX_NAME_LENGTH


def parse_version(version: Any, source: str) -> tuple[int, int, int]:
    if not isinstance(version, str) or len(version) > 40:
        raise ResultsError(f"{source}: schema_version must be a string like \"1.0.0\", got {shown(version)}")
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
        raise ResultsError(f"{source}: expected a {KIND} file, got kind {shown(data.get('kind'))}")
    check_major(data["schema_version"], source)
    checks = Checks(source)
    run = checks.obj(data, "run")
    env = checks.obj(data, "environment")
    benches = checks.list(data, "benchmarks")
    # Limits before any work that grows with what they bound.
    if len(benches) > limits.max_benchmarks:
        raise ResultsLimitError(
            "too-many-benchmarks",
            f"{source}: the results list {len(benches)} benchmarks (limit {limits.max_benchmarks})",
        )
    run_info = _run(run, checks)
    results = [_benchmark(b, f"benchmarks[{i}]", checks, limits) for i, b in enumerate(benches)]
    seen: set[str] = set()
    dupes: set[str] = set()
    for b in results:
        (dupes if b.name in seen else seen).add(b.name)
    if dupes:
        raise ResultsError(f"{source}: duplicate benchmark names: {', '.join(sorted(dupes))}")
    known = {*ResultsDocument.CORE, *part_keys(ResultsDocument)}
    return ResultsDocument(
        run=run_info,
        environment=env,
        benchmarks=results,
        schema_version=data["schema_version"],
        **read_parts(ResultsDocument, checks, data, ""),
        extra={k: val for k, val in data.items() if k not in known},
    )


def _run(run: dict[str, Any], checks: Checks) -> RunInfo:
    core: dict[str, Any] = {}
    for key in ("commit", "ref", "repository", "started_at", "finished_at", "config_path"):
        core[key] = checks.text(run, key, "run")
    lane = checks.optional(run, "lane", str, "a lane name", "run")
    if lane is not None and name_problem(lane):
        raise ResultsError(f"{checks.source}: run.lane: the lane name {shown(lane)} {name_problem(lane)}")
    core["lane"] = lane
    core["status"] = checks.choice(run, "status", RUN_STATUSES, "run", "complete")
    known = {*RunInfo.CORE, *part_keys(RunInfo)}
    return RunInfo(**core, **read_parts(RunInfo, checks, run, "run"),
                   extra={k: val for k, val in run.items() if k not in known})


def _benchmark(b: Any, where: str, checks: Checks, limits: ResultsLimits) -> BenchmarkResult:
    if not isinstance(b, dict):
        raise checks.fail(where, "an object", b)
    name = b.get("name")
    if not isinstance(name, str) or not name:
        raise checks.fail(f"{where}.name", "a non-empty string", name)
    problem = name_problem(name, limits.max_name_length)
    if problem:
        raise ResultsLimitError(
            "bad-benchmark-name", f"{checks.source}: {where}.name: benchmark name {shown(name)} {problem}"
        )
    command = b.get("command", "")
    if not isinstance(command, str) and not (
        isinstance(command, list) and all(isinstance(a, str) for a in command)
    ):
        raise checks.fail(f"{where}.command", "a string or a list of strings", command)
    samples = checks.samples(b.get("samples", {}), f"{where}.samples")
    parts = read_parts(BenchmarkResult, checks, b, where)
    settings = b.get("settings")
    known = {*BenchmarkResult.CORE, *part_keys(BenchmarkResult)}
    return BenchmarkResult(
        name=name,
        command=command,
        shell=checks.optional(b, "shell", bool, "true or false", where, False),
        cwd=checks.optional(b, "cwd", str, "a string", where, "."),
        settings=RunSettings() if settings is None
        else RunSettings.read(checks, settings, f"{where}.settings"),
        samples=samples,
        failures=read_failures(checks, b.get("failures"), f"{where}.failures"),
        status=checks.choice(b, "status", BENCHMARK_STATUSES, where, "ok"),  # type: ignore[arg-type]
        notes=checks.strings(b, "notes", where),
        **parts,
        extra={k: val for k, val in b.items() if k not in known},
    )


def write_results(path: Path | str, doc: ResultsDocument) -> Path:
    """Write `doc` whole (readers never see half a file)."""
    return write_json_atomic(path, doc.to_dict())
