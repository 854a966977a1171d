"""`lanebench history`: main's trends from a baseline's record of main runs: change points,
drift, and (--html) a page of charts."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from lanebench.errors import EXIT_OK, ConfigError, ResultsError

ORDER = 7

EPILOG = """\
Every baseline run on main appends its run to the baseline's record of main runs (the
last 200 by default: `history.trend_runs` of the baseline lane). This command reads that
record and finds, per benchmark x metric, the change points (E-divisive means with a
permutation test) and a creeping drift over the last 20 runs, each judged against the
practical thresholds as a pull request is (docs/trends.md).

SOURCE is a baseline directory (what `lanebench baseline --store` wrote), a results
file, or a baseline artifact downloaded from GitHub (the .zip, e.g. with
`gh run download -n lanebench-baseline` or from the run's page). Without it, the
project's local baseline (as `lanebench baseline` stores it) is read.

examples:
  lanebench history
  lanebench history lanebench-baseline.zip --html trends.html
  lanebench history /tmp/baseline --metric wall --json
"""


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    p = sub.add_parser(
        "history",
        help="change points and drift in main's record of runs",
        formatter_class=formatter,
        description="Read the record of main runs a baseline carries and print its change "
        "points and drifts; --html writes the trend charts.",
        epilog=EPILOG,
    )
    p.add_argument("source", type=Path, nargs="?", default=None, metavar="SOURCE",
                   help="baseline directory, results file or downloaded artifact .zip "
                   "(default: the project's local baseline)")
    p.add_argument("--project", type=Path, default=Path("."), metavar="DIR",
                   help="project whose local baseline is read without SOURCE (default: .)")
    p.add_argument("--config", "-c", type=Path, default=None, metavar="PATH",
                   help="take the practical thresholds from this config's baseline lane "
                   "(default: the built-in thresholds)")
    p.add_argument("--metric", "-m", action="append", dest="metrics", default=None, metavar="NAME",
                   help="analyse this metric only (repeat for several)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--html", type=Path, default=None, metavar="FILE",
                   help="write the trend charts as a self-contained HTML page")
    p.add_argument("--repository-url", default=None, metavar="URL",
                   help="link commits to this repository (https://github.com/OWNER/NAME)")
    p.set_defaults(func=run)


def _load(args: argparse.Namespace, workdir: Path) -> tuple[Any, str]:
    """The results document holding the record, and where it came from."""
    from lanebench.baseline import LocalBaselineStore, read_artifact_zip
    from lanebench.results import read_results

    source: Path | None = args.source
    if source is None:
        store = LocalBaselineStore.in_project(args.project)
        doc = store.load()
        if doc is None:
            raise ConfigError(f"no baseline at {store.path}",
                              hint="run `lanebench baseline` on main first, or name a SOURCE")
        return doc, str(store.previous_path or store.path)
    if not source.exists():
        raise ConfigError(f"{source}: no such file or directory",
                          hint="name a baseline directory, a results file or an artifact .zip")
    if source.is_dir():
        doc = LocalBaselineStore(source).load()
        if doc is None:
            raise ConfigError(f"{source}: no baseline results in this directory",
                              hint="name the directory `lanebench baseline --store` wrote")
        return doc, str(source)
    if source.suffix.lower() == ".zip":
        doc, _ = read_artifact_zip(source, workdir / "artifact", label=f"artifact {source}")
        return doc, str(source)
    return read_results(source), str(source)


def run(args: argparse.Namespace) -> int:
    from lanebench.config.model import Thresholds
    from lanebench.main_trends import main_trends
    from lanebench.metrics import METRICS
    from lanebench.report.terminal_trends import trend_lines, trends_json
    from lanebench.report.trend_section import trend_page_html

    if args.metrics:
        unknown = [m for m in args.metrics if m not in METRICS]
        if unknown:
            raise ConfigError(f"unknown metric: {', '.join(unknown)}", hint=f"known: {', '.join(METRICS)}")
    if args.html is not None and not args.html.parent.resolve().is_dir():
        raise ConfigError(f"--html {args.html}: the directory {args.html.parent} does not exist",
                          hint="create it first, or write the page elsewhere")
    thresholds = Thresholds.model_validate({})  # the built-in thresholds
    if args.config is not None:
        from lanebench.config import load_config
        from lanebench.pipeline import baseline_lane

        thresholds = baseline_lane(load_config(args.config))[1].thresholds
    with tempfile.TemporaryDirectory(prefix="lanebench-history-") as tmp:
        doc, where = _load(args, Path(tmp))
    if doc.main_runs is None or not doc.main_runs.runs:
        raise ResultsError(
            f"{where}: the baseline has no record of main runs",
            hint="baselines written by lanebench 1.3 or later carry one: run `lanebench "
                 "baseline` (or the baseline workflow) on main, and it grows with every run",
        )
    trends = main_trends(doc.main_runs, thresholds, metrics=args.metrics,
                         repository_url=args.repository_url, find_new=False)
    if args.json:
        print(json.dumps(trends_json(trends, source=where), indent=2))
    else:
        for line in trend_lines(trends, source=where):
            print(line)
    if args.html is not None:
        page = trend_page_html(trends.history, trends.report, repository_url=args.repository_url)
        args.html.write_text(page, encoding="utf-8")
        if not args.json:
            print(f"trend page: {args.html}")
    return EXIT_OK
