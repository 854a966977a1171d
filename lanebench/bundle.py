"""The fork-safe artifact: a results file plus the pull request it claims to measure.

A pull request from a fork runs with a read-only token, so it cannot comment or create a
check. It uploads a *bundle* instead (`write_bundle`): the results file and
`lanebench-bundle.json`, which names the PR, its head commit, base branch and repository,
and the results file's sha256. A second, trusted workflow (`workflow_run`) downloads it
and reads it with `read_untrusted_bundle`, which trusts nothing the fork wrote: every
size, type, name and claim is checked against limits and against the `workflow_run`
payload GitHub itself produced, before anything is compared or published.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Protocol

from lanebench.atomic_write import write_json_atomic
from lanebench.errors import EXIT_USAGE, ConfigError, LanebenchError, ResultsError
from lanebench.limits import MAX_BENCHMARKS
from lanebench.names import MAX_NAME_LENGTH, has_hidden_characters
from lanebench.results import (
    ResultsDocument,
    ResultsLimitError,
    ResultsLimits,
    check_major,
    parse_json,
    parse_version,
    read_results,
)

BUNDLE_FILE = "lanebench-bundle.json"
BUNDLE_KIND = "lanebench-bundle"
BUNDLE_SCHEMA_VERSION = "1.0.0"
BUNDLE_SUPPORTED_MAJOR = 1

SHA_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256 object names
REPOSITORY_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
RUN_ID_RE = re.compile(r"[0-9]{1,20}")
MAX_REF_LENGTH = 255
MAX_FILE_NAME_LENGTH = 255

# Every way `read_untrusted_bundle` can refuse an artifact; docs/fork-safe.md lists each.
REFUSALS: dict[str, str] = {
    "missing": "the bundle directory or a file in it does not exist",
    "not-a-directory": "the bundle path is not a directory",
    "symlink": "a path in the artifact is a symbolic link",
    "not-a-file": "a path in the artifact is not a regular file (device, FIFO, directory)",
    "too-large": "a file is over its size limit",
    "not-json": "lanebench-bundle.json is not UTF-8 JSON",
    "schema": "lanebench-bundle.json has a missing, mistyped or malformed field",
    "schema-version": "lanebench-bundle.json has an unknown major schema version",
    "repository-mismatch": "the bundle names another repository than the one being reported on",
    "wrong-event": "the workflow run that uploaded the artifact was not a pull_request run",
    "head-sha-mismatch": "the bundle's head commit is not the commit the workflow run measured",
    "pr-mismatch": "the bundle's PR number is not the pull request of that workflow run",
    "pr-unresolved": "no open pull request has the workflow run's head commit",
    "pr-ambiguous": "more than one open pull request has the workflow run's head commit",
    "sha256-mismatch": "the results file's sha256 differs from the one recorded in the bundle",
    "bad-results": "the results file is not a valid lanebench results file",
    "bad-benchmark-name": "a benchmark name is empty, too long, invisible, or holds control characters",
    "bad-metric-name": "a metric name is not a plain lower-case identifier",
    "too-many-benchmarks": "the results file lists more benchmarks than the limit",
}


class UntrustedArtifactError(LanebenchError):
    """A bundle from a pull request run was refused; `reason` is a key of `REFUSALS`."""

    exit_code = EXIT_USAGE

    def __init__(self, reason: str, message: str, *, hint: str | None = None) -> None:
        if reason not in REFUSALS:  # a programming error, not a user's
            raise ValueError(f"unknown refusal reason {reason!r}")
        self.reason = reason
        super().__init__(f"untrusted artifact refused ({reason}): {message}", hint=hint)


class PullHeadLike(Protocol):
    """An open pull request as `open_pulls_with_head` reports it (lanebench.github.PullHead)."""

    @property
    def number(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def head_ref(self) -> str: ...
    @property
    def head_repository(self) -> str:
        """The full name of the repository its head branch lives in."""
        ...


@dataclass(frozen=True)
class BundleLimits:
    """How much of an untrusted artifact is read at most.

    16 MiB of results is about 90,000 benchmark iterations as `lanebench run` writes them
    (~180 bytes each with all 12 metrics): 1000 benchmarks x 90, or 100 x 900, more than
    the heavy lane's 60 iterations of every benchmark. Parsing and checking that much takes
    about a second here; a larger file is refused before a byte of it is parsed.
    """

    max_results_bytes: int = 16 * 1024 * 1024
    max_bundle_bytes: int = 64 * 1024
    max_benchmarks: int = MAX_BENCHMARKS
    max_name_length: int = MAX_NAME_LENGTH

    def results_limits(self) -> ResultsLimits:
        return ResultsLimits(
            max_bytes=self.max_results_bytes,
            max_benchmarks=self.max_benchmarks,
            max_name_length=self.max_name_length,
        )


@dataclass(frozen=True)
class BundleInfo:
    """The claims of `lanebench-bundle.json`, typed (still claims until checked)."""

    schema_version: str
    pr_number: int
    head_sha: str
    base_ref: str
    repository: str
    run_id: str | None
    created_at: str
    results_file: str
    results_sha256: str
    results_size: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": BUNDLE_KIND,
            "schema_version": self.schema_version,
            "pr_number": self.pr_number,
            "head_sha": self.head_sha,
            "base_ref": self.base_ref,
            "repository": self.repository,
            "run_id": self.run_id,
            "created_at": self.created_at,
            "results_file": self.results_file,
            "results_sha256": self.results_sha256,
            "results_size": self.results_size,
        }


@dataclass(frozen=True)
class TrustedBundle:
    """A bundle whose every claim was checked; safe to compare and publish."""

    info: BundleInfo
    results_path: Path
    results: ResultsDocument
    pr_resolved_by: Literal["workflow_run", "head_sha"]

    @property
    def pr_number(self) -> int:
        return self.info.pr_number

    @property
    def head_sha(self) -> str:
        return self.info.head_sha

    @property
    def base_ref(self) -> str:
        return self.info.base_ref

    @property
    def repository(self) -> str:
        return self.info.repository


# --- shared checks ---------------------------------------------------------------------


def _show(value: Any, limit: int = 60) -> str:
    """An untrusted value, quoted and escaped so it cannot break a log line or inject a
    workflow command, and cut short."""
    text = repr(value) if not isinstance(value, str) else repr(value[:limit])
    if isinstance(value, str) and len(value) > limit:
        text += f"… ({len(value)} characters)"
    return text if len(text) <= limit + 40 else text[: limit + 40] + "…"


def _check_repository(value: str, what: str) -> str:
    if not REPOSITORY_RE.fullmatch(value):
        raise ValueError(f"{what}: expected OWNER/NAME, got {_show(value)}")
    return value


def _check_ref(value: str) -> str:
    if not value or len(value) > MAX_REF_LENGTH or has_hidden_characters(value) or value != value.strip():
        raise ValueError(f"base_ref: expected a branch name, got {_show(value)}")
    return value


def _check_sha(value: str, what: str = "head_sha") -> str:
    if not SHA_RE.fullmatch(value):
        raise ValueError(f"{what}: expected a full commit SHA (40 hex digits), got {_show(value)}")
    return value


def _check_file_name(value: str) -> str:
    if (
        not value
        or len(value) > MAX_FILE_NAME_LENGTH
        or value in (".", "..", BUNDLE_FILE)
        or "/" in value
        or "\\" in value
        or has_hidden_characters(value)
    ):
        raise ValueError(f"results_file: expected a plain file name beside the bundle, got {_show(value)}")
    return value


def _open_regular(path: Path) -> int:
    """A file descriptor of `path`, refusing symlinks (O_NOFOLLOW) and non-regular files
    (checked on the opened file, so a swap after `lstat` changes nothing)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if os.path.islink(path):
            raise UntrustedArtifactError("symlink", f"{path.name} is a symbolic link") from None
        raise UntrustedArtifactError("missing", f"cannot open {path.name}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UntrustedArtifactError("not-a-file", f"{path.name} is not a regular file")
    return fd


def _read_limited(path: Path, limit: int) -> bytes:
    """The bytes of a regular file, never reading past `limit` + 1 bytes."""
    fd = _open_regular(path)
    try:
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 1024 * 1024):
            size += len(chunk)
            if size > limit:
                raise UntrustedArtifactError(
                    "too-large", f"{path.name} is over the {limit} byte limit"
                )
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _sha256_of(path: Path, limit: int) -> tuple[str, int]:
    """sha256 and size of a regular file, read in chunks and never past `limit` + 1 bytes."""
    fd = _open_regular(path)
    try:
        digest = hashlib.sha256()
        size = 0
        while chunk := os.read(fd, 1024 * 1024):
            size += len(chunk)
            if size > limit:
                raise UntrustedArtifactError(
                    "too-large", f"{path.name} is over the {limit} byte limit"
                )
            digest.update(chunk)
        return digest.hexdigest(), size
    finally:
        os.close(fd)


# --- writing (the pull request side) ---------------------------------------------------


def write_bundle(
    directory: Path | str,
    results: Path | str,
    *,
    pr_number: int,
    head_sha: str,
    base_ref: str,
    repository: str,
    run_id: str | None,
    limits: BundleLimits | None = None,
) -> Path:
    """Write `lanebench-bundle.json` into `directory`, next to the results file.

    A results file elsewhere is copied into `directory`, so that uploading the directory
    uploads both. The same checks the report side applies run here first, so a bundle the
    report workflow would refuse fails on the pull request instead. Returns the bundle path.
    """
    limits = limits or BundleLimits()
    out_dir = Path(directory)
    source = Path(results)
    try:
        if isinstance(pr_number, bool) or not isinstance(pr_number, int) or pr_number < 1:
            raise ValueError(f"pr_number: expected a positive integer, got {_show(pr_number)}")
        _check_sha(head_sha.lower())
        _check_ref(base_ref)
        _check_repository(repository, "repository")
        if run_id is not None and not RUN_ID_RE.fullmatch(run_id):
            raise ValueError(f"run_id: expected digits, got {_show(run_id)}")
        _check_file_name(source.name)
    except ValueError as exc:
        raise ConfigError(f"cannot write the bundle: {exc}") from None
    try:
        size = source.stat().st_size
    except FileNotFoundError:
        raise ResultsError(f"{source}: results file not found") from None
    if size > limits.max_results_bytes:
        raise ResultsError(
            f"{source}: {size} bytes is over the {limits.max_results_bytes} byte limit the "
            "report workflow accepts",
            hint="run fewer iterations or benchmarks per pull request",
        )
    try:  # the report workflow's own checks: clear errors for truncated or foreign files
        read_results(source, limits=limits.results_limits())
    except ResultsLimitError as exc:
        fix = ("rename it in the config; the report workflow would refuse it"
               if exc.reason.startswith("bad-") else "run fewer benchmarks per pull request")
        raise ResultsError(exc.message, hint=fix) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / source.name
    if not target.exists() or not os.path.samefile(source, target):
        shutil.copyfile(source, target)
    digest, size = _sha256_of(target, limits.max_results_bytes)
    info = BundleInfo(
        schema_version=BUNDLE_SCHEMA_VERSION,
        pr_number=pr_number,
        head_sha=head_sha.lower(),
        base_ref=base_ref,
        repository=repository,
        run_id=run_id,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        results_file=target.name,
        results_sha256=digest,
        results_size=size,
    )
    return write_json_atomic(out_dir / BUNDLE_FILE, info.to_dict())


# --- reading (the trusted side) --------------------------------------------------------


def _regular_file(path: Path, limit: int, what: str) -> int:
    """Size of `path` after checking it is a regular file (not a symlink) within `limit`."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise UntrustedArtifactError(
            "missing",
            f"{what} {path.name} is not in the artifact",
            hint="the pull request workflow must upload it beside lanebench-bundle.json",
        ) from None
    if stat.S_ISLNK(info.st_mode):
        raise UntrustedArtifactError("symlink", f"{what} {path.name} is a symbolic link")
    if not stat.S_ISREG(info.st_mode):
        raise UntrustedArtifactError("not-a-file", f"{what} {path.name} is not a regular file")
    if info.st_size > limit:
        raise UntrustedArtifactError(
            "too-large", f"{what} {path.name} is {info.st_size} bytes, over the {limit} byte limit"
        )
    return info.st_size


def _field(data: Mapping[str, Any], key: str, kind: type, *, optional: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise UntrustedArtifactError(
            "schema",
            f"{BUNDLE_FILE}: {key}: expected {'an integer' if kind is int else 'a string'}, "
            f"got {type(value).__name__ if value is not None else 'nothing'}",
        )
    return value


def parse_bundle(data: Any) -> BundleInfo:
    """Type and shape checks of the bundle JSON (claims are checked by the caller)."""
    if not isinstance(data, dict):
        raise UntrustedArtifactError("schema", f"{BUNDLE_FILE}: top level is not an object")
    if data.get("kind") != BUNDLE_KIND:
        raise UntrustedArtifactError(
            "schema", f"{BUNDLE_FILE}: kind: expected {BUNDLE_KIND!r}, got {_show(data.get('kind'))}"
        )
    version = data.get("schema_version")
    try:
        parse_version(version, BUNDLE_FILE)
        check_major(version, BUNDLE_FILE, supported=BUNDLE_SUPPORTED_MAJOR)
    except ResultsError as exc:
        raise UntrustedArtifactError(
            "schema-version",
            f"{BUNDLE_FILE}: schema_version {_show(version)} is not {BUNDLE_SUPPORTED_MAJOR}.x",
            hint="use the same lanebench version in both workflows",
        ) from exc
    pr_number = _field(data, "pr_number", int)
    head_sha = _field(data, "head_sha", str)
    base_ref = _field(data, "base_ref", str)
    repository = _field(data, "repository", str)
    run_id = _field(data, "run_id", str, optional=True)
    created_at = _field(data, "created_at", str)
    results_file = _field(data, "results_file", str)
    results_sha256 = _field(data, "results_sha256", str)
    results_size = _field(data, "results_size", int)
    try:
        if pr_number < 1:
            raise ValueError(f"pr_number: expected a positive integer, got {pr_number}")
        _check_sha(head_sha)
        _check_ref(base_ref)
        _check_repository(repository, "repository")
        if run_id is not None and not RUN_ID_RE.fullmatch(run_id):
            raise ValueError(f"run_id: expected digits, got {_show(run_id)}")
        if len(created_at) > 40:
            raise ValueError(f"created_at: expected an ISO 8601 time, got {_show(created_at)}")
        datetime.fromisoformat(created_at)
        _check_file_name(results_file)
        if len(results_sha256) != 64 or not SHA_RE.fullmatch(results_sha256):
            raise ValueError(f"results_sha256: expected 64 hex digits, got {_show(results_sha256)}")
        if results_size < 0:
            raise ValueError(f"results_size: expected a size in bytes, got {results_size}")
    except ValueError as exc:
        message = str(exc)
        if message.startswith("Invalid isoformat"):
            message = f"created_at: expected an ISO 8601 time, got {_show(created_at)}"
        raise UntrustedArtifactError("schema", f"{BUNDLE_FILE}: {message}") from None
    return BundleInfo(
        schema_version=str(version),  # parse_version took only a string
        pr_number=pr_number,
        head_sha=head_sha,
        base_ref=base_ref,
        repository=repository,
        run_id=run_id,
        created_at=created_at,
        results_file=results_file,
        results_sha256=results_sha256,
        results_size=results_size,
    )


def _listed_pr_numbers(workflow_run: Mapping[str, Any], repository: str) -> set[int]:
    """PR numbers GitHub lists for the run, keeping only PRs into `repository`.

    GitHub can list pull requests of other repositories that share the head branch (a
    fork's own PRs, for example); only those whose base is this repository count.
    """
    numbers: set[int] = set()
    for pr in workflow_run.get("pull_requests") or []:
        if not isinstance(pr, Mapping):
            continue
        number = pr.get("number")
        if isinstance(number, bool) or not isinstance(number, int):
            continue
        base_repo = (pr.get("base") or {}).get("repo") or {}
        base_url = str(base_repo.get("url") or "")
        if base_url and not base_url.lower().endswith("/repos/" + repository.lower()):
            continue
        numbers.add(number)
    return numbers


def read_untrusted_bundle(
    directory: Path | str,
    *,
    expected_repository: str,
    workflow_run: Mapping[str, Any],
    limits: BundleLimits | None = None,
    open_pulls_with_head: Callable[[str], Sequence[PullHeadLike]] | None = None,
) -> TrustedBundle:
    """Validate a downloaded bundle against limits and the trusted `workflow_run` payload.

    `workflow_run` is the `workflow_run` object of the event that started the trusted
    workflow (GitHub wrote it, the fork did not). For fork pull requests GitHub usually
    leaves `workflow_run.pull_requests` empty; then `open_pulls_with_head(head_sha)` must
    ask the API for the open pull requests of `expected_repository` whose head is that
    commit: exactly one must be, it must be the bundle's, and its head branch the one the
    run measured. Without that hook such a bundle is refused. Raises
    `UntrustedArtifactError` on any doubt.
    """
    limits = limits or BundleLimits()
    root = Path(directory)
    try:
        root_info = root.lstat()
    except FileNotFoundError:
        raise UntrustedArtifactError(
            "missing",
            f"bundle directory {root} does not exist",
            hint="download the pull request run's artifact into it first",
        ) from None
    if stat.S_ISLNK(root_info.st_mode):
        raise UntrustedArtifactError("symlink", f"bundle directory {root} is a symbolic link")
    if not stat.S_ISDIR(root_info.st_mode):
        raise UntrustedArtifactError("not-a-directory", f"{root} is not a directory")

    # 1. The bundle file: a small regular file of the known schema.
    bundle_path = root / BUNDLE_FILE
    _regular_file(bundle_path, limits.max_bundle_bytes, "bundle file")
    raw = _read_limited(bundle_path, limits.max_bundle_bytes)
    try:
        data = parse_json(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UntrustedArtifactError("not-json", f"{BUNDLE_FILE} is not UTF-8 JSON: {exc}") from None
    info = parse_bundle(data)

    # 2. Its claims against what GitHub says about the run that uploaded it.
    if info.repository.lower() != expected_repository.lower():
        raise UntrustedArtifactError(
            "repository-mismatch",
            f"the bundle is for {_show(info.repository)}, this is {expected_repository}",
        )
    run_repo = str(((workflow_run.get("repository") or {}).get("full_name")) or "")
    if run_repo and run_repo.lower() != expected_repository.lower():
        raise UntrustedArtifactError(
            "repository-mismatch",
            f"the workflow run belongs to {run_repo}, this is {expected_repository}",
        )
    event = workflow_run.get("event")
    if event is not None and event != "pull_request":
        raise UntrustedArtifactError(
            "wrong-event",
            f"the workflow run was triggered by {_show(event)}, not pull_request",
            hint="run the report job only `if: github.event.workflow_run.event == 'pull_request'`",
        )
    run_head = str(workflow_run.get("head_sha") or "").lower()
    if not run_head or info.head_sha != run_head:
        raise UntrustedArtifactError(
            "head-sha-mismatch",
            f"the bundle claims head {info.head_sha[:12]}, the workflow run measured "
            f"{run_head[:12] or 'an unknown commit'}",
        )
    listed = _listed_pr_numbers(workflow_run, expected_repository)
    resolved_by: Literal["workflow_run", "head_sha"]
    if listed:
        if info.pr_number not in listed:
            shown = ", ".join(f"#{n}" for n in sorted(listed))
            raise UntrustedArtifactError(
                "pr-mismatch",
                f"the bundle claims PR #{info.pr_number}, the workflow run belongs to {shown}",
            )
        resolved_by = "workflow_run"
    else:
        if open_pulls_with_head is None:
            raise UntrustedArtifactError(
                "pr-unresolved",
                f"the workflow run lists no pull request (usual for forks) and nothing "
                f"looked up which one has head {info.head_sha[:12]}",
                hint="pass open_pulls_with_head to list the open PRs of a head commit through the API",
            )
        _check_the_one_open_pull(info, workflow_run, expected_repository,
                                 [p for p in open_pulls_with_head(info.head_sha) if p.state == "open"])
        resolved_by = "head_sha"

    # 3. The results file: regular, within limits, the very bytes the bundle hashed.
    results_path = root / info.results_file
    _regular_file(results_path, limits.max_results_bytes, "results file")
    digest, size = _sha256_of(results_path, limits.max_results_bytes)
    if digest != info.results_sha256 or size != info.results_size:
        raise UntrustedArtifactError(
            "sha256-mismatch",
            f"{info.results_file} has sha256 {digest[:12]} ({size} bytes), the bundle "
            f"recorded {info.results_sha256[:12]} ({info.results_size} bytes)",
        )
    try:
        doc = read_results(results_path, limits=limits.results_limits())
    except ResultsError as exc:
        reason = exc.reason if isinstance(exc, ResultsLimitError) else "bad-results"
        raise UntrustedArtifactError(reason, exc.message.replace(str(results_path), info.results_file)) from None
    return TrustedBundle(info=info, results_path=results_path, results=doc, pr_resolved_by=resolved_by)


def _check_the_one_open_pull(info: BundleInfo, workflow_run: Mapping[str, Any], repository: str,
                             pulls: Sequence[PullHeadLike]) -> None:
    """Refuse unless exactly one open pull request has the head commit, it is the bundle's,
    and its head branch is the one the workflow run measured.

    Two open pull requests on one commit share every check run on it: a fork's run could
    then put a check (and, claiming the other number, a comment) on a pull request it did
    not measure. A pull request of another head branch with the same commit (the fork's
    own was closed meanwhile) is not the one the run measured either."""
    head = info.head_sha[:12]
    if not pulls:
        raise UntrustedArtifactError(
            "pr-unresolved", f"no open pull request of {repository} has head {head}",
            hint="the PR may have been closed or updated since; the next push reports again",
        )
    if len(pulls) > 1:
        numbers = ", ".join(f"#{p.number}" for p in sorted(pulls, key=lambda p: p.number))
        raise UntrustedArtifactError(
            "pr-ambiguous",
            f"{len(pulls)} open pull requests of {repository} have head {head} ({numbers}): a "
            "check on that commit would show on each, so none is reported",
            hint="push a commit of its own to the pull request that should be reported",
        )
    (pull,) = pulls
    if pull.number != info.pr_number:
        raise UntrustedArtifactError(
            "pr-mismatch", f"the bundle claims PR #{info.pr_number}, head {head} belongs to PR "
                           f"#{pull.number}",
        )
    run_repo = str(((workflow_run.get("head_repository") or {}).get("full_name")) or "")
    run_branch = str(workflow_run.get("head_branch") or "")
    if not (run_repo and run_branch):
        raise UntrustedArtifactError(
            "pr-unresolved", "the workflow run names no head repository and branch to match "
                             f"PR #{pull.number} against",
        )
    if (pull.head_repository.lower(), pull.head_ref) != (run_repo.lower(), run_branch):
        source = f"{pull.head_repository}:{pull.head_ref}" if pull.head_repository else \
            f"a deleted repository's {pull.head_ref}"
        raise UntrustedArtifactError(
            "pr-mismatch", f"PR #{pull.number} comes from {_show(source)}, the workflow run "
                           f"measured {_show(run_repo + ':' + run_branch)}",
        )
