"""One handler per GitHub operation the fake serves.

Bodies start from the example the OpenAPI description ships for the operation and take
their values from the fake's state; the server then checks them against the description.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

from .spec import GitHubDescription
from .state import (
    CheckRun,
    Comment,
    CommitRecord,
    FakeState,
    Issue,
    Label,
    Pull,
    Repo,
    WorkflowRun,
    now_iso,
)

MAX_PER_PAGE = 100
PR_FILES_LIMIT = 3000  # GitHub lists at most 3,000 files of a pull request


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # non-JSON payloads (zip blobs)


@dataclass
class Call:
    state: FakeState
    spec: GitHubDescription
    base_url: str  # how the client reached us, e.g. http://127.0.0.1:PORT
    blob_base_url: str  # "another host" for artifact blobs, like GitHub's storage
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    token: str = ""  # the caller's token; its identity authors what the call creates

    @property
    def repo_name(self) -> str:
        return f"{self.params['owner']}/{self.params['repo']}".lower()

    def api(self, path: str) -> str:
        return self.base_url + path


def error(status: int, message: str, **extra: Any) -> Response:
    body = {"message": message, "documentation_url": "https://docs.github.com/rest", "status": str(status)}
    return Response(status, body | extra)


def _paginate(call: Call, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
    per_page = min(int(call.query.get("per_page", 30)), MAX_PER_PAGE)
    page = max(int(call.query.get("page", 1)), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = items[(page - 1) * per_page: page * per_page]
    links = []

    def link(p: int, rel: str) -> str:
        q = dict(call.query) | {"page": str(p), "per_page": str(per_page)}
        return f'<{call.base_url}{call.path}?{urlencode(q)}>; rel="{rel}"'

    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links += [link(1, "first"), link(page - 1, "prev")]
    return chunk, ({"Link": ", ".join(links)} if links else {})


# --- shaping bodies ---------------------------------------------------------------------


def _user(call: Call, login: str, user_type: str = "User") -> dict[str, Any]:
    user = call.spec.example("issue-comment")["user"]
    user.update(login=login, id=call.state.user_id(login), type=user_type, url=call.api(f"/users/{login}"),
                html_url=f"https://github.com/{login}")
    return user


def _repository(call: Call, repo: Repo, template: dict[str, Any]) -> dict[str, Any]:
    template = json.loads(json.dumps(template))
    template.update(id=repo.id, name=repo.name, full_name=repo.full_name,
                    url=call.api(f"/repos/{repo.full_name}"),
                    html_url=f"https://github.com/{repo.full_name}",
                    default_branch=repo.default_branch)
    template["owner"] = template["owner"] | {"login": repo.owner}
    return template


def _pull(call: Call, pull: Pull) -> dict[str, Any]:
    """A pull request as `pulls/get` returns it (the full object)."""
    body = _pull_fields(call, pull, call.spec.example("pull-request"))
    body.update(
        changed_files=len(pull.files),
        additions=sum(f.get("additions", 0) for f in pull.files),
        deletions=sum(f.get("deletions", 0) for f in pull.files),
    )
    return body


def _pull_simple(call: Call, pull: Pull) -> dict[str, Any]:
    """A pull request as `pulls/list` lists it (`pull-request-simple`: no counts)."""
    return _pull_fields(call, pull, call.spec.example("pull-request-simple-items")[0])


def _pull_fields(call: Call, pull: Pull, body: dict[str, Any]) -> dict[str, Any]:
    repo = call.state.repo(pull.repo)
    assert repo is not None
    head_repo = call.state.repo(pull.head_repo) or Repo(id=repo.id + 1, owner=pull.head_repo.split("/")[0],
                                                        name=pull.head_repo.split("/")[1])
    base = f"/repos/{repo.full_name}"
    body.update(
        url=call.api(f"{base}/pulls/{pull.number}"), number=pull.number, id=pull.number * 1000 + 7,
        html_url=f"https://github.com/{repo.full_name}/pull/{pull.number}",
        issue_url=call.api(f"{base}/issues/{pull.number}"),
        comments_url=call.api(f"{base}/issues/{pull.number}/comments"),
        state=pull.state, title=pull.title, draft=pull.draft, user=_user(call, pull.author),
        labels=[_label(call, repo, name) for name in pull.labels],
        # The description's own example lists a team without the `type` it requires.
        requested_teams=[],
    )
    body["head"].update(ref=pull.head_ref, sha=pull.head_sha, label=f"{head_repo.owner}:{pull.head_ref}",
                        repo=_repository(call, head_repo, body["head"]["repo"]))
    body["base"].update(ref=pull.base_ref, label=f"{repo.owner}:{pull.base_ref}",
                        repo=_repository(call, repo, body["base"]["repo"]))
    return body


def _label(call: Call, repo: Repo, name: str) -> dict[str, Any]:
    return {"id": abs(hash(name)) % 10**8, "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=",
            "url": call.api(f"/repos/{repo.full_name}/labels/{name}"), "name": name,
            "description": None, "color": "f29513", "default": False}


def _comment(call: Call, c: Comment) -> dict[str, Any]:
    body = call.spec.example("issue-comment")
    repo = call.state.repo(c.repo)
    assert repo is not None
    body.update(
        id=c.id, body=c.body, user=_user(call, c.user_login, c.user_type),
        url=call.api(f"/repos/{repo.full_name}/issues/comments/{c.id}"),
        html_url=f"https://github.com/{repo.full_name}/pull/{c.issue_number}#issuecomment-{c.id}",
        issue_url=call.api(f"/repos/{repo.full_name}/issues/{c.issue_number}"),
        created_at=c.created_at, updated_at=c.updated_at,
    )
    return body


def _check_run(call: Call, run: CheckRun) -> dict[str, Any]:
    body = call.spec.example("check-run")
    repo = call.state.repo(run.repo)
    assert repo is not None
    url = call.api(f"/repos/{repo.full_name}/check-runs/{run.id}")
    body.update(
        id=run.id, head_sha=run.head_sha, name=run.name, status=run.status,
        conclusion=run.conclusion, url=url, details_url=run.details_url,
        html_url=f"https://github.com/{repo.full_name}/runs/{run.id}",
        started_at=run.started_at, completed_at=run.completed_at, pull_requests=[],
        output={"title": run.title, "summary": run.summary, "text": run.text,
                "annotations_count": len(run.annotations), "annotations_url": url + "/annotations"},
    )
    return body


def _artifact(call: Call, artifact_id: int) -> dict[str, Any]:
    a = call.state.artifacts[artifact_id]
    run = call.state.workflow_runs[a.run_id]
    repo = call.state.repo(a.repo)
    assert repo is not None
    head_repo = call.state.repo(run.head_repo)
    url = call.api(f"/repos/{repo.full_name}/actions/artifacts/{a.id}")
    body = call.spec.example("artifact")
    body.update(
        id=a.id, name=a.name, size_in_bytes=len(a.zip_bytes), url=url,
        archive_download_url=url + "/zip", expired=a.expired, created_at=a.created_at,
        updated_at=a.created_at, expires_at=now_iso(90 * 86400) if not a.expired else a.created_at,
        digest=None,
        workflow_run={"id": run.id, "repository_id": repo.id,
                      "head_repository_id": head_repo.id if head_repo else repo.id + 1,
                      "head_branch": run.head_branch, "head_sha": run.head_sha},
    )
    return body


def _workflow_run(call: Call, run: WorkflowRun) -> dict[str, Any]:
    body = call.spec.example("workflow-run")
    repo = call.state.repo(run.repo)
    assert repo is not None
    head_repo = call.state.repo(run.head_repo) or Repo(id=repo.id + 1, owner=run.head_repo.split("/")[0],
                                                       name=run.head_repo.split("/")[1])
    url = call.api(f"/repos/{repo.full_name}/actions/runs/{run.id}")
    body.update(
        id=run.id, name=run.name, head_branch=run.head_branch, head_sha=run.head_sha, event=run.event,
        status=run.status, conclusion=run.conclusion, url=url,
        html_url=f"https://github.com/{repo.full_name}/actions/runs/{run.id}",
        artifacts_url=url + "/artifacts",
        pull_requests=[{"id": n, "number": n, "url": call.api(f"/repos/{repo.full_name}/pulls/{n}"),
                        "head": {"ref": run.head_branch, "sha": run.head_sha,
                                 "repo": {"id": head_repo.id, "url": call.api(f"/repos/{head_repo.full_name}"),
                                          "name": head_repo.name}},
                        "base": {"ref": repo.default_branch, "sha": run.head_sha,
                                 "repo": {"id": repo.id, "url": call.api(f"/repos/{repo.full_name}"),
                                          "name": repo.name}}}
                       for n in run.pull_numbers],
    )
    body["repository"] = body["repository"] | {"id": repo.id, "full_name": repo.full_name, "name": repo.name}
    body["head_repository"] = body["head_repository"] | {
        "id": head_repo.id, "full_name": head_repo.full_name, "name": head_repo.name}
    return body


# --- operations -------------------------------------------------------------------------


def _find_pull(call: Call) -> Pull | None:
    number = int(call.params.get("pull_number") or call.params["issue_number"])
    return call.state.pulls.get((call.repo_name, number))


def pulls_get(call: Call) -> Response:
    pull = _find_pull(call)
    if pull is None:
        return error(404, "Not Found")
    return Response(200, _pull(call, pull))


def pulls_list(call: Call) -> Response:
    """Filters as GitHub documents them: `state`, `head` (`owner:branch`), `base`; newest first
    unless `direction=asc` (creation order is the number's here)."""
    if call.state.repo(call.repo_name) is None:
        return error(404, "Not Found")
    state = call.query.get("state", "open")
    head, base = call.query.get("head"), call.query.get("base")
    with call.state.lock:
        pulls = [p for (repo, _), p in call.state.pulls.items()
                 if repo == call.repo_name and state in ("all", p.state)
                 and (head is None or head.lower() == f"{p.head_repo.split('/')[0]}:{p.head_ref}".lower())
                 and (base is None or base == p.base_ref)]
    pulls.sort(key=lambda p: p.number, reverse=call.query.get("direction", "desc") == "desc")
    chunk, headers = _paginate(call, pulls)
    return Response(200, [_pull_simple(call, p) for p in chunk], headers)


def pulls_list_files(call: Call) -> Response:
    pull = _find_pull(call)
    if pull is None:
        return error(404, "Not Found")
    chunk, headers = _paginate(call, pull.files[:PR_FILES_LIMIT])
    return Response(200, [_diff_entry(call, pull, f) for f in chunk], headers)


def _diff_entry(call: Call, pull: Pull, f: dict[str, Any]) -> dict[str, Any]:
    repo = call.state.repo(pull.repo)
    assert repo is not None
    name = f["filename"]
    return {"sha": "bbcd538c8e72b8c175046e27cc8f907076331401",
            "blob_url": f"https://github.com/{repo.full_name}/blob/{pull.head_sha}/{name}",
            "raw_url": f"https://github.com/{repo.full_name}/raw/{pull.head_sha}/{name}",
            "contents_url": call.api(f"/repos/{repo.full_name}/contents/{name}?ref={pull.head_sha}"),
            "patch": "@@ -1 +1 @@"} | f


def _find_issue(call: Call) -> Issue | None:
    return call.state.issues.get((call.repo_name, int(call.params["issue_number"])))


def issues_list_comments(call: Call) -> Response:
    number = int(call.params["issue_number"])
    if _find_pull(call) is None and _find_issue(call) is None:
        return error(404, "Not Found")
    with call.state.lock:
        items = sorted((c for c in call.state.comments.values()
                        if c.repo == call.repo_name and c.issue_number == number), key=lambda c: c.id)
    chunk, headers = _paginate(call, items)
    return Response(200, [_comment(call, c) for c in chunk], headers)


def issues_create_comment(call: Call) -> Response:
    number = int(call.params["issue_number"])
    if _find_pull(call) is None and _find_issue(call) is None:
        return error(404, "Not Found")
    author = call.state.identity(call.token)
    cid = call.state.add_comment(number, call.body["body"], repo=call.repo_name,
                                 user=author["login"], user_type=author["type"])
    c = call.state.comments[cid]
    return Response(201, _comment(call, c), {"Location": call.api(
        f"/repos/{call.repo_name}/issues/comments/{cid}")})


def issues_update_comment(call: Call) -> Response:
    c = call.state.comments.get(int(call.params["comment_id"]))
    if c is None or c.repo != call.repo_name:
        return error(404, "Not Found")
    with call.state.lock:
        c.body = call.body["body"]
        c.updated_at = now_iso()
    return Response(200, _comment(call, c))


def issues_delete_comment(call: Call) -> Response:
    with call.state.lock:
        c = call.state.comments.get(int(call.params["comment_id"]))
        if c is None or c.repo != call.repo_name:
            return error(404, "Not Found")
        del call.state.comments[c.id]
    return Response(204)


def checks_create(call: Call) -> Response:
    b = call.body
    out = b.get("output") or {}
    status = "completed" if b.get("conclusion") else b.get("status", "queued")
    run = CheckRun(
        id=call.state.new_id(), repo=call.repo_name, head_sha=b["head_sha"], name=b["name"],
        status=status, conclusion=b.get("conclusion"), title=out.get("title"),
        summary=out.get("summary"), text=out.get("text"), details_url=b.get("details_url"),
        annotations=list(out.get("annotations") or []), started_at=b.get("started_at") or now_iso(),
        completed_at=(b.get("completed_at") or now_iso()) if status == "completed" else None,
    )
    with call.state.lock:
        call.state.check_runs[run.id] = run
    return Response(201, _check_run(call, run))


def checks_update(call: Call) -> Response:
    run = call.state.check_runs.get(int(call.params["check_run_id"]))
    if run is None or run.repo != call.repo_name:
        return error(404, "Not Found")
    b = call.body
    out = b.get("output") or {}
    with call.state.lock:
        for key in ("name", "details_url", "status", "conclusion", "completed_at"):
            if key in b:
                setattr(run, key, b[key])
        if b.get("conclusion"):
            run.status = "completed"
            run.completed_at = run.completed_at or now_iso()
        for key in ("title", "summary", "text"):
            if key in out:
                setattr(run, key, out[key])
        # GitHub appends annotations on update.
        run.annotations.extend(out.get("annotations") or [])
    return Response(200, _check_run(call, run))


def _artifacts_page(call: Call, run_id: int | None) -> Response:
    name = call.query.get("name")
    with call.state.lock:
        ids = [a.id for a in call.state.artifacts.values()
               if a.repo == call.repo_name and (name is None or a.name == name)
               and (run_id is None or a.run_id == run_id)]
    ids.sort(key=lambda i: (call.state.artifacts[i].created_at, i), reverse=True)  # newest first
    chunk, headers = _paginate(call, ids)
    return Response(200, {"total_count": len(ids), "artifacts": [_artifact(call, i) for i in chunk]}, headers)


def actions_list_artifacts_for_repo(call: Call) -> Response:
    if call.state.repo(call.repo_name) is None:
        return error(404, "Not Found")
    return _artifacts_page(call, None)


def actions_list_workflow_run_artifacts(call: Call) -> Response:
    run = call.state.workflow_runs.get(int(call.params["run_id"]))
    if run is None or run.repo != call.repo_name:
        return error(404, "Not Found")
    return _artifacts_page(call, run.id)


def actions_get_artifact(call: Call) -> Response:
    a = call.state.artifacts.get(int(call.params["artifact_id"]))
    if a is None or a.repo != call.repo_name:
        return error(404, "Not Found")
    return Response(200, _artifact(call, a.id))


def actions_download_artifact(call: Call) -> Response:
    a = call.state.artifacts.get(int(call.params["artifact_id"]))
    if a is None or a.repo != call.repo_name:
        return error(404, "Not Found")
    if call.params["archive_format"] != "zip":
        return error(422, "Validation Failed: archive_format must be zip")
    if a.expired:
        return error(410, "Artifact has expired")
    # Like GitHub: a redirect to short-lived storage on another host, no body.
    return Response(302, None, {"Location": f"{call.blob_base_url}/_fake/blobs/{a.id}?sig=short-lived"})


def actions_get_workflow_run(call: Call) -> Response:
    run = call.state.workflow_runs.get(int(call.params["run_id"]))
    if run is None or run.repo != call.repo_name:
        return error(404, "Not Found")
    return Response(200, _workflow_run(call, run))


# --- issues, labels, commits ------------------------------------------------------------


def _label_body(call: Call, label: Label) -> dict[str, Any]:
    body = call.spec.example("label")
    body.update(id=abs(hash((label.repo, label.name.lower()))) % 10**8, name=label.name,
                color=label.color, description=label.description, default=False,
                url=call.api(f"/repos/{label.repo}/labels/{label.name}"))
    return body


def _issue_labels(call: Call, repo: str, names: list[str]) -> list[dict[str, Any]]:
    out = []
    for name in names:
        label = call.state.labels.get((repo, name.lower())) or Label(repo, name)
        out.append(_label_body(call, label))
    return out


def _issue_fields(call: Call, repo: Repo, number: int, body: dict[str, Any]) -> dict[str, Any]:
    base = f"/repos/{repo.full_name}"
    body.update(
        id=number * 1000 + 11, number=number, url=call.api(f"{base}/issues/{number}"),
        repository_url=call.api(base), labels_url=call.api(f"{base}/issues/{number}/labels{{/name}}"),
        comments_url=call.api(f"{base}/issues/{number}/comments"),
        events_url=call.api(f"{base}/issues/{number}/events"),
        html_url=f"https://github.com/{repo.full_name}/issues/{number}",
        assignee=None, assignees=[], milestone=None, closed_by=None, pinned_comment=None,
        comments=sum(1 for c in call.state.comments.values()
                     if c.repo == repo.full_name.lower() and c.issue_number == number),
    )
    return body


def _issue(call: Call, issue: Issue) -> dict[str, Any]:
    """An issue as `issues/get`, `issues/create` and `issues/list-for-repo` return it."""
    repo = call.state.repo(issue.repo)
    assert repo is not None
    body = _issue_fields(call, repo, issue.number, call.spec.example("issue"))
    del body["pull_request"]  # the key that tells a pull request apart: absent for an issue
    body.update(title=issue.title, body=issue.body, state=issue.state, state_reason=issue.state_reason,
                user=_user(call, issue.user_login, issue.user_type),
                labels=_issue_labels(call, issue.repo, issue.labels),
                created_at=issue.created_at, updated_at=issue.updated_at, closed_at=issue.closed_at,
                author_association="NONE" if issue.user_type == "Bot" else "OWNER")
    if issue.state_reason is None:
        # GitHub sends null; the description's enum lacks null (OpenAPI 3.0 wants it listed
        # with `nullable`), so a validator refuses it. The key is optional: left out.
        del body["state_reason"]
    return body


def _pull_as_issue(call: Call, pull: Pull) -> dict[str, Any]:
    """A pull request as the issues list shows it: an issue with a `pull_request` key."""
    repo = call.state.repo(pull.repo)
    assert repo is not None
    body = _issue_fields(call, repo, pull.number, call.spec.example("issue"))
    del body["state_reason"]  # see _issue
    body.update(title=pull.title, body=None, state=pull.state,
                user=_user(call, pull.author), labels=_issue_labels(call, pull.repo, pull.labels),
                html_url=f"https://github.com/{repo.full_name}/pull/{pull.number}", closed_at=None,
                pull_request={"url": call.api(f"/repos/{repo.full_name}/pulls/{pull.number}"),
                              "html_url": f"https://github.com/{repo.full_name}/pull/{pull.number}",
                              "diff_url": f"https://github.com/{repo.full_name}/pull/{pull.number}.diff",
                              "patch_url": f"https://github.com/{repo.full_name}/pull/{pull.number}.patch",
                              "merged_at": None})
    return body


def _issues_enabled(call: Call) -> Response | None:
    repo = call.state.repo(call.repo_name)
    if repo is None:
        return error(404, "Not Found")
    if not repo.has_issues:
        return error(410, "Issues are disabled for this repo")
    return None


def issues_list_for_repo(call: Call) -> Response:
    """Issues and pull requests (GitHub lists both), filtered by `state` (open unless
    said), `labels` (comma-separated, all of them, any case) and `creator`; sorted by
    `sort` (created or updated), newest first unless `direction=asc`."""
    refused = _issues_enabled(call)
    if refused is not None:
        return refused
    state = call.query.get("state", "open")
    wanted = {name.strip().lower() for name in call.query.get("labels", "").split(",") if name.strip()}
    creator = call.query.get("creator", "").lower()
    sort = call.query.get("sort", "created")
    with call.state.lock:
        found: list[tuple[tuple[str, int], Issue | Pull]] = []
        for (repo, number), item in [*call.state.issues.items(), *call.state.pulls.items()]:
            labels = {name.lower() for name in item.labels}
            author = item.user_login if isinstance(item, Issue) else item.author
            if (repo == call.repo_name and state in ("all", item.state) and wanted <= labels
                    and (not creator or creator == author.lower())):
                stamp = (item.updated_at if sort == "updated" else item.created_at) \
                    if isinstance(item, Issue) else ""
                found.append(((stamp, number), item))
    found.sort(key=lambda pair: pair[0], reverse=call.query.get("direction", "desc") == "desc")
    chunk, headers = _paginate(call, [item for _, item in found])
    return Response(200, [_issue(call, i) if isinstance(i, Issue) else _pull_as_issue(call, i)
                          for i in chunk], headers)


def issues_create(call: Call) -> Response:
    refused = _issues_enabled(call)
    if refused is not None:
        return refused
    b = call.body
    title = str(b.get("title", "")).strip()
    if not title:
        return error(422, "Validation Failed", errors=[{"resource": "Issue", "code": "missing_field",
                                                        "field": "title"}])
    author = call.state.identity(call.token)
    # GitHub creates the labels a new issue names that the repository lacks, and drops
    # them silently when the caller may not push.
    names = [lb if isinstance(lb, str) else lb["name"] for lb in b.get("labels") or []]
    if call.token in call.state.without_push:
        names = []
    number = call.state.add_issue(title, b.get("body") or "", repo=call.repo_name, user=author["login"],
                                  user_type=author["type"], labels=names)
    issue = call.state.issues[(call.repo_name, number)]
    return Response(201, _issue(call, issue), {"Location": call.api(
        f"/repos/{call.repo_name}/issues/{number}")})


def issues_update(call: Call) -> Response:
    refused = _issues_enabled(call)
    if refused is not None:
        return refused
    issue = _find_issue(call)
    if issue is None:
        return error(404, "Not Found")
    b = call.body
    with call.state.lock:
        if "title" in b and b["title"] is not None:
            issue.title = str(b["title"])
        if "body" in b:
            issue.body = b["body"] or ""
        if "labels" in b:
            issue.labels = [lb if isinstance(lb, str) else lb["name"] for lb in b["labels"] or []]
        if b.get("state") in ("open", "closed") and b["state"] != issue.state:
            issue.state = b["state"]
            issue.closed_at = now_iso() if issue.state == "closed" else None
            issue.state_reason = b.get("state_reason") or ("completed" if issue.state == "closed" else "reopened")
        issue.updated_at = now_iso()
    return Response(200, _issue(call, issue))


def issues_get_label(call: Call) -> Response:
    label = call.state.labels.get((call.repo_name, unquote(call.params["name"]).lower()))
    if label is None:
        return error(404, "Not Found")
    return Response(200, _label_body(call, label))


def issues_create_label(call: Call) -> Response:
    b = call.body
    if not call.state.add_label(b["name"], repo=call.repo_name, color=b.get("color", "ededed"),
                                description=b.get("description")):
        return error(422, "Validation Failed", errors=[{"resource": "Label", "code": "already_exists",
                                                        "field": "name"}])
    label = call.state.labels[(call.repo_name, b["name"].lower())]
    return Response(201, _label_body(call, label))


def _commit(call: Call, c: CommitRecord, parent: CommitRecord | None) -> dict[str, Any]:
    body = call.spec.example("commit-comparison")["base_commit"]
    base = f"/repos/{c.repo}"
    body.update(sha=c.sha, url=call.api(f"{base}/commits/{c.sha}"),
                html_url=f"https://github.com/{c.repo}/commit/{c.sha}",
                comments_url=call.api(f"{base}/commits/{c.sha}/comments"),
                author=_user(call, c.author_login), committer=_user(call, "web-flow"),
                parents=[{"sha": parent.sha, "url": call.api(f"{base}/commits/{parent.sha}"),
                          "html_url": f"https://github.com/{c.repo}/commit/{parent.sha}"}] if parent else [])
    person = {"name": c.author_login, "email": f"{c.author_login}@users.noreply.github.com", "date": c.date}
    body["commit"].update(message=c.message, author=person, committer=person,
                          url=call.api(f"{base}/git/commits/{c.sha}"))
    return body


def repos_compare_commits_with_basehead(call: Call) -> Response:
    """`base...head` on the default branch's linear history: the commits after base up to
    head, oldest first; paginated when `page` or `per_page` is given (else at most 250)."""
    base_ref, sep, head_ref = unquote(call.params["basehead"]).partition("...")
    history = call.state.commits.get(call.repo_name, [])
    index = {c.sha: i for i, c in enumerate(history)}
    if not sep or base_ref not in index or head_ref not in index:
        return error(404, "Not Found")
    b, h = index[base_ref], index[head_ref]
    between = history[b + 1:h + 1] if h > b else []
    if "page" in call.query or "per_page" in call.query:
        chunk, headers = _paginate(call, between)
        first = (max(int(call.query.get("page", 1)), 1) - 1) * min(int(call.query.get("per_page", 30)), MAX_PER_PAGE)
    else:
        chunk, headers, first = between[:250], {}, 0
    # The parent of the k-th commit after base is the one before it on the branch.
    commits = [_commit(call, c, history[b + first + i]) for i, c in enumerate(chunk)]
    repo = call.repo_name
    body = call.spec.example("commit-comparison")
    body.update(
        url=call.api(f"/repos/{repo}/compare/{base_ref}...{head_ref}"),
        html_url=f"https://github.com/{repo}/compare/{base_ref}...{head_ref}",
        permalink_url=f"https://github.com/{repo}/compare/{base_ref}...{head_ref}",
        diff_url=f"https://github.com/{repo}/compare/{base_ref}...{head_ref}.diff",
        patch_url=f"https://github.com/{repo}/compare/{base_ref}...{head_ref}.patch",
        base_commit=_commit(call, history[b], history[b - 1] if b else None),
        merge_base_commit=_commit(call, history[min(b, h)], history[min(b, h) - 1] if min(b, h) else None),
        status="ahead" if h > b else ("identical" if h == b else "behind"),
        ahead_by=max(h - b, 0), behind_by=max(b - h, 0), total_commits=len(between),
        commits=commits, files=[],
    )
    return Response(200, body, headers)


def repos_list_pull_requests_associated_with_commit(call: Call) -> Response:
    sha = call.params["commit_sha"]
    found = next((c for c in call.state.commits.get(call.repo_name, []) if c.sha == sha), None)
    if found is None:
        return error(422, f"No commit found for SHA: {sha}")
    pulls = [call.state.pulls[(call.repo_name, n)] for n in found.pulls
             if (call.repo_name, n) in call.state.pulls]
    chunk, headers = _paginate(call, pulls)
    return Response(200, [_pull_simple(call, p) for p in chunk], headers)


HANDLERS: dict[str, Callable[[Call], Response]] = {
    "pulls/get": pulls_get,
    "pulls/list": pulls_list,
    "pulls/list-files": pulls_list_files,
    "issues/list-comments": issues_list_comments,
    "issues/create-comment": issues_create_comment,
    "issues/update-comment": issues_update_comment,
    "issues/delete-comment": issues_delete_comment,
    "checks/create": checks_create,
    "checks/update": checks_update,
    "actions/list-artifacts-for-repo": actions_list_artifacts_for_repo,
    "actions/list-workflow-run-artifacts": actions_list_workflow_run_artifacts,
    "actions/get-artifact": actions_get_artifact,
    "actions/download-artifact": actions_download_artifact,
    "actions/get-workflow-run": actions_get_workflow_run,
    "issues/list-for-repo": issues_list_for_repo,
    "issues/create": issues_create,
    "issues/update": issues_update,
    "issues/get-label": issues_get_label,
    "issues/create-label": issues_create_label,
    "repos/compare-commits-with-basehead": repos_compare_commits_with_basehead,
    "repos/list-pull-requests-associated-with-commit": repos_list_pull_requests_associated_with_commit,
}

# The GITHUB_TOKEN permissions that allow each operation, any one of them suffices
# (GitHub's names, as in `permissions:`; comments on a pull request take either).
_COMMENT_WRITE = (("issues", "write"), ("pull_requests", "write"))
_COMMENT_READ = (("issues", "read"), ("pull_requests", "read"))
PERMISSIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "pulls/get": (("pull_requests", "read"),),
    "pulls/list": (("pull_requests", "read"),),
    "pulls/list-files": (("pull_requests", "read"),),
    "issues/list-comments": _COMMENT_READ,
    "issues/create-comment": _COMMENT_WRITE,
    "issues/update-comment": _COMMENT_WRITE,
    "issues/delete-comment": _COMMENT_WRITE,
    "checks/create": (("checks", "write"),),
    "checks/update": (("checks", "write"),),
    "actions/list-artifacts-for-repo": (("actions", "read"),),
    "actions/list-workflow-run-artifacts": (("actions", "read"),),
    "actions/get-artifact": (("actions", "read"),),
    "actions/download-artifact": (("actions", "read"),),
    "actions/get-workflow-run": (("actions", "read"),),
    "issues/list-for-repo": (("issues", "read"),),
    "issues/create": (("issues", "write"),),
    "issues/update": (("issues", "write"),),
    "issues/get-label": (("issues", "read"), ("pull_requests", "read")),
    "issues/create-label": (("issues", "write"), ("pull_requests", "write")),
    "repos/compare-commits-with-basehead": (("contents", "read"),),
    "repos/list-pull-requests-associated-with-commit": (("contents", "read"),),
}
