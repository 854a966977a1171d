"""lanebench.baseline: the local store, and baselines fetched from GitHub artifacts safely."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanebench.baseline import (
    BaselineError,
    ExtractLimits,
    LocalBaselineStore,
    extract_zip_safely,
    fetch_artifact_baseline,
)
from lanebench.errors import EXIT_USAGE, ResultsError
from lanebench.github import GitHubClient
from lanebench.results import (
    RESULTS_FILE_NAME,
    BenchmarkResult,
    ResultsDocument,
    RunInfo,
    results_from_dict,
)
from tests.github_fake import DEFAULT_REPO, FakeGitHub, make_zip

pytest_plugins = ["tests.github_fake.fixtures"]

NAME = "lanebench-baseline"


def results_doc(commit: str = "abc123") -> ResultsDocument:
    return ResultsDocument(
        run=RunInfo(commit=commit, ref="refs/heads/main", repository=DEFAULT_REPO, lane="standard"),
        environment={"cpu_count": 2},
        benchmarks=[BenchmarkResult(name="startup", command=["python", "-c", "pass"],
                                    samples={"wall": [0.10, 0.11, 0.12], "cpu": [0.09, 0.1, 0.1]})],
    )


def results_json(commit: str = "abc123") -> str:
    return json.dumps(results_doc(commit).to_dict())


def zip_with(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return buf.getvalue()


def symlink_entry(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix, so external_attr carries the mode
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


@pytest.fixture
def client(fake_github: FakeGitHub) -> Iterator[GitHubClient]:
    c = GitHubClient(fake_github.token, DEFAULT_REPO, api_url=fake_github.url, max_retry_seconds=5,
                     seconds_between_requests=0, seconds_between_writes=0)
    yield c
    c.close()


# --- local store ------------------------------------------------------------------------


def test_local_store_is_empty_then_round_trips(tmp_path: Path) -> None:
    store = LocalBaselineStore.in_project(tmp_path)
    assert store.path == tmp_path / ".lanebench" / "baseline" / RESULTS_FILE_NAME
    assert store.load() is None
    store.save(results_doc("c0ffee"))
    loaded = store.load()
    assert loaded is not None and loaded.run.commit == "c0ffee"
    assert loaded.benchmark("startup").samples["wall"] == [0.10, 0.11, 0.12]


def test_in_a_git_checkout_the_store_lives_in_the_git_directory_shared_by_worktrees(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    (repo / "services" / "api").mkdir(parents=True)
    (repo / "services" / "api" / "app.py").write_text("x = 1\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "init"],
                 ["worktree", "add", "-q", str(tmp_path / "second"), "-b", "second"]):
        subprocess.run([*git, *args], cwd=repo, check=True, capture_output=True)
    store = LocalBaselineStore.in_project(repo / "services" / "api")  # one store per project folder
    assert store.path == repo.resolve() / ".git" / "lanebench" / "baseline" / "services" / "api" / RESULTS_FILE_NAME
    store.save(results_doc("c0ffee"))
    loaded = LocalBaselineStore.in_project(tmp_path / "second" / "services" / "api").load()
    assert loaded is not None and loaded.run.commit == "c0ffee"  # the other worktree sees it
    assert LocalBaselineStore.in_project(repo).load() is None  # the top project has its own


def test_local_store_reports_a_truncated_file(tmp_path: Path) -> None:
    store = LocalBaselineStore(tmp_path)
    store.path.write_text(results_json()[:40])
    with pytest.raises(ResultsError, match="truncated"):
        store.load()


# --- artifact: the good path ------------------------------------------------------------


def test_fetch_artifact_baseline_reads_the_results(fake_github: FakeGitHub, client: GitHubClient,
                                                   tmp_path: Path) -> None:
    aid = fake_github.add_artifact(NAME, files={RESULTS_FILE_NAME: results_json("feedbee")},
                                   head_sha="feedbee" + "0" * 33)
    fetched = fetch_artifact_baseline(client, NAME, "main", tmp_path)
    assert fetched is not None
    assert fetched.artifact.id == aid and fetched.document.run.commit == "feedbee"
    assert fetched.describe() == f"artifact '{NAME}' (id {aid} from main@feedbee)"
    assert fetched.path == (tmp_path / f"artifact-{aid}" / RESULTS_FILE_NAME).resolve()
    assert fetched.document.to_dict() == results_from_dict(json.loads(results_json("feedbee"))).to_dict()


def test_results_file_may_sit_in_one_subdirectory(fake_github: FakeGitHub, client: GitHubClient,
                                                  tmp_path: Path) -> None:
    fake_github.add_artifact(NAME, files={f"out/{RESULTS_FILE_NAME}": results_json(), "out/report.html": "<p>"})
    fetched = fetch_artifact_baseline(client, NAME, "main", tmp_path)
    assert fetched is not None and fetched.path.parent.name == "out"


def test_no_artifact_expired_or_other_branch_is_none(fake_github: FakeGitHub, client: GitHubClient,
                                                     tmp_path: Path) -> None:
    assert fetch_artifact_baseline(client, NAME, "main", tmp_path) is None
    fake_github.add_artifact(NAME, files={RESULTS_FILE_NAME: results_json()}, expired=True)
    fake_github.add_artifact(NAME, files={RESULTS_FILE_NAME: results_json()}, head_branch="feature")
    assert fetch_artifact_baseline(client, NAME, "main", tmp_path) is None
    assert list(tmp_path.iterdir()) == []  # nothing downloaded


# --- artifact: refused ------------------------------------------------------------------


def _refused(fake: FakeGitHub, client: GitHubClient, tmp_path: Path, payload: bytes,
             limits: ExtractLimits | None = None) -> tuple[int, str]:
    aid = fake.add_artifact(NAME, zip_bytes=payload)
    with pytest.raises(BaselineError) as err:
        fetch_artifact_baseline(client, NAME, "main", tmp_path / "work", limits=limits)
    message = str(err.value)
    assert f"(id {aid}" in message and "\n" not in message
    assert "re-run the workflow" in message or "upload" in message
    assert err.value.exit_code == EXIT_USAGE
    return aid, message


def test_zip_with_parent_directory_entry_is_refused(fake_github: FakeGitHub, client: GitHubClient,
                                                    tmp_path: Path) -> None:
    payload = zip_with([(RESULTS_FILE_NAME, results_json().encode()), ("../escaped.txt", b"gotcha")])
    _, message = _refused(fake_github, client, tmp_path, payload)
    assert "'../escaped.txt'" in message and "'..'" in message
    assert not (tmp_path / "escaped.txt").exists()
    assert not any(p.name == "escaped.txt" for p in tmp_path.rglob("*"))


def test_zip_with_absolute_path_is_refused(fake_github: FakeGitHub, client: GitHubClient,
                                           tmp_path: Path) -> None:
    payload = zip_with([("/etc/lanebench-evil", b"x")])
    _, message = _refused(fake_github, client, tmp_path, payload)
    assert "absolute path" in message


def test_zip_with_symlink_is_refused(fake_github: FakeGitHub, client: GitHubClient,
                                     tmp_path: Path) -> None:
    payload = zip_with([symlink_entry(RESULTS_FILE_NAME, "/etc/passwd")])
    _, message = _refused(fake_github, client, tmp_path, payload)
    assert "symbolic link" in message
    assert not any(p.is_symlink() for p in tmp_path.rglob("*"))


def test_oversized_entry_is_refused(fake_github: FakeGitHub, client: GitHubClient, tmp_path: Path) -> None:
    payload = zip_with([(RESULTS_FILE_NAME, b" " * 5000)])
    limits = ExtractLimits(max_file_bytes=4096, max_total_bytes=1 << 20)
    _, message = _refused(fake_github, client, tmp_path, payload, limits)
    assert "5,000 bytes" in message and "per-file limit of 4,096" in message


def test_oversized_total_is_refused(fake_github: FakeGitHub, client: GitHubClient, tmp_path: Path) -> None:
    payload = zip_with([(f"part{i}.bin", b"\0" * 3000) for i in range(4)])
    limits = ExtractLimits(max_file_bytes=4096, max_total_bytes=10_000)
    _, message = _refused(fake_github, client, tmp_path, payload, limits)
    assert "unpacks to 12,000 bytes" in message


def test_too_many_entries_are_refused(fake_github: FakeGitHub, client: GitHubClient, tmp_path: Path) -> None:
    payload = zip_with([(f"f{i}", b"") for i in range(11)])
    _, message = _refused(fake_github, client, tmp_path, payload, ExtractLimits(max_entries=10))
    assert "11 entries" in message


def test_not_a_zip_is_refused(fake_github: FakeGitHub, client: GitHubClient, tmp_path: Path) -> None:
    _, message = _refused(fake_github, client, tmp_path, b"<html>not a zip</html>")
    assert "not a zip archive" in message


def test_tampered_results_file_is_one_line(fake_github: FakeGitHub, client: GitHubClient,
                                           tmp_path: Path) -> None:
    doc = json.loads(results_json())
    doc["benchmarks"][0]["samples"]["wall"] = ["fast", "faster"]
    _, message = _refused(fake_github, client, tmp_path,
                          make_zip({RESULTS_FILE_NAME: json.dumps(doc)}))
    assert "samples.wall[0]: str is not a number" in message


def test_results_of_unknown_major_schema_are_refused(fake_github: FakeGitHub, client: GitHubClient,
                                                     tmp_path: Path) -> None:
    doc = json.loads(results_json()) | {"schema_version": "9.0.0"}
    _, message = _refused(fake_github, client, tmp_path, make_zip({RESULTS_FILE_NAME: json.dumps(doc)}))
    assert "9.0.0 is not supported" in message and "upgrade lanebench" in message


def test_artifact_without_results_file_is_refused(fake_github: FakeGitHub, client: GitHubClient,
                                                  tmp_path: Path) -> None:
    _, message = _refused(fake_github, client, tmp_path, make_zip({"report.html": "<p>"}))
    assert f"has no {RESULTS_FILE_NAME}" in message


# --- the extractor on its own -----------------------------------------------------------


def test_extractor_refuses_an_entry_whose_header_understates_its_size(tmp_path: Path) -> None:
    """Header sizes are claims: a lying entry is refused and nothing is left behind."""
    payload = zip_with([("ok.txt", b"extracted first"), ("big.bin", os.urandom(8000))])
    true_size, lie = (8000).to_bytes(4, "little"), (100).to_bytes(4, "little")
    assert payload.count(true_size) == 2  # local header and central directory
    zip_path = tmp_path / "liar.zip"
    zip_path.write_bytes(payload.replace(true_size, lie))
    with pytest.raises(BaselineError) as err:
        extract_zip_safely(zip_path, tmp_path / "out", label="test archive",
                           limits=ExtractLimits(max_file_bytes=1000, max_total_bytes=1 << 20))
    assert "test archive: entry 'big.bin' is corrupt" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_extractor_writes_plain_files(tmp_path: Path) -> None:
    zip_path = tmp_path / "ok.zip"
    zip_path.write_bytes(make_zip({"a/b.txt": "hello", "c.txt": "world"}))
    files = extract_zip_safely(zip_path, tmp_path / "out", label="test archive")
    assert sorted(p.relative_to((tmp_path / "out").resolve()).as_posix() for p in files) == ["a/b.txt", "c.txt"]
    assert (tmp_path / "out" / "a" / "b.txt").read_text() == "hello"
