"""Trend alert issues against the fake GitHub API (every request checked against GitHub's
OpenAPI description, as the other GitHub tests are)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lanebench.alerts import DEFAULT_LABEL, LABEL_COLOR, LABEL_DESCRIPTION, parse_marker
from lanebench.github import GitHubClient
from lanebench.history_store import History, append_run
from lanebench.publish_alerts import PULL_LOOKUPS, publish_alerts
from lanebench.stats.trends import analyse
from tests.github_fake import DEFAULT_REPO, FakeGitHub, client_for
from tests.trend_histories import step_history

pytest_plugins = ["tests.github_fake.fixtures"]

REPO_URL = f"https://github.com/{DEFAULT_REPO}"


def main_branch(fake: FakeGitHub, runs: int) -> list[str]:
    """`runs` commits on main, each merged from a pull request #100 + i."""
    shas = []
    for i in range(runs):
        fake.add_pull(100 + i, title=f"Change {i}", state="closed", head_ref=f"change-{i}")
        shas.append(fake.add_commit(f"Change {i} (#{100 + i})\n\nDetails.", pulls=[100 + i]))
    return shas


@pytest.fixture
def client(fake_github: FakeGitHub) -> Iterator[GitHubClient]:
    c = client_for(fake_github)
    yield c
    c.close()


def publish(client: GitHubClient, history: History, **kwargs):  # type: ignore[no-untyped-def]
    return publish_alerts(client, analyse(history), history, repository_url=REPO_URL, **kwargs)


def first_run(fake: FakeGitHub, client: GitHubClient) -> tuple[list[str], History, dict]:
    """40 runs of main with a +8% step at run 20, published once: (commits, history, issue)."""
    shas = main_branch(fake, 40)
    history = step_history(40, commits=shas)
    publish(client, history)
    (issue,) = fake.issues_in()
    return shas, history, issue


def writes(fake: FakeGitHub) -> list[tuple[str, str]]:
    return [(r.method, r.operation_id or "") for r in fake.state.requests if r.method != "GET"
            and r.operation_id != "graphql"]


def test_the_alert_issue_is_created_once_and_updated_on_re_runs(fake_github: FakeGitHub,
                                                                 client: GitHubClient) -> None:
    shas = main_branch(fake_github, 44)
    history = step_history(40, commits=shas)

    first = publish(client, history)
    assert first.warnings == [] and len(first.created) == 1
    (issue,) = fake_github.issues_in()
    assert issue["user_login"] == "github-actions[bot]" and issue["labels"] == [DEFAULT_LABEL]
    assert issue["title"] == f"lanebench: parse wall time +8% on main at {shas[20][:7]}"
    found = parse_marker(issue["body"])
    assert found is not None and (found.start, found.end) == (shas[19], shas[20])
    # the range's one commit, linked, with the pull request it came with
    assert f"[`{shas[20][:7]}`]({REPO_URL}/commit/{shas[20]}) Change 20 (#\u200d120)" in issue["body"]
    assert f"[#\u200d120 Change 20](https://github.com/{DEFAULT_REPO}/pull/120)" in issue["body"]
    (label,) = fake_github.labels_in()
    assert (label["name"], label["color"], label["description"]) == (DEFAULT_LABEL, LABEL_COLOR,
                                                                     LABEL_DESCRIPTION)
    created = fake_github.requests_for("issues/create")
    assert created[0]["body"]["labels"] == [DEFAULT_LABEL]

    # The same run again (a re-run of the job): nothing is written, the range not asked again.
    before = len(fake_github.state.requests)
    again = publish(client, history)
    assert again.created == [] and again.updated == [] and [r.number for r in again.unchanged] == [issue["number"]]
    later = fake_github.state.requests[before:]
    assert [r.operation_id for r in later] == ["issues/list-for-repo"]  # who we are: asked once

    # More runs sharpen the numbers: the same issue is edited, no second one is opened.
    for sha in shas[40:]:
        history = append_run(history, step_history(41, commits=[*shas[:40], sha]).runs[-1])
    third = publish(client, history)
    assert third.created == [] and [r.number for r in third.updated] == [issue["number"]]
    assert len(fake_github.issues_in()) == 1
    (patch,) = fake_github.requests_for("issues/update")
    assert set(patch["body"]) <= {"title", "body"} and "body" in patch["body"]
    assert "| main runs | 20 | 24 |" in fake_github.issues_in()[0]["body"]
    assert writes(fake_github) == [("POST", "issues/create-label"), ("POST", "issues/create"),
                                   ("PATCH", "issues/update")]


def test_a_first_bad_commit_that_moved_updates_the_issue_and_its_marker(fake_github: FakeGitHub,
                                                                        client: GitHubClient) -> None:
    shas, history, issue = first_run(fake_github, client)
    # Rewrite our marker as if an earlier run had put the change two runs later.
    body = issue["body"].replace(f"start={shas[19]} end={shas[20]}", f"start={shas[21]} end={shas[22]}")
    fake_github.state.issues[(DEFAULT_REPO, issue["number"])].body = body
    outcome = publish(client, history)
    assert outcome.created == [] and [r.number for r in outcome.updated] == [issue["number"]]
    marker = parse_marker(fake_github.issues_in()[0]["body"])
    assert marker is not None and marker.end == shas[20]


def test_a_foreign_issue_carrying_our_marker_is_not_taken_over(fake_github: FakeGitHub,
                                                               client: GitHubClient) -> None:
    _, history, ours = first_run(fake_github, client)
    # Someone else copies our body (marker and all) into their own issue with the label,
    # and a pull request carries the label and the marker too.
    foreign = fake_github.add_issue("copy", ours["body"], user="mallory", labels=[DEFAULT_LABEL])
    fake_github.add_pull(900, labels=[DEFAULT_LABEL], author="github-actions[bot]")
    fake_github.state.issues.pop((DEFAULT_REPO, ours["number"]))  # ours is gone
    outcome = publish(client, history)
    assert len(outcome.created) == 1 and outcome.updated == []
    assert fake_github.state.issues[(DEFAULT_REPO, foreign)].body == ours["body"]  # untouched
    assert all(r["path"].endswith("/issues") for r in fake_github.requests_for("issues/create"))
    assert fake_github.requests_for("issues/update") == []


def test_a_closed_alert_is_left_closed_without_a_comment(fake_github: FakeGitHub,
                                                         client: GitHubClient) -> None:
    _, history, issue = first_run(fake_github, client)
    fake_github.state.issues[(DEFAULT_REPO, issue["number"])].state = "closed"
    before = writes(fake_github)
    outcome = publish(client, history)
    assert [r.number for r in outcome.closed] == [issue["number"]]
    assert outcome.created == [] and outcome.updated == []
    assert writes(fake_github) == before  # no reopen, no edit, no comment, no new issue
    assert fake_github.issues_in()[0]["state"] == "closed"


def test_without_findings_github_is_not_asked_anything(fake_github: FakeGitHub,
                                                       client: GitHubClient) -> None:
    outcome = publish(client, step_history(40, steps={}))
    assert outcome.lines() == [] and fake_github.state.requests == []


@pytest.mark.parametrize("permissions", [
    {"contents": "read", "issues": "read", "pull_requests": "read"},  # may read, not write
    {"contents": "read"},  # may not even list issues
])
def test_missing_issues_write_is_one_warning_naming_it(fake_github: FakeGitHub,
                                                      permissions: dict[str, str]) -> None:
    fake_github.add_token("ghs_readonly", permissions)
    shas = main_branch(fake_github, 40)
    with client_for(fake_github, "ghs_readonly") as c:
        outcome = publish(c, step_history(40, commits=shas))  # returns: it never raises
    (warning,) = outcome.warnings
    assert "\n" not in warning and "`issues: write`" in warning and "403" in warning
    assert "baseline results are written" in warning
    assert outcome.created == [] and fake_github.issues_in() == []


def test_issues_turned_off_is_one_warning_naming_the_setting(fake_github: FakeGitHub,
                                                             client: GitHubClient) -> None:
    fake_github.set_issues_enabled(False)
    shas = main_branch(fake_github, 40)
    (warning,) = publish(client, step_history(40, commits=shas)).warnings
    assert "410" in warning and "Issues are disabled" in warning and "settings" in warning


def test_a_label_github_dropped_stops_further_issues(fake_github: FakeGitHub) -> None:
    fake_github.add_token("ghp_triage", login="dana", user_type="User", push=False)
    shas = main_branch(fake_github, 60)
    history = step_history(60, steps={20: 1.08, 40: 1.08}, commits=shas)
    with client_for(fake_github, "ghp_triage") as c:
        outcome = publish(c, history, max_age_runs=60)
    assert len(outcome.created) == 1 and len(fake_github.issues_in()) == 1
    (warning,) = outcome.warnings
    assert "without the label" in warning and "`issues: write`" in warning


def test_a_range_github_cannot_compare_still_gets_its_issue(fake_github: FakeGitHub,
                                                            client: GitHubClient) -> None:
    main_branch(fake_github, 5)  # the history's commits are not on the fake's main
    outcome = publish(client, step_history(40))
    assert len(outcome.created) == 1 and outcome.warnings == []
    body = fake_github.issues_in()[0]["body"]
    assert "GitHub did not list the commits of this range: GitHub answered 404" in body
    assert "complete=no" in body


def test_a_long_range_lists_its_first_commits_and_their_pull_requests(fake_github: FakeGitHub,
                                                                      client: GitHubClient) -> None:
    shas = main_branch(fake_github, 170)
    # main ran only every few commits: the run after the step is 130 commits later
    commits = [*shas[:20], *shas[150:170]]
    history = step_history(40, commits=commits)
    publish(client, history)
    body = fake_github.issues_in()[0]["body"]
    assert "(131 commits)" in body and "- … and 31 more" in body
    pages = [r["query"] for r in fake_github.requests_for("repos/compare-commits-with-basehead")]
    assert pages == [{"per_page": "100"}]  # the first 100 are all that is shown: no second page
    assert len(fake_github.requests_for("repos/list-pull-requests-associated-with-commit")) == PULL_LOOKUPS
