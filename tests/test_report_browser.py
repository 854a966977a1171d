"""The HTML dashboard in a real headless Chromium: charts drawn, no errors, phone and dark mode."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanebench.report import render_html
from lanebench.report.demo import demo_context, docs_skipped_context

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e .[test])")

pytestmark = [
    pytest.mark.slow,  # a real browser
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="Chromium or chromedriver not found (apt-get install chromium chromium-driver)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    profile = tempfile.mkdtemp(prefix="lanebench-chromium-")
    for arg in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(driver: object, path: Path, width: int, dark: bool = False) -> None:
    scheme = "dark" if dark else "light"
    driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )
    driver.set_window_size(width, 900)  # type: ignore[attr-defined]
    driver.get(path.as_uri())  # type: ignore[attr-defined]
    driver.get_log("browser")  # type: ignore[attr-defined]


SIZES = """
return Array.from(document.querySelectorAll(arguments[0])).map(function (el) {
  var r = el.getBoundingClientRect();
  return [r.width, r.height];
});
"""


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(demo_context(cross_machine=True)), encoding="utf-8")
    return path


def test_charts_render_with_size_and_no_console_errors(browser: object, dashboard: Path) -> None:
    open_page(browser, dashboard, 1280)
    driver = browser
    logs = driver.get_log("browser")  # type: ignore[attr-defined]
    assert [entry for entry in logs if entry["level"] in ("SEVERE", "WARNING")] == []
    forests = driver.execute_script(SIZES, ".forest")  # type: ignore[attr-defined]
    assert len(forests) == 5  # wall, cpu, maxrss, read_chars, write_chars
    # Metrics with a change are open and drawn; all-unchanged ones (I/O here) start collapsed.
    bars = driver.execute_script(SIZES, "details[open] svg.fbar")  # type: ignore[attr-defined]
    assert len(bars) == 15 and all(w > 400 and h >= 20 for w, h in bars)
    # The estimate's dot is painted: hit-testing just beside its centre finds it (the stroke).
    hits = driver.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.querySelectorAll('details[open] svg.fbar .pt')).map(function (p) {"
        "  var r = p.getBoundingClientRect(); p.scrollIntoView({block: 'center'});"
        "  r = p.getBoundingClientRect();"
        "  var el = document.elementFromPoint(r.left + 3, r.top - 3);"
        "  return el === p; });"
    )
    assert len(hits) == 15 and all(hits)
    # Distribution plots in the open cards (notable benchmarks) are laid out and visible.
    dists = driver.execute_script(SIZES, "details[open] svg.dist")  # type: ignore[attr-defined]
    assert len(dists) >= 15 and all(w > 200 and h > 40 for w, h in dists)
    # Every sample is drawn: points as path segments with a real bounding box.
    boxes = driver.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.querySelectorAll('details[open] path.pts:not(.out):not(.hole)'))"
        ".map(function (p) { var b = p.getBBox(); return b.width * b.height; });"
    )
    assert boxes and all(area > 0 for area in boxes)
    segments = driver.execute_script(  # type: ignore[attr-defined]
        "var p = document.querySelector('details[open] .lane-head path.pts');"
        "return (p.getAttribute('d').match(/h0/g) || []).length;"
    )
    assert 20 <= segments <= 30  # 30 head samples of build, minus hollow-drawn outliers
    # Nothing was fetched: the page is self-contained.
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0  # type: ignore[attr-defined]


def test_phone_width_has_no_sideways_scrolling(browser: object, dashboard: Path) -> None:
    open_page(browser, dashboard, 390)
    driver = browser
    scroll_w, client_w = driver.execute_script(  # type: ignore[attr-defined]
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_w <= client_w
    panels = driver.execute_script(SIZES, "details[open] .panel")  # type: ignore[attr-defined]
    assert panels and all(w <= client_w for w, _ in panels)  # one column of panels
    # Forest bars span the phone's width (names moved above them), and every dot is on screen.
    bars = driver.execute_script(SIZES, "details[open] svg.fbar")  # type: ignore[attr-defined]
    assert all(300 <= w <= client_w for w, _ in bars)
    right_edges = driver.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.querySelectorAll('details[open] svg.fbar .pt'))"
        ".map(function (p) { return p.getBoundingClientRect().right; });"
    )
    assert right_edges and max(right_edges) <= client_w


def test_dark_mode_follows_the_system(browser: object, dashboard: Path) -> None:
    open_page(browser, dashboard, 1280, dark=True)
    driver = browser
    bg = driver.execute_script("return getComputedStyle(document.body).backgroundColor")  # type: ignore[attr-defined]
    assert bg == "rgb(13, 17, 23)"
    fill = driver.execute_script(  # type: ignore[attr-defined]
        "return getComputedStyle(document.querySelector('svg.dist .tick text')).fill"
    )
    assert fill == "rgb(145, 152, 161)"  # chart text follows the theme too
    open_page(browser, dashboard, 1280, dark=False)
    bg = driver.execute_script("return getComputedStyle(document.body).backgroundColor")  # type: ignore[attr-defined]
    assert bg == "rgb(255, 255, 255)"


def test_skipped_run_page_opens_cleanly(browser: object, tmp_path: Path) -> None:
    path = tmp_path / "skipped.html"
    path.write_text(render_html(docs_skipped_context()), encoding="utf-8")
    open_page(browser, path, 1280)
    driver = browser
    assert driver.get_log("browser") == []  # type: ignore[attr-defined]
    status = driver.execute_script("return document.getElementById('status').textContent")  # type: ignore[attr-defined]
    assert "skipped (docs lane)" in status
