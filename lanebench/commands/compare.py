"""`lanebench compare BASE HEAD`: verdicts per benchmark and metric, a table and a JSON file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lanebench.errors import EXIT_FAIL, EXIT_OK, ConfigError

if TYPE_CHECKING:
    from lanebench.config import LaneSettings

ORDER = 20
DEFAULT_OUTPUT = "lanebench-comparison.json"

EPILOG = """\
Each benchmark x metric present in both files is tested (Mann-Whitney U by default),
p-values are adjusted across all of them (Holm by default), and the change is the
Hodges-Lehmann ratio head/base with its confidence interval. Verdicts:
  regression    significant (adjusted p < alpha) and the interval reaches +threshold
  improvement   the same, downwards
  unchanged     the whole interval lies within +/- threshold
  inconclusive  neither: more iterations would tell
See docs/statistics.md for the rules and their measured error rates.

Exit status: 0 no regression, 1 at least one regression, 2 bad input (missing or
truncated file, unknown schema, bad option).

examples:
  lanebench compare baseline.json lanebench-results.json
  lanebench compare base.json head.json --config .github/lanebench.yml --lane heavy
  lanebench compare base.json head.json --metrics wall,cpu --threshold-time 3%
  lanebench compare base.json head.json --test welch-log --correction bh -o cmp.json
"""

def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    p = sub.add_parser(
        "compare",
        help="compare two results files and print verdicts",
        formatter_class=formatter,
        description="Compare a head results file against a baseline: significance tests with "
        "multiple-testing control and practical thresholds. Prints a table and writes the "
        "comparison as JSON; every number in it is reproducible from the two files' samples.",
        epilog=EPILOG,
    )
    p.add_argument("base", type=Path, metavar="BASE", help="baseline results file (e.g. from main)")
    p.add_argument("head", type=Path, metavar="HEAD", help="results file to judge")
    p.add_argument("--config", type=Path, metavar="PATH",
                   help="config file whose lane settings to use (default: built-in defaults)")
    p.add_argument("--lane", metavar="NAME",
                   help="lane of --config to use (default: the lane recorded in HEAD, else "
                   "'standard', else the fallback lane)")
    p.add_argument("--test", choices=("mann-whitney", "welch-log"), help="two-sample test")
    p.add_argument("--correction", choices=("holm", "bh"),
                   help="multiple-testing control: holm (family-wise) or bh (false discovery rate)")
    p.add_argument("--alpha", type=float, metavar="A", help="significance level (default 0.05)")
    for kind, default in (("time", 5), ("memory", 10), ("io", 10), ("count", 10)):
        p.add_argument(f"--threshold-{kind}", metavar="PCT",
                       help=f"practical threshold for {kind} metrics (default {default}%%)")
    from lanebench.metrics import COMPARED_BY_DEFAULT

    p.add_argument("--metrics", metavar="LIST",
                   help=f"comma-separated metrics to compare (default: {','.join(COMPARED_BY_DEFAULT)})")
    p.add_argument("-o", "--output", type=Path, default=Path(DEFAULT_OUTPUT), metavar="PATH",
                   help=f"where to write the comparison JSON (default {DEFAULT_OUTPUT})")
    p.set_defaults(func=run)


def _apply_overrides(lane: LaneSettings, args: argparse.Namespace) -> LaneSettings:
    """The lane's settings with the command-line options on top, validated like the config."""
    from pydantic import ValidationError

    from lanebench.config import LaneSettings, StatsSettings, Thresholds
    from lanebench.config import format_validation_errors as fmt

    stats = lane.stats.model_dump()
    for key in ("test", "correction", "alpha"):
        if getattr(args, key) is not None:
            stats[key] = getattr(args, key)
    thresholds = lane.thresholds.model_dump()
    for kind in ("time", "memory", "io", "count"):
        value = getattr(args, f"threshold_{kind}")
        if value is not None:
            thresholds[kind] = value
    try:
        new_stats = StatsSettings.model_validate(stats)
        new_thresholds = Thresholds.model_validate(thresholds)
    except ValidationError as exc:
        first = fmt(exc, stats)[0]
        key, _, rest = first.partition(":")
        option = {"alpha": "--alpha"}.get(key, f"--threshold-{key}")
        raise ConfigError(f"{option}:{rest}") from None
    fields = {k: getattr(lane, k) for k in LaneSettings.model_fields}
    fields.update(stats=new_stats, thresholds=new_thresholds)
    return LaneSettings.model_construct(**fields)


def _metric_list(raw: str | None, base: Any, head: Any) -> list[str] | None:
    from lanebench.metrics import METRICS

    if raw is None:
        return None
    names = [m.strip() for m in raw.split(",") if m.strip()]
    if not names:
        raise ConfigError("--metrics: expected a comma-separated list like wall,cpu")
    recorded = {m for doc in (base, head) for b in doc.benchmarks for m in b.samples}
    for name in names:
        if name not in METRICS and name not in recorded:
            known = ", ".join(sorted(set(METRICS) | recorded))
            raise ConfigError(f"--metrics: unknown metric {name!r}", hint=f"known: {known}")
    return names


def run(args: argparse.Namespace) -> int:
    from lanebench.commands._inputs import read_head
    from lanebench.commands._lane_choice import lane_for, optional_config
    from lanebench.commands._output import check_output_file
    from lanebench.comparison_file import write_comparison
    from lanebench.report.terminal import print_comparison
    from lanebench.results import read_results
    from lanebench.stats import compare

    check_output_file(args.output, "--output")
    base = read_results(args.base)
    head = read_head(args.head)
    lane_name, lane = lane_for(optional_config(args.config), args.lane, head.run.lane)
    lane = _apply_overrides(lane, args)
    metrics = _metric_list(args.metrics, base, head)
    comparison = compare(base, head, lane=lane, lane_name=lane_name, metrics=metrics)
    write_comparison(args.output, comparison)
    print_comparison(comparison, tty=sys.stdout.isatty())
    print(f"comparison written to {args.output}")
    return EXIT_FAIL if comparison.regressions else EXIT_OK
