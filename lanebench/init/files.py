"""Writing what `lanebench init` proposes: never over an existing file without `--force`;
with `--dry-run`, only printing it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from lanebench.atomic_write import write_text_atomic
from lanebench.errors import LanebenchError


@dataclass(frozen=True)
class PlannedFile:
    path: Path  # absolute
    shown: str  # relative to the project root, as the user reads it
    text: str


def refuse_existing(files: list[PlannedFile], force: bool) -> None:
    """One error line naming every file that exists, unless --force."""
    existing = [f.shown for f in files if f.path.exists()]
    if existing and not force:
        raise LanebenchError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}",
            hint="pass --force to overwrite, or --dry-run to see what would be written",
        )


def print_dry_run(files: list[PlannedFile], out: TextIO) -> None:
    for planned in files:
        state = "overwrite" if planned.path.exists() else "write"
        out.write(f"--- would {state} {planned.shown} ---\n{planned.text}")
        if not planned.text.endswith("\n"):
            out.write("\n")


def write_all(files: list[PlannedFile]) -> None:
    """Each file whole or not at all: written beside it, then renamed over it."""
    for planned in files:
        try:
            write_text_atomic(planned.path, planned.text)
        except OSError as exc:
            raise LanebenchError(f"{planned.shown}: cannot write: {exc.strerror or exc}") from None
