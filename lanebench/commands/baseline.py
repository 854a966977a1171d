"""`lanebench baseline`: the main-branch job, measuring every benchmark into the next baseline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lanebench.commands.pr import add_common_arguments, check_common_arguments

ORDER = 6

EPILOG = """\
Measures every benchmark (a lane named `baseline` if the config has one, else the
widest lane's max_iterations, fixed: a `max_iterations` under `defaults:` caps the
built-in lanes, heavy included) and stores the results as the local baseline, which
`lanebench pr` compares against: in a git checkout inside the git directory,
.git/lanebench/baseline/<project folder>/lanebench-results.json, where no checkout,
`git add -A` or `git clean` reaches it and every worktree finds it; outside git in
.lanebench/baseline/ under the project root; or in --store DIR. Results and reports go
to --output-dir, which keeps itself out of git with a .gitignore. On GitHub the action
does the same on a push to the default branch and the workflow uploads the results
directory as an artifact.

examples:
  lanebench baseline --config examples/demo/.github/lanebench.yml
  lanebench baseline --iterations 20 --store /tmp/baseline
"""


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    p = sub.add_parser(
        "baseline",
        help="measure every benchmark and store the results as the baseline",
        formatter_class=formatter,
        description="Run the main-branch job: measure all benchmarks, write reports, save the baseline.",
        epilog=EPILOG,
    )
    add_common_arguments(p)
    p.add_argument("--store", type=Path, metavar="DIR",
                   help="baseline directory (default: .git/lanebench/baseline/<project folder>/, "
                   "or .lanebench/baseline/ in a project outside git)")
    p.add_argument("--no-store", action="store_true", help="write the results only to --output-dir")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lanebench.baseline import LocalBaselineStore
    from lanebench.config import load_config
    from lanebench.pipeline import PipelineRequest, baseline_lane, measure_baseline
    from lanebench.runner import local_run_info, make_progress

    check_common_arguments(args)
    config = load_config(args.config)
    store = LocalBaselineStore(args.store) if args.store else LocalBaselineStore.in_project(config.root)
    older_copy = store.previous_path  # where an older version kept it, while it is the one read
    result = measure_baseline(
        PipelineRequest(
            config=config,
            output_dir=args.output_dir,
            previous_baseline=store.load(),  # carries the main-run history forward
            iterations=args.iterations,
            run_info=local_run_info(config.root, config.path),
            resume=args.resume,
            progress=make_progress(sys.stderr),
        )
    )
    assert result.head is not None
    print(f"results: {result.results_path}")
    if not args.no_store:
        history = baseline_lane(config)[1].history
        moved = f" (the older copy at {older_copy} is no longer read)" if older_copy else ""
        stored = store.save(result.head, keep=history.keep, trend_runs=history.trend_runs)
        print(f"baseline stored: {stored}{moved}")
    failed = [b.name for b in result.head.benchmarks if b.status in ("failed", "timeout")]
    if failed:
        print(f"failed benchmarks: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
