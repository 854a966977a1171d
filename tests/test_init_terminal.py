"""`lanebench init` asked in a real terminal: tmux runs it, send-keys answers the questions,
capture-pane reads what a person would see."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.init_helpers import copy_project, init_env, lanebench_argv

pytestmark = pytest.mark.slow

TMUX = shutil.which("tmux")


def tmux(*args: str) -> str:
    assert TMUX is not None
    return subprocess.run([TMUX, "-L", SOCKET, *args], capture_output=True, text=True,
                          timeout=30, check=True).stdout


SOCKET = f"lanebench-init-{os.getpid()}"


def screen() -> str:
    return tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "init")


def wait_for(text: str, timeout: float = 120) -> str:
    """The screen once `text` is on it (polling, as a person waits for a prompt)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = screen()
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen:\n{screen()}")


@pytest.fixture
def terminal():
    if TMUX is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tmux is not installed; .ci/run must install it")
        pytest.skip("tmux is not installed (apt-get install tmux)")
    yield
    subprocess.run([TMUX, "-L", SOCKET, "kill-server"], capture_output=True, timeout=30)


def test_questions_with_defaults_a_summary_and_then_the_files(tmp_path: Path, terminal: None) -> None:
    project = copy_project("psutil", tmp_path)
    env = init_env()
    command = " ".join(shlex.quote(a) for a in [*lanebench_argv(), "init"])
    exports = " ".join(f"{k}={shlex.quote(env[k])}" for k in ("PATH", "PYTHONPATH") if k in env)
    tmux("new-session", "-d", "-s", "init", "-x", "200", "-y", "50", "-c", str(project),
         f"env {exports} {command}; echo EXIT=$?; sleep 600")

    # Each proposal is run once, then offered, with its trial's result as the default.
    wait_for("include pyperf-bench-oneshot-2? [Y/n]")
    tmux("send-keys", "-t", "init", "Enter")  # the default: yes
    wait_for("include make-bench-oneshot? [Y/n]")
    tmux("send-keys", "-t", "init", "n", "Enter")
    shown = wait_for("include make-bench-oneshot-2? [y/N]")  # runs what the pyperf one runs
    assert "not running make-bench-oneshot-2: it runs what pyperf-bench-oneshot-2 runs" in shown
    tmux("send-keys", "-t", "init", "Enter")

    shown = wait_for("choice [3]:")
    assert "which workflows?" in shown
    assert "sharded: sharded.yml: benchmarks split across parallel jobs  (not available: needs " \
           "`lanebench shard`" in shown
    tmux("send-keys", "-t", "init", "4", "Enter")  # sharded: refused, asked again
    wait_for("  not available: needs `lanebench shard`")
    tmux("send-keys", "-t", "init", "2", "Enter")  # the fork-safe pair

    wait_for("lanebench action to pin (OWNER/REPO@full-commit-sha)")
    tmux("send-keys", "-t", "init", "Enter")  # keep the placeholder

    shown = wait_for("write these files? [Y/n]")
    summary = shown[shown.index("summary"):]
    assert "benchmark pyperf-bench-oneshot-2: python3 scripts/internal/bench_oneshot_2.py" in summary
    assert "benchmark make-bench-oneshot:" not in summary
    assert "workflows: fork-safe pair" in summary
    assert "the action is pinned to the placeholder OWNER/lanebench@" in summary
    for name in (".github/lanebench.yml", ".github/workflows/fork-safe-pr.yml",
                 ".github/workflows/fork-safe-report.yml"):
        assert f"write {name}" in summary
    assert not (project / ".github").exists()  # nothing before the answer
    tmux("send-keys", "-t", "init", "Enter")

    shown = wait_for("EXIT=")
    assert "EXIT=0" in shown
    config = yaml.safe_load((project / ".github" / "lanebench.yml").read_text())
    assert [b["name"] for b in config["benchmarks"]] == ["pyperf-bench-oneshot-2"]
    assert sorted(p.name for p in (project / ".github" / "workflows").iterdir()) == [
        "fork-safe-pr.yml", "fork-safe-report.yml"]
