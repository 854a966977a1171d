"""`lanebench bundle`: package a results file for the fork-safe report workflow."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ORDER = 60

EPILOG = """\
Inside a GitHub Actions `pull_request` run, --pr, --head-sha, --base-ref, --repository
and --run-id default to the event's values (the PR's head commit, not the merge commit
GITHUB_SHA names). Upload the output directory with actions/upload-artifact; the
`workflow_run` workflow validates it before reporting (docs/fork-safe.md).

exit status:
  0 the bundle was written, 2 a missing or invalid value or results file.

examples:
  lanebench bundle --results lanebench-out/lanebench-results.json
  lanebench bundle --results head.json --pr 42 --head-sha "$(git rev-parse HEAD)" \\
      --base-ref main --repository octo-org/octo-repo --output bundle/
"""


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    p = sub.add_parser(
        "bundle",
        help="package a results file with its pull request for the fork-safe report workflow",
        formatter_class=formatter,
        description="Write lanebench-bundle.json beside a results file: the pull request "
        "number, head commit, base branch, repository and the results file's sha256, "
        "so that a trusted workflow can check the artifact before it comments.",
        epilog=EPILOG,
    )
    p.add_argument("--results", "-r", type=Path, required=True, metavar="FILE", help="results file")
    p.add_argument("--pr", type=int, default=None, metavar="N", help="pull request number")
    p.add_argument("--head-sha", default=None, metavar="SHA", help="the PR's head commit (40 hex digits)")
    p.add_argument("--base-ref", default=None, metavar="REF", help="the branch the PR merges into")
    p.add_argument(
        "--repository", default=None, metavar="OWNER/NAME",
        help="repository the PR belongs to (default: GITHUB_REPOSITORY)",
    )
    p.add_argument("--run-id", default=None, metavar="ID", help="workflow run id (default: GITHUB_RUN_ID)")
    p.add_argument(
        "--output", "-o", type=Path, default=None, metavar="DIR",
        help="directory to write into; the results file is copied there if it is elsewhere "
        "(default: the results file's directory)",
    )
    p.set_defaults(func=run)


def bundle_arguments(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, Any]:
    """The bundle's fields: the command line first, then the pull_request event."""
    from lanebench.action_runtime import ActionContext
    from lanebench.errors import ConfigError

    values: dict[str, Any] = {
        "pr_number": args.pr,
        "head_sha": args.head_sha,
        "base_ref": args.base_ref,
        "repository": args.repository,
        "run_id": args.run_id,
    }
    if environ.get("GITHUB_ACTIONS") == "true" and environ.get("GITHUB_EVENT_NAME"):
        context = ActionContext.from_environ(environ)
        if context.event_name == "pull_request" and context.pull_request is not None:
            base = context.pull_request.get("base") or {}
            event_values = {
                "pr_number": context.pr_number,
                "head_sha": context.pr_head_sha,
                "base_ref": base.get("ref") if isinstance(base, dict) else None,
                "repository": context.repository,
                "run_id": context.run_id or None,
            }
            for key, value in event_values.items():
                if values[key] is None:
                    values[key] = value
        elif None in (values["pr_number"], values["head_sha"], values["base_ref"]):
            raise ConfigError(
                f"this is a {context.event_name} run: bundles describe pull_request runs",
                hint="run `lanebench bundle` in a `pull_request` workflow, or pass --pr, "
                "--head-sha and --base-ref",
            )
        if values["repository"] is None:
            values["repository"] = context.repository
    flags = {"pr_number": "--pr", "head_sha": "--head-sha", "base_ref": "--base-ref",
             "repository": "--repository"}
    missing = [flag for key, flag in flags.items() if values[key] in (None, "")]
    if missing:
        raise ConfigError(
            f"missing {', '.join(missing)}",
            hint="pass them, or run inside a GitHub Actions pull_request workflow",
        )
    return values


def run(args: argparse.Namespace) -> int:
    from lanebench.bundle import write_bundle

    values = bundle_arguments(args, os.environ)
    directory = args.output if args.output is not None else args.results.parent
    path = write_bundle(directory, args.results, **values)
    print(
        f"{path}: bundle for PR #{values['pr_number']} at {values['head_sha'][:12]} "
        f"({values['repository']}, base {values['base_ref']})"
    )
    return 0
