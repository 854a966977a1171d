"""Change sets from real git repositories and from GitHub PR files entries."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanebench.changes import (
    GITHUB_FILES_LIMIT,
    ChangedFile,
    ChangeSet,
    change_set_from_git,
    change_set_from_pr_files,
    default_base,
    label_names,
)
from lanebench.errors import EXIT_EXTERNAL, EXIT_USAGE, ConfigError, ExternalError
from tests.helpers import GIT_ENV, git


def write(repo: Path, rel: str, content: str | bytes) -> None:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "keep.py", "a = 1\nb = 2\nc = 3\n")
    write(root, "old/name.py", "".join(f"line {i}\n" for i in range(40)))
    write(root, "delete_me.txt", "bye\n")
    write(root, "blob.bin", bytes(range(256)) * 4)
    commit(root, "base")
    return root


def by_path(change_set: ChangeSet) -> dict[str, ChangedFile]:
    return {f.path: f for f in change_set.files}


# ---------------------------------------------------------------- git


def test_git_statuses_renames_binary_and_odd_paths(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "keep.py", "a = 1\nb = 20\nc = 3\nd = 4\n")
    (repo / "new dir").mkdir()
    git(repo, "mv", "old/name.py", "new dir/renamed.py")
    write(repo, "new dir/renamed.py", "".join(f"line {i}\n" for i in range(40)) + "extra\n")
    (repo / "delete_me.txt").unlink()
    write(repo, "blob.bin", bytes(range(255, -1, -1)) * 4)
    odd = [
        "dir with spaces/file name.py",
        "naïve/ünïcödé 文件.py",
        'quotes/"double" and \'single\'.py',
        "tabs/a\tb.py",
    ]
    for name in odd:
        write(repo, name, "x = 1\n")
    commit(repo, "feature")

    cs = change_set_from_git(repo, "main")
    files = by_path(cs)
    assert cs.source == "git" and cs.complete is True
    assert sorted(files) == sorted(["keep.py", "new dir/renamed.py", "delete_me.txt", "blob.bin", *odd])
    assert files["keep.py"] == ChangedFile("keep.py", "modified", None, 2, 1, False)
    assert files["new dir/renamed.py"] == ChangedFile(
        "new dir/renamed.py", "renamed", "old/name.py", 1, 0, False
    )
    assert files["new dir/renamed.py"].paths == ("new dir/renamed.py", "old/name.py")
    assert files["delete_me.txt"] == ChangedFile("delete_me.txt", "removed", None, 0, 1, False)
    blob = files["blob.bin"]
    assert (blob.status, blob.binary, blob.additions, blob.deletions, blob.lines) == (
        "modified", True, None, None, None,
    )
    for name in odd:
        assert files[name] == ChangedFile(name, "added", None, 1, 0, False)
    assert cs.lines == 3 + 1 + 1 + len(odd)  # keep.py, rename, deletion, new files
    assert cs.refs["merge_base"] == git(repo, "rev-parse", "main").strip()
    assert "git diff main...HEAD" in cs.note


def test_git_uses_the_merge_base_like_a_pull_request(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "feature.py", "f = 1\n")
    commit(repo, "feature work")
    git(repo, "checkout", "-q", "main")
    write(repo, "main_only.py", "m = 1\n")
    write(repo, "keep.py", "changed on main\n")
    commit(repo, "main moves on")

    cs = change_set_from_git(repo, "main", "feature", labels=["perf"])
    assert cs.paths == ["feature.py"]  # main's later commits are not the PR's changes
    assert cs.root == repo.resolve()
    assert cs.labels == ("perf",)
    # the other direction sees only main's own work
    assert sorted(change_set_from_git(repo, "feature", "main").paths) == ["keep.py", "main_only.py"]


def test_git_no_changes_gives_an_empty_complete_change_set(repo: Path) -> None:
    cs = change_set_from_git(repo, "main", "main")
    assert cs.files == () and cs.complete is True


@pytest.mark.slow
def test_git_more_than_3000_files(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "big")
    for i in range(3200):
        write(repo, f"pkg/m{i // 100:02d}/file_{i:04d}.py", f"value = {i}\n")
    (repo / "delete_me.txt").unlink()
    commit(repo, "many files")

    cs = change_set_from_git(repo, "main", "big")
    assert len(cs.files) == 3201
    assert cs.complete is True  # git has no listing limit, unlike the GitHub API
    added = [f for f in cs.files if f.status == "added"]
    assert len(added) == 3200 and all(f.lines == 1 for f in added)
    assert by_path(cs)["pkg/m31/file_3199.py"].additions == 1


def test_git_rename_across_many_files_keeps_previous_paths(repo: Path) -> None:
    for i in range(50):
        write(repo, f"src/mod_{i}.py", "".join(f"# {i} line {n}\n" for n in range(20)))
    commit(repo, "modules")
    git(repo, "checkout", "-q", "-b", "move")
    git(repo, "mv", "src", "lib")
    commit(repo, "move src to lib")
    cs = change_set_from_git(repo, "main", "move")
    assert len(cs.files) == 50
    assert all(f.status == "renamed" and f.previous_path == f"src/{f.path[4:]}" for f in cs.files)
    assert cs.lines == 0


def test_skipped_rename_detection_is_noted(repo: Path) -> None:
    for i in range(3):
        write(repo, f"f{i}.py", "".join(f"# {i} line {n}\n" for n in range(10)))
    commit(repo, "three files")
    git(repo, "checkout", "-q", "-b", "moves")
    for i in range(3):
        (repo / f"f{i}.py").rename(repo / f"g{i}.py")
        with (repo / f"g{i}.py").open("a") as fh:
            fh.write("more\n")
    commit(repo, "rename and edit")
    assert {f.status for f in change_set_from_git(repo, "main", "moves").files} == {"renamed"}
    git(repo, "config", "diff.renameLimit", "1")  # a big change set hits the limit the same way
    cs = change_set_from_git(repo, "main", "moves")
    assert {f.status for f in cs.files} == {"added", "removed"}
    assert "some renames show as add + delete" in cs.note


# Any name a Linux file system and git accept: no "/", no NUL, not "." or "..", not ".git".
file_names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"), min_size=1, max_size=20
).filter(lambda n: n not in (".", "..") and n.lower() != ".git" and len(n.encode()) < 200)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(file_names, min_size=1, max_size=6, unique_by=str.casefold))
def test_any_file_name_comes_back_exactly(tmp_path_factory: pytest.TempPathFactory, names: list[str]) -> None:
    root = tmp_path_factory.mktemp("names")
    git(root, "init", "-q", "-b", "main")
    write(root, "seed", "s\n")
    commit(root, "seed")
    git(root, "checkout", "-q", "-b", "change")
    for i, name in enumerate(names):
        write(root, f"d{i}/{name}", "x\n")
    commit(root, "names")
    cs = change_set_from_git(root, "main", "change")
    assert sorted(cs.paths) == sorted(f"d{i}/{name}" for i, name in enumerate(names))
    assert all(f.status == "added" and f.lines == 1 for f in cs.files)


def test_not_a_git_repository_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a git repository") as exc:
        change_set_from_git(tmp_path, "main")
    assert exc.value.exit_code == EXIT_USAGE
    assert "\n" not in str(exc.value)
    with pytest.raises(ConfigError, match="no such directory"):
        change_set_from_git(tmp_path / "missing", "main")


def test_unknown_ref_names_the_ref_and_the_fix(repo: Path) -> None:
    with pytest.raises(ConfigError, match=r'unknown base ref "mian".*fetch it and use origin/mian'):
        change_set_from_git(repo, "mian")
    with pytest.raises(ConfigError, match=r'unknown head ref "nope"'):
        change_set_from_git(repo, "main", "nope")
    with pytest.raises(ConfigError, match="invalid base ref"):
        change_set_from_git(repo, "--output=/tmp/x")


def test_shallow_clone_without_the_base_says_fetch_depth(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "feature.py", "f = 1\n")
    commit(repo, "feature")
    write(repo, "feature.py", "f = 2\n")
    commit(repo, "feature 2")
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo}", str(shallow)],
        env=GIT_ENV, check=True, capture_output=True,
    )
    with pytest.raises(ExternalError, match=r'base ref "main" is not in this shallow clone.*fetch-depth: 0') as exc:
        change_set_from_git(shallow, "main")
    assert exc.value.exit_code == EXIT_EXTERNAL

    # both tips fetched, but not the history joining them
    both = tmp_path / "both"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{repo}", str(both)],
        env=GIT_ENV, check=True, capture_output=True,
    )
    with pytest.raises(ExternalError, match="history joining .* is missing from this shallow clone.*fetch-depth: 0"):
        change_set_from_git(both, "origin/main", "origin/feature")


def test_unrelated_histories_are_reported(repo: Path) -> None:
    git(repo, "checkout", "-q", "--orphan", "island")
    write(repo, "island.py", "i = 1\n")
    commit(repo, "unrelated")
    with pytest.raises(ConfigError, match="share no history"):
        change_set_from_git(repo, "main", "island")


# ---------------------------------------------------------------- GitHub PR files

# GitHub's own example of the PR files answer (@octokit/openapi 23.0.2,
# components.examples.diff-entry-items) and the diff-entry status enum.
GITHUB_EXAMPLE = [
    {
        "sha": "bbcd538c8e72b8c175046e27cc8f907076331401",
        "filename": "file1.txt",
        "status": "added",
        "additions": 103,
        "deletions": 21,
        "changes": 124,
        "blob_url": "https://github.com/octocat/Hello-World/blob/6dcb09b5b57875f334f61aebed695e2e4193db5e/file1.txt",
        "raw_url": "https://github.com/octocat/Hello-World/raw/6dcb09b5b57875f334f61aebed695e2e4193db5e/file1.txt",
        "contents_url": "https://api.github.com/repos/octocat/Hello-World/contents/file1.txt?ref=6dcb09b5b57875f334f61aebed695e2e4193db5e",
        "patch": "@@ -132,7 +132,7 @@ module Test @@ -1000,7 +1000,7 @@ module Test",
    }
]
DIFF_ENTRY_STATUSES = ["added", "removed", "modified", "renamed", "copied", "changed", "unchanged"]


def entry(filename: str, status: str = "modified", additions: int = 1, deletions: int = 0, **more: object) -> dict:
    return {
        "filename": filename,
        "status": status,
        "additions": additions,
        "deletions": deletions,
        "changes": additions + deletions,
        **more,
    }


def test_github_example_entry() -> None:
    cs = change_set_from_pr_files(GITHUB_EXAMPLE, [{"name": "perf", "color": "f29513"}, "docs"])
    assert cs.files == (ChangedFile("file1.txt", "added", None, 103, 21, False),)
    assert cs.labels == ("perf", "docs")
    assert cs.source == "github" and cs.complete is True


def test_every_github_status_maps_to_a_change_status() -> None:
    entries = [
        entry(f"f_{status}.py", status, previous_filename="src/orig.py" if status in ("renamed", "copied") else None)
        for status in DIFF_ENTRY_STATUSES
    ]
    files = by_path(change_set_from_pr_files(entries))
    assert {p: f.status for p, f in files.items()} == {
        "f_added.py": "added",
        "f_removed.py": "removed",
        "f_modified.py": "modified",
        "f_renamed.py": "renamed",
        "f_copied.py": "added",
        "f_changed.py": "modified",
    }  # "unchanged" changes nothing and is left out
    assert files["f_renamed.py"].previous_path == "src/orig.py"
    assert files["f_copied.py"].previous_path == "src/orig.py"
    assert files["f_modified.py"].previous_path is None


def test_missing_or_bad_counts_are_unknown_not_zero() -> None:
    cs = change_set_from_pr_files([{"filename": "a.py", "status": "modified"}, entry("b.py", additions=-1)])
    assert [f.lines for f in cs.files] == [None, None]


def test_github_list_at_the_api_limit_is_incomplete() -> None:
    entries = [entry(f"src/f{i}.py") for i in range(GITHUB_FILES_LIMIT)]
    cs = change_set_from_pr_files(entries)
    assert cs.complete is False and "limit" in cs.note
    # with the PR's changed_files count we know for sure
    assert change_set_from_pr_files(entries, total_files=GITHUB_FILES_LIMIT).complete is True
    short = change_set_from_pr_files(entries[:10], total_files=4000)
    assert short.complete is False and "10 of the pull request's 4000" in short.note


def test_malformed_entry_is_an_external_error() -> None:
    with pytest.raises(ExternalError, match="entry 1 has no filename"):
        change_set_from_pr_files([entry("a.py"), {"status": "added"}])


def test_label_names_dedupe_and_accept_label_objects() -> None:
    assert label_names(["a", {"name": "b"}, "a", {"id": 3}, ""]) == ("a", "b")


def test_bare_repository_works_without_a_root(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "feature.py", "f = 1\n")
    commit(repo, "feature")
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], env=GIT_ENV, check=True)
    cs = change_set_from_git(bare, "main", "feature")
    assert cs.paths == ["feature.py"] and cs.root is None


def test_default_base_is_the_remotes_default_branch_then_the_usual_names(
    repo: Path, tmp_path: Path
) -> None:
    git(repo, "branch", "-m", "main", "trunk")  # a default branch with an unusual name
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    git(clone, "checkout", "-q", "-b", "feature")
    assert default_base(clone) == ("origin/trunk", "the remote's default branch, origin/HEAD")
    git(clone, "remote", "set-head", "origin", "--delete")
    git(clone, "branch", "-q", "master", "origin/trunk")
    ref, how = default_base(clone)
    assert ref == "master" and how.startswith("no origin/HEAD")
    git(clone, "branch", "-q", "main", "origin/trunk")
    assert default_base(clone)[0] == "main"  # main before master
    git(repo, "branch", "-q", "main", "trunk")
    git(clone, "fetch", "-q", "origin")
    assert default_base(clone)[0] == "origin/main"  # the remote's before local branches
    assert default_base(repo)[0] == "main"
    alone = tmp_path / "alone"
    alone.mkdir()
    git(alone, "init", "-q", "-b", "dev")
    assert default_base(alone) == (None, "no origin/HEAD and none of origin/main, origin/master, main, master exists")
    plain = tmp_path / "plain"
    plain.mkdir()
    ref, how = default_base(plain)
    assert ref is None and "not a git repository" in how
