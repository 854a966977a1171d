"""The base commit checked out beside the project, for paired A/B runs.

`git worktree add --detach <tmp> <commit>` gives a second working tree of the same
repository at the base commit without touching the project's own checkout; it is
removed again when the `with` block ends, also on errors and on SIGINT/SIGTERM.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lanebench.errors import ConfigError, ExternalError
from lanebench.git import decode, run_git


@dataclass(frozen=True)
class BaseTree:
    """A checked-out base commit. `root` is the project root's counterpart inside it."""

    ref: str
    commit: str
    path: Path  # the worktree's top directory
    root: Path

    def map(self, head_root: Path, path: Path) -> Path:
        """`path` under the head project's root, mapped to the same place in this tree."""
        return self.root / Path(path).resolve().relative_to(Path(head_root).resolve())


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return run_git(cwd, *args, check=False)
    except ExternalError as exc:
        if "not installed" in exc.message:
            raise ExternalError("paired mode needs git, and git is not installed") from None
        raise


def _last_line(raw: bytes) -> str:
    lines = [line.strip() for line in decode(raw).strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def resolve_commit(project_root: Path, ref: str) -> tuple[Path, str]:
    """The repository's top directory and the full commit SHA `ref` names."""
    top = _git(project_root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise ConfigError(
            f"paired mode needs a git checkout, and {project_root} is not in one "
            f"({_last_line(top.stderr)})",
            hint="run lanebench inside the repository, or compare with a baseline artifact",
        )
    commit = _git(project_root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if commit.returncode != 0 or not decode(commit.stdout).strip():
        raise ConfigError(
            f'paired mode: git knows no commit "{ref}" in {decode(top.stdout).strip()}',
            hint="fetch it first (actions/checkout with fetch-depth: 0) or pass a commit SHA",
        )
    return Path(decode(top.stdout).strip()), decode(commit.stdout).strip()


@contextmanager
def base_worktree(project_root: Path, ref: str) -> Iterator[BaseTree]:
    """Check out `ref` in a temporary worktree for the duration of the block."""
    top, commit = resolve_commit(project_root, ref)
    relative = Path(project_root).resolve().relative_to(top.resolve())
    holder = Path(tempfile.mkdtemp(prefix="lanebench-base-"))
    path = holder / "tree"
    added = False
    try:
        done = _git(top, "worktree", "add", "--detach", str(path), commit)
        if done.returncode != 0:
            raise ExternalError(
                f"git worktree add for {ref} ({commit[:12]}) failed: {_last_line(done.stderr)}"
            )
        added = True
        yield BaseTree(ref=ref, commit=commit, path=path, root=path / relative)
    finally:
        if added:
            removed = _git(top, "worktree", "remove", "--force", str(path))
            if removed.returncode != 0:
                shutil.rmtree(path, ignore_errors=True)
                _git(top, "worktree", "prune")
        shutil.rmtree(holder, ignore_errors=True)
