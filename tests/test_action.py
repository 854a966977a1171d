"""The action end to end: `python entrypoint.py` as a subprocess with the environment a
container action gets, talking over HTTP to the fake GitHub API running as its own process.

Events are the real webhook payloads of tests/fixtures/github/webhooks, patched to the
fake's repository, pull request numbers and commits. Benchmarks are `python -c` sleeps whose
length the SLEEP_SECONDS variable sets, so a regression is a real, measured slowdown.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.github_fake import DEFAULT_REPO, DEFAULT_TOKEN, RemoteFakeGitHub, make_zip
from tests.github_fake.state import not_accessible, secondary_rate_limit, server_error

pytestmark = pytest.mark.slow  # the action's job as a real process against the fake GitHub server

pytest_plugins = ["tests.github_fake.fixtures"]

ROOT = Path(__file__).resolve().parents[1]
WEBHOOKS = ROOT / "tests" / "fixtures" / "github" / "webhooks"
PR_NUMBER = 7
HEAD_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
BASE_SHA = "009b8a3a9ccbb128af87f9b1c0f4c62e8a304f6d"
RUN_ID = "4242"
MARKER = "<!-- lanebench:comment -->"
PY = json.dumps(sys.executable)
# The regression: 0.6 s sleeps against the baseline's 0.01 s (about 14x the wall time). Six
# iterations a side on this machine leave a calibration too noisy to apply, and then a
# time change gates only beyond the runner effect it cannot rule out (up to about 2.7x
# seen here): the slowdown must be far beyond that to be a regression every time.
SLOWER = "0.6"

CONFIG = f"""\
benchmarks:
  - name: sleepy
    command: [{PY}, -c, "import os, time; time.sleep(float(os.environ.get('SLEEP_SECONDS', '0.01')))"]
defaults:
  warmup: 0
  min_iterations: 6
  max_iterations: 6
"""

ENV_DUMP_CONFIG = f"""\
benchmarks:
  - name: env-dump
    command: [{PY}, -c, "import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], 'w'))", "{{dump}}"]
defaults:
  warmup: 0
  min_iterations: 2
  max_iterations: 2
"""

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]


# --- the workspace, the events, the run ----------------------------------------------------


def make_workspace(path: Path, config: str = CONFIG) -> Path:
    """A checkout as actions/checkout leaves it in /github/workspace (no git by default)."""
    (path / ".github").mkdir(parents=True)
    (path / ".github" / "lanebench.yml").write_text(config, encoding="utf-8")
    (path / "src").mkdir()
    (path / "src" / "app.py").write_text("x = 1\n", encoding="utf-8")
    (path / "README.md").write_text("hello\n", encoding="utf-8")
    return path


def git_commit_all(repo: Path, message: str) -> str:
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", message], cwd=repo, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


def _patch_repository(event: dict[str, Any], api: str) -> None:
    owner, name = DEFAULT_REPO.split("/")
    repo = event["repository"]
    repo.update(full_name=DEFAULT_REPO, name=name, default_branch="main",
                url=f"{api}/repos/{DEFAULT_REPO}")
    repo["owner"]["login"] = owner


def pr_event(api: str, *, number: int = PR_NUMBER, head_sha: str = HEAD_SHA, base_sha: str = BASE_SHA,
             labels: tuple[str, ...] = (), fork: str | None = None) -> dict[str, Any]:
    event = json.loads((WEBHOOKS / "pull_request.synchronize.json").read_text(encoding="utf-8"))
    _patch_repository(event, api)
    event["number"] = number
    pr = event["pull_request"]
    pr["number"] = number
    pr["head"].update(sha=head_sha, ref="feature", label="octo-org:feature")
    pr["head"]["repo"]["full_name"] = fork or DEFAULT_REPO
    pr["base"].update(sha=base_sha, ref="main", label="octo-org:main")
    pr["base"]["repo"]["full_name"] = DEFAULT_REPO
    template = pr["labels"][0]
    pr["labels"] = [dict(template, name=name) for name in labels]
    return event


def push_event(api: str, branch: str = "main") -> dict[str, Any]:
    event = json.loads((WEBHOOKS / "push.json").read_text(encoding="utf-8"))
    _patch_repository(event, api)
    event["ref"] = f"refs/heads/{branch}"
    return event


def workflow_run_event(api: str, run_id: int, *, head_sha: str = HEAD_SHA, pulls: list[int] | None = None,
                       head_repo: str = DEFAULT_REPO) -> dict[str, Any]:
    event = json.loads((WEBHOOKS / "workflow_run.completed.json").read_text(encoding="utf-8"))
    _patch_repository(event, api)
    run = event["workflow_run"]
    run.update(id=run_id, event="pull_request", head_sha=head_sha, head_branch="feature",
               conclusion="success", status="completed")
    run["repository"]["full_name"] = DEFAULT_REPO
    run["head_repository"]["full_name"] = head_repo
    run["pull_requests"] = [
        {"url": f"{api}/repos/{DEFAULT_REPO}/pulls/{n}", "id": n, "number": n,
         "head": {"ref": "feature", "sha": head_sha, "repo": {"id": 1, "url": f"{api}/repos/{head_repo}", "name": "octo-repo"}},
         "base": {"ref": "main", "sha": BASE_SHA, "repo": {"id": 1, "url": f"{api}/repos/{DEFAULT_REPO}", "name": "octo-repo"}}}
        for n in (pulls or [])
    ]
    return event


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    home: Path  # the runner's files: event, outputs, summary

    @property
    def log(self) -> str:
        return self.stdout + self.stderr

    def commands(self, name: str) -> list[str]:
        """Workflow command lines `::name ...::message` printed by the action."""
        return [ln for ln in self.stdout.splitlines() if ln.startswith(f"::{name}")]


def parse_outputs(text: str) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        value: list[str] = []
        for body in lines:
            if body == delimiter:
                break
            value.append(body)
        outputs[name] = "\n".join(value)
    return outputs


def run_action(fake: RemoteFakeGitHub, workspace: Path, event_name: str, event: dict[str, Any],
               inputs: dict[str, str] | None = None, env: dict[str, str] | None = None,
               token: str = DEFAULT_TOKEN, ref: str = "refs/pull/7/merge",
               launcher: tuple[str, ...] = ()) -> Run:
    """The entrypoint as GitHub starts it in the container; `launcher` goes before it
    (e.g. setpriv with the capabilities Docker gives a container)."""
    home = workspace.parent / f"runner-{len(list(workspace.parent.glob('runner-*')))}"
    home.mkdir()
    (home / "event.json").write_text(json.dumps(event), encoding="utf-8")
    full_env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(home / "event.json"),
        "GITHUB_REPOSITORY": DEFAULT_REPO,
        "GITHUB_SHA": "f" * 40,
        "GITHUB_REF": ref,
        "GITHUB_API_URL": fake.url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": RUN_ID,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(home / "output"),
        "GITHUB_STEP_SUMMARY": str(home / "summary.md"),
        "INPUT_GITHUB-TOKEN": token,
        # What GitHub fills in from action.yml's defaults:
        "INPUT_CONFIG": ".github/lanebench.yml",
        "INPUT_MODE": "auto",
        "INPUT_BASELINE-ARTIFACT": "lanebench-baseline",
        "INPUT_RESULTS-PATH": "lanebench-results",
        "INPUT_COMMENT": "always",
        "INPUT_CHECK-NAME": "lanebench",
        "INPUT_FAIL-ON": "critical",
        "INPUT_WORKING-DIRECTORY": ".",
        "INPUT_COMPARISON": "artifact",
    }
    for name, value in (inputs or {}).items():
        full_env[f"INPUT_{name.upper()}"] = value
    full_env.update(env or {})
    proc = subprocess.run([*launcher, sys.executable, str(ROOT / "entrypoint.py")], cwd=workspace, env=full_env,
                          capture_output=True, text=True, timeout=120, check=False)
    output = home / "output"
    summary = home / "summary.md"
    return Run(proc.returncode, proc.stdout, proc.stderr,
               parse_outputs(output.read_text(encoding="utf-8")) if output.exists() else {},
               summary.read_text(encoding="utf-8") if summary.exists() else "", home)


def seed_baseline(fake: RemoteFakeGitHub, results: bytes, **kwargs: Any) -> int:
    zip_bytes = make_zip({"lanebench-results.json": results})
    return fake.add_artifact("lanebench-baseline", zip_base64=base64.b64encode(zip_bytes).decode(),
                             head_branch="main", head_sha=BASE_SHA, **kwargs)


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def fake(fake_github_process: RemoteFakeGitHub) -> RemoteFakeGitHub:
    return fake_github_process


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "workspace")


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Run, Path]]:
    """The action on a push to main: it measures the baseline (used by several tests)."""
    from tests.github_fake import start_fake_github_process

    base = tmp_path_factory.mktemp("baseline")
    workspace = make_workspace(base / "workspace")
    git_root = workspace
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=git_root, check=True)
    git_commit_all(git_root, "init")
    remote = start_fake_github_process()
    try:
        run = run_action(remote, workspace, "push", push_event(remote.url), {"iterations": "6"},
                         ref="refs/heads/main")
        remote.assert_no_violations()
        operations = [r["operation_id"] for r in remote.state()["requests"]]
    finally:
        remote.stop()
    # it only looked for the previous baseline (there is none) to carry its history on
    assert operations == ["actions/list-artifacts-for-repo"]
    yield run, workspace


@pytest.fixture
def baseline_results(baseline_run: tuple[Run, Path]) -> bytes:
    run, workspace = baseline_run
    assert run.returncode == 0, run.log
    return (workspace / run.outputs["results-path"]).read_bytes()


@pytest.fixture(scope="module")
def cli_baseline_results(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """main's baseline as fork-safe-pr.yml measures it: with the command line, like its PRs
    (both sides must spawn benchmarks from the same process size: the maxrss floor)."""
    workspace = make_workspace(tmp_path_factory.mktemp("cli-baseline") / "workspace")
    proc = subprocess.run([sys.executable, "-m", "lanebench", "run", "-n", "6", "--output",
                           "out/lanebench-results.json"], cwd=workspace, capture_output=True,
                          text=True, timeout=120, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    return (workspace / "out" / "lanebench-results.json").read_bytes()


def check_runs(fake: RemoteFakeGitHub, sha: str = HEAD_SHA) -> list[dict[str, Any]]:
    return fake.check_runs_for(sha)


# --- scenarios -----------------------------------------------------------------------------


def test_push_to_main_writes_the_baseline_results_and_outputs(baseline_run: tuple[Run, Path]) -> None:
    run, workspace = baseline_run
    assert run.returncode == 0, run.log
    assert run.outputs["results-path"] == "lanebench-results/lanebench-results.json"
    assert run.outputs["lane"] == "baseline" and run.outputs["status"] == "pass"
    results = json.loads((workspace / run.outputs["results-path"]).read_text(encoding="utf-8"))
    (bench,) = results["benchmarks"]
    assert bench["name"] == "sleepy" and len(bench["samples"]["wall"]) == 6
    assert (workspace / run.outputs["report-path"] / "report.html").exists()
    assert "lanebench baseline" in run.summary
    assert any("upload them with actions/upload-artifact as `lanebench-baseline`" in line
               for line in run.commands("notice"))


def test_baseline_carries_the_previous_baselines_history(fake: RemoteFakeGitHub, workspace: Path,
                                                          baseline_results: bytes) -> None:
    seed_baseline(fake, baseline_results)
    run = run_action(fake, workspace, "push", push_event(fake.url), {"iterations": "3"},
                     ref="refs/heads/main")
    assert run.returncode == 0, run.log
    results = json.loads((workspace / run.outputs["results-path"]).read_text(encoding="utf-8"))
    previous = json.loads(baseline_results)
    history = results["history"]
    assert len(history) == 2  # the previous main run, then this one
    assert history[0]["finished_at"] == previous["run"]["finished_at"]
    assert len(results["benchmarks"][0]["samples"]["wall"]) == 3


def test_baseline_without_actions_read_still_measures_and_says_why_history_is_lost(
    fake: RemoteFakeGitHub, workspace: Path
) -> None:
    contents_only = "ghs_contentsReadOnly00000"
    fake.add_token(contents_only, {"contents": "read", "metadata": "read"})
    run = run_action(fake, workspace, "push", push_event(fake.url), {"iterations": "3"},
                     token=contents_only, ref="refs/heads/main")
    assert run.returncode == 0, run.log
    assert run.outputs["status"] in ("pass", "warn")
    (warning,) = run.commands("warning")
    assert "starts a new history" in warning and "actions: read" in warning
    assert (workspace / run.outputs["results-path"]).exists()


def test_paired_comparison_measures_the_base_commit_in_the_same_job(fake: RemoteFakeGitHub,
                                                                     workspace: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=workspace, check=True)
    base = git_commit_all(workspace, "base")
    (workspace / "src" / "app.py").write_text("x = 2\n", encoding="utf-8")
    head = git_commit_all(workspace, "head")
    event = pr_event(fake.url, head_sha=head, base_sha=base)
    fake.add_pull_from_event(event, ["src/app.py"])
    run = run_action(fake, workspace, "pull_request", event,
                     {"comparison": "paired", "iterations": "3"})
    assert run.returncode == 0, run.log
    assert run.outputs["status"] in ("pass", "warn") and run.outputs["regressions"] == "0"
    assert fake.requests_for("actions/list-artifacts-for-repo") == []  # no artifact needed
    results = json.loads((workspace / run.outputs["results-path"]).read_text(encoding="utf-8"))
    assert results["run"]["paired"]["base_commit"] == base
    assert len(results["benchmarks"][0]["paired"]["base_samples"]["wall"]) == 3
    assert "No baseline yet" not in fake.comments_on(PR_NUMBER)[0]["body"]


def test_push_to_another_branch_measures_nothing(fake: RemoteFakeGitHub, workspace: Path) -> None:
    run = run_action(fake, workspace, "push", push_event(fake.url, "topic"), ref="refs/heads/topic")
    assert run.returncode == 0, run.log
    assert run.outputs == {"status": "skipped"}
    assert "not to the baseline branch main" in run.commands("notice")[0]
    assert not (workspace / "lanebench-results").exists()


def test_first_pr_without_baseline_is_neutral_and_says_how_to_create_it(
    fake: RemoteFakeGitHub, workspace: Path
) -> None:
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["src/app.py"])
    run = run_action(fake, workspace, "pull_request", event)
    assert run.returncode == 0, run.log
    assert run.outputs["status"] == "no-baseline" and run.outputs["lane"] == "standard"
    (check,) = check_runs(fake)
    assert check["conclusion"] == "neutral" and check["name"] == "lanebench"
    assert check["details_url"] == f"https://github.com/{DEFAULT_REPO}/actions/runs/{RUN_ID}"
    (comment,) = fake.comments_on(PR_NUMBER)
    body = comment["body"]
    assert body.startswith(MARKER)
    assert "No baseline yet" in body and "mode: baseline" in body
    assert "name: lanebench-baseline" in body and "main-baseline.yml" in body
    assert "No baseline yet" in run.summary and "No baseline yet" in check["summary"]
    assert run.outputs["comment-url"].endswith(f"#issuecomment-{comment['id']}")
    assert run.outputs["check-url"]
    # head-only statistics were still measured and written
    results = json.loads((workspace / run.outputs["results-path"]).read_text(encoding="utf-8"))
    assert len(results["benchmarks"][0]["samples"]["wall"]) == 6


def test_regression_fails_the_check_and_a_second_run_edits_the_same_comment(
    fake: RemoteFakeGitHub, workspace: Path, baseline_results: bytes
) -> None:
    seed_baseline(fake, baseline_results)
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["src/app.py"])

    first = run_action(fake, workspace, "pull_request", event)
    assert first.returncode == 0, first.log
    # same code as the baseline: no regression (noise warnings are allowed on a busy machine)
    assert first.outputs["status"] in ("pass", "warn") and first.outputs["regressions"] == "0"
    (comment,) = fake.comments_on(PR_NUMBER)

    second = run_action(fake, workspace, "pull_request", event, env={"SLEEP_SECONDS": SLOWER})
    assert second.returncode == 1, second.log
    assert second.outputs["status"] == "fail" and int(second.outputs["regressions"]) >= 1
    comments = fake.comments_on(PR_NUMBER)
    assert [c["id"] for c in comments] == [comment["id"]]  # edited in place, not a second one
    assert comments[0]["body"] != comment["body"] and "regression" in comments[0]["body"]
    assert second.outputs["comment-url"] == first.outputs["comment-url"]
    conclusions = [c["conclusion"] for c in sorted(check_runs(fake), key=lambda c: c["id"])]
    assert conclusions == ["success", "failure"]
    failing = max(check_runs(fake), key=lambda c: c["id"])
    assert "regression" in failing["title"] and "sleepy" in failing["summary"]
    assert (workspace / "lanebench-results" / "baseline-results.json").read_bytes() == baseline_results
    assert "[baseline](https://github.com/octo-org/octo-repo/actions/runs/" in comments[0]["body"]


def test_a_comment_of_someone_else_with_the_marker_is_not_taken_over(fake: RemoteFakeGitHub,
                                                                     workspace: Path) -> None:
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["README.md"])
    forged = fake.add_comment(PR_NUMBER, f"{MARKER}\n### ✅ lanebench: pass", user="mallory")
    run = run_action(fake, workspace, "pull_request", event)
    assert run.returncode == 0, run.log
    forgery, ours = fake.comments_on(PR_NUMBER)
    assert forgery["id"] == forged and forgery["body"] == f"{MARKER}\n### ✅ lanebench: pass"
    assert ours["user_login"] == "github-actions[bot]" and ours["body"].startswith(MARKER)
    assert run.outputs["comment-url"].endswith(f"#issuecomment-{ours['id']}")


def test_docs_only_pr_is_skipped_and_the_check_succeeds(fake: RemoteFakeGitHub, workspace: Path) -> None:
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["README.md", "docs/guide.md"])
    run = run_action(fake, workspace, "pull_request", event)
    assert run.returncode == 0, run.log
    assert run.outputs["lane"] == "docs" and run.outputs["status"] == "skipped"
    assert run.outputs["results-path"] == ""
    (check,) = check_runs(fake)
    assert check["conclusion"] == "success"
    # a check run's title is plain text: no Markdown escapes, the lane said once
    assert check["title"] == (
        "⏭️ skipped (docs lane) · all 2 changed files match (**/*.md 1, docs/** 1)"
    )
    assert "No benchmarks ran" in fake.comments_on(PR_NUMBER)[0]["body"]
    # nothing to compare, so no baseline was even looked up
    assert fake.requests_for("actions/list-artifacts-for-repo") == []


def test_server_error_then_success_is_retried(fake: RemoteFakeGitHub, workspace: Path) -> None:
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["README.md"])
    fake.script("checks/create", server_error(502))
    run = run_action(fake, workspace, "pull_request", event)
    assert run.returncode == 0, run.log
    assert [r["status"] for r in fake.requests_for("checks/create")] == [502, 201]
    assert len(check_runs(fake)) == 1 and run.outputs["check-url"]


def test_secondary_rate_limit_waits_for_retry_after_and_succeeds(
    fake: RemoteFakeGitHub, workspace: Path
) -> None:
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["README.md"])
    fake.script("issues/create-comment", secondary_rate_limit(retry_after=1))
    run = run_action(fake, workspace, "pull_request", event)
    assert run.returncode == 0, run.log
    attempts = fake.requests_for("issues/create-comment")
    assert [r["status"] for r in attempts] == [403, 201]
    assert attempts[1]["at"] - attempts[0]["at"] >= 0.9  # it waited as Retry-After asked
    assert len(fake.comments_on(PR_NUMBER)) == 1


def test_fork_pr_cannot_comment_but_keeps_summary_outputs_and_verdict(
    fake: RemoteFakeGitHub, workspace: Path, baseline_results: bytes
) -> None:
    read_only = "ghs_forkReadOnlyToken0000"
    fake.add_token(read_only, {"pull_requests": "read", "issues": "read", "checks": "read",
                               "actions": "read", "contents": "read", "metadata": "read"})
    event = pr_event(fake.url, fork="forker/octo-repo")
    fake.add_pull_from_event(event, ["src/app.py"])
    (workspace / "head.json").write_bytes(baseline_results)
    run = run_action(fake, workspace, "pull_request", event, {"results": "head.json"},
                     token=read_only)
    assert run.returncode == 0, run.log  # per fail-on: no baseline, nothing failed
    assert fake.comments_on(PR_NUMBER) == [] and check_runs(fake) == []
    assert [r["status"] for r in fake.requests_for("issues/create-comment")] == [403]
    assert run.outputs["status"] == "no-baseline" and run.outputs["lane"] == "standard"
    assert run.outputs["comment-url"] == "" and run.outputs["check-url"] == ""
    assert "sleepy" in run.summary  # the job summary was still written
    warnings = run.commands("warning")
    assert len(warnings) == 2  # the comment and the check, one line each
    assert "pull-requests: write" in warnings[0] and "checks: write" in warnings[1]
    assert all("docs/fork-safe.md" in w and "fork" in w for w in warnings)
    assert run.commands("error") == []


def test_same_repo_pr_missing_permission_names_it_and_exit_code_follows_fail_on(
    fake: RemoteFakeGitHub, workspace: Path, baseline_results: bytes
) -> None:
    seed_baseline(fake, baseline_results)
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["src/app.py"])
    fake.script("issues/create-comment", not_accessible())
    run = run_action(fake, workspace, "pull_request", event, env={"SLEEP_SECONDS": SLOWER})
    assert run.returncode == 1, run.log  # the regression still fails the step
    assert run.outputs["status"] == "fail"
    (error,) = run.commands("error")
    assert "Add `pull-requests: write` under the job's `permissions:`" in error
    (check,) = check_runs(fake)
    assert check["conclusion"] == "failure"


def test_expired_baseline_artifact_is_ignored(fake: RemoteFakeGitHub, workspace: Path,
                                              baseline_results: bytes) -> None:
    seed_baseline(fake, baseline_results, expired=True)
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["src/app.py"])
    head = workspace / "head.json"  # measured earlier in the job: nothing to run here
    head.write_bytes(baseline_results)
    run = run_action(fake, workspace, "pull_request", event, {"results": "head.json"})
    assert run.returncode == 0, run.log
    assert run.outputs["status"] == "no-baseline"
    assert check_runs(fake)[0]["conclusion"] == "neutral"
    assert fake.requests_for("actions/download-artifact") == []


def test_baseline_zip_escaping_with_dotdot_is_refused(fake: RemoteFakeGitHub, workspace: Path,
                                                      tmp_path: Path) -> None:
    fake.add_artifact("lanebench-baseline", files={"../lanebench-results.json": "{}"},
                      head_branch="main")
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["src/app.py"])
    run = run_action(fake, workspace, "pull_request", event)
    assert run.returncode == 2, run.log
    (error,) = run.commands("error")
    assert "escapes the archive with '..'; refused" in error and "lanebench-baseline" in error
    assert not (tmp_path / "lanebench-results.json").exists()
    assert fake.comments_on(PR_NUMBER) == []


def test_more_than_3000_files_fall_back_to_git_diff(fake: RemoteFakeGitHub, tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "workspace")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=workspace, check=True)
    base = git_commit_all(workspace, "init")
    (workspace / "README.md").write_text("hello, world\n", encoding="utf-8")
    head = git_commit_all(workspace, "docs")
    event = pr_event(fake.url, head_sha=head, base_sha=base)
    fake.add_pull_from_event(event, 3001)  # GitHub lists 3,000 of them
    run = run_action(fake, workspace, "pull_request", event)
    assert run.returncode == 0, run.log
    # git says only README.md changed: the docs lane, which the 3,000 listed files never give
    assert run.outputs["lane"] == "docs"
    (notice,) = [n for n in run.commands("notice") if "file list from git" in n]
    assert "3,001" in notice and "git diff" in notice
    assert "come from `git diff` in the workspace" in fake.comments_on(PR_NUMBER)[0]["body"]


def test_more_than_3000_files_without_history_say_fetch_depth(fake: RemoteFakeGitHub,
                                                               tmp_path: Path) -> None:
    origin = make_workspace(tmp_path / "origin")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=origin, check=True)
    base = git_commit_all(origin, "init")
    (origin / "src" / "app.py").write_text("x = 2\n", encoding="utf-8")
    head = git_commit_all(origin, "code")
    workspace = tmp_path / "workspace"  # actions/checkout's default: fetch-depth 1
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(workspace)], check=True)
    event = pr_event(fake.url, head_sha=head, base_sha=base)
    fake.add_pull_from_event(event, 3001)
    run = run_action(fake, workspace, "pull_request", event, {"iterations": "3"})
    assert run.returncode == 0, run.log
    assert run.outputs["lane"] == "heavy"  # decided from the 3,000 files listed
    (notice,) = [n for n in run.commands("notice") if "incomplete file list" in n]
    assert "fetch-depth: 0" in notice and "shallow clone" in notice


def test_bad_token_is_one_line_and_exit_3(fake: RemoteFakeGitHub, workspace: Path) -> None:
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["src/app.py"])
    bad = "ghs_thisTokenWasRevoked000"
    run = run_action(fake, workspace, "pull_request", event, token=bad)
    assert run.returncode == 3, run.log
    (error,) = run.commands("error")
    assert "GitHub rejected the token (401 Bad credentials)" in error
    assert "github-token" in error
    assert [ln for ln in run.log.splitlines() if bad in ln] == [f"::add-mask::{bad}"]
    assert "Traceback" not in run.log


def test_token_never_leaks_and_benchmarks_do_not_see_it(fake: RemoteFakeGitHub, tmp_path: Path,
                                                         baseline_results: bytes) -> None:
    dump = tmp_path / "env.json"
    workspace = make_workspace(tmp_path / "workspace", ENV_DUMP_CONFIG.format(dump=dump))
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["src/app.py"])
    run = run_action(fake, workspace, "pull_request", event,
                     env={"GITHUB_TOKEN": DEFAULT_TOKEN, "GH_TOKEN": DEFAULT_TOKEN})
    assert run.returncode == 0, run.log
    assert len(fake.comments_on(PR_NUMBER)) == 1 and len(check_runs(fake)) == 1

    seen = json.loads(dump.read_text(encoding="utf-8"))
    assert seen["GITHUB_REPOSITORY"] == DEFAULT_REPO  # it did get the ordinary environment
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN"):
        assert name not in seen
    assert DEFAULT_TOKEN not in json.dumps(seen)

    assert [ln for ln in run.log.splitlines() if DEFAULT_TOKEN in ln] == [f"::add-mask::{DEFAULT_TOKEN}"]
    assert run.stdout.splitlines()[0] == f"::add-mask::{DEFAULT_TOKEN}"  # masked before anything
    written = [p for p in (workspace / "lanebench-results").rglob("*") if p.is_file()]
    written += [run.home / "output", run.home / "summary.md"]
    assert len(written) > 5
    for path in written:
        assert DEFAULT_TOKEN.encode() not in path.read_bytes(), path
    for comment in fake.comments_on(PR_NUMBER):
        assert DEFAULT_TOKEN not in comment["body"]


# What `docker run` grants a container by default (no CAP_SYS_PTRACE), as GitHub runs
# container actions: moby's oci/caps/defaults.go.
DOCKER_DEFAULT_CAPABILITIES = ("chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw",
                               "setgid", "setuid", "setfcap", "setpcap", "net_bind_service",
                               "sys_chroot", "kill", "audit_write")
AS_DOCKER_STARTS_IT = ("setpriv", "--bounding-set=-all," + ",".join(f"+{c}" for c in DOCKER_DEFAULT_CAPABILITIES),
                       "--inh-caps=-all", "--")
CAP_SYS_PTRACE = 19


def run_token_scan(fake: RemoteFakeGitHub, tmp_path: Path, launcher: tuple[str, ...], python: str,
                   scanner: Path) -> dict[str, Any]:
    """A pull request job whose benchmark is tests/proc_scan.py, with every token GitHub gives
    the container in the entrypoint's environment; the scanner's report."""
    token, runtime, oidc = (prefix + secrets.token_hex(20) for prefix in ("ghs_", "rt_", "oidc_"))
    canary = "canary-" + secrets.token_hex(8)
    fake.add_token(token)
    needles, report = tmp_path / "needles.json", tmp_path / "scan.json"
    needles.write_text(json.dumps({"secrets": [token, runtime, oidc], "canary": canary}), encoding="utf-8")
    workspace = make_workspace(tmp_path / "workspace", f"""\
benchmarks:
  - name: proc-scan
    command: [{python}, {json.dumps(str(scanner))}, "{report}", "{needles}"]
defaults:
  warmup: 0
  min_iterations: 2
  max_iterations: 2
""")
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["src/app.py"])
    run = run_action(fake, workspace, "pull_request", event, token=token, launcher=launcher, env={
        "GITHUB_TOKEN": token, "ACTIONS_RUNTIME_TOKEN": runtime, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": oidc,
        "ACTIONS_RUNTIME_URL": "https://pipelines.actions.githubusercontent.com/x/",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.githubusercontent.com/x",
        "LANEBENCH_SCAN_CANARY": canary})
    assert run.returncode == 0, run.log
    assert len(fake.comments_on(PR_NUMBER)) == 1  # the token handed over still works
    return json.loads(report.read_text(encoding="utf-8"))


def assert_no_token_found(scan: dict[str, Any]) -> None:
    """No token anywhere the scanner read, though it read the canary where it lives."""
    assert [h for h in scan["hits"] if h["needle"] != "canary"] == []
    assert scan["environ_read"] >= 1
    canary_in = {(h["where"], h["pid"]) for h in scan["hits"]}
    spawner = next(int(pid) for pid, how in scan["memory"].items()
                   if how == "read" and ("mem", int(pid)) in canary_in)
    assert ("environ", spawner) in canary_in  # the scanner does read environments and memory
    entrypoint = scan["entrypoint"]
    assert entrypoint is not None and scan["memory"][str(entrypoint)] == "Permission denied"
    assert not int(scan["capabilities"]["CapEff"], 16) & (1 << CAP_SYS_PTRACE)
    assert not int(scan["capabilities"]["CapBnd"], 16) & (1 << CAP_SYS_PTRACE)


@pytest.mark.parametrize("capabilities", ["docker-default", "as-started"])
def test_no_process_a_benchmark_can_read_holds_a_token(fake: RemoteFakeGitHub, tmp_path: Path,
                                                        capabilities: str) -> None:
    """A benchmark that scans every /proc/*/environ and /proc/*/cmdline it can read, and the
    memory of every process of the action's tree, finds none of the tokens GitHub gives the
    container, though it finds an ordinary variable of the same environment (the canary).

    docker-default: the entrypoint runs with the capabilities `docker run` grants (as on
    GitHub), as root like the container. as-started: with this test's own (root with every
    capability when the tests run as root: lanebench gives up CAP_SYS_PTRACE for itself and
    its benchmarks)."""
    launcher: tuple[str, ...] = ()
    if capabilities == "docker-default":
        if os.geteuid() != 0 or shutil.which("setpriv") is None:
            pytest.skip("needs root and setpriv to start the entrypoint with Docker's capabilities")
        launcher = AS_DOCKER_STARTS_IT
    assert_no_token_found(run_token_scan(fake, tmp_path, launcher, PY, ROOT / "tests" / "proc_scan.py"))


def test_pull_request_target_with_the_pr_checked_out_warns_loudly(fake: RemoteFakeGitHub,
                                                                  workspace: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=workspace, check=True)
    head = git_commit_all(workspace, "the PR's code")
    event = pr_event(fake.url, head_sha=head)
    fake.add_pull_from_event(event, ["README.md"])
    run = run_action(fake, workspace, "pull_request_target", event)
    assert run.returncode == 0, run.log
    (warning,) = run.commands("warning")
    assert "pull_request_target with the pull request's own commit checked out" in warning
    assert "docs/fork-safe.md" in warning and "secrets" in warning


def test_pull_request_target_on_the_base_checkout_does_not_warn(fake: RemoteFakeGitHub,
                                                                workspace: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=workspace, check=True)
    git_commit_all(workspace, "base branch")
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["README.md"])
    run = run_action(fake, workspace, "pull_request_target", event)
    assert run.returncode == 0, run.log
    assert run.commands("warning") == []


def test_comment_on_change_posts_nothing_without_news_but_updates_an_earlier_one(
    fake: RemoteFakeGitHub, workspace: Path, tmp_path: Path, baseline_results: bytes
) -> None:
    """`results` input: measure nothing, judge a file made earlier (runner toolchain)."""
    seed_baseline(fake, baseline_results)
    head = tmp_path / "head.json"
    head.write_bytes(baseline_results)  # same samples: no regression
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["src/app.py"])
    run = run_action(fake, workspace, "pull_request", event,
                     {"comment": "on-change", "results": str(head)})
    assert run.returncode == 0, run.log
    assert run.outputs["status"] in ("pass", "warn") and run.outputs["regressions"] == "0"
    assert run.outputs["comment-url"] == ""
    assert fake.comments_on(PR_NUMBER) == []
    assert check_runs(fake)[0]["conclusion"] == "success"
    assert not (workspace / "lanebench-results" / ".lanebench").exists()  # nothing was run

    # an earlier push posted one (it had a regression): now it says the news is good
    earlier = fake.add_comment(PR_NUMBER, f"{MARKER}\n### ❌ 1 regression", user="github-actions[bot]",
                               user_type="Bot")
    again = run_action(fake, workspace, "pull_request", event,
                       {"comment": "on-change", "results": str(head)})
    assert again.returncode == 0, again.log
    (comment,) = fake.comments_on(PR_NUMBER)
    assert comment["id"] == earlier and "1 regression" not in comment["body"]
    assert again.outputs["comment-url"].endswith(f"#issuecomment-{earlier}")


def test_pull_request_missing_from_the_api_is_one_line_and_exit_3(fake: RemoteFakeGitHub,
                                                                  workspace: Path) -> None:
    run = run_action(fake, workspace, "pull_request", pr_event(fake.url, number=404))
    assert run.returncode == 3, run.log
    (error,) = run.commands("error")
    assert "GitHub answered 404 Not Found while trying to read pull request #404" in error
    assert f"check the pull request number and repository {DEFAULT_REPO}" in error
    assert "Traceback" not in run.log


def test_working_directory_and_config_are_relative_to_the_workspace(fake: RemoteFakeGitHub,
                                                                    tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    make_workspace(workspace / "services" / "api")
    event = pr_event(fake.url)
    fake.add_pull_from_event(event, ["services/api/src/app.py"])
    run = run_action(fake, workspace, "pull_request", event,
                     {"working-directory": "services/api", "iterations": "3"})
    assert run.returncode == 0, run.log
    assert run.outputs["lane"] == "standard"
    assert run.outputs["results-path"] == "lanebench-results/lanebench-results.json"
    body = fake.comments_on(PR_NUMBER)[0]["body"]
    assert body.startswith("<!-- lanebench:comment:services/api/.github/lanebench.yml -->")


# --- fork-safe pair ------------------------------------------------------------------------


def measure_untrusted(fake: RemoteFakeGitHub, tmp_path: Path, run_id: int, *,
                      fork: str | None = None) -> Path:
    """The `pull_request` job of fork-safe-pr.yml: lanebench run, then lanebench bundle."""
    workspace = make_workspace(tmp_path / "pr-checkout")
    event = pr_event(fake.url, fork=fork)
    (tmp_path / "pr-event.json").write_text(json.dumps(event), encoding="utf-8")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(ROOT),
           "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
           "GITHUB_EVENT_PATH": str(tmp_path / "pr-event.json"), "GITHUB_REPOSITORY": DEFAULT_REPO,
           "GITHUB_RUN_ID": str(run_id)}
    for args in (["run", "--lane", "standard", "-n", "6", "--output", "out/lanebench-results.json"],
                 ["bundle", "--results", "out/lanebench-results.json"]):
        proc = subprocess.run([sys.executable, "-m", "lanebench", *args], cwd=workspace, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
    return workspace / "out"


def upload(fake: RemoteFakeGitHub, out: Path, run_id: int, name: str = "lanebench-pr") -> None:
    files = {n: (out / n).read_text(encoding="utf-8")
             for n in ("lanebench-results.json", "lanebench-bundle.json")}
    fake.add_artifact(name, files=files, run_id=run_id)


@pytest.mark.parametrize("flow", ["download-by-run-id", "fork-results-input"])
def test_fork_safe_pair_comments_once_and_checks_the_pr_head(
    fake: RemoteFakeGitHub, tmp_path: Path, cli_baseline_results: bytes, flow: str
) -> None:
    fork = "forker/octo-repo" if flow == "fork-results-input" else None
    seed_baseline(fake, cli_baseline_results)
    fake.add_pull_from_event(pr_event(fake.url, fork=fork), ["src/app.py"])
    run_id = fake.add_workflow_run(head_branch="feature", head_sha=HEAD_SHA, event="pull_request",
                                   fork=fork, pull_numbers=[] if fork else [PR_NUMBER])
    out = measure_untrusted(fake, tmp_path, run_id, fork=fork)
    upload(fake, out, run_id)

    trusted = make_workspace(tmp_path / "default-branch")  # the report job's checkout
    inputs = {"mode": "report"}
    if flow == "fork-results-input":
        # actions/download-artifact extracted it; GitHub lists no PR for a fork's run
        shutil.copytree(out, trusted / ".lanebench-untrusted")
        inputs["results"] = ".lanebench-untrusted"
        event = workflow_run_event(fake.url, run_id, pulls=[], head_repo=fork or DEFAULT_REPO)
    else:
        event = workflow_run_event(fake.url, run_id, pulls=[PR_NUMBER])
    run = run_action(fake, trusted, "workflow_run", event, inputs, ref="refs/heads/main")
    assert run.returncode == 0, run.log
    (comment,) = fake.comments_on(PR_NUMBER)
    assert comment["body"].startswith(MARKER) and "sleepy" in comment["body"]
    (check,) = fake.check_runs_for(None)
    assert check["head_sha"] == HEAD_SHA and check["conclusion"] == "success"
    assert run.outputs["status"] in ("pass", "warn") and run.outputs["lane"] == "standard"
    assert run.outputs["regressions"] == "0"
    comparison = json.loads((trusted / "lanebench-results" / "report" / "comparison.json").read_text())
    verdicts = {m["metric"]: m["verdict"] for m in comparison["metrics"]}
    assert verdicts["maxrss"] == "unchanged"  # same measuring method on both sides
    downloads = fake.requests_for("actions/download-artifact")
    assert len(downloads) == (2 if flow == "download-by-run-id" else 1)  # bundle + baseline


def test_fork_safe_report_refuses_a_bundle_for_another_pr(fake: RemoteFakeGitHub, tmp_path: Path,
                                                          cli_baseline_results: bytes) -> None:
    seed_baseline(fake, cli_baseline_results)
    fake.add_pull_from_event(pr_event(fake.url), ["src/app.py"])
    fake.add_pull_from_event(pr_event(fake.url, number=8, head_sha="b" * 40), ["src/app.py"])
    run_id = fake.add_workflow_run(head_branch="feature", head_sha=HEAD_SHA, event="pull_request",
                                   pull_numbers=[PR_NUMBER])
    out = measure_untrusted(fake, tmp_path, run_id)
    bundle = json.loads((out / "lanebench-bundle.json").read_text(encoding="utf-8"))
    bundle["pr_number"] = 8  # try to put these numbers on someone else's pull request
    (out / "lanebench-bundle.json").write_text(json.dumps(bundle), encoding="utf-8")
    upload(fake, out, run_id)
    trusted = make_workspace(tmp_path / "default-branch")
    event = workflow_run_event(fake.url, run_id, pulls=[PR_NUMBER])
    run = run_action(fake, trusted, "workflow_run", event, {"mode": "report"}, ref="refs/heads/main")
    assert run.returncode == 2, run.log
    (error,) = run.commands("error")
    assert "untrusted artifact refused (pr-mismatch): the bundle claims PR #8" in error
    assert fake.comments_on(PR_NUMBER) == [] and fake.comments_on(8) == []
    assert fake.check_runs_for(None) == []


FORK = "forker/octo-repo"


def fork_report(fake: RemoteFakeGitHub, tmp_path: Path, claim: int) -> Run:
    """A fork's run of PR #7 (GitHub lists no PR for it) whose bundle claims PR `claim`,
    reported by the trusted workflow_run job."""
    run_id = fake.add_workflow_run(head_branch="feature", head_sha=HEAD_SHA, event="pull_request",
                                   fork=FORK, pull_numbers=[])
    out = measure_untrusted(fake, tmp_path, run_id, fork=FORK)
    bundle = json.loads((out / "lanebench-bundle.json").read_text(encoding="utf-8"))
    bundle["pr_number"] = claim
    (out / "lanebench-bundle.json").write_text(json.dumps(bundle), encoding="utf-8")
    upload(fake, out, run_id)
    trusted = make_workspace(tmp_path / "default-branch")
    event = workflow_run_event(fake.url, run_id, pulls=[], head_repo=FORK)
    return run_action(fake, trusted, "workflow_run", event, {"mode": "report"}, ref="refs/heads/main")


@pytest.mark.parametrize("claim", [8, PR_NUMBER])
def test_fork_safe_report_refuses_when_two_open_prs_share_the_head_commit(
    fake: RemoteFakeGitHub, tmp_path: Path, cli_baseline_results: bytes, claim: int
) -> None:
    """The spoof: someone else's PR #8 has the fork's head commit too. Claiming #8 would put
    the fork's numbers there; claiming its own #7 would still put a check on #8's commit."""
    seed_baseline(fake, cli_baseline_results)
    fake.add_pull_from_event(pr_event(fake.url, fork=FORK), ["src/app.py"])
    fake.add_pull(8, ["src/app.py"], head_sha=HEAD_SHA, head_ref="copy", author="victim")
    run = fork_report(fake, tmp_path, claim)
    assert run.returncode == 2, run.log
    (error,) = run.commands("error")
    assert ("untrusted artifact refused (pr-ambiguous): 2 open pull requests of "
            f"{DEFAULT_REPO} have head {HEAD_SHA[:12]} (#7, #8)") in error
    assert fake.comments_on(PR_NUMBER) == [] and fake.comments_on(8) == []
    assert fake.check_runs_for(None) == []
    assert fake.requests_for("pulls/list")[0]["query"]["state"] == "open"


def test_fork_safe_report_refuses_the_only_open_pr_of_another_branch(
    fake: RemoteFakeGitHub, tmp_path: Path, cli_baseline_results: bytes
) -> None:
    """The fork closed its own PR after the run: the one open PR with that commit is #8,
    from another branch, which the run did not measure."""
    seed_baseline(fake, cli_baseline_results)
    fake.add_pull_from_event(pr_event(fake.url, fork=FORK), ["src/app.py"], state="closed")
    fake.add_pull(8, ["src/app.py"], head_sha=HEAD_SHA, head_ref="copy", author="victim")
    run = fork_report(fake, tmp_path, claim=8)
    assert run.returncode == 2, run.log
    (error,) = run.commands("error")
    assert (f"untrusted artifact refused (pr-mismatch): PR #8 comes from '{DEFAULT_REPO}:copy', "
            f"the workflow run measured '{FORK}:feature'") in error
    assert fake.comments_on(8) == [] and fake.check_runs_for(None) == []


def test_fork_safe_report_refuses_a_zip_that_escapes(fake: RemoteFakeGitHub, tmp_path: Path) -> None:
    run_id = fake.add_workflow_run(head_branch="feature", head_sha=HEAD_SHA, event="pull_request",
                                   pull_numbers=[PR_NUMBER])
    fake.add_artifact("lanebench-pr", files={"../../lanebench-bundle.json": "{}"}, run_id=run_id)
    trusted = make_workspace(tmp_path / "default-branch")
    event = workflow_run_event(fake.url, run_id, pulls=[PR_NUMBER])
    run = run_action(fake, trusted, "workflow_run", event, {"mode": "report"}, ref="refs/heads/main")
    assert run.returncode == 2, run.log
    (error,) = run.commands("error")
    assert "escapes the archive with '..'; refused" in error and "lanebench-pr" in error


# --- the entrypoint outside Actions --------------------------------------------------------


def test_entrypoint_without_the_actions_environment_is_one_clear_line(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(ROOT / "entrypoint.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stdout.splitlines() == [
        "::error::not running inside GitHub Actions: GITHUB_EVENT_NAME, GITHUB_REPOSITORY not set "
        "(use `lanebench run`/`compare` locally, or set the GITHUB_* variables)"]
    version = subprocess.run([sys.executable, str(ROOT / "entrypoint.py"), "--version"], env=env,
                             capture_output=True, text=True, timeout=60, check=False)
    assert version.returncode == 0 and version.stdout.startswith("lanebench ")


def test_bad_input_is_one_error_line_after_the_mask(fake: RemoteFakeGitHub, workspace: Path) -> None:
    run = run_action(fake, workspace, "pull_request", pr_event(fake.url), {"fail-on": "sometimes"})
    assert run.returncode == 2
    assert run.stdout.splitlines() == [
        f"::add-mask::{DEFAULT_TOKEN}",
        "::error::input fail-on: expected one of critical, warning, never, got 'sometimes' "
        "(fix `with: fail-on:` in the workflow)"]


def test_outputs_parser_reads_the_heredoc_format() -> None:
    assert parse_outputs("a<<X\n1\nX\nb<<Y\ntwo\nlines\nY\n") == {"a": "1", "b": "two\nlines"}


def test_zip_helper_keeps_dotdot_names() -> None:
    # the refusal test above relies on the fake storing the name as given
    import io

    with zipfile.ZipFile(io.BytesIO(make_zip({"../x": "y"}))) as zf:
        assert zf.namelist() == ["../x"]

