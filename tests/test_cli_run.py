"""`lanebench run` and `lanebench show` as real subprocesses: kill/resume, SIGTERM, the demo."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lanebench.commands._lane_choice import lane_name_for as choose_lane
from lanebench.config import config_from_dict
from lanebench.errors import ConfigError
from lanebench.results import read_results
from tests.helpers import cli_env, lanebench, start_lanebench

pytestmark = pytest.mark.slow  # `lanebench run` subprocesses measuring real benchmarks

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable


def write_config(root: Path, text: str) -> Path:
    path = root / ".github" / "lanebench.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def iteration_lines(checkpoint: Path) -> int:
    if not checkpoint.exists():
        return 0
    return sum(1 for line in checkpoint.read_text().splitlines() if '"type":"iteration"' in line)


def wait_for_iterations(checkpoint: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while iteration_lines(checkpoint) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{checkpoint} did not reach {count} iterations")
        time.sleep(0.02)


SLEEPY = f"""\
benchmarks:
  - name: first
    command: [{PY}, -c, "import time; time.sleep(0.03)"]
  - name: second
    command: [{PY}, -c, "import os, sys, time; open(sys.argv[1], 'a').write(f'{{os.getpid()}}\\\\n'); time.sleep(0.15)", pids.txt]
defaults:
  warmup: 1
  min_iterations: 6
  max_iterations: 6
"""


def test_resume_after_sigkill_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    config = write_config(tmp_path, SLEEPY)
    done = lanebench("run", "--config", str(config), "-o", "full.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    full = read_results(tmp_path / "full.json")

    proc = start_lanebench("run", "--config", str(config), "-o", "part.json", cwd=tmp_path)
    checkpoint = tmp_path / "part.checkpoint.jsonl"
    wait_for_iterations(checkpoint, 9)  # first is done, second is under way
    proc.kill()
    proc.wait(timeout=30)
    assert not (tmp_path / "part.json").exists()
    kept = iteration_lines(checkpoint)

    resumed = lanebench("run", "--config", str(config), "-o", "part.json", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming from {checkpoint.name}: {kept} iteration(s) already done" in resumed.stderr
    part = read_results(tmp_path / "part.json")
    assert not checkpoint.exists()
    assert part.run.status == "complete"
    assert part.run.resumed_iterations == kept
    assert part.run.started_at <= part.run.finished_at
    for a, b in zip(full.benchmarks, part.benchmarks, strict=True):
        assert a.name == b.name
        assert b.n == a.n == 6
        assert b.settings == a.settings
        assert set(b.samples) == set(a.samples)
        assert all(len(v) == 6 for v in b.samples.values())
        assert b.status == a.status == "ok"


def test_resume_refuses_a_checkpoint_of_another_lane(tmp_path: Path) -> None:
    config = write_config(tmp_path, SLEEPY)
    proc = start_lanebench("run", "--config", str(config), cwd=tmp_path)
    wait_for_iterations(tmp_path / "lanebench-results.checkpoint.jsonl", 2)
    proc.kill()
    proc.wait(timeout=30)
    other = lanebench("run", "--config", str(config), "--resume", "--iterations", "3", cwd=tmp_path)
    assert other.returncode == 2
    (line,) = other.stderr.strip().splitlines()[-1:]
    assert "checkpoint was written for a different run" in line
    assert "run without --resume" in line


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_writes_partial_results_and_exits_128_plus_signal(
    tmp_path: Path, signum: int, code: int
) -> None:
    config = write_config(tmp_path, SLEEPY)
    proc = start_lanebench("run", "--config", str(config), cwd=tmp_path)
    checkpoint = tmp_path / "lanebench-results.checkpoint.jsonl"
    wait_for_iterations(checkpoint, 10)
    time.sleep(0.05)  # most likely inside a `second` iteration now
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert f"interrupted by {signal.Signals(signum).name}" in err
    assert "--resume" in err
    doc = read_results(tmp_path / "lanebench-results.json")
    assert doc.run.status == "interrupted"
    first, second = doc.benchmarks
    assert first.status == "ok" and first.n == 6
    assert second.status == "interrupted"
    assert 1 <= second.n < 6
    assert checkpoint.exists()  # kept for --resume
    # the iteration in flight was killed with its tree
    for pid in (int(x) for x in (tmp_path / "pids.txt").read_text().split()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_failing_benchmark_exits_1_and_is_recorded(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        f"""\
benchmarks:
  - name: broken
    command: [{PY}, -c, "import sys; sys.exit('cannot open data.csv')"]
  - name: fine
    command: [{PY}, -c, "pass"]
defaults: {{warmup: 0, min_iterations: 2, max_iterations: 2, calibration: {{measure: false}}}}
""",
    )
    done = lanebench("run", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 1
    assert "broken failed" in done.stdout
    assert "cannot open data.csv" in done.stderr  # the stderr tail is shown
    doc = read_results(tmp_path / "lanebench-results.json")
    assert doc.benchmark("broken").failures[0].exit_code == 1
    assert doc.benchmark("fine").n == 2
    shown = lanebench("show", "lanebench-results.json", cwd=tmp_path)
    assert shown.returncode == 0
    assert "broken: iteration 1 failed: exited with code 1" in shown.stdout


def test_demo_project_runs_and_shows(tmp_path: Path) -> None:
    demo = REPO / "examples" / "demo" / ".github" / "lanebench.yml"
    done = lanebench(
        "run", "--config", str(demo), "--iterations", "2", "--warmup", "0", "-o", "demo.json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    doc = read_results(tmp_path / "demo.json")
    assert [b.name for b in doc.benchmarks] == ["cpu-loop", "cpu-loop-counted", "file-io", "memory-alloc"]
    assert all(b.n == 2 for b in doc.benchmarks)
    counted = doc.benchmark("cpu-loop-counted")
    if shutil.which("valgrind") is not None:  # `instrument: auto` counts where valgrind is
        assert len(set(counted.samples["instructions"])) == 1 and len(counted.samples["instructions"]) == 3
        assert counted.instructions is not None and counted.instructions.python_profile is not None
    else:
        assert "instructions" not in counted.samples and "valgrind" in counted.notes[-1]
    assert "instructions" not in doc.benchmark("cpu-loop").samples
    assert doc.benchmark("memory-alloc").samples["tree_rss"][0] >= 140 * 1024 * 1024
    assert doc.benchmark("file-io").samples["write_chars"][0] >= 16 * 1024 * 1024
    assert doc.run.lane == "standard"
    assert doc.run.commit is not None  # the repository is a git checkout
    # the command logs lanebench keeps beside the results stay out of the user's git
    assert (tmp_path / ".lanebench" / ".gitignore").read_text().splitlines()[-1] == "*"
    shown = lanebench("show", "demo.json", "--metric", "wall", "--metric", "tree_rss", cwd=tmp_path)
    assert shown.returncode == 0
    lines = shown.stdout.splitlines()
    assert lines[1].split() == ["benchmark", "metric", "n", "median", "p95", "CV"]
    memory_row = next(line for line in lines if line.startswith("memory-alloc") and "tree_rss" in line)
    assert "MiB" in memory_row
    assert any(line.startswith("cpu-loop") and " ms" in line for line in lines)


def test_unknown_lane_and_benchmark_are_one_line_errors(tmp_path: Path) -> None:
    config = write_config(tmp_path, SLEEPY)
    bad_lane = lanebench("run", "--config", str(config), "--lane", "fast", cwd=tmp_path)
    assert bad_lane.returncode == 2
    assert bad_lane.stderr.strip() == (
        'lanebench: error: unknown lane "fast" (known lanes: docs, heavy, standard)'
        " (fix the `lane:` input or --lane value)"
    )
    bad_bench = lanebench("run", "--config", str(config), "-b", "thrid", cwd=tmp_path)
    assert bad_bench.returncode == 2
    assert "unknown benchmark: thrid (known: first, second)" in bad_bench.stderr


def test_choose_lane_defaults() -> None:
    base = {"benchmarks": [{"name": "a", "command": ["true"]}]}
    assert choose_lane(config_from_dict(base), None) == "standard"
    custom = config_from_dict(
        {**base, "lanes": {"quick": {"when": [{"labels": ["quick"]}]}, "full": {"min_iterations": 20}}}
    )
    assert choose_lane(custom, None) == "full"
    assert choose_lane(custom, "quick") == "quick"
    with pytest.raises(ConfigError, match="known lanes: quick, full"):
        choose_lane(custom, "standard")


def test_help_has_examples() -> None:
    for verb in ("run", "show"):
        done = subprocess.run(
            [PY, "-m", "lanebench", verb, "--help"], env=cli_env(), capture_output=True, text=True,
            timeout=60,
        )
        assert done.returncode == 0
        assert "examples:" in done.stdout
        assert f"lanebench {verb} " in done.stdout.split("examples:")[1]


def test_show_rejects_a_truncated_file(tmp_path: Path) -> None:
    (tmp_path / "cut.json").write_text('{"schema_version": "1.0.0", "run": {')
    done = lanebench("show", "cut.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "truncated" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_results_file_is_valid_json_with_all_metrics(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        f"benchmarks:\n  - name: one\n    command: [{PY}, -c, 'pass']\n"
        "defaults: {warmup: 0, min_iterations: 1, max_iterations: 1}\n",
    )
    assert lanebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    data = json.loads((tmp_path / "lanebench-results.json").read_text())
    assert data["kind"] == "lanebench-results"
    bench = data["benchmarks"][0]
    from lanebench.metrics import METRICS

    assert list(bench["samples"]) == list(METRICS)
