"""Folders lanebench writes into a project keep themselves out of git.

Each folder lanebench creates gets a `.gitignore` holding `*`, as pytest does for its
cache: `git add -A` then leaves results, reports and logs alone, so no commit carries them
to a branch whose checkout would delete them again, and no changed-files list counts them.
Folders with lanebench's own names (`.lanebench`, `lanebench-results`) get one even when
an older version created them.
"""

from __future__ import annotations

from pathlib import Path

from lanebench.atomic_write import write_text_atomic

GITIGNORE = ".gitignore"
GITIGNORE_TEXT = "# Written by lanebench: everything here is its output, kept out of git.\n*\n"
OWN_NAMES = frozenset({".lanebench", "lanebench-results"})


def make_output_dir(path: Path | str) -> Path:
    """`mkdir -p path`, then a `.gitignore` in the topmost folder this call created and in
    every folder of the path named like lanebench's own, unless one is there already."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    ignored = [missing[-1]] if missing else []
    ignored += [p for p in (path, *path.parents) if p.name in OWN_NAMES]
    for folder in ignored:
        marker = folder / GITIGNORE
        if not marker.exists():
            try:
                write_text_atomic(marker, GITIGNORE_TEXT)
            except OSError:
                pass  # a read-only parent: the results matter more than the marker
    return path
