"""PR comment and job summary: golden files, status lines, marker, size limits, charts.

Golden files live in tests/golden/; regenerate them with
`LANEBENCH_UPDATE_GOLDEN=1 python -m pytest tests/test_report_markdown.py` and read the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from lanebench.report import (
    COMMENT_LIMIT,
    COMMENT_MARKER,
    SUMMARY_LIMIT,
    ReportContext,
    comment_marker,
    render_comment,
    render_summary,
)
from lanebench.report.demo import demo_context, docs_skipped_context, scale_context
from lanebench.report.markdown import utf16_length
from lanebench.stats.model import Comparison

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("LANEBENCH_UPDATE_GOLDEN") == "1"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with LANEBENCH_UPDATE_GOLDEN=1 once and review it"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; see the diff above"


@pytest.mark.parametrize(
    ("name", "make", "render"),
    [
        ("comment_compare.md", lambda: demo_context(), render_comment),
        ("summary_compare.md", lambda: demo_context(), render_summary),
        ("comment_head_only.md", lambda: demo_context(head_only=True), render_comment),
        ("comment_docs_skipped.md", docs_skipped_context, render_comment),
        ("comment_hostile.md", lambda: demo_context(hostile=True, cross_machine=True), render_comment),
        ("summary_history.md", lambda: demo_context(history=True, key="api"), render_summary),
    ],
)
def test_golden(name: str, make, render, monkeypatch: pytest.MonkeyPatch) -> None:
    # the footer names lanebench's version: the golden files keep one, so that a release
    # (or the .dev0 after it) does not rewrite them
    monkeypatch.setattr("lanebench.report.markdown.__version__", "0.1.0")
    check_golden(name, render(make()))


def first_line(text: str) -> str:
    """The status line: the first line after the comment's marker."""
    lines = text.splitlines()
    return lines[1] if lines[0].startswith("<!-- lanebench:comment") else lines[0]


def test_first_line_counts_regressions_failures_and_lane() -> None:
    line = first_line(render_comment(demo_context()))
    assert line.startswith("### ❌ 3 regressions · 1 failed · 1 SLA violation")
    assert line.endswith("· standard lane · 6 benchmarks")


def test_first_line_passes_when_nothing_regressed() -> None:
    ctx = demo_context()
    assert ctx.comparison is not None
    ctx.comparison.metrics = [m for m in ctx.comparison.metrics if m.verdict in ("unchanged", "improvement")]
    ctx.head.benchmarks = [b for b in ctx.head.benchmarks if b.status == "ok"]  # type: ignore[union-attr]
    ctx.comparison.benchmarks = [b for b in ctx.comparison.benchmarks if b.status == "compared"]
    ctx.sla = None
    line = first_line(render_comment(ctx))
    assert line == "### ✅ no regressions · 2 improvements · standard lane · 5 benchmarks"


def test_first_line_warns_on_inconclusive_and_cross_machine() -> None:
    ctx = demo_context(cross_machine=True)
    assert ctx.comparison is not None
    ctx.comparison.metrics = [m for m in ctx.comparison.metrics if m.verdict in ("unchanged", "inconclusive")]
    ctx.head.benchmarks = [b for b in ctx.head.benchmarks if b.status == "ok"]  # type: ignore[union-attr]
    ctx.comparison.benchmarks = [b for b in ctx.comparison.benchmarks if b.status == "compared"]
    ctx.sla = None
    text = render_comment(ctx)
    assert first_line(text).startswith("### ⚠️ no regressions · 2 inconclusive · different machines")
    assert "> [!WARNING]\n> Baseline and head ran on different machines (cpu\\_model:" in text


def test_head_only_says_no_baseline() -> None:
    text = render_comment(demo_context(head_only=True))
    assert first_line(text).startswith("### ❌ 1 failed")  # a failed benchmark still fails
    assert "No baseline results yet" in text
    assert "| Benchmark | Metric | n | Median | p95 | CV |" in text


def test_small_print_has_no_dangling_separator_without_commits() -> None:
    ctx = demo_context(head_only=True)
    assert ctx.head is not None
    ctx.head.run.commit = ctx.head.run.ref = None
    small = next(line for line in render_comment(ctx).splitlines() if line.startswith("<sub>"))
    assert not small.startswith("<sub> ·") and " ·  · " not in small


def test_docs_lane_comment_is_short_and_says_skipped() -> None:
    text = render_comment(docs_skipped_context())
    assert first_line(text) == "### ⏭️ skipped (docs lane) · documentation-only change, nothing to measure"
    assert "| Benchmark |" not in text
    assert "all 2 changed files are documentation" in text
    assert len(text) < 1500


def test_docs_lane_recognised_from_the_lane_decision_alone() -> None:
    ctx = ReportContext(head=None, lane={"lane": "docs", "reasons": ["only docs"], "run": False})
    assert first_line(render_comment(ctx)) == "### ⏭️ skipped (docs lane)"


def test_comment_starts_with_marker_and_keys_differ() -> None:
    plain = render_comment(demo_context())
    keyed = render_comment(demo_context(key="api perf"))
    assert plain.startswith(COMMENT_MARKER + "\n")
    assert keyed.startswith(comment_marker("api perf") + "\n")
    assert comment_marker("api perf") == "<!-- lanebench:comment:api_perf -->"
    assert COMMENT_MARKER not in keyed
    # A key cannot close the HTML comment early or forge another marker.
    assert comment_marker("x --> <!-- lanebench:comment -->") .count("-->") == 1


def test_summary_has_no_marker() -> None:
    assert "lanebench:comment" not in render_summary(demo_context())


def test_failure_tail_is_shown_in_a_code_block() -> None:
    text = render_comment(demo_context())
    assert "```text\n  Traceback (most recent call last):" in text
    assert "AssertionError: assert 503 == 201\n  ```" in text


def test_mermaid_chart_has_one_bar_per_label() -> None:
    text = render_comment(demo_context())
    block = re.search(r"```mermaid\n(.*?)```", text, re.S)
    assert block is not None
    chart = block.group(1)
    labels = re.search(r"x-axis \[(.*)\]", chart).group(1)  # type: ignore[union-attr]
    bars = re.search(r"bar \[(.*)\]", chart).group(1)  # type: ignore[union-attr]
    # the failed benchmark has no change, and the inconclusive one gets no bar
    assert len(labels.split('", "')) == len(bars.split(", ")) == 4
    assert '"parse-large-file"' not in labels and "1 undecided not drawn" in chart
    assert '"build"' in labels and "12.7" in bars


def test_mermaid_trend_appears_with_history() -> None:
    text = render_summary(demo_context(history=True))
    assert "line [0, " in text and '"this PR"' in text


# --- size limits ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def thousand() -> ReportContext:
    return scale_context(1000, samples=30)


def test_comment_with_1000_benchmarks_fits_and_says_what_it_left_out(thousand: ReportContext) -> None:
    text = render_comment(thousand)
    assert len(text) <= COMMENT_LIMIT and utf16_length(text) <= COMMENT_LIMIT
    assert "rows left out to fit GitHub's size limit" in text
    assert "[full report](https://github.com/example/app/actions/runs/1/artifacts/2)" in text
    assert text.startswith(COMMENT_MARKER + "\n")
    # The least important rows went first: every regression is still listed.
    comparison = thousand.comparison
    assert isinstance(comparison, Comparison)
    for m in comparison.regressions:
        assert f"| {m.benchmark} | {m.metric} |" in text
    assert "<details><summary>Full statistics</summary>" not in text


def test_summary_with_1000_benchmarks_fits_in_one_mebibyte(thousand: ReportContext) -> None:
    text = render_summary(thousand)
    assert len(text.encode("utf-8")) <= SUMMARY_LIMIT
    assert text.count("\n| suite-") >= 4000  # 1000 x 4 metrics: no row had to go


def test_summary_truncates_when_over_its_limit(thousand: ReportContext) -> None:
    text = render_summary(thousand, limit=150_000)
    assert len(text.encode("utf-8")) <= 150_000
    assert "rows left out to fit GitHub's size limit (unchanged" in text


def test_tiny_limit_still_yields_a_valid_comment() -> None:
    text = render_comment(demo_context(), limit=2500)
    assert len(text) <= 2500
    assert first_line(text).startswith("### ❌ 3 regressions")
    assert text.startswith(COMMENT_MARKER + "\n")
    assert text.count("<details>") == text.count("</details>")


def test_huge_text_outside_tables_is_cut_cleanly() -> None:
    ctx = demo_context()
    ctx.advice[0].text = "x" * 100_000  # one recommendation longer than the whole comment
    text = render_comment(ctx)
    assert utf16_length(text) <= COMMENT_LIMIT
    assert "_Report truncated to fit GitHub's size limit; the [full report](" in text
    assert text.count("<details>") == text.count("</details>")
    assert text.startswith(COMMENT_MARKER + "\n")
