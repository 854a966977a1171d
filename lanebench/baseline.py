"""Where baselines live: a local directory, or a workflow artifact on GitHub.

The local store is the default for the CLI: `lanebench/baseline/<project folder>/` inside
the repository's git directory (`.git/`), where no checkout, `git add -A` or `git clean`
reaches it and every worktree of the repository finds it; `.lanebench/baseline/` under the
project root outside a git checkout (and where older versions kept it, still read). In the
action, the baseline is the results file that a run on the main branch uploaded as an
artifact; it is downloaded and extracted here with limits, because an artifact is input
from outside: total and per-file size, number of entries, no absolute paths, no `..`, no
symlinks or other special files. Anything wrong is one `BaselineError` line naming the
artifact and the fix, never a traceback. No baseline at all is `None`: whether that is
fine is the caller's decision.

A baseline also carries the summaries of the last main-branch runs (`history`, see
`append_history`), from which `compare` learns how much a run's medians move from one
runner to the next (docs/noise.md), and the longer per-run record of main (`main_runs`,
see `append_main_run`), from which change points and drift are found (docs/trends.md).
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import stat
import statistics
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from lanebench.calibration import calibration_of
from lanebench.config.model import DEFAULT_HISTORY, DEFAULT_TREND_RUNS
from lanebench.errors import ResultsError
from lanebench.history_store import COMMIT, History, RunRecord, append_run
from lanebench.locking import FileLock
from lanebench.machine import MACHINE_KEYS
from lanebench.output_dir import make_output_dir
from lanebench.results import (
    RESULTS_FILE_NAME,
    HistoryEntry,
    ResultsDocument,
    read_results,
    write_results,
)
from lanebench.stats.trends import run_record

if TYPE_CHECKING:
    from lanebench.github import ArtifactInfo, GitHubClient

DEFAULT_BASELINE_DIR = Path(".lanebench") / "baseline"  # under the project root, outside git
GIT_BASELINE_DIR = Path("lanebench") / "baseline"  # under the git directory
# Storing takes milliseconds; a store busy for longer is held by something stuck.
STORE_WAIT_SECONDS = 60.0


class BaselineError(ResultsError):
    """A baseline exists but can't be used (corrupt, tampered, not a results file)."""


# --- local directory --------------------------------------------------------------------


class LocalBaselineStore:
    """A baseline results file kept in a directory (`lanebench-results.json` inside).

    `previous` is where an older version kept the same baseline: read while the directory
    has none yet, never written, never deleted.
    """

    def __init__(self, directory: Path | str = DEFAULT_BASELINE_DIR, *,
                 previous: Path | str | None = None) -> None:
        self.directory = Path(directory)
        self.previous = Path(previous) if previous is not None else None

    @classmethod
    def in_project(cls, root: Path | str) -> LocalBaselineStore:
        """The project's own store: in the git directory when the project is in a git
        checkout (a branch switch, `git add -A` and `git clean -fdx` leave it alone, and
        linked worktrees share it), else `.lanebench/baseline/` under the project root."""
        from lanebench.changes import git_directories

        root = Path(root).resolve()
        legacy = root / DEFAULT_BASELINE_DIR
        found = git_directories(root)
        if found is None:
            return cls(legacy)
        top, common = found
        return cls(common / GIT_BASELINE_DIR / root.relative_to(top.resolve()), previous=legacy)

    @property
    def path(self) -> Path:
        return self.directory / RESULTS_FILE_NAME

    @property
    def previous_path(self) -> Path | None:
        """The older location's file while it is the one `load` reads, else None."""
        if self.previous is None or self.path.exists():
            return None
        old = self.previous / RESULTS_FILE_NAME
        return old if old.exists() else None

    def load(self) -> ResultsDocument | None:
        """The stored baseline, or None when there is none yet."""
        source = self.previous_path or self.path
        if not source.exists():
            return None
        if source.parent == self.previous:
            make_output_dir(source.parent)  # `.lanebench/` of an older version: out of git too
        return read_results(source)

    def save(self, doc: ResultsDocument, *, keep: int | None = None,
             trend_runs: int = DEFAULT_TREND_RUNS) -> Path:
        """Store `doc` as the baseline (atomically: readers never see half a file).

        One writer at a time: a second `lanebench baseline` into the same store waits for
        the first (at most STORE_WAIT_SECONDS). With `keep`, `doc`'s history (and its
        record of main runs, bounded to `trend_runs`) is rebuilt on the baseline stored
        now, under the lock: another run may have stored one since `doc`'s history was
        taken from the store, and it must not drop out of the history.
        """
        lock = FileLock(
            self.path, "the baseline store",
            hint=f"try again when it is done, or store elsewhere with --store (waited up to "
            f"{STORE_WAIT_SECONDS:g} s)",
        )
        make_output_dir(self.directory)
        with lock.acquire(wait=STORE_WAIT_SECONDS):
            if keep is not None:
                stored = self.load()
                doc = append_main_run(stored, append_history(stored, doc, keep), trend_runs)
            return write_results(self.path, doc)


# --- safe extraction --------------------------------------------------------------------


@dataclass(frozen=True)
class ExtractLimits:
    max_total_bytes: int = 256 * 1024 * 1024
    max_file_bytes: int = 64 * 1024 * 1024
    max_entries: int = 1000


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if "\x00" in name:
        return "has a NUL byte in its name"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        return "escapes the archive with '..'"
    # Unix file type bits live in the high 16 bits of external_attr; 0 means "not recorded".
    file_type = stat.S_IFMT(info.external_attr >> 16)
    if file_type == stat.S_IFLNK:
        return "is a symbolic link"
    if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "is not a regular file or directory"
    if info.flag_bits & 0x1:
        return "is encrypted"
    return None


def extract_zip_safely(zip_path: Path, dest: Path, *, label: str,
                       limits: ExtractLimits | None = None) -> list[Path]:
    """Extract `zip_path` into `dest` after checking every entry; return the files written.

    `label` names the archive in errors (e.g. "baseline artifact 'x' (id 7)").
    """
    limits = limits or ExtractLimits()
    fix = ("re-run the workflow on the baseline branch to upload a fresh artifact; "
           "if nobody there uploaded this one, check who can write to the repository")

    def refuse(why: str) -> BaselineError:
        return BaselineError(f"{label}: {why}; refused", hint=fix)

    try:
        zf = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        raise refuse("is not a zip archive (corrupt or truncated download)") from None
    except OSError as exc:
        raise BaselineError(f"{label}: cannot read {zip_path}: {exc.strerror or exc}") from None
    with zf:
        entries = zf.infolist()
        if len(entries) > limits.max_entries:
            raise refuse(f"has {len(entries):,} entries, more than the limit of {limits.max_entries:,}")
        seen: set[str] = set()
        declared_total = 0
        for info in entries:
            problem = _entry_problem(info)
            if problem:
                raise refuse(f"entry {info.filename!r} {problem}")
            key = info.filename.replace("\\", "/").rstrip("/")
            if key in seen:
                raise refuse(f"entry {info.filename!r} appears twice")
            seen.add(key)
            if info.file_size > limits.max_file_bytes:
                raise refuse(f"entry {info.filename!r} is {info.file_size:,} bytes, more than the "
                             f"per-file limit of {limits.max_file_bytes:,}")
            declared_total += info.file_size
        if declared_total > limits.max_total_bytes:
            raise refuse(f"unpacks to {declared_total:,} bytes, more than the limit of "
                         f"{limits.max_total_bytes:,}")

        created = not dest.exists()
        dest.mkdir(parents=True, exist_ok=True)
        try:
            return _extract_checked(zf, entries, dest.resolve(), limits, refuse)
        except BaselineError:
            if created:  # leave nothing half-extracted behind
                shutil.rmtree(dest, ignore_errors=True)
            raise


def _extract_checked(zf: zipfile.ZipFile, entries: list[zipfile.ZipInfo], root: Path,
                     limits: ExtractLimits, refuse: Callable[[str], BaselineError]) -> list[Path]:
    written: list[Path] = []
    total = 0
    for info in entries:
        target = (root / info.filename.replace("\\", "/")).resolve()
        if root != target and root not in target.parents:
            raise refuse(f"entry {info.filename!r} escapes the archive")
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        try:
            # Count real bytes: the sizes in the zip's headers are claims, not facts.
            with zf.open(info) as src, open(target, "xb") as out:
                while chunk := src.read(1 << 16):
                    size += len(chunk)
                    total += len(chunk)
                    if size > limits.max_file_bytes:
                        raise refuse(f"entry {info.filename!r} unpacks past the per-file limit "
                                     f"of {limits.max_file_bytes:,} bytes")
                    if total > limits.max_total_bytes:
                        raise refuse(f"unpacks past the limit of {limits.max_total_bytes:,} bytes")
                    out.write(chunk)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
            raise refuse(f"entry {info.filename!r} is corrupt ({exc})") from None
        except FileExistsError:
            raise refuse(f"entry {info.filename!r} collides with another entry") from None
        written.append(target)
    return written


# --- GitHub artifact --------------------------------------------------------------------


@dataclass(frozen=True)
class FetchedBaseline:
    document: ResultsDocument
    artifact: ArtifactInfo
    path: Path  # the extracted results file
    directory: Path  # everything the artifact contained

    def describe(self) -> str:
        """Where the baseline came from, for reports: "artifact 'x' (id 7 from main@abc1234)"."""
        return self.artifact.describe()


def fetch_artifact_baseline(
    client: GitHubClient,
    name: str,
    branch: str,
    workdir: Path | str,
    *,
    limits: ExtractLimits | None = None,
) -> FetchedBaseline | None:
    """Download, extract and read the newest baseline artifact `name` from `branch`.

    None when there is no such unexpired artifact.
    """
    artifact = client.find_baseline_artifact(name, branch)
    if artifact is None:
        return None
    return load_artifact(client, artifact, workdir, limits=limits)


def load_artifact(
    client: GitHubClient,
    artifact: ArtifactInfo,
    workdir: Path | str,
    *,
    limits: ExtractLimits | None = None,
) -> FetchedBaseline:
    """Download `artifact` into `workdir`, extract it safely and read its results file."""
    limits = limits or ExtractLimits()
    workdir = Path(workdir)
    label = f"baseline {artifact.describe()}"
    if artifact.size_in_bytes > limits.max_total_bytes:
        raise BaselineError(
            f"{label} is {artifact.size_in_bytes:,} bytes, more than the limit of "
            f"{limits.max_total_bytes:,}; refused",
            hint="upload only the results file as the baseline artifact")
    zip_path = client.download_artifact(artifact, workdir / f"artifact-{artifact.id}.zip",
                                        max_bytes=limits.max_total_bytes)
    directory = workdir / f"artifact-{artifact.id}"
    doc, results = read_artifact_zip(zip_path, directory, label=label, limits=limits)
    return FetchedBaseline(document=doc, artifact=artifact, path=results, directory=directory)


def read_artifact_zip(zip_path: Path, directory: Path, *, label: str,
                      limits: ExtractLimits | None = None) -> tuple[ResultsDocument, Path]:
    """Extract a downloaded baseline artifact into `directory` safely and read its one
    results file: (the document, where it was extracted)."""
    files = extract_zip_safely(zip_path, directory, label=label, limits=limits)
    candidates = _results_files(files, directory.resolve())
    if len(candidates) != 1:
        found = "no" if not candidates else f"{len(candidates)} (ambiguous)"
        raise BaselineError(
            f"{label} has {found} {RESULTS_FILE_NAME}",
            hint=f"upload exactly the {RESULTS_FILE_NAME} written by `lanebench run` as this artifact")
    results = candidates[0]
    try:
        doc = read_results(results)
    except ResultsError as exc:
        raise BaselineError(
            f"{label}: {exc.message}",
            hint=f"{exc.hint + '; ' if exc.hint else ''}re-run the workflow on the baseline "
                 f"branch to upload a fresh artifact") from None
    return doc, results


def _results_files(files: list[Path], root: Path) -> list[Path]:
    """The results file at the artifact's root, else every one found deeper."""
    at_root = root / RESULTS_FILE_NAME
    if at_root in files:
        return [at_root]
    return [f for f in files if f.name == RESULTS_FILE_NAME]


# --- history of main-branch runs ----------------------------------------------------------


def environment_digest(environment: dict[str, Any]) -> str:
    """A short digest of what makes machines differ in speed (CPU model, cores, arch, Python)."""
    keys = (*MACHINE_KEYS, "python")
    text = json.dumps({k: environment.get(k) for k in keys}, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def run_summary(doc: ResultsDocument) -> HistoryEntry:
    """One history entry: the run's identity, calibration median and per-metric medians."""
    calibration = calibration_of(doc)
    benchmarks: dict[str, dict[str, float]] = {}
    for bench in doc.benchmarks:
        if bench.status != "ok" or bench.n == 0:
            continue
        benchmarks[bench.name] = {
            name: statistics.median(values) for name, values in bench.samples.items() if values
        }
    return HistoryEntry(
        commit=doc.run.commit,
        finished_at=doc.run.finished_at,
        environment=environment_digest(doc.environment),
        calibration=(
            {"wall": calibration.median("wall"), "cpu": calibration.median("cpu")}
            if calibration is not None else None
        ),
        benchmarks=benchmarks,
    )


def history_of(doc: ResultsDocument | None) -> list[HistoryEntry]:
    """The history entries a baseline carries that hold medians ([] for none, or for files
    from before 1.1)."""
    if doc is None or doc.history is None:
        return []
    return [e for e in doc.history if e.benchmarks is not None]


def append_history(
    previous: ResultsDocument | None, current: ResultsDocument, k: int = DEFAULT_HISTORY
) -> ResultsDocument:
    """`current` carrying the last `k` main-branch run summaries, itself the newest.

    The history is carried forward from the previous baseline; a previous baseline from
    before history existed (schema 1.0) counts as one run. The same run (commit and
    finish time) is never counted twice. `current` is not modified.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if previous is None:
        entries: list[HistoryEntry] = []
    elif previous.history is not None:
        entries = history_of(previous)
    else:
        entries = [run_summary(previous)]
    mine = run_summary(current)
    identity = (mine.commit, mine.finished_at)
    entries = [e for e in entries if (e.commit, e.finished_at) != identity]
    entries.append(mine)
    out = copy.deepcopy(current)
    out.history = copy.deepcopy(entries[-k:])
    return out


def main_run_of(doc: ResultsDocument) -> RunRecord | None:
    """`doc`'s record for the trends of main, or None when it names no commit SHA (a run
    outside git is no point of a series) or no benchmark finished with samples."""
    if not COMMIT.fullmatch((doc.run.commit or "").lower()):
        return None
    record = run_record(doc, runner_fingerprint=environment_digest(doc.environment))
    return record if record.benchmarks else None


def append_main_run(
    previous: ResultsDocument | None, current: ResultsDocument, keep: int = DEFAULT_TREND_RUNS
) -> ResultsDocument:
    """`current` carrying the previous baseline's record of main runs with its own run
    appended (a re-run of a commit replaces that commit's record), the last `keep` kept.

    A run that cannot be a point (`main_run_of` None) carries the record on unchanged.
    `current` is not modified."""
    history: History | None = previous.main_runs if previous is not None else None
    record = main_run_of(current)
    if record is not None:
        history = append_run(history, record, keep)
    elif history is not None and len(history.runs) > keep:
        history = History(runs=history.runs[-keep:], confidence=history.confidence)
    out = copy.copy(current)
    out.main_runs = history
    return out
