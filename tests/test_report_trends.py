"""Trend pictures, pure: the SVG chart, the HTML section and the Mermaid trend line."""

from __future__ import annotations

import re

from markupsafe import escape

from lanebench.history_store import History
from lanebench.report.mermaid import history_chart
from lanebench.report.svg import TrendLevel, TrendMark, TrendRun, trend_svg
from lanebench.report.trend_section import trend_page_html, trend_section, trend_section_html
from lanebench.stats.trends import analyse
from tests.trend_histories import commit, step_history

CREEP = {40: 1.01, 44: 1.01, 48: 1.01, 52: 1.01, 56: 1.01}
REPO = "https://github.com/o/r"
HOSTILE = '<script>alert(1)</script> "q" ]'


def both() -> History:
    """60 runs: parse +6% at 15 then creeping +5% over the last 20; two flat benchmarks."""
    return step_history(60, steps={15: 1.06}, creep=CREEP, noise=0.005,
                        extra={"flat": 0.2, HOSTILE: 0.3})


# --- the SVG --------------------------------------------------------------------------------


def test_trend_svg_draws_each_run_its_levels_and_change_points() -> None:
    runs = [TrendRun(1.0 + (i >= 5) * 0.1, 0.98, 1.12, f"run {i} <b>") for i in range(10)]
    svg = trend_svg(runs, marks=[TrendMark(5, "regression", "+10.0%")],
                    levels=[TrendLevel(0, 5, 1.0), TrendLevel(5, 10, 1.1)], window=(3, 9),
                    window_verdict="regression", unit="s", x_labels=[(0, "aaaaaaa"), (9, "bbbbbbb")],
                    title="parse & co")
    assert svg.startswith('<svg class="trend"') and "<title>parse &amp; co</title>" in svg
    assert svg.count('<path class="pt"') == 10 and svg.count('<path class="ci"') == 10
    assert "<title>run 3 &lt;b&gt;</title>" in svg  # each run's tooltip, escaped
    assert svg.count('class="level"') == 2 and svg.count('class="cp v-regression"') == 1
    assert ">+10.0%</text>" in svg and 'class="window v-regression"' in svg
    assert ">aaaaaaa</text>" in svg and "s</text>" in svg  # axis in seconds


def test_trend_svg_without_runs_is_empty() -> None:
    assert trend_svg([], unit="s", title="t") == ""


# --- the HTML section -----------------------------------------------------------------------


def test_section_charts_alerts_first_with_commit_links() -> None:
    history = both()
    section = trend_section(history, analyse(history), repository_url=REPO)
    assert section.runs == 60 and section.alerts == 2
    first = section.charts[0]
    assert (first.benchmark, first.alert) == ("parse", True)
    regression = next(c for c in first.changes if c.verdict == "regression")
    assert regression.first_bad.url == f"{REPO}/commit/{commit(15)}"
    assert regression.compare_url == f"{REPO}/compare/{commit(14)}...{commit(15)}"
    assert first.drift is not None and first.drift.verdict == "regression"
    assert first.drift.until.sha == commit(59)
    assert {c.benchmark for c in section.charts[1:]} == {"flat", HOSTILE}
    assert all(not c.alert for c in section.charts[1:])


def test_section_html_links_escapes_and_opens_only_alerted_cards() -> None:
    history = both()
    html = trend_section_html(history, analyse(history), repository_url=REPO)
    assert html.startswith('<section id="trends">')
    assert f'<a href="{REPO}/commit/{commit(15)}"><code>{commit(15)[:7]}</code></a>' in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<details class=\"card trend-card\" open>") == 1
    assert html.count("<svg class=\"trend\"") == 3


def test_section_without_a_repository_names_commits_without_links() -> None:
    history = both()
    html = trend_section_html(history, analyse(history))
    assert "<a href" not in html and f"<code>{commit(15)[:7]}</code>" in html


def test_normalised_runs_carry_their_interval_scaled_by_calibration() -> None:
    history = step_history(20, steps={})
    chart = trend_section(history, analyse(history)).charts[0]
    run = history.runs[3]
    point = run.benchmarks["parse"].metrics["wall"]
    factor = run.runners[0].calibration["wall"]
    tip = f"{point.median / factor:.4g}× calibration (median's interval {point.low / factor:.4g}× calibration"
    assert escape(tip) in chart.svg
    assert "multiples of it" in " ".join(chart.notes)


def test_beyond_max_charts_the_quiet_series_are_counted_not_drawn() -> None:
    history = both()
    section = trend_section(history, analyse(history), max_charts=1)
    assert [c.benchmark for c in section.charts] == ["parse"] and section.hidden == 2
    assert "2 more series without alerts are not drawn" in trend_section_html(
        history, analyse(history), max_charts=1)


def test_a_short_history_says_why_there_are_no_change_points() -> None:
    history = step_history(6, steps={})
    html = trend_section_html(history, analyse(history))
    assert "6 runs: a change point needs at least 10" in html


def test_an_empty_history_is_a_page_that_says_so() -> None:
    page = trend_page_html(History(), analyse(History()))
    assert page.startswith("<!DOCTYPE html>") and "No main runs recorded yet." in page


# --- the Mermaid trend line -----------------------------------------------------------------


def chart_parts(text: str) -> tuple[str, list[str], list[float]]:
    lines = text.splitlines()
    assert lines[0] == "```mermaid" and lines[1] == "xychart-beta" and lines[-1] == "```"
    assert re.fullmatch(r'    y-axis "change %" -?\d+ --> -?\d+', lines[4])
    title = re.fullmatch(r'    title "([^"]*)"', lines[2])
    labels = re.fullmatch(r"    x-axis \[(.*)\]", lines[3])
    values = re.fullmatch(r"    line \[(.*)\]", lines[5])
    assert title and labels and values
    names = re.findall(r'"([^"\[\]]*)"', labels.group(1))
    assert labels.group(1) == ", ".join(f'"{n}"' for n in names)  # every label quoted, none broken
    return title.group(1), names, [float(v) for v in values.group(1).split(", ")]


def test_mermaid_history_chart_is_one_line_over_the_last_runs_with_the_change_marked() -> None:
    history = step_history(45, steps={25: 1.08}, extra={"flat": 0.2, HOSTILE: 0.3})
    title, labels, values = chart_parts(history_chart(history, analyse(history), runs=30))
    assert len(labels) == len(values) == 30 and values[0] == 0.0
    assert labels[0] == commit(15)[:7] and labels[-1] == commit(44)[:7]
    assert labels[10] == f"{commit(25)[:7]} +8% parse"  # the run the regression begins at
    assert "geometric mean of 3 benchmarks" in title and "per calibration time" in title
    # the step shows: the level after it is above the level before it
    assert sum(values[10:]) / 20 > sum(values[:10]) / 10 + 1.5


def test_mermaid_history_chart_adds_this_pull_request() -> None:
    history = step_history(20, steps={})
    current = {"parse": history.runs[-1].benchmarks["parse"].metrics["wall"].median / 0.1 * 1.2}
    _, labels, values = chart_parts(history_chart(history, analyse(history), runs=10, current=current))
    assert labels[-1] == "this PR" and len(values) == 11


def test_mermaid_history_chart_needs_two_runs_of_the_metric() -> None:
    one = step_history(1, steps={})
    assert history_chart(one, analyse(one)) is None
    history = step_history(20, steps={})
    assert history_chart(history, analyse(history), metric="cpu") is None
