"""Folders lanebench creates keep themselves out of git with a `.gitignore` holding `*`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lanebench.output_dir import GITIGNORE_TEXT, make_output_dir


def test_the_topmost_created_folder_and_own_names_get_the_gitignore(tmp_path: Path) -> None:
    made = make_output_dir(tmp_path / "out" / "deep" / "er")
    assert made.is_dir()
    assert (tmp_path / "out" / ".gitignore").read_text() == GITIGNORE_TEXT
    assert not (tmp_path / "out" / "deep" / ".gitignore").exists()
    assert not (tmp_path / ".gitignore").exists()  # the user's folder, not lanebench's
    # an existing folder of the user's stays as it is; one with lanebench's name gets one
    (tmp_path / "mine").mkdir()
    make_output_dir(tmp_path / "mine")
    assert not (tmp_path / "mine" / ".gitignore").exists()
    (tmp_path / "lanebench-results" / "report").mkdir(parents=True)  # from an older version
    make_output_dir(tmp_path / "lanebench-results" / "report")
    assert (tmp_path / "lanebench-results" / ".gitignore").read_text() == GITIGNORE_TEXT
    # a .gitignore already there is never replaced
    (tmp_path / ".lanebench").mkdir()
    (tmp_path / ".lanebench" / ".gitignore").write_text("logs/\n")
    make_output_dir(tmp_path / ".lanebench" / "logs")
    assert (tmp_path / ".lanebench" / ".gitignore").read_text() == "logs/\n"


def test_git_add_all_leaves_the_folder_out(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (make_output_dir(tmp_path / "lanebench-results" / "report") / "comment.md").write_text("x\n")
    subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
    staged = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path,
                            check=True, capture_output=True, text=True).stdout
    assert staged == ""
