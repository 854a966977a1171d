"""`lanebench report [BASE] HEAD`: render the comment, summary, HTML, CSV or JSON reports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lanebench.errors import EXIT_OK, ConfigError

if TYPE_CHECKING:
    from lanebench.report import ReportContext

ORDER = 25
FORMAT_CHOICES = ("comment", "summary", "html", "csv", "csv-summary", "json", "all")
DEFAULT_DIRECTORY = "lanebench-report"

EPILOG = f"""\
With BASE and HEAD, HEAD is compared against BASE (the same statistics as `lanebench
compare`), the lane's SLA is checked and recommendations are derived. With HEAD alone
the reports show head-only statistics (no baseline yet). --demo renders a built-in
example instead, to preview the formats.

formats:
  comment      the pull request comment (Markdown, at most 65,536 characters)
  summary      the job summary for $GITHUB_STEP_SUMMARY (Markdown, at most 1 MiB)
  html         the self-contained dashboard (inline CSS and SVG, works offline)
  csv          every raw sample, one row per run x benchmark x metric x iteration
  csv-summary  one row per benchmark x metric with statistics and verdict
  json         the comparison document (needs BASE)
  all          every format into the directory given by --output (default {DEFAULT_DIRECTORY}/)

examples:
  lanebench report base.json head.json --format html --output report.html
  lanebench report base.json head.json --format all --output {DEFAULT_DIRECTORY}
  lanebench report head.json --format comment           # no baseline yet
  lanebench report base.json head.json --lane-decision lane.json --config .github/lanebench.yml
  lanebench report --demo --format html --output demo.html
"""


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    p = sub.add_parser(
        "report",
        help="render reports: PR comment, job summary, HTML dashboard, CSV, JSON",
        formatter_class=formatter,
        description="Render the reports of a run from its results files. Writes to --output "
        "(a file, or a directory for --format all); single formats go to stdout by default.",
        epilog=EPILOG,
    )
    p.add_argument("files", nargs="*", type=Path, metavar="[BASE] HEAD",
                   help="results files: baseline and head, or head alone")
    p.add_argument("-f", "--format", choices=FORMAT_CHOICES, default="comment",
                   help="what to render (default: comment)")
    p.add_argument("-o", "--output", type=Path, metavar="PATH",
                   help="file to write (default: stdout), or directory for --format all")
    p.add_argument("--config", type=Path, metavar="PATH",
                   help="config file whose lane settings (thresholds, SLA) to use")
    p.add_argument("--lane", metavar="NAME", help="lane of --config to use (default: HEAD's lane)")
    p.add_argument("--lane-decision", type=Path, metavar="FILE",
                   help="the lane decision as JSON (`lanebench detect --json`), shown with its reasons")
    p.add_argument("--title", default="lanebench", help="report title (default: lanebench)")
    p.add_argument("--key", metavar="KEY",
                   help="comment key, to keep one comment per config on a pull request")
    p.add_argument("--run-url", metavar="URL", help="link to the workflow run")
    p.add_argument("--report-url", metavar="URL", help="link to the full report (artifact)")
    p.add_argument("--demo", action="store_true", help="render a built-in example instead of files")
    p.set_defaults(func=run)


def _lane_decision(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    from lanebench.results import load_json_file

    data = load_json_file(path, "lane decision file")
    if not isinstance(data, dict) or not isinstance(data.get("lane"), str):
        raise ConfigError(f"{path}: expected a lane decision object with a \"lane\" name",
                          hint="write it with `lanebench detect --json`")
    return data


def build_context(args: argparse.Namespace) -> ReportContext:
    """Read the files, compare, check the SLA and derive advice: the report's input."""
    from lanebench.report import ReportContext

    links = {k: v for k, v in (("run", args.run_url), ("report", args.report_url)) if v}
    if args.demo:
        if args.files:
            raise ConfigError("--demo takes no results files", hint="drop the files or --demo")
        from lanebench.report.demo import demo_context

        ctx = demo_context(key=args.key)
        ctx.title = args.title
        ctx.links = links or ctx.links
        return ctx
    if len(args.files) not in (1, 2):
        raise ConfigError(
            f"expected BASE and HEAD results files, or HEAD alone, got {len(args.files)} files",
            hint="e.g. `lanebench report base.json head.json`",
        )
    from lanebench.pipeline import assess
    from lanebench.results import read_results

    base = read_results(args.files[0]) if len(args.files) == 2 else None
    head = read_results(args.files[-1])
    from lanebench.commands._lane_choice import lane_for, optional_config

    lane_name, lane = lane_for(optional_config(args.config), args.lane, head.run.lane)
    decision = _lane_decision(args.lane_decision)
    comparison, sla, advice = assess(base, head, lane, lane_name, lane_decision=decision)
    return ReportContext(
        head=head,
        comparison=comparison,
        base=base,
        sla=sla,
        advice=advice,
        lane=decision if decision is not None else ({"lane": lane_name} if lane_name else None),
        links=links,
        title=args.title,
        key=args.key,
    )


def run(args: argparse.Namespace) -> int:
    from lanebench.atomic_write import write_text_atomic
    from lanebench.report import FORMATS, write_reports

    ctx = build_context(args)
    if args.format == "all":
        directory = args.output or Path(DEFAULT_DIRECTORY)
        if directory.exists() and not directory.is_dir():
            raise ConfigError(f"--output {directory}: not a directory",
                              hint="--format all writes several files; give a directory")
        written = write_reports(ctx, directory)
        for name, path in written.items():
            print(f"{name:12} {path}")
        return EXIT_OK
    text = FORMATS[args.format][1](ctx)
    if args.output is None or str(args.output) == "-":
        sys.stdout.write(text)
    else:
        if args.output.is_dir():
            args.output = args.output / FORMATS[args.format][0]
        write_text_atomic(args.output, text)
        print(f"{args.format} written to {args.output}", file=sys.stderr)
    return EXIT_OK
