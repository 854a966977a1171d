"""The GitHub Actions runtime as a container action sees it: inputs, event, outputs, summary.

Knows nothing of the REST API (that is `github.py`) nor of benchmarking; it only
translates between the environment GitHub gives a container and Python values.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO, cast, get_args

from lanebench.errors import ConfigError
from lanebench.limits import SUMMARY_LIMIT
from lanebench.secrets import (
    HandoverError,
    drop_ptrace_capability,
    forbid_inspection,
    restart_without_secrets,
    take_handed_over_token,
)


def input_value(environ: Mapping[str, str], name: str, default: str = "") -> str:
    """An input as GitHub passes it: `INPUT_<NAME>` upper-cased, spaces to `_`.

    Hyphens are kept by the runner (`INPUT_GITHUB-TOKEN`); some wrappers turn them into
    underscores, so both spellings are read.
    """
    key = "INPUT_" + name.replace(" ", "_").upper()
    for candidate in (key, key.replace("-", "_")):
        value = environ.get(candidate)
        if value is not None and value.strip() != "":
            return value.strip()
    return default


def action_token(environ: Mapping[str, str]) -> str:
    """The token the action works with: the `github-token` input, else GITHUB_TOKEN."""
    return input_value(environ, "github-token") or environ.get("GITHUB_TOKEN", "")


def take_credentials(argv: Sequence[str]) -> str:
    """The action's token, held by this process alone. Call it first, before anything runs.

    GitHub starts a container action with its tokens in the environment, where every
    process in the container can read them (/proc/<pid>/environ), whatever is removed
    from `os.environ` later. The first call re-executes the program (`argv`:
    `sys.orig_argv`) without them and does not return; in the re-executed program it reads
    the token from the pipe it was handed in, makes the process non-dumpable and gives up
    CAP_SYS_PTRACE (see lanebench.secrets). A failure is one `::error::` line and exit 3:
    nothing runs while the tokens are readable."""
    token = ""
    try:
        handed = take_handed_over_token()
        if handed is None:
            token = action_token(os.environ)
            restart_without_secrets(token, argv)  # returns only when no secret is set
        else:
            token = handed
        forbid_inspection()
        drop_ptrace_capability()
        return token
    except HandoverError as exc:
        workflow = Workflow(None)
        workflow.mask(token)
        workflow.error(f"lanebench: {exc}; nothing was run, so no benchmark could read the token")
        raise SystemExit(exc.exit_code) from None


def choice(environ: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    """One of `allowed`; an empty `default` means "not set" (the config decides)."""
    value = input_value(environ, name, default).lower()
    if value not in allowed and not (value == "" == default):
        raise ConfigError(
            f"input {name}: expected one of {', '.join(allowed)}, got {value!r}",
            hint=f"fix `with: {name}:` in the workflow",
        )
    return value


def positive_int(environ: Mapping[str, str], name: str) -> int | None:
    raw = input_value(environ, name)
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(
            f"input {name}: expected a positive integer, got {raw!r}", hint=f"fix `with: {name}:`"
        )
    return int(raw)


Mode = Literal["auto", "baseline", "compare", "report"]
CommentWhen = Literal["always", "on-change", "never"]
FailOnInput = Literal["critical", "warning", "never"]  # lanebench.sla.FailOn
ComparisonInput = Literal["artifact", "paired", ""]  # "": the lane's `comparison`

@dataclass(frozen=True)
class ActionInputs:
    github_token: str
    config: str
    mode: Mode
    lane: str
    iterations: int | None
    baseline_artifact: str
    baseline_branch: str
    results_path: str
    results: str
    comment: CommentWhen
    check_name: str
    fail_on: FailOnInput | None  # None: the lane's fail_on
    working_directory: str
    comparison: ComparisonInput
    alert_issue: bool = False  # open or update an issue per trend finding on main

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ActionInputs:
        return cls(
            github_token=input_value(environ, "github-token"),
            config=input_value(environ, "config", ".github/lanebench.yml"),
            mode=cast(Mode, choice(environ, "mode", get_args(Mode), "auto")),
            lane=input_value(environ, "lane"),
            iterations=positive_int(environ, "iterations"),
            baseline_artifact=input_value(environ, "baseline-artifact", "lanebench-baseline"),
            baseline_branch=input_value(environ, "baseline-branch"),
            results_path=input_value(environ, "results-path", "lanebench-results"),
            results=input_value(environ, "results"),
            comment=cast(CommentWhen, choice(environ, "comment", get_args(CommentWhen), "always")),
            check_name=input_value(environ, "check-name", "lanebench"),
            fail_on=cast(FailOnInput, choice(environ, "fail-on", get_args(FailOnInput), "")) or None,
            working_directory=input_value(environ, "working-directory", "."),
            comparison=cast(ComparisonInput, choice(environ, "comparison", ("artifact", "paired"), "")),
            alert_issue=choice(environ, "alert-issue", ("true", "false"), "false") == "true",
        )


@dataclass
class ActionContext:
    """What GitHub tells a container action about the run that started it."""

    event_name: str
    event: dict[str, Any]
    repository: str
    sha: str
    ref: str
    api_url: str
    server_url: str
    run_id: str
    workspace: Path
    output_file: Path | None
    summary_file: Path | None
    environ: Mapping[str, str] = field(repr=False, default_factory=dict)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ActionContext:
        missing = [k for k in ("GITHUB_EVENT_NAME", "GITHUB_REPOSITORY") if not environ.get(k)]
        if missing:
            raise ConfigError(
                f"not running inside GitHub Actions: {', '.join(missing)} not set",
                hint="use `lanebench run`/`compare` locally, or set the GITHUB_* variables",
            )
        event: dict[str, Any] = {}
        event_path = environ.get("GITHUB_EVENT_PATH")
        if event_path:
            try:
                event = json.loads(Path(event_path).read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise ConfigError(f"GITHUB_EVENT_PATH {event_path}: cannot read the event: {exc}") from None
        return cls(
            event_name=environ["GITHUB_EVENT_NAME"],
            event=event if isinstance(event, dict) else {},
            repository=environ["GITHUB_REPOSITORY"],
            sha=environ.get("GITHUB_SHA", ""),
            ref=environ.get("GITHUB_REF", ""),
            api_url=environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
            server_url=environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
            run_id=environ.get("GITHUB_RUN_ID", ""),
            workspace=Path(environ.get("GITHUB_WORKSPACE", "/github/workspace")),
            output_file=Path(environ["GITHUB_OUTPUT"]) if environ.get("GITHUB_OUTPUT") else None,
            summary_file=Path(environ["GITHUB_STEP_SUMMARY"]) if environ.get("GITHUB_STEP_SUMMARY") else None,
            environ=environ,
        )

    @property
    def run_url(self) -> str | None:
        if not self.run_id:
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    @property
    def pull_request(self) -> dict[str, Any] | None:
        pr = self.event.get("pull_request")
        return pr if isinstance(pr, dict) else None

    @property
    def pr_number(self) -> int | None:
        pr = self.pull_request
        if pr and isinstance(pr.get("number"), int):
            return pr["number"]
        return None

    @property
    def pr_head_sha(self) -> str:
        pr = self.pull_request or {}
        return str((pr.get("head") or {}).get("sha") or self.sha)

    @property
    def pr_labels(self) -> list[str]:
        pr = self.pull_request or {}
        return [str(lbl.get("name")) for lbl in pr.get("labels") or [] if isinstance(lbl, dict)]

    @property
    def default_branch(self) -> str:
        repo = self.event.get("repository") or {}
        return str(repo.get("default_branch") or "main")

    @property
    def branch(self) -> str:
        return self.ref.removeprefix("refs/heads/") if self.ref.startswith("refs/heads/") else ""

    @property
    def is_fork_pr(self) -> bool:
        pr = self.pull_request or {}
        head_repo = (pr.get("head") or {}).get("repo") or {}
        return bool(head_repo) and head_repo.get("full_name") != self.repository


# --- workflow commands ----------------------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class Workflow:
    """Writes workflow commands, outputs and the job summary."""

    def __init__(self, context: ActionContext | None, stream: TextIO | None = None) -> None:
        self.context = context
        self.stream = stream or sys.stdout

    def command(self, name: str, message: str, **props: str) -> None:
        prop = ",".join(f"{k}={_escape_property(v)}" for k, v in props.items() if v)
        head = f"::{name} {prop}::" if prop else f"::{name}::"
        print(head + _escape_data(message), file=self.stream, flush=True)

    def mask(self, secret: str) -> None:
        if secret:
            self.command("add-mask", secret)

    def notice(self, message: str, title: str = "") -> None:
        self.command("notice", message, title=title)

    def warning(self, message: str, title: str = "") -> None:
        self.command("warning", message, title=title)

    def error(self, message: str, title: str = "") -> None:
        self.command("error", message, title=title)

    def set_output(self, name: str, value: object) -> None:
        if self.context is None or self.context.output_file is None:
            return
        text = "" if value is None else str(value)
        delimiter = f"lanebench_{uuid.uuid4().hex}"
        with open(self.context.output_file, "a", encoding="utf-8") as fh:
            fh.write(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")

    def append_summary(self, markdown: str) -> bool:
        """Append to the job summary; False (and a warning) when it would pass 1 MiB."""
        if self.context is None or self.context.summary_file is None:
            return False
        path = self.context.summary_file
        used = path.stat().st_size if path.exists() else 0
        data = markdown.encode("utf-8")
        if used + len(data) > SUMMARY_LIMIT:
            self.warning(
                f"job summary would exceed GitHub's 1 MiB limit ({used + len(data)} bytes): "
                "skipped; the full report is in the results artifact"
            )
            return False
        with open(path, "ab") as fh:
            fh.write(data)
        return True

