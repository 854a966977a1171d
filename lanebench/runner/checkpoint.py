"""The JSON-lines checkpoint: one line per finished iteration, fsynced before the next starts.

Line 1 is a header naming what the run is measuring (a hash of the benchmarks and
the lane's settings, the lane, the commit); then one `iteration` line per run of a
command and a `stop` line when a benchmark is done. A killed run loses at most the
iteration in flight; `lanebench run --resume` replays the lines and continues.
A line cut short by a kill, or left as NUL bytes by a machine that went down between a
write and its fsync, is skipped; every complete line before and after it is kept. A line
that is JSON but not a checkpoint record (edited, or from another program) is refused.
Only one run writes a checkpoint at a time (`lanebench.locking`, in `runner.plain`).
`CheckpointJournal` is the stage loop's journal (`runner.stages`); `replayed` turns the
lines back into what the loop replays.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import IO, Any

from lanebench.errors import ResultsError
from lanebench.metrics import METRICS
from lanebench.results import BENCHMARK_STATUSES, BenchmarkStatus, parse_json, sample_problem
from lanebench.runner.sample import Phase, Run, Sample

CHECKPOINT_VERSION = 1


def settings_hash(payload: Any) -> str:
    """A stable hash of what a run measures, to refuse resuming a different run."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def default_checkpoint_path(output: Path) -> Path:
    """`lanebench-results.json` -> `lanebench-results.checkpoint.jsonl`, beside it."""
    return output.with_name(output.stem + ".checkpoint.jsonl")


class CheckpointWriter:
    """Appends records; each `append` reaches the disk before it returns."""

    def __init__(self, path: Path, header: dict[str, Any] | None) -> None:
        """Start a new file with `header`, or (header None) continue an existing one."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if header is not None:
            self._fh: IO[str] = open(path, "w", encoding="utf-8")
            self.append({"type": "header", "version": CHECKPOINT_VERSION, **header})
        else:
            self._fh = open(path, "a", encoding="utf-8")
            _drop_partial_last_line(self._fh)

    def append(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def _drop_partial_last_line(fh: IO[str]) -> None:
    """A kill during a write can leave half a line; cut it so appends start on a fresh line."""
    fh.flush()
    path = fh.name
    with open(path, "rb+") as raw:
        data = raw.read()
        if data and not data.endswith(b"\n"):
            raw.truncate(data.rfind(b"\n") + 1)


ITERATION_STATUSES = ("ok", "failed", "timeout", "error")
PHASES = ("warmup", "measured")


def record_problem(record: Any) -> str | None:
    """What is wrong with a replayed record, or None (what `_Session` reads, typed)."""
    if not isinstance(record, dict):
        return "not an object"
    kind = record.get("type")
    if kind == "header":
        return "a second header"
    if kind not in ("iteration", "stop"):
        return f"unknown record type {str(kind)[:40]!r}"
    if not isinstance(record.get("benchmark"), str):
        return "no benchmark name"
    if kind == "stop":
        if record.get("status") not in BENCHMARK_STATUSES:
            return "a stop record without a benchmark status"
        note = record.get("note")
        return None if note is None or isinstance(note, str) else "a note that is not text"
    if record.get("stage") not in (1, 2) or type(record.get("stage")) is not int:
        return "no stage (1 or 2)"
    if record.get("phase") not in PHASES:
        return "no phase (warmup or measured)"
    if record.get("status") not in ITERATION_STATUSES:
        return "no iteration status"
    wall = record.get("wall")
    if wall is not None and sample_problem("wall", wall) is not None:
        return "a wall time that is not a measurement"
    for key in ("stderr_tail", "message"):
        if not isinstance(record.get(key, ""), str):
            return f"a {key} that is not text"
    for key in ("exit_code", "signal", "leftovers", "maxrss_floor"):
        value = record.get(key)
        if value is not None and type(value) is not int:
            return f"a {key} that is not an integer"
    if record["status"] == "ok":
        metrics = record.get("metrics")
        if not isinstance(metrics, dict):
            return "no metrics"
        for name in METRICS:
            problem = sample_problem(name, metrics.get(name))
            if problem is not None:
                return f"metrics.{name}: {problem}"
    return None


def read_checkpoint(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """The header, the complete records that follow it, and how many lines were skipped
    as damaged (cut short or NUL bytes: what a crash leaves)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ResultsError(f"{path}: checkpoint not found") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read checkpoint: {exc.strerror or exc}") from None
    hint = "delete it and run without --resume"
    lines = data.split(b"\n")
    complete = lines[:-1]  # the part after the last newline is empty or cut short
    records: list[dict[str, Any]] = []
    damaged = 0
    for number, raw in enumerate(complete, start=1):
        line = raw.strip(b"\0 \t\r")
        if not line:
            damaged += raw != line  # NUL bytes where a line should be
            continue
        try:
            record = parse_json(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            damaged += 1
            continue
        if records:
            problem = record_problem(record)
            if problem is not None:
                raise ResultsError(
                    f"{path}:{number}: not a checkpoint record ({problem})", hint=hint
                )
        records.append(record)
    if not records or not isinstance(records[0], dict) or records[0].get("type") != "header":
        raise ResultsError(f"{path}: not a lanebench checkpoint (no header line)", hint=hint)
    header = records[0]
    if header.get("version") != CHECKPOINT_VERSION:
        raise ResultsError(
            f"{path}: checkpoint format {str(header.get('version'))[:20]!r} is not supported by "
            f"this lanebench (reads {CHECKPOINT_VERSION})",
            hint=hint,
        )
    run, names = header.get("run", {}), header.get("benchmarks", [])
    if (
        not isinstance(header.get("hash"), str)
        or not isinstance(header.get("lane", ""), str)
        or not isinstance(names, list) or not all(isinstance(n, str) for n in names)
        or not isinstance(run, dict)
        or not all(isinstance(run.get(k), (str, type(None))) for k in ("commit", "started_at"))
    ):
        raise ResultsError(f"{path}: the checkpoint's header is damaged", hint=hint)
    return header, records[1:], damaged


# --- the stage loop's journal -----------------------------------------------------------


class CheckpointJournal:
    """Each sample of a plain run as one `iteration` line, each finished benchmark as a
    `stop` line, on disk before the next sample starts."""

    def __init__(self, writer: CheckpointWriter) -> None:
        self.writer = writer

    def sample(self, benchmark: str, stage: int, phase: Phase, sample: Sample) -> None:
        (run,) = sample.runs  # a plain run's sample is one run
        self.writer.append({
            "type": "iteration",
            "benchmark": benchmark,
            "stage": stage,
            "phase": phase,
            "status": run.status,
            "metrics": run.metrics,
            "exit_code": run.exit_code,
            "signal": run.signal,
            "wall": run.wall,
            "stderr_tail": run.stderr_tail,
            "message": run.message,
            "leftovers": run.leftovers,
            "maxrss_floor": run.maxrss_floor,
        })

    def stop(self, benchmark: str, status: str, note: str | None) -> None:
        self.writer.append({"type": "stop", "benchmark": benchmark, "status": status, "note": note})


Replayed = tuple[str, int, Phase, Sample] | tuple[str, BenchmarkStatus, str | None]


def replayed(records: list[dict[str, Any]]) -> list[Replayed]:
    """The checkpoint's records (checked by `read_checkpoint`) as the loop replays them."""
    out: list[Replayed] = []
    for rec in records:
        if rec["type"] == "stop":
            out.append((rec["benchmark"], rec["status"], rec.get("note")))
            continue
        run = Run(
            status=rec["status"],
            wall=rec.get("wall"),
            metrics={name: float(value) for name, value in (rec.get("metrics") or {}).items()},
            exit_code=rec.get("exit_code"),
            signal=rec.get("signal"),
            stderr_tail=rec.get("stderr_tail", ""),
            message=rec.get("message", ""),
            leftovers=int(rec.get("leftovers") or 0),
            maxrss_floor=int(rec.get("maxrss_floor") or 0),
        )
        out.append((rec["benchmark"], rec["stage"], rec["phase"], Sample([run])))
    return out
