"""The trend charts in a real headless Chromium: drawn, no errors, nothing fetched, phone and dark mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanebench.report.trend_section import trend_page_html
from lanebench.stats.trends import analyse
from tests.test_report_browser import CHROMEDRIVER, CHROMIUM, SIZES, browser, open_page
from tests.trend_histories import step_history

__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with the dashboard's tests

pytestmark = [
    pytest.mark.slow,  # a real browser
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="Chromium or chromedriver not found (apt-get install chromium chromium-driver)",
    ),
]
CREEP = {40: 1.01, 44: 1.01, 48: 1.01, 52: 1.01, 56: 1.01}


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    history = step_history(60, steps={15: 1.06}, creep=CREEP, noise=0.005,
                           extra={"flat": 0.2, "<img src=x onerror=alert(1)>": 0.3})
    report = analyse(history)
    # the charted benchmark: the +6% step is found, with the smaller steps of the creep
    assert [c.first_bad[:7] for c in report.alerts] == ["000000f"] and report.drifts
    path = tmp_path_factory.mktemp("trends") / "history.html"
    path.write_text(trend_page_html(history, report, repository_url="https://github.com/o/r"),
                    encoding="utf-8")
    return path


def test_trend_charts_are_drawn_without_errors_or_requests(browser: object, page: Path) -> None:
    open_page(browser, page, 1280)
    driver = browser
    assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []  # type: ignore[attr-defined]
    charts = driver.execute_script(SIZES, "details[open] svg.trend")  # type: ignore[attr-defined]
    assert len(charts) == 1 and all(w > 600 and h > 150 for w, h in charts)
    # every run's dot is painted: hit-testing at its centre finds it
    hits = driver.execute_script(  # type: ignore[attr-defined]
        "var pts = Array.from(document.querySelectorAll('details[open] svg.trend .runs .pt'));"
        "pts[0].scrollIntoView({block: 'center'});"
        "return pts.map(function (p) { var r = p.getBoundingClientRect();"
        "  var el = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
        "  return el === p; });"
    )
    assert len(hits) == 60 and all(hits)
    rules = driver.execute_script(SIZES, "details[open] svg.trend .cp path")  # type: ignore[attr-defined]
    groups = driver.execute_script(  # type: ignore[attr-defined]
        "return document.querySelectorAll('details[open] svg.trend .cp').length")
    assert len(rules) == groups >= 1 and all(h > 100 for _, h in rules)  # dashed rules across the plot
    window = driver.execute_script(SIZES, "details[open] svg.trend rect.window")  # type: ignore[attr-defined]
    assert len(window) == 1 and window[0][0] > 100  # the drift's 21 runs, shaded
    colour = driver.execute_script(  # type: ignore[attr-defined]
        "return getComputedStyle(document.querySelector('svg.trend .cp.v-regression path')).stroke")
    assert colour == "rgb(207, 34, 46)"  # a regression's rule is red
    links = driver.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.querySelectorAll('details[open] .trend-findings a')).map(a => a.href)")
    assert "https://github.com/o/r/commit/000000fc0ffeec0ffeec0ffeec0ffeec0ffeec" in links
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0  # type: ignore[attr-defined]
    assert driver.execute_script("return document.querySelectorAll('img').length") == 0  # type: ignore[attr-defined]


def test_trend_page_on_a_phone_scrolls_the_chart_not_the_page(browser: object, page: Path) -> None:
    open_page(browser, page, 390)
    driver = browser
    scroll_w, client_w = driver.execute_script(  # type: ignore[attr-defined]
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll_w <= client_w
    (chart,) = driver.execute_script(SIZES, "details[open] svg.trend")  # type: ignore[attr-defined]
    assert chart[0] >= 540  # readable: wider than the phone, inside its own scroll box


def test_trend_chart_follows_dark_mode(browser: object, page: Path) -> None:
    open_page(browser, page, 1280, dark=True)
    driver = browser
    fill = driver.execute_script(  # type: ignore[attr-defined]
        "return getComputedStyle(document.querySelector('svg.trend .tick text')).fill")
    dot = driver.execute_script(  # type: ignore[attr-defined]
        "return getComputedStyle(document.querySelector('svg.trend .runs .pt')).stroke")
    assert (fill, dot) == ("rgb(145, 152, 161)", "rgb(68, 147, 248)")
