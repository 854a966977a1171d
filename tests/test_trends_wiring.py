"""The record of main runs in the baseline (carried forward, bounded, refused when bad),
`lanebench history` reading it from each kind of source, and the reports drawing it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lanebench.baseline import LocalBaselineStore, append_main_run
from lanebench.cli import main as lanebench
from lanebench.config.model import Thresholds
from lanebench.errors import ResultsError
from lanebench.history_store import History, history_to_dict
from lanebench.main_trends import main_trends
from lanebench.report import ReportContext, render_comment, render_html, render_summary
from lanebench.results import BenchmarkResult, ResultsDocument, RunInfo, read_results, write_results
from tests.github_fake import make_zip
from tests.trend_histories import step_history

ENV = {"cpu_model": "x", "cpu_count": 2, "machine": "x86_64", "python": "3.11.9"}


def sha(i: int) -> str:
    return f"{i:040x}"


def run_doc(commit: str | None, wall: float = 0.1) -> ResultsDocument:
    return ResultsDocument(
        run=RunInfo(commit=commit, finished_at="2025-01-01T00:00:00Z"), environment=dict(ENV),
        benchmarks=[BenchmarkResult(name="b", command=["true"],
                                    samples={"wall": [wall, wall * 1.01, wall * 0.99]})])


def with_record(history: History) -> ResultsDocument:
    doc = run_doc(history.runs[-1].commit)
    doc.main_runs = history
    return doc


# --- carried forward ----------------------------------------------------------------------


def test_each_run_appends_its_record_bounded_and_a_rerun_replaces_its_commit() -> None:
    doc = None
    for i in range(5):
        doc = append_main_run(doc, run_doc(sha(i), wall=0.1 + i / 100), keep=3)
    assert doc is not None and doc.main_runs is not None
    assert [r.commit for r in doc.main_runs.runs] == [sha(2), sha(3), sha(4)]
    assert doc.main_runs.runs[-1].benchmarks["b"].metrics["wall"].median == pytest.approx(0.14)
    again = append_main_run(doc, run_doc(sha(4), wall=0.5), keep=3)
    assert again.main_runs is not None and [r.commit for r in again.main_runs.runs] == [sha(2), sha(3), sha(4)]
    assert again.main_runs.runs[-1].benchmarks["b"].metrics["wall"].median == pytest.approx(0.5)
    assert doc.main_runs.runs[-1].benchmarks["b"].metrics["wall"].median == pytest.approx(0.14)  # untouched


@pytest.mark.parametrize("commit", [None, "", "now", "HEAD~1"])
def test_a_run_without_a_commit_sha_carries_the_record_on_unchanged(commit: str | None) -> None:
    previous = append_main_run(None, run_doc(sha(1)))
    carried = append_main_run(previous, run_doc(commit))
    assert carried.main_runs == previous.main_runs


def test_the_record_round_trips_through_the_results_file_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    doc = append_main_run(None, run_doc(sha(7)))
    path = write_results(tmp_path / "r.json", doc)
    assert read_results(path).main_runs == doc.main_runs
    data = json.loads(path.read_text())
    data["main_runs"]["runs"][0]["commit"] = "--> not hex"
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsError, match=r"r\.json: main_runs: runs\[0\]\.commit: expected 7 to 64 lowercase hex"):
        read_results(path)


def test_the_local_store_appends_to_the_stored_record_under_its_lock(tmp_path: Path) -> None:
    store = LocalBaselineStore(tmp_path / "store")
    for i in range(4):
        store.save(run_doc(sha(i)), keep=20, trend_runs=3)
    stored = store.load()
    assert stored is not None and stored.main_runs is not None
    assert [r.commit for r in stored.main_runs.runs] == [sha(1), sha(2), sha(3)]


# --- lanebench history ----------------------------------------------------------------------


@pytest.fixture
def stepped(tmp_path: Path) -> tuple[History, Path]:
    history = step_history(40)
    store = tmp_path / "store"
    store.mkdir()
    write_results(store / "lanebench-results.json", with_record(history))
    return history, store


def test_history_prints_the_step_with_its_commits(stepped: tuple[History, Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    history, store = stepped
    assert lanebench(["history", str(store)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("40 main runs in ")
    line = next(ln for ln in out.splitlines() if "parse · Wall time" in ln)
    assert "+8." in line and "regression" in line
    assert f"after {history.runs[19].commit[:12]}, up to {history.runs[20].commit[:12]}" in line


def test_history_reads_a_downloaded_artifact_zip_and_writes_the_page(
        stepped: tuple[History, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history, store = stepped
    artifact = tmp_path / "lanebench-baseline.zip"
    artifact.write_bytes(make_zip({"lanebench-results.json": (store / "lanebench-results.json").read_bytes()}))
    page = tmp_path / "trends.html"
    assert lanebench(["history", str(artifact), "--json", "--html", str(page),
                      "--repository-url", "https://github.com/o/r"]) == 0
    found = json.loads(capsys.readouterr().out)
    (change,) = [c for c in found["change_points"] if c["verdict"] == "regression"]
    assert (change["last_good"], change["first_bad"]) == (history.runs[19].commit, history.runs[20].commit)
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and f"https://github.com/o/r/commit/{history.runs[20].commit}" in html


def test_history_refuses_what_it_cannot_read_with_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert lanebench(["history", str(tmp_path / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert lanebench(["history", str(tmp_path / "empty")]) == 2
    assert "no baseline results in this directory" in capsys.readouterr().err
    old = write_results(tmp_path / "old.json", run_doc(sha(1)))  # no record: an older baseline
    assert lanebench(["history", str(old)]) == 2
    err = capsys.readouterr().err
    assert "the baseline has no record of main runs" in err and "lanebench baseline" in err
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    assert lanebench(["history", str(bad)]) == 2
    assert "is not a zip archive" in capsys.readouterr().err
    write_results(tmp_path / "ok.json", with_record(step_history(12)))
    assert lanebench(["history", str(tmp_path / "ok.json"), "--html", str(tmp_path / "no" / "x.html")]) == 2
    assert "does not exist" in capsys.readouterr().err


# --- reports ------------------------------------------------------------------------------


def test_baseline_summary_lists_findings_and_the_dashboard_draws_them() -> None:
    history = step_history(40)
    ctx = ReportContext(head=run_doc(history.runs[-1].commit), title="lanebench baseline",
                        trends=main_trends(history, Thresholds(), repository_url="https://github.com/o/r"))
    summary = render_summary(ctx)
    assert "#### Trends on main" in summary and "| parse | Wall time | change point | +8." in summary
    assert f"([compare](https://github.com/o/r/compare/{history.runs[19].commit}...{history.runs[20].commit}))" in summary
    html = render_html(ctx)
    assert '<section id="trends"' in html and "parse" in html


def test_pull_request_comment_draws_mains_trend_from_the_baselines_record() -> None:
    history = step_history(40)
    trends = main_trends(history, Thresholds(), metrics=("wall",), list_findings=False, find_new=False)
    ctx = ReportContext(head=run_doc("f" * 40), trends=trends)
    comment = render_comment(ctx)
    assert "```mermaid" in comment and "xychart-beta" in comment
    assert f"{history.runs[20].commit[:7]} +8% parse" in comment  # the step's run is labelled
    assert "#### Trends on main" not in comment  # the findings list is the baseline job's


def test_a_finding_is_new_only_in_the_first_run_whose_record_shows_it() -> None:
    full = step_history(40)
    seen = []
    for k in range(21, 32):
        trends = main_trends(History(runs=full.runs[:k]), Thresholds(), metrics=("wall",))
        seen.append((k, [trends.is_new(a) for a in trends.findings]))
    first = next(i for i, (_, flags) in enumerate(seen) if flags)
    assert seen[first][1] == [True]
    assert all(flags == [False] for _, flags in seen[first + 1:])


def test_history_to_dict_is_what_the_results_file_holds(tmp_path: Path) -> None:
    history = step_history(3)
    path = write_results(tmp_path / "r.json", with_record(history))
    assert json.loads(path.read_text())["main_runs"] == history_to_dict(history)


def test_a_pull_request_judged_against_a_baseline_with_a_record_draws_mains_trend(tmp_path: Path) -> None:
    from lanebench.config import config_from_dict
    from lanebench.pipeline import PipelineRequest, judge_change

    config = config_from_dict({"benchmarks": [{"name": "parse", "command": ["true"]}]})
    history = step_history(40)
    baseline = with_record(history)
    baseline.benchmarks = [BenchmarkResult(name="parse", command=["true"],
                                           samples={"wall": [0.5, 0.51, 0.49] * 4})]
    head = write_results(tmp_path / "head.json", ResultsDocument(
        run=RunInfo(commit="f" * 40), environment=dict(ENV),
        benchmarks=[BenchmarkResult(name="parse", command=["true"], samples={"wall": [0.5, 0.52, 0.5] * 4})]))
    result = judge_change(PipelineRequest(config=config, output_dir=tmp_path / "out", baseline=baseline,
                                          head_results=head, forced_lane="standard"))
    assert result.trends is not None and not result.trends.list_findings
    assert {t.series.metric for t in result.trends.report.trends} == {"wall"}  # wall alone
    assert "```mermaid" in result.comment and f"{history.runs[20].commit[:7]} +8% parse" in result.comment
    assert '<section id="trends"' in result.rendered["html"]
