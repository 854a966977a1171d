"""`lanebench check` end to end: real results files, the real comparison engine, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lanebench.cli import main
from lanebench.results import BenchmarkResult, Failure, ResultsDocument, RunInfo, write_results

pytestmark = pytest.mark.slow  # `lanebench check` subprocesses

REPO = Path(__file__).resolve().parents[1]
ENV = {"cpu_model": "Test CPU", "cpu_count": 2, "machine": "x86_64"}


def write_run(path: Path, wall_scale: float, *, lane: str = "standard", failures: int = 0,
              cpu_share: float = 0.95, rss_mib: float = 50.0, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    walls = [float(w) for w in rng.normal(0.200 * wall_scale, 0.002, 20)]
    doc = ResultsDocument(
        run=RunInfo(lane=lane, commit="abc1234"),
        environment=dict(ENV),
        benchmarks=[
            BenchmarkResult(
                name="build",
                command=["python3", "build.py"],
                samples={
                    "wall": walls,
                    "cpu": [w * cpu_share for w in walls],
                    "maxrss": [rss_mib * 1024**2] * 20,
                    "read_chars": [1e6] * 20,
                    "write_chars": [1e5] * 20,
                },
                failures=[Failure(iteration=i, status="failed", exit_code=2) for i in range(failures)],
            )
        ],
    )
    return write_results(path, doc)


def check(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lanebench", "check", *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_regression_fails_the_gate_and_explains_itself(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base.json", 1.0, seed=1)
    head = write_run(tmp_path / "head.json", 1.25, seed=2)  # +25% wall and CPU
    proc = check(tmp_path, str(base), str(head))
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("SLA fail (2 critical, 0 warnings); lane standard, fail_on critical: gate FAIL")
    wall = next(line for line in lines if "[any regression] build: wall +" in line)
    assert "95% CI" in wall and "adjusted p" in wall and "median 200." in wall and " ms → 2" in wall
    assert any("Profile the changed code" in line and "py-spy" in line for line in lines)

    relaxed = check(tmp_path, str(base), str(head), "--fail-on", "never")
    assert relaxed.returncode == 0
    assert "gate pass" in relaxed.stdout.splitlines()[0]


def test_json_output_carries_report_advice_and_comparison(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base.json", 1.0, seed=1)
    head = write_run(tmp_path / "head.json", 1.25, seed=2, cpu_share=0.60)  # the added time is off-CPU
    proc = check(tmp_path, str(base), str(head), "--json")
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["sla"]["status"] == "fail" and out["sla"]["gate_failed"] is True
    assert out["comparison"]["kind"] == "lanebench-comparison"
    (io_wait,) = [r for r in out["recommendations"] if r["kind"] == "io-wait"]
    assert "wall time grew +2" in io_wait["text"] and "spent off the CPU" in io_wait["text"]


def test_unchanged_run_passes_with_no_advice(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base.json", 1.0, seed=1)
    head = write_run(tmp_path / "head.json", 1.0, seed=2)
    proc = check(tmp_path, str(base), str(head))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("SLA pass (0 critical, 0 warnings)")
    assert "recommendations:" not in proc.stdout


def test_config_rules_lane_and_fail_on(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "lanebench.yml").write_text(
        """
benchmarks:
  - {name: build, command: [python3, build.py]}
lanes:
  heavy:
    when: {min_files: 6}
    fail_on: warning
    sla:
      - "wall.median: regression <= 50%"
      - "cpu: regression <= 50%"
      - {rule: "maxrss.max <= 40MiB", severity: warning}
  standard: {}
""",
        encoding="utf-8",
    )
    base = write_run(tmp_path / "base.json", 1.0, seed=1)
    head = write_run(tmp_path / "head.json", 1.10, seed=2, lane="heavy")
    proc = check(tmp_path, str(base), str(head))  # lane taken from the head results
    assert proc.returncode == 1, proc.stdout + proc.stderr  # a warning, and fail_on: warning
    first = proc.stdout.splitlines()[0]
    assert first.startswith("SLA warn (0 critical, 1 warning); lane heavy, fail_on warning: gate FAIL")
    assert "[maxrss.max <= 40MiB] build: maxrss max = 50.0 MiB" in proc.stdout
    assert "[wall.median: regression <= 50%] build: wall +9." in proc.stdout
    assert "[any regression] no regression among 3 compared metrics (3 unchanged); 2 more are " \
        "decided by relative rules" in proc.stdout
    assert "its interval stays within the 50% limit" in proc.stdout
    assert check(tmp_path, str(base), str(head), "--fail-on", "critical").returncode == 0
    # the standard lane has no rules of its own: the built-in `any regression` decides
    std = check(tmp_path, str(base), str(head), "--lane", "standard")
    assert std.returncode == 1
    assert std.stdout.startswith("SLA fail (2 critical, 0 warnings); lane standard")


def test_relative_rule_on_a_metric_outside_the_defaults_is_compared(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.yml"
    cfg.write_text(
        "benchmarks: [{name: build, command: [\"true\"]}]\n"
        "defaults:\n  sla: [\"user: regression <= 10%\"]\n",
        encoding="utf-8",
    )
    base = write_run(tmp_path / "base.json", 1.0, seed=1)
    head = write_run(tmp_path / "head.json", 1.0, seed=2)
    for path, scale in ((base, 1.0), (head, 1.5)):
        data = json.loads(path.read_text())
        data["benchmarks"][0]["samples"]["user"] = [w * scale for w in data["benchmarks"][0]["samples"]["wall"]]
        path.write_text(json.dumps(data))
    proc = check(tmp_path, str(base), str(head), "--config", str(cfg))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "[user: regression <= 10%] build: user +49." in proc.stdout
    assert "regression whose interval reaches past the 10% limit" in proc.stdout


def test_failed_iterations_break_the_default_rule(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base.json", 1.0, seed=1)
    head = write_run(tmp_path / "head.json", 1.0, seed=2, failures=2)
    proc = check(tmp_path, str(base), str(head))
    assert proc.returncode == 1
    assert "[failures <= 0] build: 2 of 22 iterations failed (9%; exit code 2 ×2)" in proc.stdout


def check_here(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """`lanebench check` in this process: the same entry point without a new interpreter,
    for answers that need no measuring."""
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["lanebench", "check", *args], code, out, err)


def test_input_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # restored afterwards
    base = write_run(tmp_path / "base.json", 1.0)
    missing = check_here(capsys, str(base), "nope.json")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "lanebench: error: nope.json: results file not found"

    cfg = tmp_path / "cfg.yml"
    cfg.write_text(
        "benchmarks: [{name: build, command: [\"true\"]}]\n"
        "defaults:\n  sla: [{rule: \"wall.p95 <= 1s\", benchmarks: [biuld]}]\n",
        encoding="utf-8",
    )
    typo = check_here(capsys, str(base), str(base), "--config", str(cfg))
    assert typo.returncode == 2
    assert 'lanes.standard.sla[0].benchmarks: "biuld" matches no benchmark (known: build)' in typo.stderr

    lane = check_here(capsys, str(base), str(base), "--config", str(cfg), "--lane", "fast")
    assert lane.returncode == 2
    assert 'unknown lane "fast"' in lane.stderr and "docs, heavy, standard" in lane.stderr

    cfg.write_text("benchmarks: [{name: build, command: [\"true\"]}]\ndefaults:\n  sla: [\"wall.p95 < soon\"]\n")
    bad = check_here(capsys, str(base), str(base), "--config", str(cfg))
    assert bad.returncode == 2
    assert 'defaults.sla[0]: expected a rule like "wall.p95 <= 2s", got "wall.p95 < soon"' in bad.stderr


def test_help_has_examples() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lanebench", "check", "--help"],
        env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, check=True,
    )
    assert "examples:" in proc.stdout and "--fail-on {critical,warning,never}" in proc.stdout
