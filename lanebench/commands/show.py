"""`lanebench show`: a results file as a table of n, median, p95 and CV per benchmark and metric."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lanebench.errors import EXIT_OK, ConfigError

ORDER = 35

EPILOG = """\
CV is the coefficient of variation (sample standard deviation / mean): the run's noise.
By default the metrics compared by `lanebench compare` are shown; --metric picks others
(see docs/metrics.md for what each one measures), --all shows every recorded metric.

examples:
  lanebench show lanebench-results.json
  lanebench show head.json --metric wall --metric tree_rss
  lanebench show head.json --all
"""


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    p = sub.add_parser(
        "show",
        help="print a results file as a table",
        formatter_class=formatter,
        description="Print n, median, p95 and CV of each benchmark's samples, per metric, with "
        "units; then failures and notes. A rich table on a terminal, plain text otherwise.",
        epilog=EPILOG,
    )
    p.add_argument("file", type=Path, metavar="FILE", help="results file written by `lanebench run`")
    p.add_argument(
        "--metric", "-m", action="append", dest="metrics", default=None, metavar="NAME",
        help="show this metric (repeat for several)",
    )
    p.add_argument("--all", action="store_true", help="show every recorded metric")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lanebench.metrics import METRICS
    from lanebench.report.terminal import print_results
    from lanebench.results import read_results

    doc = read_results(args.file)
    if args.metrics:
        unknown = [m for m in args.metrics if m not in METRICS]
        if unknown:
            raise ConfigError(
                f"unknown metric: {', '.join(unknown)}", hint=f"known: {', '.join(METRICS)}"
            )
    print_results(doc, args.file, args.metrics, args.all, tty=sys.stdout.isatty())
    return EXIT_OK
