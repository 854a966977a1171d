"""`lanebench compare`: exit codes, the table, the JSON it writes, options and input errors."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from lanebench.cli import main
from lanebench.comparison_file import read_comparison
from lanebench.report.terminal import print_comparison
from lanebench.results import BenchmarkResult, ResultsDocument, RunInfo, write_results

REPO = Path(__file__).resolve().parents[1]
ENV = {"cpu_model": "Test CPU", "cpu_count": 2, "machine": "x86_64"}


def samples(seed: int, factor: float = 1.0, n: int = 20) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    wall = np.exp(rng.normal(math.log(0.2 * factor), 0.02, n))
    return {
        "wall": [float(x) for x in wall],
        "cpu": [float(x) * 0.9 for x in wall],
        "maxrss": [50e6] * n,
        "read_chars": [1e5] * n,
        "write_chars": [0.0] * n,
    }


def results(path: Path, factors: dict[str, float], seed: int, *, env: dict | None = None,
            lane: str | None = None) -> Path:
    doc = ResultsDocument(
        run=RunInfo(commit=f"c{seed}", lane=lane),
        environment=env or ENV,
        benchmarks=[
            BenchmarkResult(name=name, command=["python3", "-c", "pass"], samples=samples(seed + i, f))
            for i, (name, f) in enumerate(factors.items())
        ],
    )
    return write_results(path, doc)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "base": results(tmp_path / "base.json", {"parse": 1.0, "render": 1.0}, 1),
        "same": results(tmp_path / "same.json", {"parse": 1.0, "render": 1.0}, 11),
        "slow": results(tmp_path / "slow.json", {"parse": 1.0, "render": 1.15}, 21),
    }


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["compare", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_regression_exits_1_prints_the_table_and_writes_reproducible_json(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_path = tmp_path / "cmp.json"
    code, out, err = run_cli([files["base"], files["slow"], "-o", out_path], capsys)
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0].split() == ["benchmark", "metric", "base", "median", "head", "median",
                                "change", "[CI]", "p", "p", "adj", "verdict"]
    render_wall = next(ln for ln in lines if ln.startswith("render") and " wall " in ln)
    assert render_wall.endswith("regression") and re.search(r" \+1[3-6]\.\d% \[\+", render_wall)
    assert "render wall: regression:" in out
    assert f"comparison written to {out_path}" in out
    cmp = read_comparison(out_path)
    m = next(x for x in cmp.metrics if (x.benchmark, x.metric) == ("render", "wall"))
    raw = json.loads(files["slow"].read_text())
    base_raw = json.loads(files["base"].read_text())
    head_wall = raw["benchmarks"][1]["samples"]["wall"]
    base_wall = base_raw["benchmarks"][1]["samples"]["wall"]
    assert m.p_value == pytest.approx(sps.mannwhitneyu(head_wall, base_wall, alternative="two-sided").pvalue)
    assert m.head.median == pytest.approx(float(np.median(head_wall)))
    assert cmp.settings["family_size"] == 10 and cmp.settings["correction"] == "holm"


def test_no_regression_exits_0(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli([files["base"], files["same"], "-o", tmp_path / "c.json"], capsys)
    assert code == 0
    table = out.split("verdicts:")[0]
    assert "regression" not in table and table.count("unchanged") == 10
    assert "verdicts: 10 unchanged (mann-whitney, Holm over 10 comparisons, alpha 0.05)" in out


def test_options_change_the_test_correction_threshold_and_metrics(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_path = tmp_path / "c.json"
    code, out, _ = run_cli([files["base"], files["slow"], "-o", out_path, "--test", "welch-log",
                            "--correction", "bh", "--alpha", "0.01", "--threshold-time", "20%",
                            "--metrics", "wall,cpu"], capsys)
    cmp = read_comparison(out_path)
    assert {m.metric for m in cmp.metrics} == {"wall", "cpu"}
    assert cmp.settings["test"] == "welch-log" and cmp.settings["correction"] == "bh"
    assert cmp.settings["alpha"] == 0.01 and cmp.settings["thresholds"]["wall"] == 0.2
    # +15% with a 20% threshold: real, and its interval stays below +20%
    render = next(m for m in cmp.metrics if (m.benchmark, m.metric) == ("render", "wall"))
    assert render.verdict == "unchanged" and "smaller change than the threshold" in render.reason
    assert code == 0


def test_config_lane_settings_apply(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "lanebench.yml"
    cfg.write_text(
        "benchmarks:\n  - name: parse\n    command: [python3, -c, pass]\n"
        "lanes:\n  strict:\n    when: {labels: [strict]}\n    thresholds: {time: 30%}\n"
        "  standard:\n    stats: {test: welch-log}\n",
        encoding="utf-8",
    )
    out_path = tmp_path / "c.json"
    code, _, _ = run_cli([files["base"], files["slow"], "--config", cfg, "-o", out_path], capsys)
    cmp = read_comparison(out_path)
    assert cmp.lane == "standard" and cmp.settings["test"] == "welch-log" and code == 1
    code, _, _ = run_cli([files["base"], files["slow"], "--config", cfg, "--lane", "strict", "-o", out_path], capsys)
    cmp = read_comparison(out_path)
    assert cmp.lane == "strict" and cmp.settings["thresholds"]["wall"] == 0.3 and code == 0
    code, _, err = run_cli([files["base"], files["slow"], "--config", cfg, "--lane", "nope"], capsys)
    assert code == 2 and err == (
        'lanebench: error: unknown lane "nope" (known lanes: strict, standard)'
        " (fix the `lane:` input or --lane value)\n"
    )


def test_lane_recorded_in_head_is_the_default_with_a_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "lanebench.yml"
    cfg.write_text(
        "benchmarks:\n  - name: parse\n    command: [python3, -c, pass]\n"
        "lanes:\n  loose:\n    when: {labels: [loose]}\n    thresholds: {time: 50%}\n  standard: {}\n",
        encoding="utf-8",
    )
    base = results(tmp_path / "b.json", {"parse": 1.0}, 1)
    head = results(tmp_path / "h.json", {"parse": 1.15}, 2, lane="loose")
    code, _, _ = run_cli([base, head, "--config", cfg, "-o", tmp_path / "c.json"], capsys)
    assert read_comparison(tmp_path / "c.json").lane == "loose" and code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "results file not found"),
        ('{"schema_version": "1.0.0", "kind": "lanebench-results", "run": {', "truncated"),
        ('{"schema_version": "9.0.0", "kind": "lanebench-results", "run": {}, "environment": {}, '
         '"benchmarks": []}', "results schema 9.0.0 is not supported"),
    ],
    ids=["missing", "truncated", "unknown-schema"],
)
def test_bad_input_exits_2_with_one_line(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    head = tmp_path / "head.json"
    if content is not None:
        head.write_text(content, encoding="utf-8")
    code, out, err = run_cli([files["base"], head, "-o", tmp_path / "c.json"], capsys)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err and str(head) in err
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--alpha", "0.7"], "--alpha: expected less than 0.5, got 0.7"),
        (["--threshold-memory", "lots"], '--threshold-memory: expected a percentage like "5%", got "lots"'),
        (["--metrics", "wall,walltime"], "--metrics: unknown metric 'walltime'"),
    ],
)
def test_bad_options_exit_2(files: dict[str, Path], capsys: pytest.CaptureFixture[str], option: list[str], message: str) -> None:
    code, _, err = run_cli([files["base"], files["slow"], *option], capsys)
    assert code == 2 and message in err


def test_cross_machine_and_noise_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = results(tmp_path / "b.json", {"a": 1.0}, 1)
    head_doc = ResultsDocument(
        run=RunInfo(), environment={**ENV, "cpu_model": "Other CPU"},
        benchmarks=[BenchmarkResult(name="a", command=["x"], samples={
            "wall": [0.2, 0.3, 0.17, 0.25, 0.4, 0.21, 0.19, 0.33]})],
    )
    head = write_results(tmp_path / "h.json", head_doc)
    code, out, _ = run_cli([base, head, "-o", tmp_path / "c.json", "--metrics", "wall"], capsys)
    assert "cross-machine: baseline and head ran on different machines (cpu_model: 'Test CPU' vs 'Other CPU')" in out
    assert "noise: a wall: robust CV" in out and "samples per side" in out
    assert code == 0


def test_rich_table_on_a_terminal(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli([files["base"], files["slow"], "-o", tmp_path / "c.json"], capsys)
    print_comparison(read_comparison(tmp_path / "c.json"), tty=True)
    out = capsys.readouterr().out
    assert "┃" in out or "│" in out  # a rich box, not the plain layout
    assert "regression" in out and "render" in out


def test_terminal_tables_show_brackets_in_names_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # rich reads "[...]" as markup unless told otherwise: "parse[fast]" would print as "parse"
    monkeypatch.setenv("COLUMNS", "200")  # no wrapping inside a name
    base = results(tmp_path / "base.json", {"parse[fast]": 1.0, "x[bold]y[/bold]": 1.0}, 1)
    head = results(tmp_path / "head.json", {"parse[fast]": 1.0, "x[bold]y[/bold]": 1.0}, 11)
    run_cli([base, head, "-o", tmp_path / "c.json"], capsys)
    print_comparison(read_comparison(tmp_path / "c.json"), tty=True)
    out = capsys.readouterr().out
    assert "parse[fast]" in out and "x[bold]y[/bold]" in out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["show", str(head)]) == 0
    out = capsys.readouterr().out
    assert "┃" in out or "│" in out  # the rich table
    assert "parse[fast]" in out and "x[bold]y[/bold]" in out


@pytest.mark.slow
def test_real_process_and_help(files: dict[str, Path], tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lanebench", "compare", str(files["base"]), str(files["slow"]),
         "--output", str(tmp_path / "c.json")],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert proc.returncode == 1 and "regression" in proc.stdout
    helptext = subprocess.run([sys.executable, "-m", "lanebench", "compare", "--help"],
                              capture_output=True, text=True, cwd=REPO, timeout=120).stdout
    assert "examples:" in helptext and "--threshold-time" in helptext and "Exit status" in helptext
