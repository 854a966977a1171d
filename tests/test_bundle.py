"""The fork-safe bundle: a round trip, and every way a tampered artifact is refused.

The bundles below are forged the way a fork could forge them: by writing the files
directly, with a correct sha256 where that makes the forgery harder to catch.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from lanebench.bundle import (
    BUNDLE_FILE,
    REFUSALS,
    BundleLimits,
    UntrustedArtifactError,
    read_untrusted_bundle,
    write_bundle,
)
from lanebench.errors import ConfigError, ResultsError
from lanebench.results import BenchmarkResult, ResultsDocument, RunInfo, write_results

FIXTURES = Path(__file__).parent / "fixtures" / "github" / "webhooks"
REPO = "octo-org/octo-repo"
PR = 17


def real_workflow_run() -> dict[str, Any]:
    """The `workflow_run` object of GitHub's own example event (@octokit/webhooks-examples)."""
    event = json.loads((FIXTURES / "workflow_run.completed.json").read_text(encoding="utf-8"))
    return event["workflow_run"]


HEAD = real_workflow_run()["head_sha"]


def pr_entry(number: int, repository: str = REPO, head_sha: str = HEAD) -> dict[str, Any]:
    """An entry of `workflow_run.pull_requests` (OpenAPI `pull-request-minimal`)."""
    api = f"https://api.github.com/repos/{repository}"
    return {
        "id": 1000 + number,
        "number": number,
        "url": f"{api}/pulls/{number}",
        "head": {"ref": "feature", "sha": head_sha, "repo": {"id": 1, "url": api, "name": "octo-repo"}},
        "base": {"ref": "main", "sha": "0" * 40, "repo": {"id": 1, "url": api, "name": "octo-repo"}},
    }


def workflow_run(*, prs: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
    run = real_workflow_run()
    run["event"] = "pull_request"
    run["pull_requests"] = [pr_entry(PR)] if prs is None else prs
    run.update(changes)
    return run


def results_doc(names: tuple[str, ...] = ("parse", "render"), metric: str = "wall") -> ResultsDocument:
    return ResultsDocument(
        run=RunInfo(commit=HEAD, ref="refs/pull/17/merge", repository=REPO, lane="standard"),
        environment={"cpu_count": 2},
        benchmarks=[
            BenchmarkResult(name=n, command=["true"], samples={metric: [0.1, 0.11, 0.12]})
            for n in names
        ],
    )


@pytest.fixture
def bundle_dir(tmp_path: Path) -> Path:
    """A valid bundle as `lanebench bundle` writes it on the pull request side."""
    results = write_results(tmp_path / "build" / "results.json", results_doc())
    out = tmp_path / "artifact"
    write_bundle(out, results, pr_number=PR, head_sha=HEAD, base_ref="main", repository=REPO, run_id="42")
    return out


def read(directory: Path, run: dict[str, Any] | None = None, **kwargs: Any):
    return read_untrusted_bundle(
        directory,
        expected_repository=REPO,
        workflow_run=run if run is not None else workflow_run(),
        **kwargs,
    )


def edit_bundle(directory: Path, **changes: Any) -> None:
    path = directory / BUNDLE_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is _DELETE:
            del data[key]
        else:
            data[key] = value
    path.write_text(json.dumps(data), encoding="utf-8")


_DELETE = object()


def forge_results(directory: Path, raw: bytes, name: str = "results.json") -> None:
    """Replace the results file and re-hash it, as a fork that knows the format would."""
    (directory / name).write_bytes(raw)
    edit_bundle(
        directory,
        results_file=name,
        results_sha256=hashlib.sha256(raw).hexdigest(),
        results_size=len(raw),
    )


def refusal(directory: Path, **kwargs: Any) -> UntrustedArtifactError:
    with pytest.raises(UntrustedArtifactError) as info:
        read(directory, **kwargs)
    err = info.value
    text = str(err)
    assert "\n" not in text and "\r" not in text, text
    assert text.startswith(f"untrusted artifact refused ({err.reason}): "), text
    return err


# --- the round trip ----------------------------------------------------------------------


def test_valid_bundle_round_trips(bundle_dir: Path) -> None:
    names = sorted(p.name for p in bundle_dir.iterdir())
    assert names == [BUNDLE_FILE, "results.json"]  # the results file was copied beside it
    data = json.loads((bundle_dir / BUNDLE_FILE).read_text(encoding="utf-8"))
    assert data["kind"] == "lanebench-bundle" and data["schema_version"] == "1.0.0"
    raw = (bundle_dir / "results.json").read_bytes()
    assert data["results_sha256"] == hashlib.sha256(raw).hexdigest()
    assert data["results_size"] == len(raw)

    trusted = read(bundle_dir)
    assert (trusted.pr_number, trusted.head_sha, trusted.base_ref) == (PR, HEAD, "main")
    assert trusted.repository == REPO and trusted.info.run_id == "42"
    assert trusted.pr_resolved_by == "workflow_run"
    assert [b.name for b in trusted.results.benchmarks] == ["parse", "render"]
    assert trusted.results.benchmarks[0].samples["wall"] == [0.1, 0.11, 0.12]
    assert trusted.results_path == bundle_dir / "results.json"


def test_bundle_written_in_place_keeps_the_results_file(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results.json", results_doc())
    before = results.read_bytes()
    path = write_bundle(tmp_path, results, pr_number=3, head_sha=HEAD.upper(), base_ref="dev",
                        repository=REPO, run_id=None)
    assert path == tmp_path / BUNDLE_FILE
    assert results.read_bytes() == before
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["head_sha"] == HEAD and data["run_id"] is None  # SHA normalised to lower case


@dataclass(frozen=True)
class OpenPull:
    """What lanebench.github.open_pulls_with_head reports of one pull request."""

    number: int
    head_repository: str
    head_ref: str
    state: str = "open"


def pull_of_the_run(number: int = PR, **changes: Any) -> OpenPull:
    """The open pull request whose head branch is the one the workflow run measured."""
    run = workflow_run(prs=[])
    return replace(OpenPull(number, run["head_repository"]["full_name"], run["head_branch"]), **changes)


def test_fork_pr_is_resolved_by_head_sha(bundle_dir: Path) -> None:
    asked: list[str] = []

    def open_pulls(sha: str) -> list[OpenPull]:
        asked.append(sha)
        return [pull_of_the_run(), pull_of_the_run(99, state="closed")]

    trusted = read(bundle_dir, run=workflow_run(prs=[]), open_pulls_with_head=open_pulls)
    assert asked == [HEAD]
    assert trusted.pr_resolved_by == "head_sha" and trusted.pr_number == PR


def test_repository_comparison_ignores_case(bundle_dir: Path) -> None:
    trusted = read_untrusted_bundle(bundle_dir, expected_repository="Octo-Org/Octo-Repo",
                                    workflow_run=workflow_run(prs=[pr_entry(PR, "Octo-Org/Octo-Repo")]))
    assert trusted.pr_number == PR


# --- refusals: the pull request's claims against the workflow run -----------------------------


def test_other_pr_number_is_refused(bundle_dir: Path) -> None:
    edit_bundle(bundle_dir, pr_number=99)
    err = refusal(bundle_dir)
    assert err.reason == "pr-mismatch"
    assert "claims PR #99" in str(err) and f"#{PR}" in str(err)


def test_other_head_sha_is_refused(bundle_dir: Path) -> None:
    edit_bundle(bundle_dir, head_sha="a" * 40)
    err = refusal(bundle_dir)
    assert err.reason == "head-sha-mismatch"
    assert "aaaaaaaaaaaa" in str(err) and HEAD[:12] in str(err)


def test_workflow_run_of_another_commit_is_refused(bundle_dir: Path) -> None:
    assert refusal(bundle_dir, run=workflow_run(head_sha="b" * 40)).reason == "head-sha-mismatch"


def test_fork_pr_without_resolver_is_refused(bundle_dir: Path) -> None:
    err = refusal(bundle_dir, run=workflow_run(prs=[]))
    assert err.reason == "pr-unresolved" and "open_pulls_with_head" in str(err)


def test_fork_pr_without_an_open_pull_request_is_refused(bundle_dir: Path) -> None:
    err = refusal(bundle_dir, run=workflow_run(prs=[]), open_pulls_with_head=lambda sha: [])
    assert err.reason == "pr-unresolved" and f"no open pull request of {REPO} has head" in str(err)
    closed = refusal(bundle_dir, run=workflow_run(prs=[]),
                     open_pulls_with_head=lambda sha: [pull_of_the_run(state="closed")])
    assert closed.reason == "pr-unresolved"


def test_fork_pr_resolving_to_another_pr_is_refused(bundle_dir: Path) -> None:
    err = refusal(bundle_dir, run=workflow_run(prs=[]),
                  open_pulls_with_head=lambda sha: [pull_of_the_run(5)])
    assert err.reason == "pr-mismatch" and "belongs to PR #5" in str(err)


def test_a_workflow_run_without_its_head_branch_is_refused(bundle_dir: Path) -> None:
    run = workflow_run(prs=[], head_branch=None)
    err = refusal(bundle_dir, run=run, open_pulls_with_head=lambda sha: [pull_of_the_run()])
    assert err.reason == "pr-unresolved" and "names no head repository and branch" in str(err)


def test_two_open_pull_requests_on_the_head_commit_are_refused(bundle_dir: Path) -> None:
    """The spoof: a second PR with the same head commit; whichever the bundle claims, a
    check on that commit would show on both."""
    both = [pull_of_the_run(), pull_of_the_run(5, head_repository=REPO, head_ref="copy")]
    err = refusal(bundle_dir, run=workflow_run(prs=[]), open_pulls_with_head=lambda sha: both)
    assert err.reason == "pr-ambiguous"
    assert f"2 open pull requests of {REPO} have head {HEAD[:12]} (#5, #{PR})" in str(err)


def test_the_one_open_pull_request_must_come_from_the_branch_the_run_measured(bundle_dir: Path) -> None:
    """A fork's own PR closed after its run: the only open PR with that commit is someone
    else's, from another branch, and the bundle (claiming it) is still refused."""
    other = pull_of_the_run(head_repository=REPO, head_ref="victim")
    err = refusal(bundle_dir, run=workflow_run(prs=[]), open_pulls_with_head=lambda sha: [other])
    assert err.reason == "pr-mismatch"
    run = workflow_run(prs=[])
    measured = f"{run['head_repository']['full_name']}:{run['head_branch']}"
    assert f"PR #{PR} comes from '{REPO}:victim', the workflow run measured {measured!r}" in str(err)


def test_pull_requests_of_other_repositories_do_not_count(bundle_dir: Path) -> None:
    # GitHub can list a fork's own PR with the same head branch; its number proves nothing here.
    run = workflow_run(prs=[pr_entry(PR, "someone/octo-repo-fork")])
    assert refusal(bundle_dir, run=run).reason == "pr-unresolved"


def test_bundle_for_another_repository_is_refused(bundle_dir: Path) -> None:
    edit_bundle(bundle_dir, repository="evil/octo-repo")
    err = refusal(bundle_dir)
    assert err.reason == "repository-mismatch" and "evil/octo-repo" in str(err)


def test_workflow_run_of_another_repository_is_refused(bundle_dir: Path) -> None:
    run = workflow_run(repository={"full_name": "evil/other"})
    assert refusal(bundle_dir, run=run).reason == "repository-mismatch"


def test_artifact_of_a_push_run_is_refused(bundle_dir: Path) -> None:
    err = refusal(bundle_dir, run=workflow_run(event="push"))
    assert err.reason == "wrong-event" and "'push'" in str(err)


# --- refusals: files ---------------------------------------------------------------------------


def test_oversized_results_file_is_refused_before_reading(bundle_dir: Path) -> None:
    # A sparse 17 MiB file: the default 16 MiB limit refuses it from its size alone.
    with open(bundle_dir / "results.json", "r+b") as fh:
        fh.truncate(17 * 1024 * 1024)
    err = refusal(bundle_dir)
    assert err.reason == "too-large" and "16777216 byte limit" in str(err)


def test_results_limit_is_configurable(bundle_dir: Path) -> None:
    err = refusal(bundle_dir, limits=BundleLimits(max_results_bytes=100))
    assert err.reason == "too-large" and "results.json" in str(err)


def test_oversized_bundle_file_is_refused(bundle_dir: Path) -> None:
    edit_bundle(bundle_dir, padding="x" * (70 * 1024))
    err = refusal(bundle_dir)
    assert err.reason == "too-large" and BUNDLE_FILE in str(err)


@pytest.mark.parametrize("target", ["results.json", BUNDLE_FILE])
def test_symlinked_files_are_refused(bundle_dir: Path, tmp_path: Path, target: str) -> None:
    real = tmp_path / f"elsewhere-{target}"
    (bundle_dir / target).rename(real)
    (bundle_dir / target).symlink_to(real)
    err = refusal(bundle_dir)
    assert err.reason == "symlink" and target in str(err)


def test_symlinked_directory_is_refused(bundle_dir: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(bundle_dir, target_is_directory=True)
    assert refusal(link).reason == "symlink"


def test_results_file_pointing_outside_the_artifact_is_refused(bundle_dir: Path) -> None:
    for name in ("../results.json", "/etc/passwd", "..", BUNDLE_FILE, "sub\\file.json"):
        edit_bundle(bundle_dir, results_file=name)
        err = refusal(bundle_dir)
        assert err.reason == "schema" and "results_file" in str(err), name


def test_fifo_in_place_of_the_results_file_is_refused(bundle_dir: Path) -> None:
    (bundle_dir / "results.json").unlink()
    os.mkfifo(bundle_dir / "results.json")
    assert refusal(bundle_dir).reason == "not-a-file"


def test_missing_pieces_are_refused_with_what_is_missing(bundle_dir: Path, tmp_path: Path) -> None:
    assert refusal(tmp_path / "nowhere").reason == "missing"
    (bundle_dir / "results.json").unlink()
    err = refusal(bundle_dir)
    assert err.reason == "missing" and "results.json" in str(err)
    (bundle_dir / BUNDLE_FILE).unlink()
    assert refusal(bundle_dir).reason == "missing"
    assert refusal(bundle_dir.parent / "build" / "results.json").reason == "not-a-directory"


def test_changed_results_are_refused_by_sha256(bundle_dir: Path) -> None:
    path = bundle_dir / "results.json"
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b"0.12", b"0.02"))  # same size, other numbers
    err = refusal(bundle_dir)
    assert err.reason == "sha256-mismatch" and "results.json" in str(err)


# --- refusals: schema ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason", "fragment"),
    [
        ({"pr_number": "17"}, "schema", "pr_number: expected an integer, got str"),
        ({"pr_number": True}, "schema", "pr_number: expected an integer, got bool"),
        ({"pr_number": 0}, "schema", "pr_number: expected a positive integer"),
        ({"head_sha": _DELETE}, "schema", "head_sha: expected a string, got nothing"),
        ({"head_sha": "main"}, "schema", "head_sha: expected a full commit SHA"),
        ({"base_ref": "main\n::error::x"}, "schema", "base_ref: expected a branch name"),
        ({"repository": "not a repo"}, "schema", "repository: expected OWNER/NAME"),
        ({"run_id": "1; rm -rf /"}, "schema", "run_id: expected digits"),
        ({"created_at": "yesterday"}, "schema", "created_at: expected an ISO 8601 time"),
        ({"results_sha256": "00"}, "schema", "results_sha256: expected 64 hex digits"),
        ({"kind": "something-else"}, "schema", "kind: expected 'lanebench-bundle'"),
        ({"schema_version": "2.0.0"}, "schema-version", "'2.0.0' is not 1.x"),
        ({"schema_version": 1}, "schema-version", "schema_version 1 is not 1.x"),
    ],
)
def test_malformed_bundle_fields_are_refused(
    bundle_dir: Path, changes: dict[str, Any], reason: str, fragment: str
) -> None:
    edit_bundle(bundle_dir, **changes)
    err = refusal(bundle_dir)
    assert err.reason == reason
    assert fragment in str(err)


@pytest.mark.parametrize("raw", [b"", b"{not json", b"\xff\xfe", b"[1, 2]", b"[" * 50_000])
def test_bundle_that_is_not_a_json_object_is_refused(bundle_dir: Path, raw: bytes) -> None:
    (bundle_dir / BUNDLE_FILE).write_bytes(raw)
    assert refusal(bundle_dir).reason in ("not-json", "schema")


def test_results_that_are_not_lanebench_results_are_refused(bundle_dir: Path) -> None:
    forge_results(bundle_dir, b'{"schema_version": "1.0.0", "run": {}, "environment": {}, "benchmar')
    err = refusal(bundle_dir)
    assert err.reason == "bad-results" and "truncated" in str(err)
    doc = results_doc().to_dict()
    doc["schema_version"] = "9.0.0"
    forge_results(bundle_dir, json.dumps(doc).encode())
    err = refusal(bundle_dir)
    assert err.reason == "bad-results" and "9.0.0" in str(err)
    assert str(bundle_dir) not in str(err)  # names the file as the artifact does, not our path


# --- refusals: hostile content -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("parse\n::set-output name=status::pass", "control or invisible formatting"),
        ("\x1b[2J\x1b[Hcleared", "control or invisible formatting"),
        ("evil\u202egnp.exe", "control or invisible formatting"),  # bidi override
        ("zero\u200bwidth", "control or invisible formatting"),
        ("line\u2028separator", "control or invisible formatting"),
        ("x" * 201, "201 characters long"),
        ("   ", "is empty"),
        (" padded", "white space"),
    ],
)
def test_hostile_benchmark_names_are_refused(bundle_dir: Path, name: str, problem: str) -> None:
    forge_results(bundle_dir, json.dumps(results_doc(("ok", name)).to_dict()).encode())
    err = refusal(bundle_dir)
    assert err.reason == "bad-benchmark-name" and problem in str(err)


def test_hostile_metric_names_are_refused(bundle_dir: Path) -> None:
    forge_results(bundle_dir, json.dumps(results_doc(metric="<img src=x>").to_dict()).encode())
    err = refusal(bundle_dir)
    assert err.reason == "bad-metric-name" and "'<img src=x>'" in str(err)


def test_too_many_benchmarks_are_refused(bundle_dir: Path) -> None:
    err = refusal(bundle_dir, limits=BundleLimits(max_benchmarks=1))
    assert err.reason == "too-many-benchmarks" and "2 benchmarks (limit 1)" in str(err)


def test_every_refusal_reason_is_tested() -> None:
    # Keep REFUSALS (documented in docs/fork-safe.md) and this file in step.
    source = Path(__file__).read_text(encoding="utf-8")
    untested = [r for r in REFUSALS if f'"{r}"' not in source]
    assert not untested, untested


# --- writing refuses what reading would refuse ------------------------------------------------------


def test_write_bundle_checks_its_arguments(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results.json", results_doc())
    call: Callable[..., Path] = write_bundle
    base = {"pr_number": 1, "head_sha": HEAD, "base_ref": "main", "repository": REPO, "run_id": "1"}
    for key, bad, fragment in [
        ("pr_number", 0, "pr_number: expected a positive integer"),
        ("head_sha", "HEAD", "head_sha: expected a full commit SHA"),
        ("repository", "octo-repo", "repository: expected OWNER/NAME"),
        ("run_id", "abc", "run_id: expected digits"),
    ]:
        with pytest.raises(ConfigError, match=fragment):
            call(tmp_path / "out", results, **{**base, key: bad})
    with pytest.raises(ResultsError, match="results file not found"):
        call(tmp_path / "out", tmp_path / "absent.json", **base)


def test_write_bundle_refuses_names_the_report_would_refuse(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results.json", results_doc(("a\nb",)))
    with pytest.raises(ResultsError, match="control or invisible formatting"):
        write_bundle(tmp_path / "out", results, pr_number=1, head_sha=HEAD, base_ref="main",
                     repository=REPO, run_id=None)
    assert not (tmp_path / "out" / BUNDLE_FILE).exists()


def test_write_bundle_refuses_results_over_the_limit(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results.json", results_doc())
    with pytest.raises(ResultsError, match="over the 10 byte limit"):
        write_bundle(tmp_path / "out", results, pr_number=1, head_sha=HEAD, base_ref="main",
                     repository=REPO, run_id=None, limits=BundleLimits(max_results_bytes=10))


def test_workflow_run_payload_is_not_modified(bundle_dir: Path) -> None:
    run = workflow_run()
    before = copy.deepcopy(run)
    read(bundle_dir, run=run)
    assert run == before
