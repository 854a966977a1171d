"""CSV, JSON, write_reports and the `lanebench report` command, run as a real process."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lanebench.report import (
    COMMENT_MARKER,
    render_csv_samples,
    render_csv_summary,
    render_json,
    write_reports,
)
from lanebench.report.demo import demo_context, docs_skipped_context
from lanebench.results import write_results

REPO = Path(__file__).resolve().parents[1]


def lanebench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "lanebench", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("results")
    ctx = demo_context()
    assert ctx.base is not None and ctx.head is not None
    return write_results(d / "base.json", ctx.base), write_results(d / "head.json", ctx.head)


def test_samples_csv_holds_every_sample_exactly() -> None:
    ctx = demo_context()
    assert ctx.base is not None and ctx.head is not None
    rows = list(csv.DictReader(io.StringIO(render_csv_samples(ctx))))
    assert list(rows[0]) == ["run", "benchmark", "metric", "unit", "iteration", "value"]
    rebuilt: dict[tuple[str, str, str], list[float]] = {}
    for r in rows:
        rebuilt.setdefault((r["run"], r["benchmark"], r["metric"]), []).append(float(r["value"]))
    for run, doc in (("base", ctx.base), ("head", ctx.head)):
        for b in doc.benchmarks:
            for metric, values in b.samples.items():
                assert rebuilt[(run, b.name, metric)] == values
    wall = [r for r in rows if r["metric"] == "wall"]
    assert {r["unit"] for r in wall} == {"s"} and wall[0]["iteration"] == "1"


def test_summary_csv_has_one_row_per_benchmark_and_metric() -> None:
    ctx = demo_context()
    assert ctx.comparison is not None
    rows = list(csv.DictReader(io.StringIO(render_csv_summary(ctx))))
    assert len(rows) == len(ctx.comparison.metrics)
    build_wall = next(r for r in rows if r["benchmark"] == "build" and r["metric"] == "wall")
    m = next(m for m in ctx.comparison.metrics if (m.benchmark, m.metric) == ("build", "wall"))
    assert build_wall["verdict"] == "regression"
    assert float(build_wall["ratio"]) == m.ratio
    assert float(build_wall["base_median"]) == m.base.median  # type: ignore[union-attr]
    assert float(build_wall["head_n"]) == 30


def test_summary_csv_head_only_has_head_statistics_only() -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv_summary(demo_context(head_only=True)))))
    assert rows and all(r["base_median"] == "" and r["head_median"] != "" for r in rows)
    assert {r["verdict"] for r in rows} == {"no baseline", "failed"}


def test_json_is_the_comparison_document() -> None:
    ctx = demo_context()
    assert ctx.comparison is not None
    data = json.loads(render_json(ctx))
    assert data == json.loads(json.dumps(ctx.comparison.to_dict()))
    assert data["kind"] == "lanebench-comparison"


def test_json_writes_nan_as_null() -> None:
    ctx = demo_context()
    assert ctx.comparison is not None and ctx.comparison.metrics[0].base is not None
    ctx.comparison.metrics[0].base.cv = float("nan")
    data = json.loads(render_json(ctx))
    assert data["metrics"][0]["base"]["cv"] is None


def test_write_reports_writes_every_format(tmp_path: Path) -> None:
    written = write_reports(demo_context(), tmp_path / "out")
    assert set(written) == {"comment", "summary", "html", "csv", "csv-summary", "json"}
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "comment.md", "summary.md", "report.html", "samples.csv", "summary.csv", "comparison.json",
    }
    assert written["comment"].read_text(encoding="utf-8").startswith(COMMENT_MARKER + "\n")


def test_write_reports_for_head_only_and_skipped_runs(tmp_path: Path) -> None:
    assert "json" not in write_reports(demo_context(head_only=True), tmp_path / "h")
    assert set(write_reports(docs_skipped_context(), tmp_path / "s")) == {"comment", "summary", "html"}


@pytest.mark.slow
def test_cli_all_formats_from_results_files(results: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = results
    out = tmp_path / "report"
    proc = lanebench("report", str(base), str(head), "--format", "all", "--output", str(out),
                     "--report-url", "https://example.invalid/a/1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "comment.md", "comparison.json", "report.html", "samples.csv", "summary.csv", "summary.md",
    ]
    comment = (out / "comment.md").read_text(encoding="utf-8")
    # The real statistics engine ran: its settings and verdicts are in the comment.
    assert "test: Mann-Whitney U" in comment
    assert comment.startswith(f"{COMMENT_MARKER}\n### ❌ ")
    assert "| build | wall |" in comment and "🔴 regression" in comment
    data = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert {m["verdict"] for m in data["metrics"] if m["benchmark"] == "build" and m["metric"] == "wall"} == {
        "regression"
    }


@pytest.mark.slow
def test_cli_head_only_prints_the_comment(results: tuple[Path, Path], tmp_path: Path) -> None:
    _, head = results
    proc = lanebench("report", str(head), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "No baseline results yet" in proc.stdout
    assert proc.stdout.startswith(COMMENT_MARKER + "\n")


@pytest.mark.slow
def test_cli_json_without_baseline_is_one_clear_error(results: tuple[Path, Path], tmp_path: Path) -> None:
    _, head = results
    proc = lanebench("report", str(head), "--format", "json", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "no baseline" in proc.stderr and "give a baseline results file" in proc.stderr


@pytest.mark.slow
def test_cli_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    proc = lanebench("report", "nope.json", "--format", "html", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "lanebench: error: nope.json: results file not found"


@pytest.mark.slow
def test_cli_demo_writes_html(tmp_path: Path) -> None:
    proc = lanebench("report", "--demo", "--format", "html", "--output", "demo.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "demo.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.slow
def test_cli_lane_decision_is_shown(results: tuple[Path, Path], tmp_path: Path) -> None:
    base, head = results
    decision = {"lane": "heavy", "reasons": ["7 code files changed (threshold 6)"], "trace": []}
    (tmp_path / "lane.json").write_text(json.dumps(decision), encoding="utf-8")
    proc = lanebench("report", str(base), str(head), "--lane-decision", "lane.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "#### Lane: heavy\n\n- 7 code files changed (threshold 6)" in proc.stdout


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640)])
def test_every_file_written_gets_the_mode_the_umask_gives(results: tuple[Path, Path], tmp_path: Path,
                                                          umask: int, mode: int) -> None:
    """On GitHub the container writes as root and actions/upload-artifact reads as the runner
    user: results, comparison and reports must be readable beyond their owner under 022."""
    base, head = results
    (tmp_path / "lanebench.yml").write_text(
        f"benchmarks:\n  - name: t\n    command: [{json.dumps(sys.executable)}, -c, pass]\n"
        "defaults:\n  warmup: 0\n  min_iterations: 2\n  max_iterations: 2\n"
        "  calibration: {measure: false}\n", encoding="utf-8")
    commands = [
        ["run", "--config", "lanebench.yml", "-o", "out/results.json"],
        ["compare", str(base), str(head), "-o", "out/comparison.json"],
        ["report", str(base), str(head), "--format", "all", "-o", "out/reports"],
        ["report", str(head), "--format", "summary", "-o", "out/summary.md"],
    ]
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    for args in commands:  # the umask is set by the shell, as a runner's or a user's would be
        proc = subprocess.run(["/bin/sh", "-c", f'umask {umask:03o} && exec "$@"', "sh", sys.executable,
                               "-m", "lanebench", *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert proc.returncode in (0, 1), proc.stderr  # 1: the compared demo files regress
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file() and ".lanebench" not in p.parts]
    assert {"results.json", "comparison.json", "report.html", "samples.csv", "summary.md"} <= {
        p.name for p in written}
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in written} == {p.name: oct(mode) for p in written}
    assert not [p for p in (tmp_path / "out").rglob(".*.tmp")]  # no temporary file left behind


def test_atomic_write_replaces_a_file_whole_and_cleans_up_on_failure(tmp_path: Path) -> None:
    from lanebench.atomic_write import write_text_atomic

    target = tmp_path / "deep" / "report.md"
    write_text_atomic(target, "one\r\n")
    write_text_atomic(target, "two\n")
    assert target.read_bytes() == b"two\n"

    with pytest.raises(TypeError):
        write_text_atomic(target, 42)  # type: ignore[arg-type]
    assert target.read_bytes() == b"two\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.md"]
