"""What the fake GitHub remembers: repositories, pull requests, issues, labels, comments,
commits of the default branch, check runs, workflow runs, artifacts, tokens, scripted
faults, the request log and violations.

Every public method takes and returns JSON-friendly values so that the same calls work
in-process and over the control API (`/_fake/call`) when the fake runs as a subprocess.
"""

from __future__ import annotations

import base64
import hashlib
import io
import threading
import time
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

DEFAULT_TOKEN = "ghs_fake0token0for0tests"
DEFAULT_REPO = "octo-org/octo-repo"
# Who GITHUB_TOKEN is: GitHub Actions' app, as its bot user (the id is GitHub's).
ACTIONS_BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
ALL_WRITE = {
    "pull_requests": "write",
    "issues": "write",
    "checks": "write",
    "actions": "read",
    "contents": "read",
    "metadata": "read",
}


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso(offset_seconds: float = 0) -> str:
    return iso(datetime.now(timezone.utc) + timedelta(seconds=offset_seconds))


def make_zip(files: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    default_branch: str = "main"
    has_issues: bool = True  # GitHub answers 410 Gone to issue requests when disabled

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Pull:
    repo: str
    number: int
    head_sha: str
    head_ref: str
    base_ref: str
    files: list[dict[str, Any]]
    labels: list[str]
    title: str
    author: str
    head_repo: str  # full name; differs from `repo` for a pull request from a fork
    state: str = "open"
    draft: bool = False


@dataclass
class Issue:
    """An issue (not a pull request: those live in `pulls` and share the numbers)."""

    repo: str
    number: int
    title: str
    body: str
    user_login: str
    user_type: str
    labels: list[str]
    state: str = "open"
    state_reason: str | None = None
    created_at: str = ""
    updated_at: str = ""
    closed_at: str | None = None


@dataclass
class Label:
    repo: str
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass
class CommitRecord:
    """A commit of the default branch (a linear history, oldest first) and the pull
    requests it came with."""

    repo: str
    sha: str
    message: str
    author_login: str
    date: str
    pulls: list[int] = field(default_factory=list)


@dataclass
class Comment:
    id: int
    repo: str
    issue_number: int
    body: str
    user_login: str
    user_type: str
    created_at: str
    updated_at: str


@dataclass
class CheckRun:
    id: int
    repo: str
    head_sha: str
    name: str
    status: str
    conclusion: str | None
    title: str | None
    summary: str | None
    text: str | None
    details_url: str | None
    annotations: list[dict[str, Any]] = field(default_factory=list)
    started_at: str = ""
    completed_at: str | None = None


@dataclass
class WorkflowRun:
    id: int
    repo: str
    head_branch: str
    head_sha: str
    event: str
    status: str
    conclusion: str | None
    head_repo: str
    name: str = "lanebench"
    pull_numbers: list[int] = field(default_factory=list)


@dataclass
class Artifact:
    id: int
    repo: str
    name: str
    run_id: int
    zip_bytes: bytes
    expired: bool
    created_at: str

    def public(self) -> dict[str, Any]:
        d = asdict(self)
        d["size_in_bytes"] = len(d.pop("zip_bytes"))
        return d


@dataclass
class Fault:
    """A scripted answer that replaces the next real one for an operation."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    operation_id: str | None
    status: int
    authorized: bool
    body: Any = None
    at: float = 0.0


class FakeState:
    """All state behind one lock; tests read it directly or via `snapshot()`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._next_id = 1000
        self.repos: dict[str, Repo] = {}
        self.tokens: dict[str, dict[str, str]] = {DEFAULT_TOKEN: dict(ALL_WRITE)}
        self.identities: dict[str, dict[str, Any]] = {DEFAULT_TOKEN: dict(ACTIONS_BOT)}
        self.without_push: set[str] = set()  # tokens whose new issues lose their labels
        self.user_ids: dict[str, int] = {ACTIONS_BOT["login"]: ACTIONS_BOT["id"]}
        self.pulls: dict[tuple[str, int], Pull] = {}
        self.comments: dict[int, Comment] = {}
        self.issues: dict[tuple[str, int], Issue] = {}
        self.labels: dict[tuple[str, str], Label] = {}  # (repo, lower-case name)
        self.commits: dict[str, list[CommitRecord]] = {}  # repo -> default branch, oldest first
        self.check_runs: dict[int, CheckRun] = {}
        self.workflow_runs: dict[int, WorkflowRun] = {}
        self.artifacts: dict[int, Artifact] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.requests: list[RequestRecord] = []
        self.violations: list[str] = []
        self.blob_downloads: list[dict[str, Any]] = []
        self.rate_remaining = 5000

    # --- ids, lookups --------------------------------------------------------------------

    def new_id(self) -> int:
        with self.lock:
            self._next_id += 1
            return self._next_id

    def repo(self, full_name: str) -> Repo | None:
        return self.repos.get(full_name.lower())

    def user_id(self, login: str) -> int:
        """The account's id: one per login, stable for the fake's life (logins are
        case-insensitive on GitHub)."""
        with self.lock:
            known = {k.lower(): v for k, v in self.user_ids.items()}
            if login.lower() not in known:
                self.user_ids[login] = 5_000_000 + self.new_id()
                return self.user_ids[login]
            return known[login.lower()]

    def identity(self, token: str) -> dict[str, Any]:
        """The account a token acts as: login, id and type ("User" or "Bot")."""
        with self.lock:
            who = dict(self.identities.get(token) or ACTIONS_BOT)
        who["id"] = self.user_id(who["login"])
        return who

    # --- seeding (tests call these) ------------------------------------------------------

    def add_repo(self, full_name: str = DEFAULT_REPO, default_branch: str = "main") -> dict[str, Any]:
        owner, name = full_name.split("/")
        with self.lock:
            existing = self.repo(full_name)
            if existing:
                return asdict(existing)
            repo = Repo(id=self.new_id(), owner=owner, name=name, default_branch=default_branch)
            self.repos[full_name.lower()] = repo
            return asdict(repo)

    def set_issues_enabled(self, enabled: bool, repo: str = DEFAULT_REPO) -> None:
        """Turn the repository's issues off (a setting) or on again."""
        self.add_repo(repo)
        with self.lock:
            found = self.repo(repo)
            assert found is not None
            found.has_issues = enabled

    def add_token(self, token: str, permissions: dict[str, str] | None = None, *,
                  login: str = ACTIONS_BOT["login"], user_type: str = "Bot", push: bool = True) -> None:
        """Register a token; `permissions` like GITHUB_TOKEN's (`{"checks": "read"}`...).
        It acts as `login` (GITHUB_TOKEN: github-actions[bot]; a personal token: its user).
        `push=False`: a user who may open issues but not push, whose new issues GitHub
        opens without the labels asked for."""
        with self.lock:
            self.tokens[token] = dict(ALL_WRITE if permissions is None else permissions)
            self.identities[token] = {"login": login, "type": user_type}
            if push:
                self.without_push.discard(token)
            else:
                self.without_push.add(token)

    def add_pull(
        self,
        number: int,
        files: list[str] | list[dict[str, Any]] | int = 1,
        *,
        repo: str = DEFAULT_REPO,
        head_sha: str = "6dcb09b5b57875f334f61aebed695e2e4193db5e",
        head_ref: str = "feature",
        base_ref: str = "main",
        labels: list[str] | None = None,
        title: str = "Change things",
        author: str = "octocat",
        fork: str | None = None,
        state: str = "open",
    ) -> dict[str, Any]:
        """Add a pull request. `files`: paths, diff entries, or a count of generated paths."""
        self.add_repo(repo)
        if isinstance(files, int):
            files = [f"src/file_{i:05d}.py" for i in range(files)]
        entries = [self._diff_entry(f) for f in files]
        with self.lock:
            pull = Pull(
                repo=repo.lower(), number=number, head_sha=head_sha, head_ref=head_ref,
                base_ref=base_ref, files=entries, labels=list(labels or []), title=title,
                author=author, head_repo=(fork or repo), state=state,
            )
            self.pulls[(repo.lower(), number)] = pull
            return asdict(pull) | {"files": len(entries)}

    def add_pull_from_event(self, event: dict[str, Any], files: list[str] | int = 1,
                            state: str = "open") -> dict[str, Any]:
        """Seed a pull request from a `pull_request` webhook payload."""
        pr = event["pull_request"]
        head_repo = (pr["head"].get("repo") or {}).get("full_name") or event["repository"]["full_name"]
        repo = event["repository"]["full_name"]
        return self.add_pull(
            pr["number"], files, repo=repo, head_sha=pr["head"]["sha"], head_ref=pr["head"]["ref"],
            base_ref=pr["base"]["ref"], labels=[lb["name"] for lb in pr.get("labels", [])],
            title=pr.get("title") or "", author=pr["user"]["login"],
            fork=head_repo if head_repo.lower() != repo.lower() else None, state=state,
        )

    def add_comment(
        self, number: int, body: str, *, repo: str = DEFAULT_REPO, user: str = "octocat",
        user_type: str = "User",
    ) -> int:
        with self.lock:
            cid = self.new_id()
            stamp = now_iso()
            self.comments[cid] = Comment(cid, repo.lower(), number, body, user, user_type, stamp, stamp)
            return cid

    def next_number(self, repo: str) -> int:
        """Issues and pull requests share one sequence of numbers per repository."""
        with self.lock:
            used = [n for (r, n) in (*self.pulls, *self.issues) if r == repo.lower()]
            return max(used, default=0) + 1

    def add_issue(
        self, title: str, body: str = "", *, repo: str = DEFAULT_REPO, user: str = "octocat",
        user_type: str = "User", labels: list[str] | None = None, state: str = "open",
        state_reason: str | None = None, age_seconds: float = 0,
    ) -> int:
        """Add an issue (its labels are created when missing, as GitHub does); its number."""
        self.add_repo(repo)
        for name in labels or []:
            self.add_label(name, repo=repo)
        with self.lock:
            number = self.next_number(repo)
            stamp = now_iso(-age_seconds)
            self.issues[(repo.lower(), number)] = Issue(
                repo=repo.lower(), number=number, title=title, body=body, user_login=user,
                user_type=user_type, labels=list(labels or []), state=state,
                state_reason=state_reason if state == "closed" else None,
                created_at=stamp, updated_at=stamp, closed_at=stamp if state == "closed" else None,
            )
            return number

    def add_label(self, name: str, *, repo: str = DEFAULT_REPO, color: str = "ededed",
                  description: str | None = None) -> bool:
        """Create a label unless one of that name (any case) exists; True when created."""
        with self.lock:
            key = (repo.lower(), name.lower())
            if key in self.labels:
                return False
            self.labels[key] = Label(repo.lower(), name, color, description)
            return True

    def add_commit(self, message: str = "Change things", *, repo: str = DEFAULT_REPO,
                   sha: str | None = None, author: str = "octocat", pulls: list[int] | None = None) -> str:
        """Append a commit to the default branch; its SHA (made up unless given)."""
        self.add_repo(repo)
        with self.lock:
            history = self.commits.setdefault(repo.lower(), [])
            sha = sha or hashlib.sha1(f"{repo}:{len(history)}:{message}".encode()).hexdigest()
            history.append(CommitRecord(repo.lower(), sha, message, author,
                                        now_iso(-3600 + 60 * len(history)), list(pulls or [])))
            return sha

    def add_workflow_run(
        self,
        *,
        repo: str = DEFAULT_REPO,
        head_branch: str = "main",
        head_sha: str = "009b8a3a9ccbb128af87f9b1c0f4c62e8a304f6d",
        event: str = "push",
        conclusion: str | None = "success",
        fork: str | None = None,
        pull_numbers: list[int] | None = None,
    ) -> int:
        self.add_repo(repo)
        with self.lock:
            rid = self.new_id()
            self.workflow_runs[rid] = WorkflowRun(
                id=rid, repo=repo.lower(), head_branch=head_branch, head_sha=head_sha,
                event=event, status="completed" if conclusion else "in_progress",
                conclusion=conclusion, head_repo=(fork or repo), pull_numbers=list(pull_numbers or []),
            )
            return rid

    def add_artifact(
        self,
        name: str,
        *,
        zip_bytes: bytes | None = None,
        zip_base64: str | None = None,
        files: dict[str, str] | None = None,
        repo: str = DEFAULT_REPO,
        run_id: int | None = None,
        head_branch: str = "main",
        head_sha: str = "009b8a3a9ccbb128af87f9b1c0f4c62e8a304f6d",
        expired: bool = False,
        age_seconds: float = 0,
        fork: str | None = None,
    ) -> int:
        """Add an artifact (its workflow run is created unless `run_id` is given)."""
        if zip_base64 is not None:
            zip_bytes = base64.b64decode(zip_base64)
        if zip_bytes is None:
            zip_bytes = make_zip(files or {})
        if run_id is None:
            run_id = self.add_workflow_run(repo=repo, head_branch=head_branch, head_sha=head_sha, fork=fork)
        with self.lock:
            aid = self.new_id()
            self.artifacts[aid] = Artifact(
                id=aid, repo=repo.lower(), name=name, run_id=run_id, zip_bytes=zip_bytes,
                expired=expired, created_at=now_iso(-age_seconds),
            )
            return aid

    # --- faults ----------------------------------------------------------------------------

    def script(self, operation_id: str, *faults: dict[str, Any] | Fault) -> None:
        """Answer the next calls of `operation_id` (e.g. "checks/create") with these faults."""
        with self.lock:
            queue = self.faults.setdefault(operation_id, [])
            for f in faults:
                queue.append(f if isinstance(f, Fault) else Fault(**f))

    def take_fault(self, operation_id: str) -> Fault | None:
        with self.lock:
            queue = self.faults.get(operation_id)
            return queue.pop(0) if queue else None

    # --- reading ---------------------------------------------------------------------------

    def comments_on(self, number: int, repo: str = DEFAULT_REPO) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(c) for c in sorted(self.comments.values(), key=lambda c: c.id)
                    if c.repo == repo.lower() and c.issue_number == number]

    def issues_in(self, repo: str = DEFAULT_REPO) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(i) for (r, _), i in sorted(self.issues.items()) if r == repo.lower()]

    def labels_in(self, repo: str = DEFAULT_REPO) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(lb) for (r, _), lb in sorted(self.labels.items()) if r == repo.lower()]

    def check_runs_for(self, head_sha: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(c) for c in self.check_runs.values() if head_sha in (None, c.head_sha)]

    def requests_for(self, operation_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(r) for r in self.requests if r.operation_id == operation_id]

    def record_violation(self, text: str) -> None:
        with self.lock:
            self.violations.append(text)

    def take_violations(self) -> list[str]:
        """Return and clear the recorded violations (for tests that provoke them)."""
        with self.lock:
            found, self.violations = self.violations, []
            return found

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "repos": [asdict(r) for r in self.repos.values()],
                "pulls": [asdict(p) | {"files": len(p.files)} for p in self.pulls.values()],
                "comments": [asdict(c) for c in sorted(self.comments.values(), key=lambda c: c.id)],
                "issues": [asdict(i) for _, i in sorted(self.issues.items())],
                "labels": [asdict(lb) for _, lb in sorted(self.labels.items())],
                "commits": {r: [asdict(c) for c in cs] for r, cs in self.commits.items()},
                "check_runs": [asdict(c) for c in self.check_runs.values()],
                "workflow_runs": [asdict(w) for w in self.workflow_runs.values()],
                "artifacts": [a.public() for a in self.artifacts.values()],
                "requests": [asdict(r) for r in self.requests],
                "violations": list(self.violations),
                "blob_downloads": list(self.blob_downloads),
                "pending_faults": {k: len(v) for k, v in self.faults.items() if v},
            }

    # --- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _diff_entry(f: str | dict[str, Any]) -> dict[str, Any]:
        if isinstance(f, dict):
            entry = {"status": "modified", "additions": 1, "deletions": 0} | f
        else:
            entry = {"filename": f, "status": "modified", "additions": 1, "deletions": 0}
        entry.setdefault("changes", entry["additions"] + entry["deletions"])
        return entry


# Ready-made faults, as GitHub sends them.

def server_error(status: int = 502) -> Fault:
    return Fault(status, {"message": "Server Error"})


def secondary_rate_limit(retry_after: int = 1) -> Fault:
    return Fault(
        403,
        {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
                    "you try again.",
         "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"},
        {"Retry-After": str(retry_after)},
    )


def primary_rate_limit(reset_in: int = 1, status: int = 403) -> Fault:
    return Fault(
        status,
        {"message": "API rate limit exceeded for installation ID 1.",
         "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"},
        {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-used": "5000",
         "x-ratelimit-reset": str(int(time.time() + reset_in)), "x-ratelimit-resource": "core"},
    )


def bad_credentials() -> Fault:
    return Fault(401, {"message": "Bad credentials",
                       "documentation_url": "https://docs.github.com/rest", "status": "401"})


def not_accessible(accepted: str = "issues=write; pull_requests=write") -> Fault:
    return Fault(
        403,
        {"message": "Resource not accessible by integration",
         "documentation_url": "https://docs.github.com/rest", "status": "403"},
        {"x-accepted-github-permissions": accepted},
    )
