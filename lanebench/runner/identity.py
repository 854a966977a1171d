"""Which code a run measured: commit and branch of the project root, when it is a git checkout."""

from __future__ import annotations

import os
from pathlib import Path

from lanebench.git import git_output
from lanebench.results import RunInfo


def local_run_info(root: Path, config_path: Path | None = None) -> RunInfo:
    """Commit (`git rev-parse HEAD`) and branch of `root`; None for each outside a git checkout."""
    commit = git_output(root, "rev-parse", "HEAD")
    ref = git_output(root, "rev-parse", "--abbrev-ref", "HEAD") if commit else None
    if ref == "HEAD":  # detached checkout (as in CI): no branch name
        ref = os.environ.get("GITHUB_HEAD_REF") or os.environ.get("GITHUB_REF_NAME") or None
    return RunInfo(
        commit=commit,
        ref=ref,
        repository=os.environ.get("GITHUB_REPOSITORY") or None,
        config_path=str(config_path) if config_path else None,
    )
