"""The one place that talks to GitHub's REST API (through PyGithub).

What it does: list a pull request's files and labels, find the open pull requests of a
head commit, keep one sticky comment up to date (only the token's own: GraphQL `viewer`
says whose it is), create a check run within GitHub's limits, find and download workflow
artifacts, find, open and update the token's own issues carrying a label and a marker, list
the commits between two commits and the pull requests each came with.

How it behaves when GitHub misbehaves:

- transient failures (5xx, connection errors) and rate limits (403/429 with
  ``Retry-After`` or ``x-ratelimit-remaining: 0``) are retried by the HTTP layer
  (PyGithub's ``GithubRetry``, a urllib3 ``Retry``), waiting as long as GitHub asks, but
  never past ``max_retry_seconds`` in total for one request;
- every permanent failure becomes one `GitHubError` line that names the cause and the fix
  (`_translate` is the one place that decides the wording); a missing permission is a
  `GitHubPermissionError` so the caller can still write the job summary and go on;
- the token never appears in a message.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import quote

import github
import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubObject import NonCompletableGithubObject
from github.PaginatedList import PaginatedList
from urllib3 import Retry

from lanebench import __version__
from lanebench.errors import ExternalError
from lanebench.limits import CHECK_OUTPUT_LIMIT, COMMENT_LIMIT

DEFAULT_API_URL = "https://api.github.com"
PR_FILES_LIMIT = 3000  # GitHub lists at most 3,000 files of a pull request
PER_PAGE = 100  # the most GitHub returns per page
OUTPUT_FIELD_LIMIT = CHECK_OUTPUT_LIMIT  # check run output.summary / output.text, in characters
COMMENT_BODY_LIMIT = COMMENT_LIMIT  # issue comment body, in characters
ISSUE_BODY_LIMIT = 65536  # issue body, in characters
ISSUE_TITLE_LIMIT = 256  # issue title, in characters
MAX_LABELLED_ISSUES_SCANNED = 5000  # issues carrying one label, listed to find ours
RANGE_COMMITS_LIMIT = 100  # commits of a compared range listed by default
ANNOTATIONS_PER_REQUEST = 50
MAX_ARTIFACTS_SCANNED = 1000  # artifacts come newest first; stop looking after this many
MAX_OPEN_PULLS_SCANNED = 10_000  # open pull requests listed to find those of one head commit
# Who the token is: works for every kind of token. REST `GET /user` answers 403 for an
# installation token such as GITHUB_TOKEN, and `GET /app` wants the app's JWT.
VIEWER_QUERY = "query { viewer { login databaseId } }"
DEFAULT_MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024
FORK_SAFE_DOC = "docs/fork-safe.md"
ISSUES_DISABLED_HINT = "turn Issues on in the repository's settings, or stop asking for alert issues"
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")

Conclusion = Literal[
    "success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required"
]


# --- errors -----------------------------------------------------------------------------


class GitHubError(ExternalError):
    """GitHub refused or failed a request; `str()` is one line with cause and fix."""

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None) -> None:
        self.status = status
        super().__init__(message, hint=hint)


class GitHubAuthError(GitHubError):
    """The token was rejected (401)."""


class GitHubPermissionError(GitHubError):
    """The token lacks a permission (403); publishing can be skipped, the run goes on."""

    def __init__(self, message: str, *, permission: str, hint: str | None = None,
                 status: int | None = 403) -> None:
        self.permission = permission
        super().__init__(message, hint=hint, status=status)


class GitHubNotFoundError(GitHubError):
    """404: wrong repository, pull request number or artifact, or not visible to the token."""


class GitHubRateLimitError(GitHubError):
    """GitHub asked to wait longer than the retry budget allows."""


class _RetryBudgetExceeded(Exception):
    """Raised from the retry layer when the next wait would pass the deadline."""

    def __init__(self, wait: float, status: int | None, budget: float) -> None:
        super().__init__(f"next wait {wait:.0f}s exceeds the retry budget")
        self.wait = wait
        self.status = status
        self.budget = budget


@dataclass(frozen=True)
class _Action:
    """What a request was for, so an error can say so and name the fix."""

    doing: str  # "create the pull request comment"
    permission: str  # as written under `permissions:` in a workflow
    fork_hint: bool = False
    not_found: str = "check the repository name and that the token can see it"
    gone: str = ("the artifact expired; re-run the workflow on the baseline branch to upload a "
                 "fresh one, or raise its `retention-days`")


# --- retry policy -----------------------------------------------------------------------


class _BoundedRetry(GithubRetry):
    """GithubRetry with a total time budget per request, and 429 handled like 403.

    GitHub signals a primary rate limit with ``x-ratelimit-remaining: 0`` and
    ``x-ratelimit-reset`` (epoch seconds), a secondary one with ``Retry-After``; both are
    honoured as the wait before the next attempt, unless that wait would pass the budget.
    """

    def __init__(self, *, budget_seconds: float = 120.0, deadline: float | None = None,
                 **kwargs: Any) -> None:
        self.budget_seconds = budget_seconds
        self.deadline = deadline
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> _BoundedRetry:
        kw.update(budget_seconds=self.budget_seconds, deadline=self.deadline)
        return super().new(**kw)

    def increment(self, method: str | None = None, url: str | None = None, *args: Any,
                  **kwargs: Any) -> _BoundedRetry:
        deadline = self.deadline if self.deadline is not None else time.monotonic() + self.budget_seconds
        # Retry.increment makes its successor with self.new(): one of this class
        retry = cast(_BoundedRetry, super().increment(method, url, *args, **kwargs))
        retry.deadline = deadline
        return retry

    def get_retry_after(self, response: Any) -> float | None:
        after = super().get_retry_after(response)
        if after is not None:
            return after
        headers = response.headers
        if headers.get("x-ratelimit-remaining") == "0" and str(headers.get("x-ratelimit-reset", "")).isdigit():
            # +1: it is not known when within that second the reset happens.
            return max(float(headers["x-ratelimit-reset"]) - time.time(), 0.0) + 1.0
        return None

    def sleep(self, response: Any = None) -> None:
        wait = None
        if self.respect_retry_after_header and response is not None:
            wait = self.get_retry_after(response)
        if not wait:
            wait = self.get_backoff_time()
        if self.deadline is not None and time.monotonic() + wait > self.deadline:
            raise _RetryBudgetExceeded(wait, getattr(response, "status", None), self.budget_seconds)
        super().sleep(response)


def _retry_policy(budget_seconds: float) -> _BoundedRetry:
    return _BoundedRetry(
        budget_seconds=budget_seconds,
        total=10,
        backoff_factor=1.0,  # 0s, 2s, 4s, ... between failures without Retry-After
        backoff_max=30.0,
        status_forcelist=[*range(500, 600), 429],
        raise_on_status=False,  # hand the last error response to PyGithub, which raises
        # secondary rate limits without Retry-After: GitHub asks for "a few minutes"
        secondary_rate_wait=60,
    )


# --- value types ------------------------------------------------------------------------


@dataclass(frozen=True)
class PullFiles:
    """A pull request's changed files as GitHub's diff entries (filename, status, additions, ...)."""

    files: list[dict[str, Any]]
    truncated: bool  # GitHub lists at most 3,000 files; True when the PR has more
    total: int  # files changed according to the pull request itself


@dataclass(frozen=True)
class PullRequestInfo:
    number: int
    title: str
    head_sha: str
    head_ref: str
    base_ref: str
    labels: list[str]
    changed_files: int
    additions: int
    deletions: int
    draft: bool
    from_fork: bool
    html_url: str


@dataclass(frozen=True)
class PullHead:
    """A pull request as a list of them shows it: enough to tell whose head commit it is."""

    number: int
    state: str  # "open" or "closed"
    head_sha: str
    head_ref: str
    head_repository: str  # full name; "" when the head repository was deleted


@dataclass(frozen=True)
class Identity:
    """The account the token acts as: a user, or an app's bot (`github-actions[bot]` for
    GITHUB_TOKEN). `id` is the account's number, which a rename does not change."""

    login: str
    id: int | None

    def wrote(self, comment: Any) -> bool:
        """True when `comment` (PyGithub's IssueComment) was posted by this account."""
        user = comment.user
        if user is None:
            return False
        return self.is_account(user.id, user.login)

    def is_account(self, number: Any, login: Any) -> bool:
        """True when the account (`id`, `login` as GitHub gives a user) is this one."""
        if self.id is not None:
            return number == self.id
        return isinstance(login, str) and login.lower() == self.login.lower()


@dataclass(frozen=True)
class CommentInfo:
    id: int
    url: str
    body: str
    author: str


@dataclass(frozen=True)
class IssueInfo:
    number: int
    title: str
    body: str
    state: str  # "open" or "closed"
    state_reason: str | None  # "completed", "not_planned", "reopened", ... or None
    labels: tuple[str, ...]
    author: str
    html_url: str


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    subject: str  # the first line of the message
    author: str  # the GitHub account, else the git author's name
    html_url: str


@dataclass(frozen=True)
class CommitRange:
    """The commits after `base` up to `head`, oldest first, as far as they were listed."""

    base: str
    head: str
    commits: tuple[CommitInfo, ...]
    total: int  # commits in the range, listed or not
    html_url: str  # the compare page

    @property
    def truncated(self) -> bool:
        return self.total > len(self.commits)


@dataclass(frozen=True)
class PullSummary:
    number: int
    title: str
    html_url: str
    author: str
    merged: bool


@dataclass(frozen=True)
class Annotation:
    path: str
    start_line: int
    end_line: int
    level: Literal["notice", "warning", "failure"]
    message: str
    title: str | None = None

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path, "start_line": self.start_line, "end_line": self.end_line,
            "annotation_level": self.level, "message": self.message,
        }
        if self.title:
            out["title"] = self.title[:255]
        return out


@dataclass(frozen=True)
class ArtifactInfo:
    id: int
    name: str
    size_in_bytes: int
    expired: bool
    created_at: datetime | None
    run_id: int | None
    head_branch: str | None
    head_sha: str | None
    from_fork: bool
    archive_download_url: str

    def describe(self) -> str:
        where = f" from {self.head_branch}@{(self.head_sha or '')[:7]}" if self.head_branch else ""
        return f"artifact {self.name!r} (id {self.id}{where})"


def truncate_text(text: str, limit: int, note: str) -> str:
    """Cut `text` to at most `limit` characters, ending with `note` when cut."""
    if len(text) <= limit:
        return text
    suffix = f"\n\n{note}"
    return text[: max(limit - len(suffix), 0)] + suffix


_TRUNCATED = ("*(truncated by lanebench: GitHub limits this field to {limit:,} characters; "
              "the full report is in the job summary and the report files)*")


# --- the client -------------------------------------------------------------------------


class GitHubClient:
    """GitHub REST calls lanebench needs, for one repository.

    `api_url` is ``GITHUB_API_URL`` on GitHub Enterprise Server. `seconds_between_requests`
    and `seconds_between_writes` pace requests as GitHub asks integrations to (tests pass 0).
    """

    def __init__(
        self,
        token: str,
        repository: str,
        api_url: str = DEFAULT_API_URL,
        *,
        max_retry_seconds: float = 120.0,
        timeout: float = 30.0,
        seconds_between_requests: float = 0.25,
        seconds_between_writes: float = 1.0,
    ) -> None:
        if not token:
            raise GitHubAuthError("no GitHub token given",
                                  hint="pass `github-token: ${{ secrets.GITHUB_TOKEN }}` "
                                       "or set GITHUB_TOKEN")
        if repository.count("/") != 1 or not all(repository.split("/")):
            raise GitHubError(f"repository must look like owner/name, got {repository!r}",
                              hint="set GITHUB_REPOSITORY or --repository")
        self.repository = repository
        self.api_url = api_url.rstrip("/")
        self.max_retry_seconds = max_retry_seconds
        self.timeout = timeout
        self._token = token
        self._gh = Github(
            auth=Auth.Token(token),
            base_url=self.api_url,
            timeout=int(max(timeout, 1)),
            user_agent=f"lanebench/{__version__}",
            per_page=PER_PAGE,
            retry=_retry_policy(max_retry_seconds),
            seconds_between_requests=seconds_between_requests or None,
            seconds_between_writes=seconds_between_writes or None,
            lazy=True,  # objects are fetched when read, not when referenced
        )
        self._repo = self._gh.get_repo(repository)
        self._identity: Identity | None = None

    def close(self) -> None:
        self._gh.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- pull requests -----------------------------------------------------------------

    def pull_request(self, number: int) -> PullRequestInfo:
        action = _Action(f"read pull request #{number}", "pull-requests: read",
                         not_found=f"check the pull request number and repository {self.repository}")
        with self._call(action):
            pr = self._repo.get_pull(number)
            head_repo = pr.head.repo.full_name if pr.head.repo else None
            return PullRequestInfo(
                number=pr.number, title=pr.title, head_sha=pr.head.sha, head_ref=pr.head.ref,
                base_ref=pr.base.ref, labels=[label.name for label in pr.labels],
                changed_files=pr.changed_files, additions=pr.additions, deletions=pr.deletions,
                draft=bool(pr.draft), from_fork=(head_repo or "").lower() != self.repository.lower(),
                html_url=pr.html_url,
            )

    def open_pulls_with_head(self, head_sha: str) -> list[PullHead]:
        """The open pull requests of this repository whose head commit is `head_sha`.

        Every open pull request is listed (100 a page) and filtered here: GitHub's
        `GET /commits/{sha}/pulls` does not list pull requests from forks, and filtering by
        `head=owner:branch` would miss another branch (or fork) with the same head commit.
        """
        action = _Action(f"list the open pull requests to find those with head {head_sha[:12]}",
                         "pull-requests: read")
        found: list[PullHead] = []
        with self._call(action):
            for scanned, pr in enumerate(self._repo.get_pulls(state="open")):
                if scanned >= MAX_OPEN_PULLS_SCANNED:
                    raise GitHubError(
                        f"{self.repository} has more than {MAX_OPEN_PULLS_SCANNED:,} open pull "
                        f"requests: cannot tell which of them have head {head_sha[:12]}",
                        hint="close stale pull requests")
                if pr.head.sha.lower() == head_sha.lower():
                    found.append(PullHead(
                        number=pr.number, state=pr.state, head_sha=pr.head.sha, head_ref=pr.head.ref,
                        head_repository=pr.head.repo.full_name if pr.head.repo else ""))
        return found

    def pull_request_labels(self, number: int) -> list[str]:
        return self.pull_request(number).labels

    def pull_request_files(self, number: int) -> PullFiles:
        """All changed files GitHub will list (at most 3,000), 100 per page."""
        info = self.pull_request(number)
        action = _Action(f"list the files of pull request #{number}", "pull-requests: read")
        with self._call(action):
            files = [f.raw_data for f in self._repo.get_pull(number).get_files()]
        total = max(info.changed_files, len(files))
        return PullFiles(files=files, truncated=total > len(files), total=total)

    # --- sticky comment ----------------------------------------------------------------

    def identity(self) -> Identity:
        """The account the token acts as (asked once: GraphQL `viewer`)."""
        if self._identity is None:
            action = _Action("ask which account the token acts as (GraphQL viewer)",
                             "metadata: read")
            with self._call(action):
                _, data = self._gh.requester.graphql_query(VIEWER_QUERY, {})
            viewer = ((data or {}).get("data") or {}).get("viewer") or {}
            login, number = viewer.get("login"), viewer.get("databaseId")
            if not isinstance(login, str) or not login:
                raise GitHubError("GitHub did not say which account the token acts as "
                                  "(GraphQL viewer without a login)",
                                  hint="re-run the job; if it persists, GitHub may be degraded")
            self._identity = Identity(login, number if isinstance(number, int) else None)
        return self._identity

    def find_comment(self, number: int, marker: str) -> CommentInfo | None:
        """The oldest comment on the pull request that starts with `marker` and was
        posted by the token's own account."""
        found = self._comments_with(number, marker)
        return _comment_info(found[0]) if found else None

    def _comments_with(self, number: int, marker: str) -> list[Any]:
        """Ours: the marker alone proves nothing, anyone can write it into a comment."""
        me = self.identity()
        action = _Action(f"read the comments of pull request #{number}", "pull-requests: read")
        with self._call(action):
            return [c for c in self._repo.get_issue(number).get_comments()
                    if (c.body or "").lstrip().startswith(marker) and me.wrote(c)]

    def upsert_comment(self, number: int, body: str, marker: str) -> str:
        """Create, or update in place, the one comment of ours carrying `marker`; return its URL.

        Ours: posted by the token's own account and starting with the hidden marker (an
        HTML comment). A reply quoting it starts with "> ", and a comment of anyone else's
        that starts with the marker is left alone: this posts its own. If duplicates of
        ours exist (a create that GitHub completed but answered 5xx, then retried), the
        oldest is kept and updated and the newer copies are deleted.
        """
        if not body.lstrip().startswith(marker):
            body = f"{marker}\n{body}"
        body = truncate_text(body, COMMENT_BODY_LIMIT, _TRUNCATED.format(limit=COMMENT_BODY_LIMIT))
        existing = self._comments_with(number, marker)
        write = _Action(f"comment on pull request #{number}", "pull-requests: write", fork_hint=True)
        with self._call(write):
            if not existing:
                return self._repo.get_issue(number).create_comment(body).html_url
            keep, *duplicates = existing
            if keep.body != body:
                keep.edit(body)
            for dup in duplicates:
                dup.delete()
            return keep.html_url

    # --- issues ------------------------------------------------------------------------

    def own_issues(self, label: str, marker: str) -> list[IssueInfo]:
        """The issues, open and closed, that carry `label`, hold `marker` in their body and
        were opened by the token's own account; oldest first.

        Listed, never searched: the search index lags behind by seconds to minutes, so a
        quick re-run would not find the issue the run before it opened and would open a
        second one. The label narrows the listing; the author proves an issue ours (anyone
        can write the marker into an issue and give it the label). Pull requests, which
        GitHub lists among issues, are skipped.
        """
        me = self.identity()
        action = _Action(f"list the issues labelled {label!r}", "issues: write",
                         gone=ISSUES_DISABLED_HINT)
        found: list[IssueInfo] = []
        with self._call(action):
            listing = PaginatedList(_Raw, self._gh.requester, f"{self._repo.url}/issues",
                                    {"labels": label, "state": "all", "sort": "created",
                                     "direction": "asc", "per_page": PER_PAGE})
            for scanned, item in enumerate(listing):
                if scanned >= MAX_LABELLED_ISSUES_SCANNED:
                    raise GitHubError(
                        f"more than {MAX_LABELLED_ISSUES_SCANNED:,} issues of {self.repository} "
                        f"carry the label {label!r}: cannot tell which are lanebench's",
                        hint="give lanebench a label of its own")
                raw = item.raw_data
                user = raw.get("user") or {}
                if ("pull_request" not in raw and marker in (raw.get("body") or "")
                        and me.is_account(user.get("id"), user.get("login"))):
                    found.append(_issue_info(raw))
        return found

    def ensure_label(self, name: str, *, color: str, description: str) -> bool:
        """Create the label unless the repository has it; True when created here."""
        action = _Action(f"create the label {name!r}", "issues: write", gone=ISSUES_DISABLED_HINT)
        requester = self._gh.requester
        with self._call(action):
            try:
                requester.requestJsonAndCheck("GET", f"{self._repo.url}/labels/{quote(name, safe='')}")
                return False
            except GithubException as exc:
                if exc.status != 404:
                    raise
            try:
                requester.requestJsonAndCheck("POST", f"{self._repo.url}/labels", input={
                    "name": name, "color": color, "description": description[:100]})
            except GithubException as exc:
                if exc.status == 422:  # created meanwhile, by a concurrent job
                    return False
                raise
            return True

    def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> IssueInfo:
        """Open an issue; title and body are cut to GitHub's limits."""
        action = _Action("open an issue", "issues: write", gone=ISSUES_DISABLED_HINT)
        payload = {"title": title[:ISSUE_TITLE_LIMIT],
                   "body": truncate_text(body, ISSUE_BODY_LIMIT, _TRUNCATED.format(limit=ISSUE_BODY_LIMIT)),
                   "labels": list(labels)}
        with self._call(action):
            _, data = self._gh.requester.requestJsonAndCheck("POST", f"{self._repo.url}/issues",
                                                             input=payload)
        return _issue_info(data)

    def update_issue(self, number: int, *, title: str | None = None, body: str | None = None) -> IssueInfo:
        """Change an issue's title and/or body (its state, labels and comments stay)."""
        payload: dict[str, Any] = {}
        if title is not None:
            payload["title"] = title[:ISSUE_TITLE_LIMIT]
        if body is not None:
            payload["body"] = truncate_text(body, ISSUE_BODY_LIMIT, _TRUNCATED.format(limit=ISSUE_BODY_LIMIT))
        action = _Action(f"update issue #{number}", "issues: write", gone=ISSUES_DISABLED_HINT,
                         not_found=f"issue #{number} was deleted or moved to another repository")
        with self._call(action):
            _, data = self._gh.requester.requestJsonAndCheck(
                "PATCH", f"{self._repo.url}/issues/{number}", input=payload)
        return _issue_info(data)

    # --- commits -------------------------------------------------------------------------

    def commit_range(self, base: str, head: str, *, limit: int = RANGE_COMMITS_LIMIT) -> CommitRange:
        """The commits after `base` up to `head` (the compare endpoint), oldest first, at
        most `limit` of them (100 a page); `total` says how many the range holds."""
        for sha in (base, head):
            if not _SHA.fullmatch(sha):
                raise ValueError(f"not a commit SHA: {sha!r}")
        action = _Action(f"list the commits between {base[:12]} and {head[:12]}", "contents: read",
                         not_found=f"{self.repository} does not have both commits (rewritten history?)")
        url = f"{self._repo.url}/compare/{base}...{head}"
        params = {"per_page": PER_PAGE}
        with self._call(action):
            headers, data = self._gh.requester.requestJsonAndCheck("GET", url, parameters=params)
            listing = PaginatedList(_Raw, self._gh.requester, url, params, list_item="commits",
                                    firstData=data, firstHeaders=headers)
            commits = tuple(_commit_info(item.raw_data) for item in itertools.islice(listing, max(limit, 0)))
        total = data.get("total_commits")
        return CommitRange(base=base, head=head, commits=commits,
                           total=total if isinstance(total, int) else len(commits),
                           html_url=str(data.get("html_url") or ""))

    def pulls_of_commit(self, sha: str, *, limit: int = 10) -> list[PullSummary]:
        """The pull requests GitHub associates with a commit: for a commit on the default
        branch, the merged one that brought it."""
        if not _SHA.fullmatch(sha):
            raise ValueError(f"not a commit SHA: {sha!r}")
        action = _Action(f"list the pull requests of commit {sha[:12]}", "contents: read")
        with self._call(action):
            listing = PaginatedList(_Raw, self._gh.requester, f"{self._repo.url}/commits/{sha}/pulls",
                                    {"per_page": min(max(limit, 1), PER_PAGE)})
            return [_pull_summary(item.raw_data) for item in itertools.islice(listing, max(limit, 0))]

    # --- check runs --------------------------------------------------------------------

    def create_check_run(
        self,
        head_sha: str,
        name: str,
        conclusion: Conclusion,
        title: str,
        summary: str,
        text: str | None = None,
        details_url: str | None = None,
        annotations: Sequence[Annotation] = (),
    ) -> str:
        """Create a completed check run; return its URL.

        Summary and text are cut to GitHub's 65,535 characters with a note; annotations
        go 50 per request (the rest are appended by updates, as GitHub requires).
        """
        note = _TRUNCATED.format(limit=OUTPUT_FIELD_LIMIT)
        output: dict[str, Any] = {
            "title": title[:255] or name,
            "summary": truncate_text(summary, OUTPUT_FIELD_LIMIT, note),
        }
        if text:
            output["text"] = truncate_text(text, OUTPUT_FIELD_LIMIT, note)
        batches = [list(annotations[i:i + ANNOTATIONS_PER_REQUEST])
                   for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)]
        if batches:
            output["annotations"] = [a.to_api() for a in batches[0]]
        kwargs: dict[str, Any] = {}
        if details_url:
            kwargs["details_url"] = details_url
        action = _Action(f"create check run {name!r}", "checks: write", fork_hint=True,
                         not_found=f"check the repository {self.repository} and the commit {head_sha[:12]}")
        with self._call(action):
            run = self._repo.create_check_run(
                name=name, head_sha=head_sha, status="completed", conclusion=conclusion,
                output=output, **kwargs,
            )
            for batch in batches[1:]:
                run.edit(output={"title": output["title"], "summary": output["summary"],
                                 "annotations": [a.to_api() for a in batch]})
            return run.html_url

    # --- artifacts ---------------------------------------------------------------------

    def find_baseline_artifact(self, name: str, branch: str) -> ArtifactInfo | None:
        """The newest unexpired artifact `name` uploaded by a run on `branch` of this repository.

        Artifacts uploaded by runs of pull requests from forks are ignored even when the
        fork's branch has the same name: their content is not trusted.
        """
        action = _Action(f"list artifacts named {name!r}", "actions: read",
                         not_found=f"check the repository {self.repository}")
        with self._call(action):
            listing = self._repo.get_artifacts(name=name)
            return self._newest(listing, lambda a: a.head_branch == branch)

    def artifact_for_run(self, run_id: int, name: str) -> ArtifactInfo | None:
        """Artifact `name` of workflow run `run_id` (the fork-safe `workflow_run` flow)."""
        action = _Action(f"list the artifacts of workflow run {run_id}", "actions: read",
                         not_found=f"check the run id {run_id} and repository {self.repository}")
        with self._call(action):
            listing = PaginatedList(
                github.Artifact.Artifact, self._gh.requester,
                f"{self._repo.url}/actions/runs/{run_id}/artifacts", {"name": name},
                list_item="artifacts",
            )
            return self._newest(listing, lambda a: a.name == name, allow_fork=True)

    def _newest(self, listing: Iterable[Any], accept: Any, *, allow_fork: bool = False) -> ArtifactInfo | None:
        # GitHub lists artifacts newest first: the first acceptable one is the newest.
        for scanned, raw in enumerate(listing):
            if scanned >= MAX_ARTIFACTS_SCANNED:
                return None
            info = _artifact_info(raw)
            if info.expired or (info.from_fork and not allow_fork):
                continue
            if accept(info):
                return info
        return None

    def download_artifact(self, artifact: ArtifactInfo, dest_zip: Path,
                          *, max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES) -> Path:
        """Download the artifact's zip to `dest_zip` (GitHub redirects to short-lived storage)."""
        action = _Action(f"download {artifact.describe()}", "actions: read",
                         not_found="the artifact was deleted; re-run the workflow that uploads it")
        with self._call(action):
            headers, _ = self._gh.requester.requestJsonAndCheck("GET", artifact.archive_download_url)
            location = headers.get("location")
            if not location:
                raise GitHubError(f"GitHub did not redirect the download of {artifact.describe()}",
                                  hint="re-run the job; if it persists, GitHub may be degraded")
            # The storage URL is pre-signed: send no token to it.
            dest_zip = Path(dest_zip)
            dest_zip.parent.mkdir(parents=True, exist_ok=True)
            with _storage_session() as session, session.get(location, stream=True, timeout=self.timeout) as resp:
                resp.raise_for_status()
                written = 0
                with open(dest_zip, "wb") as fh:
                    for chunk in resp.iter_content(chunk_size=1 << 16):
                        written += len(chunk)
                        if written > max_bytes:
                            raise GitHubError(
                                f"{artifact.describe()} is larger than {max_bytes:,} bytes; refused",
                                hint="upload only the results file as the baseline artifact")
                        fh.write(chunk)
            return dest_zip

    # --- error mapping -----------------------------------------------------------------

    @contextlib.contextmanager
    def _call(self, action: _Action) -> Iterator[None]:
        try:
            yield
        except GitHubError:
            raise
        except Exception as exc:
            translated = _translate(exc, action, self)
            if translated is None:
                raise
            raise translated from None


class _Raw(NonCompletableGithubObject):
    """A listed item kept as GitHub sent it: PyGithub's own classes fetch an item again
    when a key it may lack (an issue's `pull_request`) is read."""

    def _initAttributes(self) -> None:  # noqa: N802 - PyGithub's hook names
        pass

    def _useAttributes(self, attributes: dict[str, Any]) -> None:  # noqa: N802
        pass


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _issue_info(raw: Mapping[str, Any]) -> IssueInfo:
    labels = tuple(_text(lb.get("name")) if isinstance(lb, dict) else _text(lb)
                   for lb in raw.get("labels") or [])
    return IssueInfo(
        number=int(raw["number"]), title=_text(raw.get("title")), body=_text(raw.get("body")),
        state=_text(raw.get("state")), state_reason=raw.get("state_reason") or None, labels=labels,
        author=_text((raw.get("user") or {}).get("login")), html_url=_text(raw.get("html_url")),
    )


def _commit_info(raw: Mapping[str, Any]) -> CommitInfo:
    commit = raw.get("commit") or {}
    account = (raw.get("author") or {}).get("login")
    return CommitInfo(
        sha=_text(raw.get("sha")), subject=_text(commit.get("message")).split("\n", 1)[0],
        author=_text(account) or _text((commit.get("author") or {}).get("name")),
        html_url=_text(raw.get("html_url")),
    )


def _pull_summary(raw: Mapping[str, Any]) -> PullSummary:
    return PullSummary(
        number=int(raw["number"]), title=_text(raw.get("title")), html_url=_text(raw.get("html_url")),
        author=_text((raw.get("user") or {}).get("login")), merged=bool(raw.get("merged_at")),
    )


def _storage_session() -> requests.Session:
    session = requests.Session()
    retry = Retry(total=4, backoff_factor=1.0, status_forcelist=[500, 502, 503, 504],
                  allowed_methods=["GET"], raise_on_status=False)
    session.mount("https://", requests.adapters.HTTPAdapter(max_retries=retry))
    session.mount("http://", requests.adapters.HTTPAdapter(max_retries=retry))
    return session


def _login(comment: Any) -> str:
    return comment.user.login if comment.user else ""


def _comment_info(comment: Any) -> CommentInfo:
    return CommentInfo(id=comment.id, url=comment.html_url, body=comment.body or "", author=_login(comment))


def _artifact_info(artifact: Any) -> ArtifactInfo:
    raw = artifact.raw_data
    run = raw.get("workflow_run") or {}
    repo_id, head_repo_id = run.get("repository_id"), run.get("head_repository_id")
    return ArtifactInfo(
        id=raw["id"], name=raw["name"], size_in_bytes=raw.get("size_in_bytes", 0),
        expired=bool(raw.get("expired")), created_at=artifact.created_at,
        run_id=run.get("id"), head_branch=run.get("head_branch"), head_sha=run.get("head_sha"),
        from_fork=repo_id is not None and head_repo_id is not None and repo_id != head_repo_id,
        archive_download_url=raw["archive_download_url"],
    )


def _github_message(data: Any) -> str:
    if isinstance(data, dict):
        msg = str(data.get("message") or "")
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            details = [e.get("message") or e.get("code") or str(e) if isinstance(e, dict) else str(e)
                       for e in errors]
            msg += ": " + "; ".join(str(d) for d in details)
        return msg
    return str(data or "")


def _one_line(text: str, token: str, limit: int = 200) -> str:
    text = " ".join(text.replace(token, "***").split()) if token else " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _translate(exc: BaseException, action: _Action, client: GitHubClient) -> GitHubError | None:
    """The one mapping from a failed request to the line the user reads."""
    token = client._token
    fork = (f"; on a pull request from a fork GITHUB_TOKEN is read-only: use the fork-safe "
            f"workflow ({FORK_SAFE_DOC})") if action.fork_hint else ""

    if isinstance(exc, _RetryBudgetExceeded):
        if exc.status in (403, 429):
            return GitHubRateLimitError(
                f"GitHub rate limit: asked to wait {exc.wait:.0f}s (HTTP {exc.status}) while "
                f"trying to {action.doing}, longer than the retry budget of {exc.budget:.0f}s",
                hint="re-run the job later; the API rate limit resets within the hour",
                status=exc.status,
            )
        failure = f"HTTP {exc.status}" if exc.status else "connection failed"
        return GitHubError(
            f"GitHub kept failing ({failure}) while trying to {action.doing}; gave up after "
            f"retrying for {exc.budget:.0f}s",
            hint=f"check that {client.api_url} is reachable (GITHUB_API_URL); GitHub may be "
                 "degraded (see githubstatus.com); re-run the job",
            status=exc.status,
        )
    if isinstance(exc, GithubException):
        status = exc.status
        said = _one_line(_github_message(exc.data), token)
        lowered = said.lower()
        if status == 401:
            return GitHubAuthError(
                f"GitHub rejected the token (401 {said or 'Bad credentials'}) while trying to "
                f"{action.doing}",
                hint="pass a valid token: `github-token: ${{ secrets.GITHUB_TOKEN }}` in the "
                     "workflow, or a personal access token that has not expired",
                status=status,
            )
        if status in (403, 429) and ("rate limit" in lowered or status == 429):
            return GitHubRateLimitError(
                f"GitHub rate limit ({status} {said}) while trying to {action.doing}, still "
                f"exceeded after retrying for up to {client.max_retry_seconds:.0f}s",
                hint="re-run the job later; the API rate limit resets within the hour",
                status=status,
            )
        if status == 403:
            return GitHubPermissionError(
                f"GitHub refused to {action.doing} (403 {said or 'Forbidden'}): the token lacks "
                f"`{action.permission}`",
                permission=action.permission,
                hint=f"add `permissions: {action.permission}` to the workflow job{fork}",
            )
        if status == 404:
            return GitHubNotFoundError(
                f"GitHub answered 404 Not Found while trying to {action.doing}",
                hint=action.not_found, status=status,
            )
        if status == 410:
            return GitHubNotFoundError(
                f"GitHub answered 410 Gone while trying to {action.doing} ({said or 'expired'})",
                hint=action.gone, status=status,
            )
        if status >= 500:
            return GitHubError(
                f"GitHub kept failing ({status} {said}) while trying to {action.doing}, after "
                f"retrying for up to {client.max_retry_seconds:.0f}s",
                hint="GitHub may be degraded (see githubstatus.com); re-run the job",
                status=status,
            )
        return GitHubError(
            f"GitHub rejected the request to {action.doing} ({status} {said})",
            hint="this looks like a lanebench bug; please report it with this line",
            status=status,
        )
    if isinstance(exc, requests.HTTPError):
        code = exc.response.status_code if exc.response is not None else None
        return GitHubError(
            f"artifact storage answered {code} while trying to {action.doing}",
            hint="the download link expires after a minute; re-run the job", status=code,
        )
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        kind = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
        return GitHubError(
            f"{kind} reaching {client.api_url} while trying to {action.doing}",
            hint="check GITHUB_API_URL / --api-url and the network; re-run the job",
        )
    if isinstance(exc, requests.RequestException):
        return GitHubError(
            f"request to GitHub failed while trying to {action.doing}: "
            f"{_one_line(type(exc).__name__ + ': ' + str(exc), token)}",
            hint="re-run the job",
        )
    return None
