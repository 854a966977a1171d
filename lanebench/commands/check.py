"""`lanebench check`: the lane's SLA and the recommendations for two results files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lanebench.errors import EXIT_FAIL, EXIT_OK, ConfigError

if TYPE_CHECKING:
    from lanebench.advice import Recommendation
    from lanebench.config import Config
    from lanebench.sla import SlaReport

ORDER = 50


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    p = sub.add_parser(
        "check",
        help="check the lane's SLA and print recommendations for two results files",
        formatter_class=formatter,
        description="Compare HEAD against BASE, check the lane's SLA rules (absolute limits, "
        "relative limits decided by the comparison, failures, time budget, regressions, noise) "
        "and print the findings and the recommendations the measurements support. "
        "Exit 1 when the gate fails under fail_on, 0 otherwise, 2 on input errors. "
        "Rules and defaults: docs/sla.md.",
        epilog="examples:\n"
        "  lanebench check base.json head.json\n"
        "  lanebench check base.json head.json --config .github/lanebench.yml --lane heavy\n"
        "  lanebench check base.json head.json --fail-on warning\n"
        "  lanebench check base.json head.json --json > check.json",
    )
    p.add_argument("base", type=Path, metavar="BASE", help="baseline results file (from main)")
    p.add_argument("head", type=Path, metavar="HEAD", help="results file of the change")
    p.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="config file (default: .github/lanebench.yml if it exists, else built-in lanes)",
    )
    p.add_argument(
        "--lane", metavar="NAME", help="lane whose rules apply (default: the lane HEAD was run in)"
    )
    p.add_argument(
        "--fail-on",
        choices=("critical", "warning", "never"),
        help="which findings fail the check (default: the lane's fail_on, critical)",
    )
    p.add_argument("--json", action="store_true", help="print the SLA report and recommendations as JSON")
    p.set_defaults(func=run)


def check_rule_benchmarks(config: Config, lane: str) -> None:
    """A rule naming benchmarks that exist nowhere is a typo, not a rule that always passes."""
    from fnmatch import fnmatchcase

    from lanebench.names import shown_names

    settings = config.lanes[lane]
    names = [b.name for b in config.benchmarks]
    for i, rule in enumerate(settings.sla or []):
        for pattern in rule.benchmarks or []:
            if not any(fnmatchcase(n, pattern) for n in names):
                raise ConfigError(
                    f'{config.path}: lanes.{lane}.sla[{i}].benchmarks: "{pattern}" matches no '
                    f"benchmark (known: {shown_names(names)})"
                )


def run(args: argparse.Namespace) -> int:
    from lanebench.commands._inputs import read_head
    from lanebench.pipeline import assess
    from lanebench.results import read_results

    base = read_results(args.base)
    head = read_head(args.head)
    from lanebench.commands._lane_choice import lane_for, optional_config

    config = optional_config(args.config)
    lane, settings = lane_for(config, args.lane, head.run.lane)
    lane = lane or "standard"
    if config is not None:
        check_rule_benchmarks(config, lane)
    comparison, report, advice = assess(base, head, settings, lane, fail_on=args.fail_on)
    assert comparison is not None
    if args.json:
        out = {
            "sla": report.to_dict(),
            "recommendations": [r.to_dict() for r in advice],
            "comparison": comparison.to_dict(),
        }
        print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    else:
        print_text(report, advice)
    return EXIT_FAIL if report.gate_failed else EXIT_OK


_MARK = {"critical": "✗ critical", "warning": "! warning "}


def print_text(report: SlaReport, advice: list[Recommendation], *, file: Any = None) -> None:
    out = file or sys.stdout
    failed = report.violations
    critical = sum(1 for f in failed if f.severity == "critical")
    warnings = len(failed) - critical
    gate = "FAIL" if report.gate_failed else "pass"
    lane = f"lane {report.lane}" if report.lane else "lane ?"
    print(
        f"SLA {report.status} ({critical} critical, {warnings} warning{'s' if warnings != 1 else ''}); "
        f"{lane}, fail_on {report.fail_on}: gate {gate}",
        file=out,
    )
    order = {"critical": 0, "warning": 1}
    for f in sorted(report.findings, key=lambda f: (f.passed, order.get(f.severity, 2))):
        mark = "✓ passed  " if f.passed else _MARK[f.severity]
        print(f"  {mark}  [{f.rule}] {f.message}", file=out)
    if advice:
        print("recommendations:", file=out)
        for i, rec in enumerate(advice, 1):
            print(f"  {i}. {rec.title}: {rec.text}", file=out)
