#!/usr/bin/env python3
"""Regenerate the report screenshots in docs/img/ from the built-in demo report.

Renders the HTML dashboard (desktop light, desktop dark, phone) and the PR comment
(Markdown rendered to HTML with markdown-it-py, styled simply; Mermaid blocks show as
code, since GitHub draws them and this page has no script) in headless Chromium, and an
artifact-mode comparison with a calibration too noisy to apply (comment and dashboard),
judged by the real statistics engine.

Needs: chromium and chromium-driver (Debian), selenium and markdown-it-py (the `test`
extra), and a colour emoji font (Debian: fonts-noto-color-emoji) for the status icons.

    python scripts/render_screenshots.py            # writes docs/img/*.png
    python scripts/render_screenshots.py --out /tmp/shots
"""

from __future__ import annotations

import argparse
import base64
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from markdown_it import MarkdownIt  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

from lanebench.advice import recommend  # noqa: E402
from lanebench.baseline import append_history  # noqa: E402
from lanebench.calibration import Calibration  # noqa: E402
from lanebench.config import LaneSettings  # noqa: E402
from lanebench.report import render_comment, render_html  # noqa: E402
from lanebench.report.context import ReportContext  # noqa: E402
from lanebench.report.demo import ENVIRONMENT, demo_context  # noqa: E402
from lanebench.results import BenchmarkResult, ResultsDocument, RunInfo  # noqa: E402
from lanebench.sla import evaluate_sla  # noqa: E402
from lanebench.stats import compare  # noqa: E402

COMMENT_CSS = """
body { margin: 0; background: #fff; color: #1f2328;
  font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
.comment { max-width: 880px; margin: 16px auto; border: 1px solid #d1d9e0; border-radius: 6px; }
.comment header { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px;
  border-radius: 6px 6px 0 0; color: #59636e; }
.comment article { padding: 4px 16px 12px; }
h3 { font-size: 18px; margin: 12px 0; } h4 { font-size: 15px; margin: 18px 0 8px; }
table { border-collapse: collapse; margin: 8px 0; display: block; overflow-x: auto; font-size: 13px; }
th, td { border: 1px solid #d1d9e0; padding: 4px 10px; }
tr:nth-child(2n) td { background: #f6f8fa; }
code, pre { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: #f6f8fa; padding: 10px; border-radius: 6px; overflow-x: auto; }
blockquote { margin: 8px 0; padding: 0 12px; border-left: 4px solid #9a6700; color: #59636e; }
details { margin: 8px 0; } summary { cursor: pointer; }
sub { color: #59636e; }
"""


def start_browser() -> webdriver.Chrome:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        sys.exit("render_screenshots: chromium and chromedriver are needed "
                 "(apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    for arg in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
        f"--user-data-dir={tempfile.mkdtemp(prefix='lanebench-shots-')}",
    ):
        options.add_argument(arg)
    options.binary_location = chromium
    return webdriver.Chrome(options=options, service=Service(driver_path))


def shoot(driver: webdriver.Chrome, page: Path, out: Path, *, width: int, max_height: int,
          dark: bool = False) -> None:
    scheme = "dark" if dark else "light"
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
    driver.set_window_size(width, 900)
    driver.get(page.as_uri())
    client_width = driver.execute_script("return document.documentElement.clientWidth")
    height = min(driver.execute_script("return document.documentElement.scrollHeight"), max_height)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": client_width, "height": height, "scale": 1},
    })
    out.write_bytes(base64.b64decode(shot["data"]))
    print(f"{out}  {client_width}x{height}")


def comment_page(markdown: str) -> str:
    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>PR comment</title><style>{COMMENT_CSS}</style></head><body>"
        '<div class="comment"><header><b>github-actions</b> bot commented</header>'
        f"<article>{body}</article></div></body></html>"
    )


def noisy_calibration_context() -> ReportContext:
    """An artifact-mode comparison judged by the real statistics engine: one machine, one
    main run of history, a reference workload whose own times scatter by 12% (too noisy to
    apply), a benchmark 2.5x slower, one 12% slower and one unchanged."""
    rng = np.random.default_rng(14)
    env = {**ENVIRONMENT, "machine_id": "boot:5b0d6a0c2f1e7a93"}
    typical = {"parse": 0.52, "render": 0.31, "startup": 0.18}
    change = {"parse": 2.5, "render": 1.12, "startup": 1.0}

    def run(commit: str, slower: dict[str, float], cal_center: float) -> ResultsDocument:
        benches = []
        for name, t in typical.items():
            wall = t * slower.get(name, 1.0) * np.exp(rng.normal(0.0, 0.06, 15))
            benches.append(BenchmarkResult(name=name, command=["python3", f"bench/{name}.py"], samples={
                "wall": [float(x) for x in wall], "cpu": [float(x) * 0.93 for x in wall],
                "maxrss": [float(x) for x in 48e6 * np.exp(rng.normal(0.0, 0.002, 15))],
            }))
        cal = [float(x) for x in cal_center * np.exp(rng.normal(0.0, 0.12, 10))]
        calibration = Calibration(workload=1, python="3.11.11", wall=cal, cpu=[c * 0.97 for c in cal],
                                  phases=["start"] * 3 + ["between"] * 3 + ["end"] * 4)
        return ResultsDocument(run=RunInfo(commit=commit, ref="main" if commit.startswith("4f") else "feature/x",
                                           lane="standard", finished_at=commit),
                               environment=dict(env), benchmarks=benches,
                               extra={"calibration": calibration.to_dict()})

    base = append_history(None, run("4f1c2d9e", {}, 0.110))
    head = run("9a8b7c6d", change, 0.094)
    lane = LaneSettings()
    comparison = compare(base, head, lane=lane, lane_name="standard", metrics=("wall", "cpu", "maxrss"))
    sla = evaluate_sla(lane, head, comparison, lane_name="standard")
    return ReportContext(
        head=head, base=base, comparison=comparison, sla=sla,
        advice=recommend(comparison, head, base, sla),
        lane={"lane": "standard", "reasons": ["3 code files changed (needs 6 or more for heavy)"]},
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img", help="output directory")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="lanebench-shots-"))
    ctx = demo_context()
    dashboard = work / "report.html"
    dashboard.write_text(render_html(ctx), encoding="utf-8")
    comment = work / "comment.html"
    comment.write_text(comment_page(render_comment(ctx)), encoding="utf-8")
    artifact = noisy_calibration_context()
    artifact_comment = work / "comment-artifact.html"
    artifact_comment.write_text(comment_page(render_comment(artifact)), encoding="utf-8")
    artifact_dashboard = work / "report-artifact.html"
    artifact_dashboard.write_text(render_html(artifact), encoding="utf-8")
    driver = start_browser()
    try:
        shoot(driver, dashboard, args.out / "dashboard.png", width=1200, max_height=2200)
        shoot(driver, dashboard, args.out / "dashboard-dark.png", width=1200, max_height=1400, dark=True)
        shoot(driver, dashboard, args.out / "dashboard-phone.png", width=390, max_height=2400)
        shoot(driver, comment, args.out / "comment.png", width=960, max_height=2600)
        shoot(driver, artifact_comment, args.out / "comment-artifact.png", width=960, max_height=1500)
        shoot(driver, artifact_dashboard, args.out / "dashboard-artifact.png", width=1200, max_height=1300)
    finally:
        driver.quit()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
