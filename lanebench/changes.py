"""The change set a lane is decided from, and where it comes from.

Two sources build the same `ChangeSet`: the GitHub pull request files API (entries
shaped like GitHub's "diff-entry", fetched by `lanebench.github`) and a local git
repository (`git diff` between the merge base of two refs and the head, which is what
a pull request shows). Paths are always relative to the repository root, with `/`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from lanebench.errors import ConfigError, ExternalError
from lanebench.git import decode, git_output, run_git, stderr_line

FileStatus = Literal["added", "modified", "removed", "renamed"]

# The PR files endpoint stops listing at this many files.
GITHUB_FILES_LIMIT = 3000

_GITHUB_STATUS: dict[str, FileStatus] = {
    "added": "added",
    "removed": "removed",
    "modified": "modified",
    "changed": "modified",  # GitHub's word for a mode or type change
    "renamed": "renamed",
    "copied": "added",  # a new file; its source stays as previous_path
}

_GIT_STATUS: dict[str, FileStatus] = {
    "A": "added",
    "M": "modified",
    "T": "modified",  # type change (file <-> symlink)
    "D": "removed",
    "R": "renamed",
    "C": "added",
    "U": "modified",
    "X": "modified",
}


@dataclass(frozen=True)
class ChangedFile:
    """One changed path. Line counts are None when unknown (binary files)."""

    path: str
    status: FileStatus = "modified"
    previous_path: str | None = None
    additions: int | None = 0
    deletions: int | None = 0
    binary: bool = False

    @property
    def lines(self) -> int | None:
        """Added plus deleted lines, or None when unknown."""
        if self.additions is None or self.deletions is None:
            return None
        return self.additions + self.deletions

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path this change touches: the path, and the old path of a rename or copy."""
        if self.previous_path and self.previous_path != self.path:
            return (self.path, self.previous_path)
        return (self.path,)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ChangeSet:
    """The files a change touches and the labels it carries.

    `complete` is False when the source may have left files out (GitHub lists at most
    3,000 files of a pull request); conclusions that need every file then refuse to draw.
    """

    files: tuple[ChangedFile, ...] = ()
    labels: tuple[str, ...] = ()
    source: str = "manual"
    complete: bool = True
    note: str = ""
    refs: dict[str, str] = field(default_factory=dict, compare=False)  # git: refs and commits
    root: Path | None = field(default=None, compare=False)  # the repository's top folder, if known

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", tuple(self.files))
        object.__setattr__(self, "labels", tuple(self.labels))

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.files]

    @property
    def lines(self) -> int:
        """Known changed lines (binary files count as 0)."""
        return sum(f.lines or 0 for f in self.files)

    def with_labels(self, labels: Iterable[str]) -> ChangeSet:
        return ChangeSet(
            self.files, tuple(labels), self.source, self.complete, self.note, self.refs, self.root
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "complete": self.complete,
            "note": self.note,
            "labels": list(self.labels),
            **({"refs": dict(self.refs)} if self.refs else {}),
            **({"root": str(self.root)} if self.root else {}),
            "files": [f.to_dict() for f in self.files],
        }


def label_names(labels: Iterable[str | Mapping[str, Any]]) -> tuple[str, ...]:
    """Label names from strings or GitHub label objects (`{"name": ...}`)."""
    names: list[str] = []
    for label in labels:
        name = label.get("name") if isinstance(label, Mapping) else label
        if isinstance(name, str) and name and name not in names:
            names.append(name)
    return tuple(names)


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def change_set_from_pr_files(
    files: Iterable[Mapping[str, Any]],
    labels: Iterable[str | Mapping[str, Any]] = (),
    *,
    total_files: int | None = None,
    root: Path | str | None = None,
) -> ChangeSet:
    """Build a change set from GitHub "diff-entry" dicts (the PR files API).

    `total_files` is the pull request's `changed_files` count when known; the list is
    incomplete when it holds fewer entries, or when it holds 3,000 (the API's limit) and
    the count is unknown. Entries with status "unchanged" change nothing and are left
    out. GitHub does not flag binary files; they arrive with 0 additions and deletions.
    `root` is the local checkout of the repository, when there is one (the workspace):
    it lets a config in a subfolder match paths relative to that folder.
    """
    changed: list[ChangedFile] = []
    listed = 0
    for index, entry in enumerate(files):
        listed += 1
        path = entry.get("filename") if isinstance(entry, Mapping) else None
        if not isinstance(path, str) or not path:
            raise ExternalError(
                f"GitHub PR files entry {index} has no filename",
                hint="the API answer is not a list of diff-entry objects",
            )
        raw_status = str(entry.get("status") or "modified")
        if raw_status == "unchanged":
            continue
        status = _GITHUB_STATUS.get(raw_status, "modified")
        previous = entry.get("previous_filename")
        changed.append(
            ChangedFile(
                path=path,
                status=status,
                previous_path=previous if isinstance(previous, str) and previous else None,
                additions=_count(entry.get("additions")),
                deletions=_count(entry.get("deletions")),
            )
        )
    complete = True
    note = f"GitHub pull request files ({listed} listed)"
    if total_files is not None and total_files > listed:
        complete = False
        note = (
            f"GitHub listed {listed} of the pull request's {total_files} changed files "
            f"(the API stops at {GITHUB_FILES_LIMIT:,})"
        )
    elif total_files is None and listed >= GITHUB_FILES_LIMIT:
        complete = False
        note = (
            f"GitHub listed {listed} files, the API's limit; more may have changed "
            "(run `lanebench detect` on a full clone for the whole list)"
        )
    return ChangeSet(
        tuple(changed),
        label_names(labels),
        "github",
        complete,
        note,
        root=Path(root) if root is not None else None,
    )


# ---------------------------------------------------------------- local git


def _check_repo(repo: Path) -> Path | None:
    """Fail clearly unless `repo` is in a git repository; its top folder (None when bare)."""
    if not repo.is_dir():
        raise ConfigError(f"{repo}: no such directory", hint="pass the path of a git checkout")
    proc = run_git(repo, "rev-parse", "--show-toplevel", check=False)
    if proc.returncode == 0:
        return Path(decode(proc.stdout.rstrip(b"\n")))
    message = stderr_line(proc)
    if "must be run in a work tree" in message:
        return None  # a bare repository: refs and history, no checkout
    if "dubious ownership" in message:
        raise ExternalError(
            f"{repo}: git refuses the repository because another user owns it",
            hint=f"git config --global --add safe.directory {repo.resolve()}",
        )
    if "not a git repository" in message:
        raise ConfigError(
            f"{repo}: not a git repository",
            hint="run inside a git checkout, e.g. one made by actions/checkout, or pass its path",
        )
    raise ExternalError(f"{repo}: git cannot read the repository: {message}")


def _is_shallow(repo: Path) -> bool:
    proc = run_git(repo, "rev-parse", "--is-shallow-repository", check=False)
    return proc.returncode == 0 and proc.stdout.strip() == b"true"


_SHALLOW_HINT = (
    "set fetch-depth: 0 in actions/checkout, or run git fetch --unshallow"
)


def _resolve(repo: Path, ref: str, role: str) -> str:
    if not ref or ref.startswith("-"):
        raise ConfigError(f"invalid {role} ref {ref!r}", hint="pass a branch, tag or commit")
    proc = run_git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
    if proc.returncode == 0:
        return proc.stdout.decode().strip()
    if _is_shallow(repo):
        raise ExternalError(
            f'{role} ref "{ref}" is not in this shallow clone',
            hint=f"{_SHALLOW_HINT} origin {ref}",
        )
    raise ConfigError(
        f'unknown {role} ref "{ref}"',
        hint=f"check the name; for a remote branch, fetch it and use origin/{ref}",
    )


def _merge_base(repo: Path, base: str, head: str, base_sha: str, head_sha: str) -> str:
    proc = run_git(repo, "merge-base", base_sha, head_sha, check=False)
    if proc.returncode == 0 and proc.stdout.strip():
        return proc.stdout.decode().strip()
    if proc.returncode == 1 and not proc.stderr.strip():
        if _is_shallow(repo):
            raise ExternalError(
                f'the history joining "{base}" and "{head}" is missing from this shallow clone',
                hint=_SHALLOW_HINT,
            )
        raise ConfigError(
            f'"{base}" and "{head}" share no history',
            hint="pick a base the head branch was made from",
        )
    raise ExternalError(f"git merge-base failed: {stderr_line(proc)}")


def _parse_diff(out: bytes) -> list[ChangedFile]:
    """Parse `git diff --raw --numstat -z`: every raw record, then every numstat record.

    raw:     `:mode mode sha sha S\0path\0`, or `...R100\0old\0new\0` for renames/copies
    numstat: `A\tD\tpath\0`, or `A\tD\t\0old\0new\0`; `-\t-` for binary files
    One git call yields both: the rename detection runs once.
    """
    tokens = out.split(b"\0")
    i, n = 0, len(tokens)
    records: list[tuple[str, bytes, bytes | None]] = []
    while i < n and tokens[i].startswith(b":"):
        letter = tokens[i].rsplit(b" ", 1)[-1][:1].decode("ascii", "replace")
        if letter in ("R", "C"):
            records.append((letter, tokens[i + 2], tokens[i + 1]))
            i += 3
        else:
            records.append((letter, tokens[i + 1], None))
            i += 2
    counts: dict[bytes, tuple[int | None, int | None, bool]] = {}
    while i < n:
        token = tokens[i]
        i += 1
        if not token:
            continue
        added, deleted, path = token.split(b"\t", 2)
        if not path:  # rename or copy: the two paths follow as separate tokens
            path = tokens[i + 1]
            i += 2
        binary = added == b"-" and deleted == b"-"
        counts[path] = (None if binary else int(added), None if binary else int(deleted), binary)
    files: list[ChangedFile] = []
    for letter, path, previous in records:
        added_lines, deleted_lines, binary = counts.get(path, (None, None, False))
        files.append(
            ChangedFile(
                path=decode(path),
                status=_GIT_STATUS.get(letter, "modified"),
                previous_path=None if previous is None else decode(previous),
                additions=added_lines,
                deletions=deleted_lines,
                binary=binary,
            )
        )
    return files


def change_set_from_git(
    repo: Path | str,
    base: str,
    head: str = "HEAD",
    *,
    labels: Iterable[str | Mapping[str, Any]] = (),
) -> ChangeSet:
    """The files changed on `head` since it left `base` (`git diff base...head`).

    Compares commits, like a pull request: uncommitted changes are not included.
    Renames are detected (-M) and keep their old path; binary files count as changed
    with unknown line counts. Paths come NUL-separated (-z), so spaces, quotes, tabs and
    non-ASCII names arrive exactly as committed.
    """
    repo = Path(repo)
    top = _check_repo(repo)
    base_sha = _resolve(repo, base, "base")
    head_sha = _resolve(repo, head, "head")
    merge_base = _merge_base(repo, base, head, base_sha, head_sha)
    diff = run_git(
        repo,
        "diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M", "-z", "--raw", "--numstat",
        merge_base, head_sha,
    )
    files = _parse_diff(diff.stdout)
    note = f"git diff {base}...{head} (merge base {merge_base[:12]})"
    stderr = diff.stderr.decode("utf-8", "replace")
    if "rename detection was skipped" in stderr:
        note += "; too many files for inexact rename detection, so some renames show as add + delete"
    return ChangeSet(
        tuple(files),
        label_names(labels),
        "git",
        True,
        note,
        {"base": base, "head": head, "base_sha": base_sha, "head_sha": head_sha, "merge_base": merge_base},
        top,
    )


def git_directories(path: Path | str) -> tuple[Path, Path] | None:
    """The working tree's top folder and the repository's common git directory (`.git` of
    the main checkout, shared by its linked worktrees) for `path`; None outside a git
    checkout, or without git."""
    if not Path(path).is_dir():
        return None
    out = git_output(Path(path), "rev-parse", "--show-toplevel", "--git-common-dir")
    lines = out.splitlines() if out is not None else []
    if len(lines) != 2:
        return None  # not a repository, a bare one, one git refuses to read, or no git
    top = Path(lines[0])
    return top, (Path(path) / lines[1]).resolve()  # git prints the common dir relative to `path`


# Where a pull request from a local branch would go: the remote's default branch, as the
# action's pull request has it, else the usual names of one.
BASE_CANDIDATES = ("origin/main", "origin/master", "main", "master")


def default_base(repo: Path | str) -> tuple[str | None, str]:
    """The ref a local branch's changes are measured from when no base is named, and how it
    was found: `origin/HEAD` (the remote's default branch, set by `git clone`), else the
    first of origin/main, origin/master, main, master that exists. (None, why) when there
    is none, or no git repository at all: then no change set is known."""
    repo = Path(repo)
    try:
        _check_repo(repo)
    except (ConfigError, ExternalError) as exc:
        return None, exc.message
    proc = run_git(repo, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD", check=False)
    if proc.returncode == 0 and proc.stdout.strip():
        return proc.stdout.decode().strip(), "the remote's default branch, origin/HEAD"
    for ref in BASE_CANDIDATES:
        found = run_git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        if found.returncode == 0:
            return ref, "no origin/HEAD; the first found of " + ", ".join(BASE_CANDIDATES)
    return None, "no origin/HEAD and none of " + ", ".join(BASE_CANDIDATES) + " exists"
