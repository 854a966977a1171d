"""`lanebench detect` on real git repositories: the decision line, --explain, --json, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lanebench.cli import main
from tests.helpers import GIT_ENV, git

REPO = Path(__file__).resolve().parents[1]
CONFIG = """\
benchmarks:
  - name: parser
    command: [python3, -c, pass]
    paths: ["src/parser/**"]
  - name: e2e
    command: [python3, -c, pass]
"""


def commit_files(repo: Path, files: dict[str, str], message: str) -> None:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit_files(root, {".github/lanebench.yml": CONFIG, "src/app.py": "x = 1\n", "README.md": "hi\n"}, "base")
    git(root, "checkout", "-q", "-b", "feature")
    monkeypatch.chdir(root)
    return root


def detect(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["detect", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("n", "lane"), [(5, "standard"), (6, "heavy")])
def test_code_file_boundary_from_git(repo: Path, capsys: pytest.CaptureFixture[str], n: int, lane: str) -> None:
    commit_files(repo, {f"src/m{i}.py": "y = 2\n" for i in range(n)}, "code")
    code, out, _ = detect(capsys, "--base", "main")
    assert code == 0
    assert out.startswith(f"lane: {lane} — ")


@pytest.mark.parametrize(("lines", "lane"), [(500, "standard"), (501, "heavy")])
def test_line_boundary_from_git(repo: Path, capsys: pytest.CaptureFixture[str], lines: int, lane: str) -> None:
    # src/app.py: 1 line replaced = 2 changed lines; the new file brings the rest
    commit_files(
        repo,
        {"src/app.py": "x = 2\n", "src/big.py": "".join(f"v{i} = {i}\n" for i in range(lines - 2))},
        "lines",
    )
    code, out, _ = detect(capsys, "--base", "main", "--json")
    data = json.loads(out)
    assert code == 0 and data["lane"] == lane
    assert data["change_set"]["code_lines"] == lines


def test_docs_only_branch_explained(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit_files(repo, {"README.md": "hello\n", "docs/guide.md": "# Guide\n"}, "docs")
    code, out, _ = detect(capsys, "--base", "main", "--explain")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "lane: docs — all 2 changed files match (**/*.md 1, docs/** 1)"
    assert "change set: 2 files (0 code, 2 docs), 0 changed lines in code files" in out
    assert "-> docs      matched" in out
    assert "     when[0] all_match: yes — all 2 changed files match (**/*.md 1, docs/** 1)" in out
    assert "   heavy     not evaluated: an earlier lane (docs) matched" in out
    assert "  parser  skipped: the docs lane runs no benchmarks" in out
    assert "skipped: skipped" not in out


def test_explain_says_each_benchmarks_status_once(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit_files(repo, {"src/app.py": "x = 2\n"}, "code")
    code, out, _ = detect(capsys, "--base", "main", "--explain")
    assert code == 0
    assert "  parser  not affected: no changed file matches its paths; baseline carried over" in out
    assert "  e2e     run: runs on every change (no `paths`)" in out
    assert "not affected: not affected" not in out


def test_json_has_trace_and_plan(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit_files(repo, {"src/app.py": "x = 3\n"}, "code")
    code, out, _ = detect(capsys, "--base", "main", "--json", "--label", "perf")
    data = json.loads(out)
    assert code == 0
    assert data["lane"] == "standard" and data["forced_by"] is None
    assert [t["lane"] for t in data["trace"]] == ["docs", "heavy", "standard"]
    assert data["trace"][2]["status"] == "fallback"
    assert data["change_set"]["labels"] == ["perf"]
    assert {p["benchmark"]: p["status"] for p in data["plan"]} == {"parser": "not affected", "e2e": "run"}


def test_label_and_lane_overrides(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit_files(repo, {"src/app.py": "x = 3\n"}, "code")
    code, out, _ = detect(capsys, "--base", "main", "--label", "lanebench:heavy")
    assert code == 0 and out.startswith('lane: heavy — forced by the label "lanebench:heavy"')
    code, out, _ = detect(capsys, "--base", "main", "--label", "lanebench:heavy", "--lane", "docs")
    assert code == 0 and out.startswith('lane: docs — forced by the lane input "docs"')


def test_errors_are_one_line_with_exit_codes(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = detect(capsys, "--base", "main", "--lane", "fast")
    assert code == 2
    assert err == (
        'lanebench: error: unknown lane "fast" (known lanes: docs, heavy, standard) '
        "(fix the `lane:` input or --lane value)\n"
    )
    code, _, err = detect(capsys, "--base", "mian")
    assert code == 2 and err.startswith('lanebench: error: unknown base ref "mian"')
    elsewhere = tmp_path / "not-a-repo"
    elsewhere.mkdir()
    code, _, err = detect(capsys, "--base", "main", "--repo", str(elsewhere))
    assert code == 2 and "not a git repository" in err and err.count("\n") == 1
    bad = tmp_path / "bad.yml"
    bad.write_text("benchmarks:\n  - {name: a, command: [make]}\nlanes:\n  only: {when: {min_files: 1}}\n")
    code, _, err = detect(capsys, "--base", "main", "--config", str(bad))
    assert code == 2 and "lanes.only: the last lane is the fallback and must have no `when`" in err


def test_a_project_without_a_config_gets_the_built_in_lanes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit_files(root, {"src/app.py": "x = 1\n"}, "base")
    commit_files(root, {"README.md": "# App\n"}, "docs")
    monkeypatch.chdir(root)
    code, out, err = detect(capsys, "--base", "HEAD~1", "--explain")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "lane: docs — the changed file matches (**/*.md 1)"
    assert lines[1].startswith("config: no .github/lanebench.yml in the current folder, so the built-in lanes")
    assert "-> docs      matched" in out and out.rstrip().endswith("benchmarks: none configured")
    commit_files(root, {"pyproject.toml": "[project]\n"}, "manifest")
    code, out, _ = detect(capsys, "--base", "HEAD~1", "--json")
    data = json.loads(out)
    assert code == 0 and data["lane"] == "heavy" and data["config"] is None and data["plan"] == []
    # a config named on the command line must exist
    code, _, err = detect(capsys, "--base", "HEAD~1", "--config", "missing.yml")
    assert code == 2 and "missing.yml: config file not found" in err


def test_pr_files_input(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entries = [
        {"filename": f"src/parser/m{i}.py", "status": "modified", "additions": 1, "deletions": 1, "changes": 2}
        for i in range(7)
    ]
    path = tmp_path / "files.json"
    path.write_text(json.dumps(entries))
    code, out, _ = detect(capsys, "--pr-files", str(path), "--json")
    data = json.loads(out)
    assert code == 0 and data["lane"] == "heavy"
    assert data["change_set"]["source"] == "github"
    assert {p["benchmark"]: p["run"] for p in data["plan"]} == {"parser": True, "e2e": True}
    path.write_text('{"files": []}')
    code, _, err = detect(capsys, "--pr-files", str(path))
    assert code == 2 and "expected a JSON list of PR file entries, got dict" in err


@pytest.mark.slow
def test_cli_process_exit_code_for_a_shallow_clone(repo: Path, tmp_path: Path) -> None:
    commit_files(repo, {"src/app.py": "x = 4\n"}, "one")
    commit_files(repo, {"src/app.py": "x = 5\n"}, "two")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo}", str(clone)],
        env=GIT_ENV, check=True, capture_output=True,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "lanebench", "detect", "--base", "main"],
        cwd=clone,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 3
    assert proc.stderr.startswith('lanebench: error: base ref "main" is not in this shallow clone')
    assert "fetch-depth: 0" in proc.stderr and "Traceback" not in proc.stderr


def test_config_in_a_subfolder_matches_project_relative_paths(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub_config = (
        "benchmarks:\n"
        "  - {name: api, command: [python3, -c, pass], paths: ['bench/**']}\n"
    )
    commit_files(repo, {"services/api/.github/lanebench.yml": sub_config}, "api config")
    git(repo, "checkout", "-q", "-b", "api-change")
    commit_files(repo, {"services/api/bench/load.py": "n = 1\n", "services/api/docs/img.svg": "<svg/>\n"}, "api")
    config = "services/api/.github/lanebench.yml"
    code, out, _ = detect(capsys, "--base", "feature", "--config", config, "--json")
    data = json.loads(out)
    assert code == 0 and data["change_set"]["project_prefix"] == "services/api/"
    assert data["change_set"]["docs_files"] == 1  # services/api/docs/** is the project's docs/**
    assert data["plan"] == [
        {"benchmark": "api", "run": True, "status": "run",
         "reason": "affected: services/api/bench/load.py matches bench/**"}
    ]
    git(repo, "checkout", "-q", "-b", "elsewhere", "feature")
    commit_files(repo, {"services/web/bench/load.py": "n = 2\n"}, "another project's bench folder")
    code, out, _ = detect(capsys, "--base", "feature", "--config", config, "--json")
    assert json.loads(out)["plan"][0]["status"] == "not affected", out
