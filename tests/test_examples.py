"""The example workflows users copy: least privilege, pinned actions, fork safety, and the
fork-safe measure job's own shell run for real against a git repository."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from lanebench.bundle import read_untrusted_bundle
from tests.helpers import git

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / "examples" / "workflows"
WEBHOOKS = REPO / "tests" / "fixtures" / "github" / "webhooks"
EXPECTED = {"pr.yml", "main-baseline.yml", "fork-safe-pr.yml", "fork-safe-report.yml", "runner-toolchain.yml"}

# The lanebench action as the examples reference it; users replace both parts.
PLACEHOLDER = "OWNER/lanebench@0000000000000000000000000000000000000000"
PIP_PIN = "lanebench @ git+https://github.com/OWNER/lanebench@0000000000000000000000000000000000000000"
# Permissions a job may ask for, and the only value each may have.
ALLOWED_PERMISSIONS = {"contents": "read", "pull-requests": "write", "checks": "write", "actions": "read"}
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def workflows() -> list[str]:
    return sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def uses(step: dict[str, Any]) -> str:
    return str(step.get("uses", ""))


def test_every_documented_example_exists() -> None:
    assert set(workflows()) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_permissions_are_least_privilege(name: str) -> None:
    wf = load(name)
    assert wf["permissions"] == {}, "the workflow default must grant nothing"
    for job_id, job in wf["jobs"].items():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"{job_id}: every job states its permissions"
        assert perms.get("contents") == "read", job_id
        for scope, value in perms.items():
            assert ALLOWED_PERMISSIONS.get(scope) == value, f"{job_id}: {scope}: {value}"
        writes = {s for s, v in perms.items() if v == "write"}
        posts = any(
            uses(s).startswith("OWNER/lanebench@") and s.get("with", {}).get("mode") != "baseline"
            for s in steps(job)
        )
        # Only a job that runs the action to compare/report may write.
        assert writes == ({"pull-requests", "checks"} if posts else set()), job_id
        if posts:
            assert perms.get("actions") == "read", f"{job_id}: needs the baseline artifact"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_actions_are_pinned_by_full_sha_with_a_version_comment(name: str) -> None:
    seen = 0
    for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines():
        match = USES_LINE.match(line)
        if not match:
            continue
        seen += 1
        ref, rest = match.groups()
        assert PINNED.match(ref), line
        assert re.match(r"\s+# v(\d+\.\d+\.\d+|X\.Y\.Z)\b", rest), f"no `# vX.Y.Z` comment: {line}"
        if ref.startswith("OWNER/"):
            assert ref == PLACEHOLDER
    assert seen


def test_third_party_pins_agree_across_examples() -> None:
    pins: dict[str, set[str]] = {}
    for name in EXPECTED:
        for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines():
            match = USES_LINE.match(line)
            if match:
                action, _, sha = match.group(1).partition("@")
                pins.setdefault(action, set()).add(f"{sha}{match.group(2).split('#')[-1].strip()}")
    assert {a: len(v) for a, v in pins.items() if len(v) > 1} == {}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_checkouts_keep_no_credentials_and_fetch_history_for_lane_detection(name: str) -> None:
    wf = load(name)
    for job_id, job in wf["jobs"].items():
        checkouts = [s for s in steps(job) if uses(s).startswith("actions/checkout@")]
        assert len(checkouts) == 1, job_id
        options = checkouts[0].get("with", {})
        assert options.get("persist-credentials") is False, job_id
        scripts = " ".join(str(s.get("run", "")) for s in steps(job))
        detects_lane = "lanebench detect" in scripts or any(
            uses(s).startswith("OWNER/lanebench@") and s.get("with", {}).get("mode") in (None, "auto", "compare")
            and "results" not in s.get("with", {})
            for s in steps(job)
        )
        if detects_lane:
            assert options.get("fetch-depth") == 0, f"{job_id}: lane detection needs the history"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_pull_request_target_and_no_expressions_in_scripts(name: str) -> None:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    wf = load(name)
    assert "pull_request_target" not in wf["on"]
    assert "concurrency" in wf
    for job in wf["jobs"].values():
        for step in steps(job):
            # Values reach shell scripts through env:, never pasted in by ${{ }}.
            assert "${{" not in str(step.get("run", "")), step
    assert "timeout-minutes" in text


def test_report_workflow_never_runs_pull_request_code() -> None:
    report = load("fork-safe-report.yml")
    measure = load("fork-safe-pr.yml")
    assert set(report["on"]) == {"workflow_run"}
    assert report["on"]["workflow_run"]["workflows"] == [measure["name"]]
    (job,) = report["jobs"].values()
    assert "workflow_run.event == 'pull_request'" in job["if"]
    for step in steps(job):
        assert "run" not in step, "no shell in the trusted job"
        options = step.get("with", {})
        if uses(step).startswith("actions/checkout@"):
            assert "ref" not in options and "repository" not in options  # default branch only
    download = next(s for s in steps(job) if uses(s).startswith("actions/download-artifact@"))
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    action = next(s for s in steps(job) if uses(s).startswith("OWNER/lanebench@"))
    assert action["with"]["mode"] == "report"
    assert action["with"]["results"] == download["with"]["path"]
    (measure_job,) = measure["jobs"].values()
    uploaded = [s["with"]["name"] for s in steps(measure_job) if uses(s).startswith("actions/upload-artifact@")]
    assert download["with"]["name"] in uploaded
    # The untrusted side has no write permission at all.
    assert set(measure_job["permissions"].values()) == {"read"}


def test_lanebench_pins_agree() -> None:
    for name in EXPECTED:
        text = (WORKFLOWS / name).read_text(encoding="utf-8")
        for line in text.splitlines():
            if "pip install" in line:
                assert PIP_PIN in line, f"{name}: {line}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_action_inputs_exist(name: str) -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    known = set(action["inputs"])
    for job in load(name)["jobs"].values():
        for step in steps(job):
            if uses(step).startswith("OWNER/lanebench@"):
                assert set(step.get("with", {})) <= known, step["with"]


def test_scripts_pass_shellcheck(tmp_path: Path) -> None:
    exe = shutil.which("shellcheck")
    if not exe:
        pytest.skip("shellcheck is not installed")
    count = 0
    for name in sorted(EXPECTED):
        for job_id, job in load(name)["jobs"].items():
            for i, step in enumerate(steps(job)):
                if "run" in step:
                    script = tmp_path / f"{name}-{job_id}-{i}.sh"
                    # GitHub runs `bash -e {0}` (with pipefail) on Linux runners.
                    script.write_text("#!/bin/bash\nset -eo pipefail\n" + step["run"], encoding="utf-8")
                    count += 1
    proc = subprocess.run([exe, "--severity=style", *sorted(str(p) for p in tmp_path.iterdir())],
                          capture_output=True, text=True, timeout=120)
    assert count >= 5
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- the fork-safe measure job's scripts, run for real -----------------------------------------------


@pytest.fixture
def pr_checkout(tmp_path: Path) -> tuple[Path, str]:
    """A clone whose `origin/main` is the base and whose HEAD is a PR touching code."""
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    git(upstream, "init", "-q", "-b", "main")
    (upstream / ".github").mkdir()
    (upstream / ".github" / "lanebench.yml").write_text(
        "defaults:\n  min_iterations: 3\n  max_iterations: 3\n  warmup: 0\n"
        "benchmarks:\n"
        f"  - name: noop\n    command: [{json.dumps(sys.executable)}, -c, 'pass']\n",
        encoding="utf-8",
    )
    (upstream / "README.md").write_text("demo\n", encoding="utf-8")
    git(upstream, "add", ".")
    git(upstream, "commit", "-qm", "base")
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(upstream), str(checkout))
    git(checkout, "checkout", "-qb", "feature")
    (checkout / "app.py").write_text("print('hi')\n", encoding="utf-8")
    git(checkout, "add", ".")
    git(checkout, "commit", "-qm", "change")
    return checkout, git(checkout, "rev-parse", "HEAD").strip()


@pytest.mark.slow
def test_fork_safe_measure_job_produces_a_bundle_the_report_side_accepts(
    tmp_path: Path, pr_checkout: tuple[Path, str]
) -> None:
    if not (shutil.which("jq") and shutil.which("bash")):
        pytest.skip("jq and bash are on GitHub's runners but not here")
    checkout, head = pr_checkout
    event = json.loads((WEBHOOKS / "pull_request.synchronize.json").read_text(encoding="utf-8"))
    event["pull_request"]["head"]["sha"] = head
    event["pull_request"]["base"]["ref"] = "main"
    event["pull_request"]["labels"] = [{"name": "needs review"}]
    repository = event["repository"]["full_name"]
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    bin_dir = tmp_path / "bin"  # `lanebench` as pip would install it, from this checkout
    bin_dir.mkdir()
    shim = bin_dir / "lanebench"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lanebench "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))},
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO),
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": repository,
        "GITHUB_RUN_ID": "777",
        "GITHUB_SHA": "f" * 40,
        "EVENT_NAME": "pull_request",
        "BASE_REF": "main",
    }
    (job,) = load("fork-safe-pr.yml")["jobs"].values()
    ran = []
    for step in steps(job):
        if "run" not in step or "pip install" in step["run"]:
            continue
        if "if" in step and step["if"] != "github.event_name == 'pull_request'":
            continue
        proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=checkout,
                              env=env, capture_output=True, text=True, timeout=240)
        assert proc.returncode == 0, step["name"] + ": " + proc.stdout + proc.stderr
        ran.append(step["name"])
    assert ran == ["Measure", "Bundle the results with the pull request's identity"]

    upload = next(s for s in steps(job) if uses(s).startswith("actions/upload-artifact@")
                  and s["with"]["name"] == "lanebench-pr")
    artifact = tmp_path / "artifact"  # what upload-artifact + download-artifact deliver
    artifact.mkdir()
    for rel in upload["with"]["path"].split():
        shutil.copy(checkout / rel, artifact / Path(rel).name)

    run = {
        "event": "pull_request",
        "head_sha": head,
        "repository": {"full_name": repository},
        "head_repository": {"full_name": repository},
        "head_branch": "feature",
        "pull_requests": [],  # as for a fork: resolved by head SHA
    }
    pr = SimpleNamespace(number=event["pull_request"]["number"], state="open",
                         head_ref="feature", head_repository=repository)
    trusted = read_untrusted_bundle(
        artifact, expected_repository=repository, workflow_run=run,
        open_pulls_with_head=lambda sha: [pr] if sha == head else [],
    )
    assert trusted.pr_number == event["pull_request"]["number"]
    assert trusted.info.run_id == "777" and trusted.head_sha == head
    assert trusted.results.run.lane == "standard"
    (bench,) = trusted.results.benchmarks
    assert bench.name == "noop" and bench.n == 3
