"""lanebench.github: PyGithub over real HTTP against the fake GitHub API."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanebench.errors import EXIT_EXTERNAL
from lanebench.github import (
    ANNOTATIONS_PER_REQUEST,
    OUTPUT_FIELD_LIMIT,
    Annotation,
    GitHubAuthError,
    GitHubClient,
    GitHubError,
    GitHubNotFoundError,
    GitHubPermissionError,
    GitHubRateLimitError,
)
from tests.github_fake import (
    DEFAULT_REPO,
    FakeGitHub,
    Fault,
    bad_credentials,
    make_zip,
    not_accessible,
    primary_rate_limit,
    secondary_rate_limit,
    server_error,
)

pytest_plugins = ["tests.github_fake.fixtures"]

MARKER = "<!-- lanebench:comment -->"
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


def make_client(fake: FakeGitHub, token: str | None = None, **kwargs) -> GitHubClient:
    kwargs = {"max_retry_seconds": 10, "timeout": 10, "seconds_between_requests": 0,
              "seconds_between_writes": 0} | kwargs
    return GitHubClient(token or fake.token, DEFAULT_REPO, api_url=fake.url, **kwargs)


@pytest.fixture
def client(fake_github: FakeGitHub) -> Iterator[GitHubClient]:
    c = make_client(fake_github)
    yield c
    c.close()


# --- pull requests ----------------------------------------------------------------------


def test_pull_request_files_are_paginated_100_at_a_time(fake_github: FakeGitHub,
                                                        client: GitHubClient) -> None:
    fake_github.add_pull(5, files=250)
    result = client.pull_request_files(5)
    assert [f["filename"] for f in result.files] == [f"src/file_{i:05d}.py" for i in range(250)]
    assert result.truncated is False and result.total == 250
    pages = fake_github.requests_for("pulls/list-files")
    assert [r["query"] for r in pages] == [{"per_page": "100"}, {"per_page": "100", "page": "2"},
                                           {"per_page": "100", "page": "3"}]


@pytest.mark.slow
def test_pull_request_with_more_than_3000_files_is_truncated(fake_github: FakeGitHub,
                                                             client: GitHubClient) -> None:
    fake_github.add_pull(6, files=3001)
    result = client.pull_request_files(6)
    assert len(result.files) == 3000
    assert result.truncated is True and result.total == 3001
    assert len(fake_github.requests_for("pulls/list-files")) == 30


def test_pull_request_details_and_labels(fake_github: FakeGitHub, client: GitHubClient) -> None:
    fake_github.add_pull(8, files=[{"filename": "a.py", "additions": 7, "deletions": 2}],
                         labels=["perf", "heavy"], head_ref="topic", head_sha=SHA, fork="someone/octo-repo")
    info = client.pull_request(8)
    assert (info.head_sha, info.head_ref, info.base_ref) == (SHA, "topic", "main")
    assert info.labels == ["perf", "heavy"] and client.pull_request_labels(8) == ["perf", "heavy"]
    assert (info.changed_files, info.additions, info.deletions) == (1, 7, 2)
    assert info.from_fork is True


# --- sticky comment ---------------------------------------------------------------------


def test_sticky_comment_is_created_then_updated_in_place(fake_github: FakeGitHub,
                                                         client: GitHubClient) -> None:
    fake_github.add_pull(5)
    fake_github.add_comment(5, "LGTM", user="reviewer")
    url1 = client.upsert_comment(5, f"{MARKER}\nfirst report", MARKER)
    url2 = client.upsert_comment(5, f"{MARKER}\nsecond report", MARKER)
    comments = fake_github.comments_on(5)
    ours = [c for c in comments if MARKER in c["body"]]
    assert len(ours) == 1 and ours[0]["body"] == f"{MARKER}\nsecond report"
    assert [c["body"] for c in comments if c["user_login"] == "reviewer"] == ["LGTM"]
    assert url1 == url2 and url1.endswith(f"#issuecomment-{ours[0]['id']}")
    assert len(fake_github.requests_for("issues/create-comment")) == 1
    assert len(fake_github.requests_for("issues/update-comment")) == 1
    found = client.find_comment(5, MARKER)
    assert found is not None and found.id == ours[0]["id"] and found.author == "github-actions[bot]"


def test_sticky_comment_is_found_beyond_the_first_page(fake_github: FakeGitHub,
                                                       client: GitHubClient) -> None:
    fake_github.add_pull(5)
    for i in range(130):
        fake_github.add_comment(5, f"chatter {i}")
    ours = fake_github.add_comment(5, f"{MARKER}\nold", user="github-actions[bot]", user_type="Bot")
    client.upsert_comment(5, "new", MARKER)
    assert fake_github.state.comments[ours].body == f"{MARKER}\nnew"
    assert len(fake_github.comments_on(5)) == 131
    assert len(fake_github.requests_for("issues/list-comments")) == 2


def test_duplicate_sticky_comments_are_collapsed(fake_github: FakeGitHub, client: GitHubClient) -> None:
    fake_github.add_pull(5)
    quoted = fake_github.add_comment(5, f"> {MARKER} quoted by a human", user="reviewer")
    keep = fake_github.add_comment(5, f"{MARKER} a", user="github-actions[bot]", user_type="Bot")
    fake_github.add_comment(5, f"{MARKER} b", user="github-actions[bot]", user_type="Bot")
    fake_github.add_comment(5, f"see the report above {MARKER}", user="reviewer")
    client.upsert_comment(5, f"{MARKER} c", MARKER)
    remaining = {c["id"]: c["body"] for c in fake_github.comments_on(5)}
    assert remaining[keep] == f"{MARKER} c" and remaining[quoted] == f"> {MARKER} quoted by a human"
    assert len(remaining) == 3  # the newer copy is gone, the humans' comments stay


def test_a_foreign_comment_with_the_marker_is_left_alone_and_ours_is_posted(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    """Anyone can start a comment with the hidden marker: only the token's own account's
    comment is edited, the way sticky-comment actions match marker and author."""
    fake_github.add_pull(5)
    human = fake_github.add_comment(5, f"{MARKER}\n### ✅ all good, merge me", user="mallory")
    other_app = fake_github.add_comment(5, f"{MARKER}\nfrom another app", user="evil-app[bot]",
                                        user_type="Bot")
    assert client.find_comment(5, MARKER) is None
    url = client.upsert_comment(5, f"{MARKER}\nthe real report", MARKER)
    again = client.upsert_comment(5, f"{MARKER}\nthe next report", MARKER)
    comments = {c["id"]: c for c in fake_github.comments_on(5)}
    assert comments[human]["body"] == f"{MARKER}\n### ✅ all good, merge me"
    assert comments[other_app]["body"] == f"{MARKER}\nfrom another app"
    (ours,) = [c for c in comments.values() if c["id"] not in (human, other_app)]
    assert ours["user_login"] == "github-actions[bot]" and ours["body"] == f"{MARKER}\nthe next report"
    assert url == again and url.endswith(f"#issuecomment-{ours['id']}")
    assert fake_github.requests_for("issues/update-comment")[0]["path"].endswith(f"/{ours['id']}")
    # who the token is was asked once, through GraphQL (GET /user refuses installation tokens)
    assert len(fake_github.requests_for("graphql")) == 1


def test_a_personal_token_keeps_its_own_comment_not_the_actions_bots(fake_github: FakeGitHub) -> None:
    pat = "github_pat_fake0personal0token"
    fake_github.add_token(pat, login="octocat-dev", user_type="User")
    fake_github.add_pull(5)
    bots = fake_github.add_comment(5, f"{MARKER}\nby GITHUB_TOKEN", user="github-actions[bot]",
                                   user_type="Bot")
    mine = fake_github.add_comment(5, f"{MARKER}\nold", user="octocat-dev")
    with make_client(fake_github, pat) as client:
        assert client.identity().login == "octocat-dev"
        found = client.find_comment(5, MARKER)
        assert found is not None and found.id == mine
        client.upsert_comment(5, f"{MARKER}\nnew", MARKER)
    bodies = {c["id"]: c["body"] for c in fake_github.comments_on(5)}
    assert bodies == {bots: f"{MARKER}\nby GITHUB_TOKEN", mine: f"{MARKER}\nnew"}


def test_identity_is_the_account_id_so_a_renamed_bot_still_owns_its_comment(
    fake_github: FakeGitHub, client: GitHubClient
) -> None:
    fake_github.add_pull(5)
    identity = client.identity()
    assert (identity.login, identity.id) == ("github-actions[bot]", 41898282)
    look_alike = fake_github.add_comment(5, f"{MARKER}\nx", user="GitHub-Actions-bot")
    client.upsert_comment(5, "report", MARKER)
    assert fake_github.state.comments[look_alike].body == f"{MARKER}\nx"
    assert len(fake_github.comments_on(5)) == 2


def test_open_pulls_with_head_lists_every_open_pull_of_that_commit(fake_github: FakeGitHub,
                                                                   client: GitHubClient) -> None:
    other = "b" * 40
    fake_github.add_pull(7, head_sha=SHA, head_ref="feature", fork="forker/octo-repo")
    fake_github.add_pull(8, head_sha=SHA, head_ref="copy")
    fake_github.add_pull(9, head_sha=SHA, head_ref="old", state="closed")
    for n in range(10, 160):  # a second page of open pull requests
        fake_github.add_pull(n, head_sha=other)
    fake_github.add_pull(200, head_sha=SHA, head_ref="late")
    heads = client.open_pulls_with_head(SHA)
    assert sorted((h.number, h.head_ref, h.head_repository, h.state) for h in heads) == [
        (7, "feature", "forker/octo-repo", "open"), (8, "copy", DEFAULT_REPO, "open"),
        (200, "late", DEFAULT_REPO, "open")]
    pages = fake_github.requests_for("pulls/list")
    assert len(pages) == 2 and all(r["query"]["state"] == "open" for r in pages)
    assert client.open_pulls_with_head(other[:-1] + "c") == []


def test_comment_body_over_github_limit_is_truncated_with_a_note(fake_github: FakeGitHub,
                                                                 client: GitHubClient) -> None:
    fake_github.add_pull(5)
    client.upsert_comment(5, MARKER + "x" * 70_000, MARKER)
    (comment,) = fake_github.comments_on(5)
    assert len(comment["body"]) <= 65_536 and comment["body"].startswith(MARKER)
    assert "truncated by lanebench" in comment["body"]


# --- check runs -------------------------------------------------------------------------


def test_check_run_is_created_completed_and_valid(fake_github: FakeGitHub, client: GitHubClient) -> None:
    url = client.create_check_run(SHA, "lanebench", "failure", "2 regressions", "summary text",
                                  text="details", details_url="https://example.com/run/1")
    (run,) = fake_github.check_runs_for(SHA)
    assert (run["name"], run["status"], run["conclusion"]) == ("lanebench", "completed", "failure")
    assert (run["title"], run["summary"], run["text"]) == ("2 regressions", "summary text", "details")
    assert run["details_url"] == "https://example.com/run/1"
    assert url.endswith(f"/runs/{run['id']}")
    # the fixture's teardown asserts the request matched the OpenAPI description


def test_check_run_output_is_truncated_to_github_limits(fake_github: FakeGitHub,
                                                        client: GitHubClient) -> None:
    client.create_check_run(SHA, "lanebench", "neutral", "t", "s" * 100_000, text="x" * 70_000)
    (run,) = fake_github.check_runs_for(SHA)
    assert len(run["summary"]) == OUTPUT_FIELD_LIMIT and len(run["text"]) == OUTPUT_FIELD_LIMIT
    assert run["summary"].endswith("report files)*") and "truncated" in run["text"]


def test_more_than_50_annotations_go_in_batches(fake_github: FakeGitHub, client: GitHubClient) -> None:
    notes = [Annotation(f"bench/{i}.py", 1, 1, "warning", f"slower by {i}%") for i in range(120)]
    client.create_check_run(SHA, "lanebench", "failure", "t", "s", annotations=notes)
    (run,) = fake_github.check_runs_for(SHA)
    assert [a["message"] for a in run["annotations"]] == [f"slower by {i}%" for i in range(120)]
    sizes = [len(r["body"]["output"]["annotations"])
             for r in fake_github.requests_for("checks/create") + fake_github.requests_for("checks/update")]
    assert sizes == [50, 50, 20] and max(sizes) <= ANNOTATIONS_PER_REQUEST


# --- retries ----------------------------------------------------------------------------


def test_502_then_success_is_retried(fake_github: FakeGitHub, client: GitHubClient) -> None:
    fake_github.script("checks/create", server_error(502))
    client.create_check_run(SHA, "lanebench", "success", "t", "s")
    assert [r["status"] for r in fake_github.requests_for("checks/create")] == [502, 201]
    assert len(fake_github.check_runs_for(SHA)) == 1


def test_secondary_rate_limit_waits_for_retry_after(fake_github: FakeGitHub, client: GitHubClient) -> None:
    fake_github.add_pull(5, files=3)
    fake_github.script("pulls/list-files", secondary_rate_limit(retry_after=1))
    started = time.monotonic()
    assert len(client.pull_request_files(5).files) == 3
    waited = time.monotonic() - started
    assert waited >= 0.9  # it honoured Retry-After: 1
    assert [r["status"] for r in fake_github.requests_for("pulls/list-files")] == [403, 200]


@pytest.mark.slow
@pytest.mark.parametrize("status", [403, 429])
def test_primary_rate_limit_waits_for_the_reset(fake_github: FakeGitHub, client: GitHubClient,
                                                status: int) -> None:
    fake_github.add_pull(5)
    fake_github.script("issues/list-comments", primary_rate_limit(reset_in=1, status=status))
    started = time.monotonic()
    client.upsert_comment(5, "hi", MARKER)
    assert time.monotonic() - started >= 0.9  # waited for x-ratelimit-reset
    assert [r["status"] for r in fake_github.requests_for("issues/list-comments")] == [status, 200]
    assert len(fake_github.comments_on(5)) == 1


def test_rate_limit_longer_than_the_budget_fails_at_once(fake_github: FakeGitHub) -> None:
    client = make_client(fake_github, max_retry_seconds=5)
    fake_github.script("checks/create", secondary_rate_limit(retry_after=600))
    started = time.monotonic()
    with pytest.raises(GitHubRateLimitError) as err:
        client.create_check_run(SHA, "lanebench", "success", "t", "s")
    assert time.monotonic() - started < 5  # did not sleep 600 s
    assert "asked to wait 600s" in str(err.value) and "retry budget of 5s" in str(err.value)


@pytest.mark.slow
def test_persistent_5xx_gives_up_within_the_budget(fake_github: FakeGitHub) -> None:
    client = make_client(fake_github, max_retry_seconds=3)
    fake_github.add_pull(5)
    fake_github.script("pulls/get", *[server_error(503) for _ in range(20)])
    with pytest.raises(GitHubError) as err:
        client.pull_request(5)
    message = str(err.value)
    assert "GitHub kept failing (HTTP 503)" in message and "read pull request #5" in message
    assert "\n" not in message and err.value.exit_code == EXIT_EXTERNAL
    assert 2 <= len(fake_github.requests_for("pulls/get")) < 20


def test_unreachable_api_is_one_clear_line() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    client = GitHubClient("ghs_x", DEFAULT_REPO, api_url=f"http://127.0.0.1:{port}",
                          max_retry_seconds=1, seconds_between_requests=0, seconds_between_writes=0)
    with pytest.raises(GitHubError) as err:
        client.pull_request(1)
    assert "connection failed" in str(err.value) and f"127.0.0.1:{port}" in str(err.value)


# --- permanent errors -------------------------------------------------------------------


def test_bad_token_is_a_clear_line_without_the_token(fake_github: FakeGitHub) -> None:
    fake_github.add_pull(5)
    secret = "ghp_THIS_IS_SECRET_1234567890"
    client = make_client(fake_github, token=secret)
    with pytest.raises(GitHubAuthError) as err:
        client.pull_request_files(5)
    message = str(err.value)
    assert "rejected the token (401 Bad credentials)" in message
    assert "secrets.GITHUB_TOKEN" in message and "\n" not in message
    assert secret not in message and secret not in repr(err.value)
    assert err.value.status == 401 and err.value.exit_code == EXIT_EXTERNAL


def test_scripted_401_maps_the_same(fake_github: FakeGitHub, client: GitHubClient) -> None:
    fake_github.script("checks/create", bad_credentials())
    with pytest.raises(GitHubAuthError, match="401"):
        client.create_check_run(SHA, "lanebench", "success", "t", "s")


def test_403_on_comment_names_the_permission_and_the_fork_safe_flow(fake_github: FakeGitHub) -> None:
    fake_github.add_pull(5)
    fake_github.add_token("read-only", {"pull_requests": "read", "checks": "read"})
    client = make_client(fake_github, token="read-only")
    with pytest.raises(GitHubPermissionError) as err:
        client.upsert_comment(5, "report", MARKER)
    message = str(err.value)
    assert "Resource not accessible by integration" in message
    assert "`pull-requests: write`" in message and "docs/fork-safe.md" in message
    assert err.value.permission == "pull-requests: write" and "\n" not in message
    assert fake_github.comments_on(5) == []
    with pytest.raises(GitHubPermissionError, match="`checks: write`"):
        client.create_check_run(SHA, "lanebench", "success", "t", "s")


def test_scripted_403_on_comment_creation(fake_github: FakeGitHub, client: GitHubClient) -> None:
    fake_github.add_pull(5)
    fake_github.script("issues/create-comment", not_accessible())
    with pytest.raises(GitHubPermissionError, match="pull-requests: write"):
        client.upsert_comment(5, "report", MARKER)
    # a permission error is not retried
    assert len(fake_github.requests_for("issues/create-comment")) == 1


def test_404_names_the_repository(fake_github: FakeGitHub) -> None:
    client = GitHubClient(fake_github.token, "octo-org/no-such-repo", api_url=fake_github.url,
                          seconds_between_requests=0, seconds_between_writes=0)
    with pytest.raises(GitHubNotFoundError) as err:
        client.find_baseline_artifact("lanebench-baseline", "main")
    assert "404" in str(err.value) and "octo-org/no-such-repo" in str(err.value)


def test_bad_repository_argument() -> None:
    with pytest.raises(GitHubError, match="owner/name"):
        GitHubClient("t", "just-a-name")
    with pytest.raises(GitHubAuthError, match="no GitHub token"):
        GitHubClient("", DEFAULT_REPO)


# --- artifacts --------------------------------------------------------------------------


def test_baseline_artifact_is_the_newest_unexpired_from_the_branch(fake_github: FakeGitHub,
                                                                  client: GitHubClient) -> None:
    name = "lanebench-baseline"
    old = fake_github.add_artifact(name, files={"f": "old"}, age_seconds=7200)
    wanted = fake_github.add_artifact(name, files={"f": "wanted"}, age_seconds=3600)
    fake_github.add_artifact(name, files={"f": "expired"}, expired=True, age_seconds=60)
    fake_github.add_artifact(name, files={"f": "pr"}, head_branch="feature", age_seconds=30)
    fake_github.add_artifact(name, files={"f": "fork"}, fork="mallory/octo-repo", age_seconds=10)
    fake_github.add_artifact("other-name", files={"f": "other"})
    found = client.find_baseline_artifact(name, "main")
    assert found is not None and found.id == wanted and found.id != old
    assert (found.head_branch, found.expired, found.from_fork) == ("main", False, False)
    assert [r["query"]["name"] for r in fake_github.requests_for("actions/list-artifacts-for-repo")] == [name]


def test_no_baseline_artifact_is_none(fake_github: FakeGitHub, client: GitHubClient) -> None:
    fake_github.add_artifact("lanebench-baseline", expired=True)
    fake_github.add_artifact("lanebench-baseline", head_branch="develop")
    assert client.find_baseline_artifact("lanebench-baseline", "main") is None


def test_download_follows_the_redirect_without_sending_the_token(fake_github: FakeGitHub,
                                                                 client: GitHubClient,
                                                                 tmp_path: Path) -> None:
    payload = make_zip({"lanebench-results.json": "{}"})
    aid = fake_github.add_artifact("lanebench-baseline", zip_bytes=payload)
    artifact = client.find_baseline_artifact("lanebench-baseline", "main")
    assert artifact is not None and artifact.id == aid
    path = client.download_artifact(artifact, tmp_path / "a.zip")
    assert path.read_bytes() == payload
    assert fake_github.state.blob_downloads == [{"artifact_id": aid, "authorization_sent": False}]
    assert [r["status"] for r in fake_github.requests_for("actions/download-artifact")] == [302]


def test_download_larger_than_allowed_is_refused(fake_github: FakeGitHub, client: GitHubClient,
                                                 tmp_path: Path) -> None:
    fake_github.add_artifact("big", zip_bytes=make_zip({"f": os.urandom(10_000)}))  # incompressible
    artifact = client.find_baseline_artifact("big", "main")
    assert artifact is not None
    with pytest.raises(GitHubError, match="larger than 1,000 bytes"):
        client.download_artifact(artifact, tmp_path / "a.zip", max_bytes=1000)


def test_download_of_an_artifact_that_expired_meanwhile(fake_github: FakeGitHub, client: GitHubClient,
                                                        tmp_path: Path) -> None:
    aid = fake_github.add_artifact("lanebench-baseline")
    artifact = client.find_baseline_artifact("lanebench-baseline", "main")
    assert artifact is not None
    fake_github.state.artifacts[aid].expired = True
    with pytest.raises(GitHubNotFoundError, match="410 Gone") as err:
        client.download_artifact(artifact, tmp_path / "a.zip")
    assert f"id {aid}" in str(err.value)


def test_artifact_for_run_reads_a_fork_run(fake_github: FakeGitHub, client: GitHubClient) -> None:
    run = fake_github.add_workflow_run(event="pull_request", head_branch="patch-1",
                                       fork="contributor/octo-repo", pull_numbers=[])
    aid = fake_github.add_artifact("lanebench-pr", run_id=run)
    fake_github.add_artifact("lanebench-pr")  # another run's
    found = client.artifact_for_run(run, "lanebench-pr")
    assert found is not None and found.id == aid and found.run_id == run and found.from_fork
    assert client.artifact_for_run(run, "missing") is None
    assert fake_github.requests_for("actions/list-workflow-run-artifacts")[0]["query"] == {
        "name": "lanebench-pr", "per_page": "100"}


def test_custom_fault_shapes_pass_through(fake_github: FakeGitHub, client: GitHubClient) -> None:
    fake_github.script("checks/create", Fault(422, {"message": "Validation Failed",
                                                    "errors": [{"code": "invalid", "field": "head_sha"}]}))
    with pytest.raises(GitHubError, match="422 Validation Failed: invalid") as err:
        client.create_check_run(SHA, "lanebench", "success", "t", "s")
    assert "lanebench bug" in str(err.value)
