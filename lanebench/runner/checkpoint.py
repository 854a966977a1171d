"""The JSON-lines checkpoint: one line per finished iteration, fsynced before the next starts.

Line 1 is a header naming what the run is measuring (a hash of the benchmarks and
the lane's settings, the lane, the commit); then one `iteration` line per run of a
command and a `stop` line when a benchmark is done. A killed run loses at most the
iteration in flight; `lanebench run --resume` replays the lines and continues.
A last line cut short by the kill is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import IO, Any

from lanebench.errors import ResultsError

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


def read_checkpoint(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and the complete records that follow it."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise ResultsError(f"{path}: checkpoint not found") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read checkpoint: {exc.strerror or exc}") from None
    lines = text.split("\n")
    complete = lines[:-1]  # the part after the last newline is empty or cut short
    records: list[dict[str, Any]] = []
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise ResultsError(
                f"{path}:{number}: checkpoint line is not valid JSON",
                hint="delete the checkpoint and run without --resume",
            ) from None
        records.append(record)
    if not records or records[0].get("type") != "header":
        raise ResultsError(
            f"{path}: not a lanebench checkpoint (no header line)",
            hint="delete it and run without --resume",
        )
    header = records[0]
    if header.get("version") != CHECKPOINT_VERSION:
        raise ResultsError(
            f"{path}: checkpoint format {header.get('version')!r} is not supported by this lanebench "
            f"(reads {CHECKPOINT_VERSION})",
            hint="delete it and run without --resume",
        )
    return header, records[1:]
