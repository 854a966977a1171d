"""`lanebench bundle` as a real process: flags, and values taken from a pull_request event."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lanebench.bundle import BUNDLE_FILE, read_untrusted_bundle
from lanebench.results import BenchmarkResult, ResultsDocument, RunInfo, write_results

pytestmark = pytest.mark.slow  # `lanebench bundle` subprocesses

REPO_ROOT = Path(__file__).resolve().parents[1]
WEBHOOKS = REPO_ROOT / "tests" / "fixtures" / "github" / "webhooks"


def lanebench(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    base["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "lanebench", "bundle", *args],
        env={**base, **env}, cwd=cwd, capture_output=True, text=True, timeout=60,
    )


def results_file(tmp_path: Path) -> Path:
    doc = ResultsDocument(
        run=RunInfo(lane="standard"),
        environment={},
        benchmarks=[BenchmarkResult(name="parse", command="true", samples={"wall": [1.0, 1.1]})],
    )
    return write_results(tmp_path / "out" / "results.json", doc)


def test_values_come_from_the_pull_request_event(tmp_path: Path) -> None:
    event_path = WEBHOOKS / "pull_request.synchronize.json"
    event: dict[str, Any] = json.loads(event_path.read_text(encoding="utf-8"))
    pr = event["pull_request"]
    repository = event["repository"]["full_name"]
    results = results_file(tmp_path)
    proc = lanebench(
        ["--results", str(results)],
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": repository,
            "GITHUB_RUN_ID": "9001",
            "GITHUB_SHA": "f" * 40,  # the merge commit: must not end up in the bundle
        },
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads((results.parent / BUNDLE_FILE).read_text(encoding="utf-8"))
    assert data["pr_number"] == pr["number"]
    assert data["head_sha"] == pr["head"]["sha"]
    assert data["base_ref"] == pr["base"]["ref"]
    assert data["repository"] == repository and data["run_id"] == "9001"
    assert f"PR #{pr['number']}" in proc.stdout

    # The trusted side accepts it against a workflow_run that ran that commit for that PR.
    run = {
        "event": "pull_request",
        "head_sha": pr["head"]["sha"],
        "repository": {"full_name": repository},
        "pull_requests": [{"number": pr["number"], "base": {"repo": {"url": pr["base"]["repo"]["url"]}}}],
    }
    trusted = read_untrusted_bundle(results.parent, expected_repository=repository, workflow_run=run)
    assert trusted.pr_number == pr["number"] and trusted.results.benchmarks[0].name == "parse"


def test_flags_outside_actions_and_output_directory(tmp_path: Path) -> None:
    results = results_file(tmp_path)
    sha = "0123456789abcdef0123456789abcdef01234567"
    proc = lanebench(
        ["--results", str(results), "--pr", "5", "--head-sha", sha, "--base-ref", "main",
         "--repository", "octo-org/octo-repo", "--output", str(tmp_path / "artifact")],
        {},
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "artifact").iterdir()) == [BUNDLE_FILE, "results.json"]
    data = json.loads((tmp_path / "artifact" / BUNDLE_FILE).read_text(encoding="utf-8"))
    assert (data["pr_number"], data["head_sha"], data["run_id"]) == (5, sha, None)


def test_missing_values_outside_actions_are_one_clear_line(tmp_path: Path) -> None:
    proc = lanebench(["--results", str(results_file(tmp_path)), "--pr", "5"], {}, tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "lanebench: error: missing --head-sha, --base-ref, --repository "
        "(pass them, or run inside a GitHub Actions pull_request workflow)"
    ]


def test_push_event_is_refused_with_the_reason(tmp_path: Path) -> None:
    proc = lanebench(
        ["--results", str(results_file(tmp_path))],
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_EVENT_PATH": str(WEBHOOKS / "push.json"),
            "GITHUB_REPOSITORY": "octo-org/octo-repo",
        },
        tmp_path,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "this is a push run: bundles describe pull_request runs" in lines[0]
    assert not (tmp_path / "out" / BUNDLE_FILE).exists()


def test_bad_results_file_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "results.json"
    bad.write_text('{"schema_version": "1.0.0", "run": {', encoding="utf-8")
    proc = lanebench(
        ["--results", str(bad), "--pr", "5", "--head-sha", "a" * 40, "--base-ref", "main",
         "--repository", "o/r"],
        {},
        tmp_path,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "truncated" in lines[0]
