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


def format_cv(cv: float) -> str:
    return "n/a" if cv != cv else f"{cv * 100:.1f}%"


def table_rows(doc: Any, metrics: list[str] | None, show_all: bool) -> list[list[str]]:
    from lanebench.metrics import COMPARED_BY_DEFAULT, metric
    from lanebench.stats.summary import summarize
    from lanebench.units import format_quantity

    rows: list[list[str]] = []
    for bench in doc.benchmarks:
        if metrics:
            names = metrics
        elif show_all:
            names = list(bench.samples)
        else:
            names = [m for m in COMPARED_BY_DEFAULT if m in bench.samples]
        for name in names:
            values = bench.samples.get(name, [])
            summary = summarize(values) if values else None
            unit = metric(name).unit
            rows.append(
                [
                    bench.name,
                    name,
                    str(len(values)),
                    format_quantity(summary.median if summary else None, unit),
                    format_quantity(summary.p95 if summary else None, unit),
                    format_cv(summary.cv if summary and summary.n > 1 else float("nan")),
                ]
            )
    return rows


HEADERS = ["benchmark", "metric", "n", "median", "p95", "CV"]


def plain_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]
    right = {2, 3, 4, 5}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    return "\n".join([line(HEADERS), line(["-" * w for w in widths]), *map(line, rows)])


def run(args: argparse.Namespace) -> int:
    from lanebench.metrics import METRICS
    from lanebench.results import read_results

    doc = read_results(args.file)
    if args.metrics:
        unknown = [m for m in args.metrics if m not in METRICS]
        if unknown:
            raise ConfigError(
                f"unknown metric: {', '.join(unknown)}", hint=f"known: {', '.join(METRICS)}"
            )
    rows = table_rows(doc, args.metrics, args.all)
    run_info = doc.run
    title = f"{args.file}: lane {run_info.lane or '?'}, commit {(run_info.commit or '?')[:12]}"
    if run_info.status != "complete":
        title += f", run {run_info.status}"
    footer: list[str] = []
    for bench in doc.benchmarks:
        if bench.status != "ok":
            footer.append(f"{bench.name}: {bench.status}")
        for failure in bench.failures:
            what = failure.message or failure.status
            footer.append(f"{bench.name}: iteration {failure.iteration} {failure.status}: {what}")
        for note in bench.notes:
            footer.append(f"{bench.name}: {note}")

    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        # Text, not strings: rich would read "[...]" in a name or path as its markup
        table = Table(title=Text(title), title_justify="left")
        for i, header in enumerate(HEADERS):
            table.add_column(header, justify="right" if i >= 2 else "left")
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        console = Console()
        console.print(table)
        for line in footer:
            console.print(line, markup=False, highlight=False)
    else:
        print(title)
        print(plain_table(rows))
        for line in footer:
            print(line)
    return EXIT_OK
