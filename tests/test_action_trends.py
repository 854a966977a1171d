"""Trends in the action's baseline job, end to end: `python entrypoint.py` on a push to main
against the fake GitHub API as its own process (every request checked against GitHub's
OpenAPI description). The previous baseline artifact carries a record of 40 main runs
with a +8% step at run 20; the job carries it on, lists the step in its job summary and,
with `alert-issue: true`, opens one issue for it, which later runs bring up to date and
never duplicate.

The workspace is not a git checkout, so the job's own run (of no known commit) is not
added to the record: what the job analyses is exactly the record it was handed.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from lanebench.alerts import DEFAULT_LABEL, parse_marker
from lanebench.history_store import History, history_to_dict
from lanebench.results import read_results
from tests.github_fake import RemoteFakeGitHub, make_zip
from tests.test_action import make_workspace, push_event, run_action
from tests.test_publish_alerts import main_branch
from tests.trend_histories import step_history

pytestmark = pytest.mark.slow  # the action's job as a real process against the fake GitHub server

pytest_plugins = ["tests.github_fake.fixtures"]

REPO_URL = "https://github.com/octo-org/octo-repo"


def previous_baseline(history: History) -> bytes:
    """A baseline results file as an earlier main run uploaded it: its record of main runs."""
    return json.dumps({
        "schema_version": "1.3.0", "kind": "lanebench-results",
        "run": {"commit": history.runs[-1].commit, "finished_at": history.runs[-1].date},
        "environment": {}, "benchmarks": [], "main_runs": history_to_dict(history),
    }).encode()


def seed(fake: RemoteFakeGitHub, history: History, age_seconds: float = 0) -> None:
    zip_bytes = make_zip({"lanebench-results.json": previous_baseline(history)})
    fake.add_artifact("lanebench-baseline", zip_base64=base64.b64encode(zip_bytes).decode(),
                      head_branch="main", head_sha=history.runs[-1].commit, age_seconds=age_seconds)


def baseline_job(fake: RemoteFakeGitHub, tmp_path: Path, name: str, **inputs: str) -> Any:
    workspace = make_workspace(tmp_path / name)
    run = run_action(fake, workspace, "push", push_event(fake.url),
                     {"iterations": "2", **inputs}, ref="refs/heads/main")
    fake.assert_no_violations()
    return run, workspace


def writes(fake: RemoteFakeGitHub) -> list[str]:
    return [r["operation_id"] for r in fake.state()["requests"]
            if r["method"] != "GET" and r["operation_id"] != "graphql"]


def test_the_baseline_job_lists_the_step_and_opens_its_issue_once(
        fake_github_process: RemoteFakeGitHub, tmp_path: Path) -> None:
    fake = fake_github_process
    shas = main_branch(fake, 44)
    seed(fake, step_history(40, commits=shas), age_seconds=3600)

    run, workspace = baseline_job(fake, tmp_path, "first", **{"alert-issue": "true"})
    assert run.returncode == 0, run.log
    assert run.outputs["trend-alerts"] == "1"
    # the record is carried on in the new baseline, whole
    carried = read_results(workspace / "lanebench-results" / "lanebench-results.json").main_runs
    assert carried is not None and [r.commit for r in carried.runs] == shas[:40]
    # the job summary: the step with its commit range, linked, and the issue it opened
    assert "#### Trends on main" in run.summary
    assert (f"after [`{shas[19][:7]}`]({REPO_URL}/commit/{shas[19]}), by "
            f"[`{shas[20][:7]}`]({REPO_URL}/commit/{shas[20]})") in run.summary
    assert "| 🔺 regression | parse | Wall time | change point | +8" in run.summary
    # not new: this job added no run to the record (no commit), so it brought no finding
    assert "1 finding beyond the practical thresholds, 0 new in this run" in run.summary
    (issue,) = fake.issues_in()
    assert issue["labels"] == [DEFAULT_LABEL] and issue["state"] == "open"
    assert issue["title"] == f"lanebench: parse wall time +8% on main at {shas[20][:7]}"
    marker = parse_marker(issue["body"])
    assert marker is not None and (marker.start, marker.end) == (shas[19], shas[20])
    assert f"- opened [#{issue['number']}]({REPO_URL}/issues/{issue['number']}): " in run.summary
    assert writes(fake).count("issues/create") == 1

    # The same job again (a re-run): the step is no longer new, the issue is up to date.
    before = len(writes(fake))
    again, _ = baseline_job(fake, tmp_path, "again", **{"alert-issue": "true"})
    assert again.returncode == 0, again.log
    assert len(writes(fake)) == before  # nothing written
    assert f"- up to date [#{issue['number']}]" in again.summary and len(fake.issues_in()) == 1

    # Four more main runs sharpen the numbers: the same issue is edited, none opened.
    seed(fake, step_history(44, commits=shas))  # the newest artifact is the baseline
    later, _ = baseline_job(fake, tmp_path, "later", **{"alert-issue": "true"})
    assert later.returncode == 0, later.log
    (same,) = fake.issues_in()
    assert same["number"] == issue["number"] and same["body"] != issue["body"]
    assert writes(fake)[before:] == ["issues/update"]
    assert f"- updated [#{issue['number']}]" in later.summary


def test_without_issues_write_the_job_warns_once_and_keeps_its_results(
        fake_github_process: RemoteFakeGitHub, tmp_path: Path) -> None:
    fake = fake_github_process
    shas = main_branch(fake, 40)
    seed(fake, step_history(40, commits=shas))
    fake.add_token("no-issues", {"contents": "read", "actions": "read", "metadata": "read"})
    workspace = make_workspace(tmp_path / "ws")
    run = run_action(fake, workspace, "push", push_event(fake.url),
                     {"iterations": "2", "alert-issue": "true"}, ref="refs/heads/main",
                     token="no-issues")
    fake.assert_no_violations()
    assert run.returncode == 0, run.log
    (warning,) = [line for line in run.commands("warning") if "trend alert issues" in line]
    assert "issues: write" in warning and "the baseline results are written" in warning
    assert (workspace / "lanebench-results" / "lanebench-results.json").exists()
    assert "#### Trends on main" in run.summary and fake.issues_in() == []


def test_without_the_input_no_issue_is_asked_for(fake_github_process: RemoteFakeGitHub,
                                                 tmp_path: Path) -> None:
    fake = fake_github_process
    seed(fake, step_history(40, commits=main_branch(fake, 40)))
    run, _ = baseline_job(fake, tmp_path, "ws")
    assert run.returncode == 0, run.log
    assert run.outputs["trend-alerts"] == "1" and "#### Trends on main" in run.summary
    operations = {r["operation_id"] for r in fake.state()["requests"]}
    assert not any(op.startswith("issues/") for op in operations)
