"""`lanebench merge`: the results files of a run's shards, put back into one."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lanebench.commands._output import check_output_file
from lanebench.errors import EXIT_OK

ORDER = 12

EPILOG = """\
what it checks:
  Every shard of the split exactly once (shard 3 of 4 missing or interrupted: exit 1,
  "incomplete"), all measured at one commit, planned from one config and one split,
  in one lane, and no benchmark in two shards (exit 2, naming the shard). The merged
  file keeps each shard's environment and calibration: a comparison corrects each
  benchmark for the speed of the runner that measured it.

examples:
  lanebench merge shard-1.json shard-2.json shard-3.json shard-4.json -o head.json
  lanebench merge lanebench-shards/ -o head.json     # artifacts downloaded into one folder
  lanebench pr --results head.json                   # then judge the whole run
"""


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    p = sub.add_parser(
        "merge",
        help="merge the results files of a run's shards (`run --shard K/N`) into one",
        formatter_class=formatter,
        description="Read the results file of every shard of one run (files, or directories "
        "holding lanebench-results.json files) and write one results file for the whole run.",
        epilog=EPILOG,
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_DIR",
                   help="a shard's results file, or a directory searched for them")
    p.add_argument("--output", "-o", type=Path, required=True, metavar="OUT",
                   help="the merged results file to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lanebench.results import write_results
    from lanebench.shards import merge_shard_files

    check_output_file(args.output, "--output")
    merged = merge_shard_files(args.paths)
    write_results(args.output, merged)
    shards = merged.shards or []
    print(f"wrote {args.output}: {len(shards)} shards, {len(merged.benchmarks)} benchmark(s), "
          f"commit {(merged.run.commit or 'unknown')[:12]}, lane {merged.run.lane}")
    return EXIT_OK
