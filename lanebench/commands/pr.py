"""`lanebench pr`: the pull-request job on a local machine (lane, measure, compare, check, report)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lanebench.config import DEFAULT_CONFIG_PATH

if TYPE_CHECKING:
    from lanebench.changes import ChangeSet
    from lanebench.pipeline import PipelineResult
    from lanebench.results import ResultsDocument

ORDER = 5

EPILOG = """\
The same job the GitHub Action runs on a pull request, with no GitHub involved. The
change set comes from `git diff BASE...HEAD`: BASE is --base, else the --paired ref,
else the branch a pull request would merge into (the remote's default branch,
origin/HEAD, else origin/main, origin/master, main or master; the output says which),
and when HEAD has no commits of its own on top of it, every benchmark runs. The
baseline comes from the local baseline `lanebench baseline` wrote (in the git
directory, .git/lanebench/baseline/<project folder>/; outside git .lanebench/baseline/
under the project root) or --baseline FILE. Reports (comment.md, summary.md, HTML, CSV,
JSON) are written under --output-dir/report/.

exit status:
  0 the gate passes (or the lane was skipped, or there is no baseline yet), 1 the gate
  fails under fail_on (e.g. a regression), 2 a usage/config/input error, 3 git failed.

examples:
  lanebench pr --config examples/demo/.github/lanebench.yml
  lanebench pr --base origin/main                 # lane from the branch's changes
  lanebench pr --base main --label lanebench:heavy
  lanebench pr --baseline main-results.json --fail-on warning
  lanebench pr --paired main                      # measure main beside head, interleaved

--paired REF measures the base commit REF beside head in this job (a temporary git
worktree, base and head interleaved) and judges the pairs with the paired signed-rank
test: no baseline file, no runner-to-runner noise, about twice the time. A lane with
`comparison: paired` does the same with --base REF. See docs/noise.md.
"""


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    p = sub.add_parser(
        "pr",
        help="run the pull-request job locally: lane, measure, compare, check, report",
        formatter_class=formatter,
        description="Decide the change's lane, measure the lane's benchmarks, compare them with "
        "the baseline, check the SLA and write the reports.",
        epilog=EPILOG,
    )
    add_common_arguments(p)
    p.add_argument(
        "--base", metavar="REF",
        help="git ref the change is based on, for the lane (default: --paired REF, else the "
        "remote's default branch origin/HEAD, else origin/main, origin/master, main, master)",
    )
    p.add_argument("--head", metavar="REF", default="HEAD", help="git ref of the change (default HEAD)")
    p.add_argument("--label", action="append", default=[], metavar="LABEL", help="a PR label (repeatable)")
    p.add_argument("--lane", metavar="NAME", help="force a lane instead of detecting it")
    p.add_argument(
        "--paired", metavar="REF",
        help="measure git ref REF beside head, interleaved, and compare the pairs (no baseline file)",
    )
    p.add_argument(
        "--baseline", type=Path, metavar="PATH",
        help="baseline results file or directory (default: the one `lanebench baseline` stores)",
    )
    p.add_argument(
        "--results", type=Path, metavar="FILE",
        help="judge this results file (from `lanebench run`) instead of measuring",
    )
    p.add_argument(
        "--fail-on", choices=("critical", "warning", "never"), default=None,
        help="which SLA status fails (default: the lane's fail_on)",
    )
    p.set_defaults(func=run)


def check_common_arguments(args: argparse.Namespace) -> None:
    """What can be checked before anything is measured."""
    from lanebench.commands._output import check_output_directory
    from lanebench.config.model import MAX_ITERATIONS, checked_override

    if args.iterations is not None:
        checked_override("--iterations", args.iterations, 1, MAX_ITERATIONS)
    check_output_directory(args.output_dir, "--output-dir")


def add_common_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config", "-c", type=Path, default=None, metavar="PATH",
        help=f"config file (default: {DEFAULT_CONFIG_PATH})",
    )
    p.add_argument("--iterations", "-n", type=int, default=None, metavar="N",
                   help="measured iterations per benchmark (min = max = N)")
    p.add_argument(
        "--output-dir", "-o", type=Path, default=Path("lanebench-results"), metavar="DIR",
        help="where results and reports go (default: lanebench-results)",
    )
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its checkpoint")


def load_baseline(path: Path | None, root: Path) -> tuple[ResultsDocument | None, str]:
    from lanebench.baseline import LocalBaselineStore
    from lanebench.results import read_results

    if path is not None and path.is_file():
        return read_results(path), str(path)
    store = LocalBaselineStore(path) if path is not None else LocalBaselineStore.in_project(root)
    doc = store.load()
    if doc is None:
        return None, f"no baseline at {store.path}: create one with `lanebench baseline`"
    if store.previous_path is not None:
        return doc, (f"{store.previous_path} (where older versions kept it; the next "
                     f"`lanebench baseline` stores it in {store.directory}/)")
    return doc, str(store.path)


def run(args: argparse.Namespace) -> int:
    from lanebench.config import load_config
    from lanebench.pipeline import PipelineRequest, judge_change
    from lanebench.runner import local_run_info, make_progress

    check_common_arguments(args)
    config = load_config(args.config)
    change_set, base, base_line = branch_change_set(args, config.root)
    if args.label:
        from lanebench.changes import ChangeSet

        change_set = (change_set or ChangeSet(complete=False, source="labels only")).with_labels(args.label)
    baseline, source = load_baseline(args.baseline, config.root)
    result = judge_change(
        PipelineRequest(
            config=config,
            output_dir=args.output_dir,
            change_set=change_set,
            forced_lane=args.lane,
            iterations=args.iterations,
            baseline=baseline,
            baseline_source=source,
            head_results=args.results,
            run_info=local_run_info(config.root, config.path),
            fail_on=args.fail_on,
            resume=args.resume,
            progress=make_progress(sys.stderr),
            comparison="paired" if args.paired else None,
            paired_base=args.paired or base,  # --paired REF is measured, whatever --base says
        )
    )
    if result.comparison is not None and result.comparison.settings.get("comparison") == "paired":
        paired = result.comparison.head_run.get("paired") or {}
        source = f"paired with {paired.get('base_ref') or args.paired} ({str(paired.get('base_commit'))[:12]})"
    print_outcome(result, base_line=base_line,
                  baseline_note=source if baseline is None else f"baseline: {source}")
    return result.exit_code


def branch_change_set(
    args: argparse.Namespace, root: Path
) -> tuple[ChangeSet | None, str | None, str]:
    """The change set the lane is decided from, the base ref, and a line saying which base
    was used and why. The base is --base, else --paired's ref, else the branch a pull request
    would merge into, found as the action's pull request has it (the remote's default branch)."""
    from lanebench.changes import change_set_from_git, default_base

    if args.base or args.paired:
        base = args.base or args.paired
        change_set = change_set_from_git(root, base, args.head)
        how = "--base" if args.base else "--paired"
        return change_set, base, f"base: {base} ({how}; merge base {change_set.refs['merge_base'][:12]})"
    base, how = default_base(root)
    if base is None:
        return None, None, f"base: none found ({how}), so every benchmark runs; pass --base REF"
    change_set = change_set_from_git(root, base, args.head)
    merge_base = change_set.refs["merge_base"]
    if merge_base == change_set.refs["head_sha"]:
        # The head is on the base branch itself: there is no branch to judge, only code to measure.
        return None, base, (f"base: {base} ({how}), but {args.head} has no commits of its own, "
                            "so every benchmark runs; pass --base REF to judge a branch")
    return change_set, base, f"base: {base} ({how}; merge base {merge_base[:12]})"


def print_outcome(result: PipelineResult, *, base_line: str, baseline_note: str) -> None:
    """The report's headline on stdout, in plain text, then the base and lane, the baseline,
    and where the reports are."""
    from lanebench.report.escape import plain_line

    print(result.headline)
    print(plain_line(base_line))
    decision = result.decision
    print(plain_line(f"lane: {decision.lane} ({decision.reason})" if decision else "lane: -"))
    print(baseline_note)
    if result.results_path is not None:
        print(f"results: {result.results_path}")
    for name in ("html", "comment", "summary"):
        if name in result.reports:
            print(f"{name}: {result.reports[name]}")
