"""`lanebench detect`: which lane a change falls in, and why."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ORDER = 20


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    p = sub.add_parser(
        "detect",
        help="decide the lane of a change (docs, standard, heavy, or your own)",
        formatter_class=formatter,
        description="Decide the lane of the change from BASE to HEAD the way a pull request\n"
        "sees it (the files changed since the merge base), using the config's lanes\n"
        "(the built-in docs, heavy and standard lanes when there is no config file).\n"
        "Prints the lane and the main reason; --explain shows every lane's conditions\n"
        "and which benchmarks the lane would run (see docs/lanes.md).\n"
        "Exit 0; 2 for a bad config, ref or lane name; 3 when git fails.",
        epilog="examples:\n"
        "  lanebench detect --base origin/main\n"
        "  lanebench detect --base main --head my-branch --explain\n"
        "  lanebench detect --base main --label lanebench:heavy --json\n"
        "  lanebench detect --pr-files files.json --label perf   # GitHub PR files API answer",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--base", metavar="REF", help="the branch the change will merge into")
    source.add_argument(
        "--pr-files",
        type=Path,
        metavar="FILE",
        help="a JSON list of GitHub PR files API entries instead of a git diff",
    )
    p.add_argument("--head", default="HEAD", metavar="REF", help="the change's tip (default: HEAD)")
    p.add_argument(
        "--config", type=Path, metavar="PATH",
        help="config file (default: .github/lanebench.yml if it exists, else the built-in lanes)",
    )
    p.add_argument(
        "--repo", type=Path, metavar="DIR", help="git checkout (default: the config's project root)"
    )
    p.add_argument(
        "--label", action="append", default=[], metavar="L", help="a pull request label (repeatable)"
    )
    p.add_argument("--lane", metavar="NAME", help="force this lane, like the action's `lane:` input")
    p.add_argument("--explain", action="store_true", help="show every lane's conditions and the plan")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.set_defaults(func=run)


def _pr_files(path: Path) -> list[Any]:
    from lanebench.errors import ConfigError
    from lanebench.results import load_json_file

    data = load_json_file(path, "PR files list")
    if not isinstance(data, list):
        raise ConfigError(
            f"{path}: expected a JSON list of PR file entries, got {type(data).__name__}",
            hint="save the answer of GET /repos/OWNER/REPO/pulls/N/files",
        )
    return data


def run(args: argparse.Namespace) -> int:
    from lanebench.changes import change_set_from_git, change_set_from_pr_files
    from lanebench.commands._lane_choice import optional_config
    from lanebench.config import DEFAULT_CONFIG_PATH, builtin_config
    from lanebench.lane_decision import decide_lane, plan_benchmarks

    # The built-in lanes need no benchmarks, so a project without a config still gets a lane.
    found = optional_config(args.config)
    root = found.root if found is not None else (args.repo or Path.cwd())
    config = found or builtin_config(root)
    if args.pr_files is not None:
        change_set = change_set_from_pr_files(_pr_files(args.pr_files), args.label)
    else:
        repo = args.repo if args.repo is not None else config.root
        change_set = change_set_from_git(repo, args.base, args.head, labels=args.label)
    decision = decide_lane(config, change_set, forced=args.lane)
    plan = plan_benchmarks(config, decision, change_set)
    if args.json:
        out = decision.to_dict()
        out["config"] = str(found.path) if found is not None else None
        out["plan"] = [item.to_dict() for item in plan]
        if args.explain:
            out["files"] = [f.to_dict() for f in change_set.files]
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    print(f"lane: {decision.lane} — {decision.reason}")
    if found is None:
        print(f"config: no {DEFAULT_CONFIG_PATH} in the current folder, so the built-in lanes decided "
              f"({', '.join(config.lanes)}); pass --config PATH to use another")
    if args.explain:
        print(_explain(decision, plan))
    return 0


def _explain(decision: Any, plan: list[Any]) -> str:
    from lanebench.formatting import format_duration

    stats = decision.stats
    lines: list[str] = []
    for reason in decision.reasons[1:]:
        lines.append(f"  {reason}")
    unknown = f", {stats.unknown_line_files} binary" if stats.unknown_line_files else ""
    lines.append(
        f"change set: {stats.files} files ({stats.code_files} code, {stats.docs_files} docs{unknown}), "
        f"{stats.code_lines} changed lines in code files"
        + ("" if stats.complete else ", INCOMPLETE list")
    )
    if stats.note:
        lines.append(f"  source: {stats.note}")
    lines.append(f"  labels: {', '.join(stats.labels) or 'none'}")
    if stats.project_prefix:
        lines.append(f"  project folder: {stats.project_prefix} (patterns also match paths relative to it)")
    lines.append("lanes, in order (first match wins):")
    width = max(len(t.lane) for t in decision.trace)
    for t in decision.trace:
        marker = "->" if t.lane == decision.rule_lane else "  "
        head = f"{marker} {t.lane:<{width}}  {t.status}"
        if not t.blocks:
            head += f": {t.summary}"
        lines.append(head)
        for block in t.blocks:
            for check in block.checks:
                verdict = "yes" if check.passed else "no"
                lines.append(f"     when[{block.index}] {check.condition}: {verdict} — {check.detail}")
                if check.files and (check.more_files or len(check.files) > 3):
                    listed = ", ".join(check.files)
                    more = f" and {check.more_files} more" if check.more_files else ""
                    lines.append(f"       files: {listed}{more}")
    settings = decision.settings
    lines.append(
        f"lane settings: run={str(settings.run).lower()}, iterations {settings.min_iterations}"
        f"-{settings.max_iterations}, warmup {settings.warmup}, budget {format_duration(settings.budget)}"
    )
    lines.append("benchmarks:" if plan else "benchmarks: none configured")
    if plan:
        width = max(len(p.spec.name) for p in plan)
        for item in plan:
            lines.append(f"  {item.spec.name:<{width}}  {item.status}: {item.reason}")
    return "\n".join(lines)
