"""The sharded workflow's jobs through the action's entrypoint against the fake GitHub API:
a matrix of four `shard: K/4` jobs (each its own checkout, as on four runners), then the
`mode: merge` job with the shards' results downloaded into one folder per artifact, as
examples/workflows/sharded.yml runs them, on main and on a pull request."""

from __future__ import annotations

import base64
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.github_fake import RemoteFakeGitHub, make_zip
from tests.test_action import (
    BASE_SHA,
    HEAD_SHA,
    MARKER,
    PR_NUMBER,
    Run,
    check_runs,
    make_workspace,
    pr_event,
    push_event,
    run_action,
)

pytestmark = pytest.mark.slow

pytest_plugins = ["tests.github_fake.fixtures"]

PY = json.dumps(sys.executable)
NAMES = [f"sleep-{i}" for i in range(6)]
# six benchmarks of three lengths, so that the baseline's times balance the split
CONFIG = "benchmarks:\n" + "".join(
    f"  - name: {name}\n    command: [{PY}, -c, \"import time; time.sleep({0.01 * (i % 3 + 1)})\"]\n"
    for i, name in enumerate(NAMES)
) + "defaults:\n  warmup: 0\n  min_iterations: 3\n  max_iterations: 3\n"


@pytest.fixture
def fake(fake_github_process: RemoteFakeGitHub) -> RemoteFakeGitHub:
    return fake_github_process


def run_matrix(fake: RemoteFakeGitHub, root: Path, event_name: str, event: dict, ref: str,
               shards: range = range(1, 5)) -> tuple[list[Run], Path]:
    """The matrix jobs, each in its own checkout; their results as download-artifact
    leaves them (pattern lanebench-shard-*: one folder per artifact)."""
    downloads = root / "lanebench-shards"
    runs = []
    for k in shards:
        workspace = make_workspace(root / f"shard-{k}" / "workspace", CONFIG)
        run = run_action(fake, workspace, event_name, event, {"shard": f"{k}/4"}, ref=ref)
        assert run.returncode == 0, run.log
        target = downloads / f"lanebench-shard-{k}" / "lanebench-results.json"
        target.parent.mkdir(parents=True)
        shutil.copyfile(workspace / run.outputs["results-path"], target)
        runs.append(run)
    return runs, downloads


def run_merge(fake: RemoteFakeGitHub, root: Path, event_name: str, event: dict, ref: str,
              downloads: Path) -> tuple[Run, Path]:
    workspace = make_workspace(root / "merge" / "workspace", CONFIG)
    run = run_action(fake, workspace, event_name, event,
                     {"mode": "merge", "results": str(downloads)}, ref=ref)
    return run, workspace


@pytest.fixture(scope="module")
def sharded_baseline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Run, bytes, list[Run]]]:
    """main's baseline measured by the matrix and merged by the `baseline` job."""
    from tests.github_fake import start_fake_github_process

    root = tmp_path_factory.mktemp("sharded-baseline")
    remote = start_fake_github_process()
    try:
        event = push_event(remote.url)
        shard_runs, downloads = run_matrix(remote, root, "push", event, "refs/heads/main")
        merge, workspace = run_merge(remote, root, "push", event, "refs/heads/main", downloads)
        remote.assert_no_violations()
        operations = {r["operation_id"] for r in remote.state()["requests"]}
    finally:
        remote.stop()
    assert merge.returncode == 0, merge.log
    # nothing posted: only the previous baseline looked for (its times, its history)
    assert operations == {"actions/list-artifacts-for-repo"}
    yield merge, (workspace / merge.outputs["results-path"]).read_bytes(), shard_runs


def pull_request(fake: RemoteFakeGitHub, baseline: bytes) -> dict:
    """A pull request changing src/app.py, and main's sharded baseline as its artifact."""
    zip_bytes = make_zip({"lanebench-results.json": baseline})
    fake.add_artifact("lanebench-baseline", zip_base64=base64.b64encode(zip_bytes).decode(),
                      head_branch="main", head_sha=BASE_SHA)
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["src/app.py"])
    return event


def test_main_matrix_merges_into_one_baseline_with_each_runners_calibration(
    sharded_baseline: tuple[Run, bytes, list[Run]],
) -> None:
    merge, results, shard_runs = sharded_baseline
    for k, run in enumerate(shard_runs, start=1):
        assert run.outputs["lane"] == "baseline"
        assert f"shard {k} of 4" in run.summary
    doc = json.loads(results)
    assert [b["name"] for b in doc["benchmarks"]] == NAMES
    assert all(len(b["samples"]["wall"]) == 3 for b in doc["benchmarks"])
    shards = doc["shards"]
    assert [s["index"] for s in shards] == [1, 2, 3, 4]
    assert sorted(n for s in shards for n in s["benchmarks"]) == sorted(NAMES)
    assert all(s["calibration"]["samples"]["wall"] for s in shards)
    (entry,) = doc["history"]  # this run starts the history, per benchmark its runner's speed
    assert set(entry["benchmark_calibration"]) == set(NAMES)
    assert any("merged 4 shards (6 benchmarks)" in line for line in merge.commands("notice"))
    assert "lanebench baseline" in merge.summary


def test_pull_request_matrix_then_merge_posts_one_comment_and_one_check(
    fake: RemoteFakeGitHub, tmp_path: Path, sharded_baseline: tuple[Run, bytes, list[Run]],
) -> None:
    event = pull_request(fake, sharded_baseline[1])
    shard_runs, downloads = run_matrix(fake, tmp_path, "pull_request", event, "refs/pull/7/merge")
    # the shard jobs post nothing; their split came from the baseline's times
    assert fake.comments_on(PR_NUMBER) == [] and check_runs(fake) == []
    assert all("balanced by the baseline's times of" in r.summary for r in shard_runs)
    parts = [json.loads((downloads / f"lanebench-shard-{k}" / "lanebench-results.json").read_text())
             for k in range(1, 5)]
    assert len({p["run"]["shard"]["plan"] for p in parts}) == 1
    assert sorted(b["name"] for p in parts for b in p["benchmarks"]) == sorted(NAMES)

    merge, workspace = run_merge(fake, tmp_path, "pull_request", event, "refs/pull/7/merge", downloads)
    assert merge.returncode == 0, merge.log
    assert merge.outputs["lane"] == "standard" and merge.outputs["regressions"] == "0"
    (comment,) = fake.comments_on(PR_NUMBER)
    assert comment["body"].startswith(MARKER)
    assert all(name in comment["body"] for name in NAMES)
    (check,) = check_runs(fake, HEAD_SHA)
    assert check["conclusion"] == "success"
    judged = json.loads((workspace / "lanebench-results" / "report" / "comparison.json").read_text())
    assert "sharded" in judged["extra"]["trust"]
    pairs = [s["runners"] for s in judged["extra"]["runner"]["shards"]]
    # each benchmark compared between the runner of its head shard and of its baseline shard
    assert {p.split(",")[0] for p in pairs} == {f"head shard {k} of 4" for k in range(1, 5)}
    assert all(", baseline shard " in p for p in pairs)
    fake.assert_no_violations()


def test_a_missing_shard_fails_the_check_as_incomplete(
    fake: RemoteFakeGitHub, tmp_path: Path, sharded_baseline: tuple[Run, bytes, list[Run]],
) -> None:
    event = pull_request(fake, sharded_baseline[1])
    _, downloads = run_matrix(fake, tmp_path, "pull_request", event, "refs/pull/7/merge",
                              shards=range(1, 5))
    shutil.rmtree(downloads / "lanebench-shard-3")  # its job failed and uploaded nothing
    merge, _ = run_merge(fake, tmp_path, "pull_request", event, "refs/pull/7/merge", downloads)
    assert merge.returncode == 1, merge.log
    assert merge.commands("error") == [
        "::error::incomplete: shard 3 of 4 missing (a shard's job failed or uploaded no "
        "results; re-run the failed jobs)"]
    (check,) = check_runs(fake, HEAD_SHA)
    assert check["conclusion"] == "failure"
    assert "incomplete: shard 3 of 4 missing" in check["title"]
    (comment,) = fake.comments_on(PR_NUMBER)
    assert "incomplete: shard 3 of 4 missing" in comment["body"]
    assert merge.outputs["status"] == "fail"
    fake.assert_no_violations()


def test_a_shard_given_twice_is_refused_naming_it(
    fake: RemoteFakeGitHub, tmp_path: Path, sharded_baseline: tuple[Run, bytes, list[Run]],
) -> None:
    event = pull_request(fake, sharded_baseline[1])
    _, downloads = run_matrix(fake, tmp_path, "pull_request", event, "refs/pull/7/merge",
                              shards=range(1, 3))
    shutil.copytree(downloads / "lanebench-shard-2", downloads / "lanebench-shard-2-again")
    merge, _ = run_merge(fake, tmp_path, "pull_request", event, "refs/pull/7/merge", downloads)
    assert merge.returncode == 2, merge.log
    (error,) = merge.commands("error")
    assert "shard 2 of 4: given twice" in error
    (check,) = check_runs(fake, HEAD_SHA)
    assert check["conclusion"] == "failure" and "shard 2 of 4: given twice" in check["title"]
