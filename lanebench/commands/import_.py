"""`lanebench import FORMAT FILE`: a harness's output file as a lanebench results file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

ORDER = 15


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    from lanebench.harness import FORMATS

    p = sub.add_parser(
        "import",
        help="turn a benchmark harness's output file into a results file",
        formatter_class=formatter,
        description=(
            "Read the output file of a benchmark harness (run elsewhere: another CI system, a "
            "laptop) and write a lanebench results file with one benchmark per case, so that "
            "`compare`, `check` and `report` can judge it. A case's samples are the values "
            "the harness kept (of one process: not independent runs, which the comparison "
            "says); a format that keeps only statistics gives no samples, and one value per "
            "case (the custom JSON) allows no test. docs/harnesses.md says what each format "
            f"gives. Formats: {', '.join(FORMATS)}, or auto (detected from the content)."
        ),
        epilog=(
            "examples:\n"
            "  lanebench import pytest-benchmark bench.json -o head.json\n"
            "  lanebench import go bench.txt --prefix gosuite -o base.json\n"
            "  lanebench import custom-bigger-is-better output.json"
        ),
    )
    p.add_argument("format", metavar="FORMAT", help="the harness format, or auto")
    p.add_argument("file", metavar="FILE", type=Path, help="the harness's output file")
    p.add_argument("--output", "-o", type=Path, default=Path("lanebench-results.json"),
                   help="results file to write (default: lanebench-results.json)")
    p.add_argument("--prefix", metavar="NAME",
                   help="name the benchmarks NAME/<case>, as a `harness:` entry called NAME "
                   "does (default: the case names alone)")
    p.add_argument("--commit", help="the commit the harness measured, for the reports")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lanebench import harness
    from lanebench.harness.benchmarks import imported_results
    from lanebench.results import ResultsDocument, RunInfo, write_results
    from lanebench.runner.stages import utc_now

    fmt = None if args.format == "auto" else args.format
    if fmt is not None:
        harness.format_for(fmt)  # an unknown name fails before the file is read
    output = harness.read(args.file, fmt)
    benchmarks = imported_results(output, command=f"imported from {args.file}")
    if args.prefix:
        for b in benchmarks:
            b.name = f"{args.prefix}/{b.name}"
    now = utc_now()
    doc = ResultsDocument(
        run=RunInfo(commit=args.commit, started_at=now, finished_at=now, status="complete"),
        environment={"imported_from": str(args.file), "harness": output.harness,
                     "harness_version": output.version, "harness_context": output.context},
        benchmarks=benchmarks,
    )
    write_results(args.output, doc)
    with_samples = sum(1 for b in benchmarks if b.samples)
    print(f"wrote {args.output}: {len(benchmarks)} case(s) from {output.harness} "
          f"{output.version or '(version not recorded)'}, {with_samples} with samples")
    return 0
