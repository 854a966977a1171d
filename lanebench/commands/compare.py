"""`lanebench compare BASE HEAD`: verdicts per benchmark and metric, a table and a JSON file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lanebench.errors import EXIT_FAIL, EXIT_OK, ConfigError

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

VERDICT_STYLE = {
    "regression": "bold red",
    "improvement": "green",
    "unchanged": "dim",
    "inconclusive": "yellow",
    "insufficient data": "yellow",
    "failed": "bold red",
}


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


def _apply_overrides(lane: Any, args: argparse.Namespace) -> Any:
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
    from lanebench.commands._lane import lane_for, optional_config
    from lanebench.commands._output import check_output_file
    from lanebench.results import read_results
    from lanebench.stats import compare, write_comparison

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


# --- rendering --------------------------------------------------------------------------


def format_value(value: float | None, unit: str) -> str:
    from lanebench.units import format_quantity

    return format_quantity(value, unit, "-")


def format_change(m: Any) -> str:
    from lanebench.stats.verdict import pct

    if m.ratio is None:
        return "-"
    if m.ci_low is None or m.ci_high is None:
        return f"{pct(m.ratio)} [unbounded]"
    return f"{pct(m.ratio)} [{pct(m.ci_low)}, {pct(m.ci_high)}]"


def format_p(p: float | None, alpha: float) -> str:
    from lanebench.stats.verdict import p_text

    if p is None:
        return "-"
    if p < 1e-4 < alpha:
        return "<0.0001"
    return p_text(p, alpha, digits=4 if p < 0.01 else 3, style="f")


HEADERS = ("benchmark", "metric", "base median", "head median", "change [CI]", "p", "p adj", "verdict")


def table_rows(comparison: Any) -> list[tuple[str, ...]]:
    rows = []
    alpha = comparison.settings.get("alpha", 0.05)
    for m in comparison.metrics:
        rows.append((
            m.benchmark,
            m.metric,
            format_value(m.base.median if m.base else None, m.unit),
            format_value(m.head.median if m.head else None, m.unit),
            format_change(m),
            format_p(m.p_value, alpha),
            format_p(m.p_adjusted, alpha),
            m.verdict,
        ))
    return rows


def notes(comparison: Any) -> list[str]:
    """Lines printed under the table: machine differences, reasons that matter, noise."""
    out: list[str] = []
    if comparison.cross_machine:
        out.append(
            "cross-machine: baseline and head ran on different machines ("
            + "; ".join(comparison.cross_machine)
            + "); a difference may come from the machines, not the change"
        )
    runner = comparison.extra.get("runner")
    for note in (runner.get("notes") or []) if isinstance(runner, dict) else []:
        out.append(f"runner: {note}")
    for outcome in comparison.benchmarks:
        if outcome.status in ("missing in head", "missing in baseline"):
            out.append(f"{outcome.name}: {outcome.status}")
    for m in comparison.metrics:
        # Every verdict that is not "unchanged" says why, inconclusive ones included: the
        # reason names what kept them open (noise, the runner bound, the adjustment).
        if m.verdict in ("regression", "improvement", "failed", "insufficient data", "inconclusive"):
            out.append(f"{m.benchmark} {m.metric}: {m.verdict}: {m.reason}")
    for m in comparison.metrics:
        if m.undetectable and m.noise is not None:
            out.append(f"noise: {m.benchmark} {m.metric}: {m.noise.message}")
    s = comparison.settings
    counts = comparison.counts()
    tally = ", ".join(f"{n} {v}" for v, n in sorted(counts.items(), key=lambda kv: -kv[1])) or "nothing compared"
    correction = {"holm": "Holm", "bh": "Benjamini-Hochberg"}.get(s["correction"], s["correction"])
    m = s["family_size"]
    method = "paired-wilcoxon" if s.get("comparison") == "paired" else s["test"]
    out.append(
        f"verdicts: {tally} ({method}, {correction} over {m} comparison{'' if m == 1 else 's'}, "
        f"alpha {s['alpha']:g})"
    )
    return out


def print_comparison(comparison: Any, *, tty: bool) -> None:
    rows = table_rows(comparison)
    if tty:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(show_header=True, header_style="bold")
        for i, h in enumerate(HEADERS):
            table.add_column(h, justify="right" if 2 <= i <= 6 else "left")
        for row in rows:
            # Text, not strings: rich would read "[...]" in a benchmark name as its markup
            cells = [Text(cell) for cell in row[:-1]]
            table.add_row(*cells, Text(row[-1], style=VERDICT_STYLE.get(row[-1], "")))
        console = Console()
        console.print(table)
        for line in notes(comparison):
            console.print(line, markup=False, highlight=False)
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(HEADERS)]

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            c.rjust(w) if 2 <= i <= 6 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    print(line(HEADERS))
    for row in rows:
        print(line(row))
    for text in notes(comparison):
        print(text)
