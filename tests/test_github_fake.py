"""The fake GitHub itself: it must catch requests that break GitHub's OpenAPI description."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from lanebench.github import GitHubClient
from tests.github_fake import (
    DEFAULT_REPO,
    FakeGitHub,
    load_description,
    make_zip,
    start_fake_github_process,
)

pytest_plugins = ["tests.github_fake.fixtures"]

FIXTURES = Path(__file__).parent / "fixtures" / "github"
ROOT = Path(__file__).resolve().parent.parent
# Where scripts/extract_github_fixtures.py expects the npm packages (ignored by git).
NODE_MODULES = FIXTURES / "node_modules"


@pytest.fixture
def raw_fake():
    """A fake whose violations the test inspects itself (no teardown assertion)."""
    with FakeGitHub() as fake:
        fake.add_repo(DEFAULT_REPO)
        fake.add_pull(7, files=["a.py"])
        yield fake


def _api(fake: FakeGitHub, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"token {fake.token}", **kwargs.pop("headers", {})}
    return requests.request(method, fake.url + path, headers=headers, timeout=10, **kwargs)


def test_request_missing_a_required_body_field_is_a_violation(raw_fake: FakeGitHub) -> None:
    resp = _api(raw_fake, "POST", f"/repos/{DEFAULT_REPO}/check-runs", json={"name": "lanebench"})
    assert resp.status_code == 400
    assert "head_sha" in resp.json()["message"]
    violations = raw_fake.take_violations()
    assert len(violations) == 1 and "checks/create" in violations[0] and "head_sha" in violations[0]
    assert raw_fake.state.check_runs == {}  # nothing was created


def test_unknown_route_is_a_violation(raw_fake: FakeGitHub) -> None:
    resp = _api(raw_fake, "GET", f"/repos/{DEFAULT_REPO}/pulls/7/commentz")
    assert resp.status_code == 404
    assert "no such route" in resp.json()["message"]
    assert raw_fake.take_violations() == [
        f"GET /repos/{DEFAULT_REPO}/pulls/7/commentz: no such route in GitHub's OpenAPI description"]


def test_wrong_method_is_a_violation(raw_fake: FakeGitHub) -> None:
    resp = _api(raw_fake, "PUT", f"/repos/{DEFAULT_REPO}/check-runs", json={})
    assert resp.status_code == 404
    assert "method not in the description (it has POST)" in raw_fake.take_violations()[0]


def test_undeclared_query_parameter_is_a_violation(raw_fake: FakeGitHub) -> None:
    resp = _api(raw_fake, "GET", f"/repos/{DEFAULT_REPO}/pulls/7/files", params={"perpage": "100"})
    assert resp.status_code == 400
    (violation,) = raw_fake.take_violations()
    assert "'perpage' is not declared" in violation and "per_page" in violation


def test_a_misspelt_issue_field_is_a_violation_and_opens_nothing(raw_fake: FakeGitHub) -> None:
    resp = _api(raw_fake, "POST", f"/repos/{DEFAULT_REPO}/issues", json={"title": "t", "label": ["x"]})
    assert resp.status_code == 400
    (violation,) = raw_fake.take_violations()
    assert "issues/create" in violation and "label" in violation
    assert raw_fake.state.issues == {}


def test_the_issue_list_holds_pull_requests_as_github_does(raw_fake: FakeGitHub) -> None:
    number = raw_fake.add_issue("slow parse", "body", labels=["perf"])
    raw_fake.add_pull(20, labels=["perf"])
    raw_fake.add_issue("closed", "", labels=["perf"], state="closed")
    listed = _api(raw_fake, "GET", f"/repos/{DEFAULT_REPO}/issues", params={"labels": "perf"}).json()
    assert {(i["number"], "pull_request" in i) for i in listed} == {(20, True), (number, False)}
    assert number == 8  # one sequence of numbers with the pull requests (#7 exists)
    assert raw_fake.take_violations() == []


def test_mistyped_query_parameter_is_a_violation(raw_fake: FakeGitHub) -> None:
    resp = _api(raw_fake, "GET", f"/repos/{DEFAULT_REPO}/pulls/7/files", params={"page": "two"})
    assert resp.status_code == 400
    assert "page" in raw_fake.take_violations()[0]


def test_undeclared_body_key_and_too_long_summary_are_violations(raw_fake: FakeGitHub) -> None:
    body = {"name": "x", "head_sha": "abc", "output": {"title": "t", "summary": "s", "sumary": "typo"}}
    assert _api(raw_fake, "POST", f"/repos/{DEFAULT_REPO}/check-runs", json=body).status_code == 400
    assert "sumary" in raw_fake.take_violations()[0]
    body["output"] = {"title": "t", "summary": "s" * 65536}
    assert _api(raw_fake, "POST", f"/repos/{DEFAULT_REPO}/check-runs", json=body).status_code == 400
    (violation,) = raw_fake.take_violations()
    assert "maxLength=65535" in violation
    assert len(violation) < 600  # the violation names the rule, not the 64 KB value


def test_valid_request_passes_and_the_response_matches_the_description(fake_github: FakeGitHub) -> None:
    body = {"name": "x", "head_sha": "abc", "conclusion": "success",
            "output": {"title": "t", "summary": "s"}}
    resp = _api(fake_github, "POST", f"/repos/{DEFAULT_REPO}/check-runs", json=body)
    assert resp.status_code == 201
    assert resp.json()["conclusion"] == "success" and resp.json()["status"] == "completed"
    spec = load_description()
    match = spec.match("POST", f"/repos/{DEFAULT_REPO}/check-runs")
    assert match is not None
    assert spec.response_violations(match, f"/repos/{DEFAULT_REPO}/check-runs", {}, 201,
                                    resp.content, {"Content-Type": "application/json"}) == []


def test_authentication_like_github(raw_fake: FakeGitHub) -> None:
    path = f"/repos/{DEFAULT_REPO}/pulls/7"
    assert requests.get(raw_fake.url + path, timeout=10).status_code == 401
    bad = requests.get(raw_fake.url + path, headers={"Authorization": "token nope"}, timeout=10)
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
    raw_fake.add_token("read-only", {"pull_requests": "read"})
    denied = requests.post(raw_fake.url + f"/repos/{DEFAULT_REPO}/issues/7/comments",
                           json={"body": "x"}, headers={"Authorization": "token read-only"}, timeout=10)
    assert denied.status_code == 403
    assert denied.json()["message"] == "Resource not accessible by integration"
    assert denied.headers["x-accepted-github-permissions"] == "issues=write; pull_requests=write"
    assert raw_fake.take_violations() == []


def test_pagination_links_and_github_file_limit(fake_github: FakeGitHub) -> None:
    fake_github.add_pull(9, files=3001)
    first = _api(fake_github, "GET", f"/repos/{DEFAULT_REPO}/pulls/9/files", params={"per_page": "100"})
    assert len(first.json()) == 100
    assert 'rel="next"' in first.headers["Link"] and "page=30" in first.headers["Link"]
    last = _api(fake_github, "GET", f"/repos/{DEFAULT_REPO}/pulls/9/files",
                params={"per_page": "100", "page": "30"})
    assert len(last.json()) == 100 and 'rel="next"' not in last.headers["Link"]
    assert last.json()[-1]["filename"] == "src/file_02999.py"  # the 3,001st is never listed


def test_artifact_download_redirects_to_another_host(fake_github: FakeGitHub) -> None:
    aid = fake_github.add_artifact("results", files={"a.txt": "hello"})
    resp = _api(fake_github, "GET", f"/repos/{DEFAULT_REPO}/actions/artifacts/{aid}/zip",
                allow_redirects=False)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith("http://localhost:") and "/_fake/blobs/" in location
    blob = requests.get(location, timeout=10)
    assert blob.content[:2] == b"PK"


def test_committed_fixtures_record_their_sources() -> None:
    spec = json.loads((FIXTURES / "openapi.json").read_text())
    source = spec["info"]["x-lanebench-source"]
    assert source["package"] == "@octokit/openapi" and source["version"]
    ops = {op["operationId"] for item in spec["paths"].values() for op in item.values()}
    assert ops == set(source["operations"])
    hooks = json.loads((FIXTURES / "webhooks" / "SOURCE.json").read_text())
    assert hooks["package"] == "@octokit/webhooks-examples" and hooks["version"]
    for stem in hooks["events"]:
        payload = json.loads((FIXTURES / "webhooks" / f"{stem}.json").read_text())
        event, _, action = stem.partition(".")
        assert payload.get("action") == (action or None)
        assert "repository" in payload
    opened = json.loads((FIXTURES / "webhooks" / "pull_request.opened.json").read_text())
    assert opened["pull_request"]["head"]["sha"]
    graphql = (FIXTURES / "schema.graphql").read_text()
    assert "@octokit/graphql-schema" in graphql and "viewer: User!" in graphql


@pytest.mark.skipif(not (NODE_MODULES / "@octokit" / "openapi").is_dir(),
                    reason="npm packages @octokit/openapi, @octokit/webhooks-examples and "
                           "@octokit/graphql-schema not installed")
def test_committed_fixtures_match_the_extraction_script(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "extract_github_fixtures.py"),
                    "--node-modules", str(NODE_MODULES), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    assert (tmp_path / "openapi.json").read_bytes() == (FIXTURES / "openapi.json").read_bytes()
    assert (tmp_path / "schema.graphql").read_bytes() == (FIXTURES / "schema.graphql").read_bytes()
    for f in (FIXTURES / "webhooks").iterdir():
        assert (tmp_path / "webhooks" / f.name).read_bytes() == f.read_bytes(), f.name


def test_seeding_from_a_real_webhook_payload(fake_github: FakeGitHub) -> None:
    event = json.loads((FIXTURES / "webhooks" / "pull_request.labeled.json").read_text())
    fake_github.add_pull_from_event(event, files=["docs/index.md"])
    client = GitHubClient(fake_github.token, event["repository"]["full_name"], api_url=fake_github.url,
                          seconds_between_requests=0, seconds_between_writes=0)
    info = client.pull_request(event["number"])
    assert info.head_sha == event["pull_request"]["head"]["sha"]
    assert info.labels == [lb["name"] for lb in event["pull_request"]["labels"]]
    assert info.from_fork is False


@pytest.mark.slow
def test_standalone_process_serves_and_exposes_state() -> None:
    remote = start_fake_github_process()
    try:
        remote.add_pull(3, files=["src/app.py", "README.md"], labels=["perf"])
        client = GitHubClient(remote.token, DEFAULT_REPO, api_url=remote.url,
                              seconds_between_requests=0, seconds_between_writes=0)
        assert [f["filename"] for f in client.pull_request_files(3).files] == ["src/app.py", "README.md"]
        client.upsert_comment(3, "hello", "<!-- lanebench -->")
        state = remote.state()
        assert [c["body"] for c in state["comments"]] == ["<!-- lanebench -->\nhello"]
        assert state["violations"] == []
        with pytest.raises(RuntimeError, match="unknown control method"):
            remote.call("stop_everything")
    finally:
        remote.stop()
    assert remote.process is not None and remote.process.returncode == 0


def test_process_fixture_seeds_artifacts_over_the_control_api(fake_github_process, tmp_path: Path) -> None:
    payload = make_zip({"lanebench-results.json": "{}"})
    aid = fake_github_process.add_artifact("lanebench-baseline",
                                           zip_base64=base64.b64encode(payload).decode())
    client = GitHubClient(fake_github_process.token, DEFAULT_REPO, api_url=fake_github_process.url,
                          seconds_between_requests=0, seconds_between_writes=0)
    artifact = client.find_baseline_artifact("lanebench-baseline", "main")
    assert artifact is not None and artifact.id == aid
    assert client.download_artifact(artifact, tmp_path / "a.zip").read_bytes() == payload
    assert fake_github_process.state()["blob_downloads"] == [{"artifact_id": aid, "authorization_sent": False}]


def test_process_fixture_hands_each_test_a_fake_as_just_started(fake_github_process) -> None:
    """One process serves a whole test module: a reset forgets what a test seeded and
    requested, and keeps the repository the process started with."""
    fake_github_process.add_artifact("lanebench-baseline",
                                     zip_base64=base64.b64encode(make_zip({"a": "1"})).decode())
    client = GitHubClient(fake_github_process.token, DEFAULT_REPO, api_url=fake_github_process.url,
                          seconds_between_requests=0, seconds_between_writes=0)
    assert client.find_baseline_artifact("lanebench-baseline", "main") is not None
    fake_github_process.reset()
    state = fake_github_process.state()
    assert [f"{r['owner']}/{r['name']}" for r in state["repos"]] == [DEFAULT_REPO]
    assert state["artifacts"] == state["requests"] == state["blob_downloads"] == []
    assert client.find_baseline_artifact("lanebench-baseline", "main") is None
