"""`lanebench init`: look at the repository and propose a config and workflows."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ORDER = 1

EPILOG = """\
Finds what the project can benchmark (pytest-benchmark suites, pyperf scripts, hyperfine
scripts, Google Benchmark targets, `go test -bench`, `cargo bench`, bench targets of a
Makefile, package.json scripts, tox and nox sessions), runs each once within
--trial-timeout, proposes iterations that fit the lanes' budgets and `paths:` from the
package's sources, then writes .github/lanebench.yml and the workflows you pick. On a
terminal it asks, with defaults; --yes takes every default. Existing files are never
overwritten without --force. Details: docs/init.md.

examples:
  lanebench init
  lanebench init --yes --workflows runner-toolchain
  lanebench init --dry-run --yes --root path/to/project
  lanebench init --yes --action OWNER/lanebench@<40-character commit>
"""


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    from lanebench.init.workflows import KINDS

    p = sub.add_parser(
        "init",
        help="propose a config and workflows for this repository",
        formatter_class=formatter,
        description="Look at the repository, run what can be benchmarked once, and write "
        ".github/lanebench.yml and the GitHub workflows.",
        epilog=EPILOG,
    )
    p.add_argument("--root", type=Path, default=Path("."), metavar="DIR",
                   help="the project's root folder (default: .)")
    p.add_argument("-c", "--config", type=Path, default=None, metavar="PATH",
                   help="config file to write, relative to --root (default: .github/lanebench.yml)")
    p.add_argument("-y", "--yes", action="store_true", help="take every default, ask nothing")
    p.add_argument("--force", action="store_true", help="overwrite files that exist")
    p.add_argument("--dry-run", action="store_true", help="print what would be written, write nothing")
    p.add_argument("--workflows", choices=[*KINDS, "none"], default=None,
                   help="which workflows to write (default: runner-toolchain when a benchmark "
                   "needs a toolchain or packages the action's image lacks, else same-repo)")
    p.add_argument("--action", metavar="OWNER/REPO@SHA", default=None,
                   help="the lanebench action to pin in the workflows, by full commit SHA "
                   "(default: a placeholder to replace)")
    p.add_argument("--action-version", metavar="TAG", default=None,
                   help="the release the --action commit is, for the comment beside the pin")
    p.add_argument("--trial-timeout", type=float, default=None, metavar="SECONDS",
                   help="time limit of each benchmark's trial run (default: 120)")
    p.add_argument("--no-trial", action="store_true",
                   help="run nothing: propose the built-in lanes' iterations")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lanebench.config import DEFAULT_CONFIG_PATH
    from lanebench.errors import LanebenchError
    from lanebench.init import InitOptions, run_init
    from lanebench.init.prompts import Prompter
    from lanebench.init.trial import DEFAULT_TRIAL_TIMEOUT
    from lanebench.init.workflows import ActionPin, parse_action
    from lanebench.runner import Interrupted, catch_signals

    if not args.yes and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise LanebenchError("lanebench init asks questions, but this is not a terminal",
                             hint="pass --yes to take every default")
    timeout = DEFAULT_TRIAL_TIMEOUT if args.trial_timeout is None else args.trial_timeout
    if not 0 < timeout <= 3600:
        raise LanebenchError(f"--trial-timeout {args.trial_timeout:g}: expected seconds from 0 to 3600")
    if args.action_version and not args.action:
        raise LanebenchError("--action-version names the release of --action",
                             hint="pass --action OWNER/REPO@SHA too")
    pin = parse_action(args.action, args.action_version) if args.action else ActionPin()
    options = InitOptions(
        root=args.root,
        config=args.config or DEFAULT_CONFIG_PATH,
        force=args.force,
        dry_run=args.dry_run,
        workflows=args.workflows,
        action=pin,
        action_given=args.action is not None,
        trial=not args.no_trial,
        trial_timeout=timeout,
    )
    try:
        with catch_signals():
            return run_init(options, Prompter(assume_yes=args.yes), sys.stdout)
    except Interrupted as stop:
        print(f"lanebench: interrupted ({stop.name}): nothing written", file=sys.stderr)
        return stop.exit_code
