"""lanebench.github's issues, labels and commit ranges, over real HTTP against the fake GitHub."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lanebench.github import (
    ISSUE_BODY_LIMIT,
    GitHubClient,
    GitHubNotFoundError,
    GitHubPermissionError,
)
from tests.github_fake import DEFAULT_REPO, FakeGitHub, client_for

pytest_plugins = ["tests.github_fake.fixtures"]

MARKER = "<!-- lanebench-trend-alert v1 "


@pytest.fixture
def client(fake_github: FakeGitHub) -> Iterator[GitHubClient]:
    c = client_for(fake_github)
    yield c
    c.close()


def test_own_issues_are_ours_with_the_label_and_marker_in_any_state_over_pages(
        fake_github: FakeGitHub, client: GitHubClient) -> None:
    bot = "github-actions[bot]"
    ours_open = fake_github.add_issue("a", f"{MARKER}key=1 -->", user=bot, user_type="Bot",
                                      labels=["lanebench-trend", "perf"])
    for i in range(140):  # ours, labelled, without a marker: listed and passed over
        fake_github.add_issue(f"other {i}", "no marker", user=bot, user_type="Bot", labels=["lanebench-trend"])
    ours_closed = fake_github.add_issue("b", f"text\n{MARKER}key=2 -->", user=bot, user_type="Bot",
                                        labels=["Lanebench-Trend"], state="closed", state_reason="completed")
    fake_github.add_issue("c", f"{MARKER}key=3 -->", user="mallory", labels=["lanebench-trend"])  # not ours
    fake_github.add_issue("d", f"{MARKER}key=4 -->", user=bot, user_type="Bot")  # no label
    fake_github.add_pull(800, labels=["lanebench-trend"], author=bot)  # a pull request, not an issue

    found = client.own_issues("lanebench-trend", MARKER)

    assert [(i.number, i.state, i.state_reason) for i in found] == [
        (ours_open, "open", None), (ours_closed, "closed", "completed")]
    assert found[0].labels == ("lanebench-trend", "perf") and found[0].author == bot
    pages = [r["query"] for r in fake_github.requests_for("issues/list-for-repo")]
    assert len(pages) == 2 and pages[1]["page"] == "2"
    assert pages[0] == {"labels": "lanebench-trend", "state": "all", "sort": "created",
                        "direction": "asc", "per_page": "100"}
    # nothing was fetched one by one (PyGithub's issue objects would ask for `pull_request`)
    assert {r.operation_id for r in fake_github.state.requests} == {"graphql", "issues/list-for-repo"}


def test_a_personal_token_owns_the_issues_its_user_opened(fake_github: FakeGitHub) -> None:
    fake_github.add_token("ghp_dana", login="dana", user_type="User")
    mine = fake_github.add_issue("a", f"{MARKER}key=1 -->", user="Dana", labels=["t"])
    fake_github.add_issue("b", f"{MARKER}key=2 -->", user="github-actions[bot]", user_type="Bot", labels=["t"])
    with client_for(fake_github, "ghp_dana") as c:
        assert [i.number for i in c.own_issues("t", MARKER)] == [mine]


def test_a_missing_label_is_created_once(fake_github: FakeGitHub, client: GitHubClient) -> None:
    assert client.ensure_label("lanebench trend", color="d93f0b", description="x" * 150) is True
    assert client.ensure_label("Lanebench Trend", color="d93f0b", description="y") is False
    (label,) = fake_github.labels_in()
    assert label["name"] == "lanebench trend" and len(label["description"]) == 100
    gets = fake_github.requests_for("issues/get-label")
    assert [r["path"].rsplit("/", 1)[1] for r in gets] == ["lanebench%20trend", "Lanebench%20Trend"]


def test_create_and_update_an_issue(fake_github: FakeGitHub, client: GitHubClient) -> None:
    created = client.create_issue("t" * 300, "x" * (ISSUE_BODY_LIMIT + 10), ["lanebench-trend"])
    stored = fake_github.issues_in()[0]
    assert len(stored["title"]) == 256 and len(stored["body"]) == ISSUE_BODY_LIMIT
    assert "truncated by lanebench" in stored["body"]
    assert created.labels == ("lanebench-trend",) and created.author == "github-actions[bot]"
    updated = client.update_issue(created.number, body="new body")
    assert updated.body == "new body" and updated.title == stored["title"]
    (patch,) = fake_github.requests_for("issues/update")
    assert patch["body"] == {"body": "new body"}  # the title is not sent when it is not changed


def test_missing_issues_write_names_it(fake_github: FakeGitHub) -> None:
    fake_github.add_token("ghs_read", {"issues": "read", "contents": "read"})
    with client_for(fake_github, "ghs_read") as c:
        with pytest.raises(GitHubPermissionError) as raised:
            c.create_issue("t", "b")
    assert raised.value.permission == "issues: write"
    assert str(raised.value).startswith("GitHub refused to open an issue (403 Resource not accessible "
                                        "by integration): the token lacks `issues: write`")


def test_issues_turned_off_say_so_not_artifact_expiry(fake_github: FakeGitHub, client: GitHubClient) -> None:
    fake_github.set_issues_enabled(False)
    with pytest.raises(GitHubNotFoundError) as raised:
        client.own_issues("t", MARKER)
    text = str(raised.value)
    assert "410 Gone" in text and "Issues are disabled" in text and "settings" in text
    assert "artifact" not in text


def test_commit_range_pages_through_up_to_its_limit(fake_github: FakeGitHub, client: GitHubClient) -> None:
    shas = [fake_github.add_commit(f"Change {i}\n\nbody", author=f"dev{i % 3}") for i in range(260)]
    listed = client.commit_range(shas[9], shas[259], limit=150)
    assert listed.total == 250 and listed.truncated
    assert [c.sha for c in listed.commits] == shas[10:160]
    assert listed.commits[0].subject == "Change 10" and listed.commits[0].author == "dev1"
    assert listed.html_url == f"https://github.com/{DEFAULT_REPO}/compare/{shas[9]}...{shas[259]}"
    pages = [r["query"] for r in fake_github.requests_for("repos/compare-commits-with-basehead")]
    assert pages == [{"per_page": "100"}, {"per_page": "100", "page": "2"}]


def test_a_commit_range_github_does_not_have_is_not_found(client: GitHubClient) -> None:
    with pytest.raises(GitHubNotFoundError, match="rewritten history"):
        client.commit_range("a" * 40, "b" * 40)
    with pytest.raises(ValueError):
        client.commit_range("main", "b" * 40)  # only SHAs go into the URL


def test_pulls_of_a_commit(fake_github: FakeGitHub, client: GitHubClient) -> None:
    fake_github.add_pull(41, title="Faster parse", author="dana", state="closed")
    sha = fake_github.add_commit("Faster parse (#41)", pulls=[41])
    (pull,) = client.pulls_of_commit(sha)
    assert (pull.number, pull.title, pull.author) == (41, "Faster parse", "dana")
    assert pull.html_url == f"https://github.com/{DEFAULT_REPO}/pull/41"
    assert client.pulls_of_commit(fake_github.add_commit("direct push")) == []
