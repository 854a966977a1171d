"""Which code a run measured: commit and branch of the project root, when it is a git checkout."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from lanebench.results import RunInfo


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and out else None


def local_run_info(root: Path, config_path: Path | None = None) -> RunInfo:
    """Commit (`git rev-parse HEAD`) and branch of `root`; None for each outside a git checkout."""
    commit = _git(root, "rev-parse", "HEAD")
    ref = _git(root, "rev-parse", "--abbrev-ref", "HEAD") if commit else None
    if ref == "HEAD":  # detached checkout (as in CI): no branch name
        ref = os.environ.get("GITHUB_HEAD_REF") or os.environ.get("GITHUB_REF_NAME") or None
    return RunInfo(
        commit=commit,
        ref=ref,
        repository=os.environ.get("GITHUB_REPOSITORY") or None,
        config_path=str(config_path) if config_path else None,
    )
