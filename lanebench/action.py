"""The GitHub Action: one `uses:` step that measures a change, judges it and publishes.

Reads what GitHub hands a container action (inputs, event, paths), picks the job by
`mode` and event, runs the pipeline, then publishes: the job summary and the step
outputs first (they never depend on the API), then the sticky comment and the check run.

- pull request (`compare`): changed files from the API (or `git diff` beyond 3,000),
  lane, benchmarks, the newest baseline artifact of the baseline branch, comment, check;
- push to the baseline branch (`baseline`): measure everything, write the results file
  for `actions/upload-artifact`;
- `report` (the fork-safe `workflow_run` job): validate the bundle a pull request run
  uploaded, compare it, comment on its PR and create the check on its head commit. No code
  from the pull request is checked out or run in this mode.

Every failure is one `::error::` line; exit codes follow `lanebench.errors` (0 pass,
1 the gate failed under `fail-on`, 2 the user must fix something, 3 GitHub or git failed).
A missing permission to comment or create the check is a warning, not a failure: the
verdict is still in the summary, the outputs and the exit code. The token is masked
first; entrypoint.py has already taken it, and every other credential, out of the
environment (lanebench.secrets): the benchmarks and git inherit none of them.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lanebench import __version__
from lanebench.action_runtime import (
    ActionContext,
    ActionInputs,
    Workflow,
)
from lanebench.errors import EXIT_USAGE, ConfigError, LanebenchError, ResultsError
from lanebench.git import git_output
from lanebench.github import (
    FORK_SAFE_DOC,
    OUTPUT_FIELD_LIMIT,
    Conclusion,
    GitHubClient,
    GitHubPermissionError,
    truncate_text,
)
from lanebench.output_dir import make_output_dir
from lanebench.results import RESULTS_FILE_NAME

if TYPE_CHECKING:
    from lanebench.changes import ChangeSet
    from lanebench.config import Config
    from lanebench.lane_decision import LaneDecision
    from lanebench.main_trends import MainTrends
    from lanebench.pipeline import PipelineResult
    from lanebench.results import ResultsDocument, RunInfo
    from lanebench.runner import Progress

BASELINE_WORKFLOW = "examples/workflows/main-baseline.yml"
# The artifact the fork-safe measure workflow uploads (examples/workflows/fork-safe-pr.yml).
BUNDLE_ARTIFACT = "lanebench-pr"
BASELINE_EVENTS = ("push", "schedule", "workflow_dispatch")
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
# A run makes about ten serial requests and at most three writes. GitHub asks for a pause
# between writes only when an integration makes many of them; secondary rate limits are
# still honoured (Retry-After) by the client's retries.
SECONDS_BETWEEN_REQUESTS = 0.0
SECONDS_BETWEEN_WRITES = 0.0

USAGE = """\
usage: entrypoint.py [--version | --help]

The lanebench GitHub Action's entrypoint. It runs inside the action's container and
takes everything from the environment GitHub sets there: the inputs (INPUT_*), the event
(GITHUB_EVENT_NAME, GITHUB_EVENT_PATH), GITHUB_REPOSITORY, GITHUB_WORKSPACE, GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY, GITHUB_API_URL. Inputs and outputs are listed in docs/action.md.
Outside GitHub Actions use the command line: `lanebench pr`, `lanebench baseline`.
"""


# --- entry point --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, *, token: str) -> int:
    """Run the action; the return value is the step's exit code.

    `token` comes from `take_credentials` (entrypoint.py), which has already taken every
    credential out of this process's environment: the benchmarks and git inherit it."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args:
        return _arguments(args)
    env = dict(os.environ)
    workflow = Workflow(None)
    # Mask before anything can print: every later line is filtered by the runner.
    workflow.mask(token)
    try:
        context = ActionContext.from_environ(env)
        workflow.context = context
        inputs = ActionInputs.from_environ(env)
        return ActionRun(inputs, context, workflow, token).run()
    except LanebenchError as exc:
        workflow.error(_one_line(str(exc), token))
        return exc.exit_code
    except KeyboardInterrupt:
        workflow.error("interrupted")
        return 130


def _arguments(args: list[str]) -> int:
    if args in (["--version"], ["-V"]):
        print(f"lanebench {__version__}")
        return 0
    if args in (["--help"], ["-h"]):
        print(USAGE, end="")
        return 0
    print(f"::error::entrypoint.py takes no arguments, got {' '.join(args)!r} "
          "(the action reads its inputs from INPUT_* variables; see --help)")
    return EXIT_USAGE


def _one_line(text: str, token: str) -> str:
    text = " ".join(text.split())
    return text.replace(token, "***") if token else text


# --- one run -----------------------------------------------------------------------------


@dataclass
class Published:
    comment_url: str = ""
    check_url: str = ""


class ActionRun:
    """One invocation of the action: paths resolved, mode chosen, job done."""

    def __init__(self, inputs: ActionInputs, context: ActionContext, workflow: Workflow,
                 token: str) -> None:
        self.inputs = inputs
        self.context = context
        self.workflow = workflow
        self.token = token
        self.workspace = context.workspace.resolve()
        self.project = self._inside_workspace(inputs.working_directory)
        if not self.project.is_dir():
            raise ConfigError(
                f"input working-directory: {inputs.working_directory} is not a directory in the "
                "workspace",
                hint="check out the repository first (actions/checkout), or fix `working-directory:`",
            )
        self.output_dir = self._inside_workspace(inputs.results_path)
        self.baseline_branch = inputs.baseline_branch or context.default_branch
        self.notes: list[str] = []  # added to the comment, the summary and the check
        self.baseline_run_id: int | None = None
        self._client: GitHubClient | None = None
        self._tmp = Path(tempfile.mkdtemp(prefix="lanebench-action-"))

    # --- paths ----------------------------------------------------------------------------

    def _inside_workspace(self, value: str) -> Path:
        path = Path(value)
        return (path if path.is_absolute() else self.workspace / path).resolve()

    def shown(self, path: Path | None) -> str:
        """A path for outputs and messages: relative to the workspace (valid on the runner
        too, where the workspace is mounted elsewhere), else absolute."""
        if path is None:
            return ""
        try:
            return path.resolve().relative_to(self.workspace).as_posix() or "."
        except ValueError:
            return str(path)

    # --- dispatch -------------------------------------------------------------------------

    def run(self) -> int:
        try:
            mode = self.mode()
            if mode == "skip":
                return self.nothing_to_do()
            if mode == "baseline":
                return self.run_baseline()
            if mode == "report":
                return self.run_report()
            return self.run_compare()
        finally:
            if self._client is not None:
                self._client.close()
            shutil.rmtree(self._tmp, ignore_errors=True)

    def mode(self) -> str:
        mode, event = self.inputs.mode, self.context.event_name
        if mode != "auto":
            return mode
        if event in PULL_REQUEST_EVENTS:
            return "compare"
        if event in BASELINE_EVENTS:
            return "baseline" if self.context.branch == self.baseline_branch else "skip"
        raise ConfigError(
            f"mode auto: nothing to do on a {event} event",
            hint="run on pull_request and on push to the baseline branch, or set `mode:` "
                 "(baseline, compare, or report for the fork-safe workflow_run job)",
        )

    def nothing_to_do(self) -> int:
        where = self.context.branch or self.context.ref or "this ref"
        self.workflow.notice(
            f"lanebench: a {self.context.event_name} to {where}, not to the baseline branch "
            f"{self.baseline_branch}: nothing measured (set `mode: baseline` to measure anyway)"
        )
        self.workflow.set_output("status", "skipped")
        return 0

    @property
    def client(self) -> GitHubClient:
        if self._client is None:
            self._client = GitHubClient(
                self.token, self.context.repository, self.context.api_url,
                seconds_between_requests=SECONDS_BETWEEN_REQUESTS,
                seconds_between_writes=SECONDS_BETWEEN_WRITES,
            )
        return self._client

    # --- shared steps ---------------------------------------------------------------------

    def load_config(self) -> Config:
        from lanebench.config import load_config

        return load_config(self.project / self.inputs.config, root=self.project)

    def results_input(self) -> Path | None:
        if not self.inputs.results:
            return None
        return self._inside_workspace(self.inputs.results)

    def report_key(self) -> str | None:
        """Several lanebench steps on one PR (a monorepo) keep one comment each."""
        if Path(self.inputs.working_directory) == Path(".") and self.inputs.config == ".github/lanebench.yml":
            return None
        return (Path(self.inputs.working_directory) / self.inputs.config).as_posix()

    def run_info(self, config: Config, *, pr: int | None = None, pr_head_sha: str = "") -> RunInfo:
        """Where the measured code came from, and the job that measured it."""
        from lanebench.runner import local_run_info

        info = local_run_info(config.root, config.path)
        info.repository = self.context.repository
        info.event = self.context.event_name or None
        info.pr = pr
        info.pr_head_sha = pr_head_sha or None
        info.run_id = self.context.run_id or None
        return info

    def progress(self) -> Progress:
        from lanebench.runner import make_progress

        return make_progress(sys.stderr)

    def links(self) -> dict[str, str]:
        run_url = self.context.run_url
        return {"run": run_url} if run_url else {}

    # --- baseline -------------------------------------------------------------------------

    def run_baseline(self) -> int:
        from lanebench.pipeline import PipelineRequest, measure_baseline

        config = self.load_config()
        result = measure_baseline(PipelineRequest(
            config=config,
            output_dir=self.output_dir,
            iterations=self.inputs.iterations,
            previous_baseline=self.previous_baseline(),
            head_results=self.results_input(),
            run_info=self.run_info(config),
            fail_on=self.inputs.fail_on,
            progress=self.progress(),
            links=self.links(),
            report_key=self.report_key(),
            notes=self.notes,
            repository_url=self.repository_url(),
        ))
        self.write_summary_and_outputs(result)
        trends = result.trends
        self.workflow.set_output("trend-alerts", len(trends.findings) if trends is not None else 0)
        self.workflow.notice(
            f"lanebench: baseline results written to {self.shown(result.results_path)}; upload "
            f"them with actions/upload-artifact as `{self.inputs.baseline_artifact}` so pull "
            "requests can compare against them"
        )
        if self.inputs.alert_issue and trends is not None:
            self.publish_trend_alerts(trends)
        return result.exit_code

    def repository_url(self) -> str:
        return f"{self.context.server_url}/{self.context.repository}"

    def publish_trend_alerts(self, trends: MainTrends) -> None:
        """One issue per regression on main, opened once and updated on later runs. After
        the results are written: whatever GitHub answers, the upload step has them, and
        the exit code does not change."""
        from lanebench.publish_alerts import publish_alerts
        from lanebench.report.trend_summary import alert_outcome_markdown

        outcome = publish_alerts(self.client, trends.report, trends.history,
                                 repository_url=self.repository_url())
        for line in outcome.warnings:
            self.workflow.warning(_one_line(line, self.token), title="lanebench: trend alert issues")
        section = alert_outcome_markdown(outcome)
        if section is not None:
            self.workflow.append_summary("\n" + section)

    def previous_baseline(self) -> ResultsDocument | None:
        """The baseline this run replaces: its history of main runs is carried forward.

        Losing it costs the next comparisons their run-to-run spread, not this baseline,
        so every problem here is a warning and the run goes on."""
        from lanebench.baseline import fetch_artifact_baseline

        name, branch = self.inputs.baseline_artifact, self.baseline_branch
        try:
            fetched = fetch_artifact_baseline(self.client, name, branch, self._tmp / "previous")
        except LanebenchError as exc:
            self.workflow.warning(
                f"lanebench: the previous baseline could not be read, so this one starts a new "
                f"history of main runs: {_one_line(str(exc), self.token)}",
                title="lanebench: baseline history not carried over",
            )
            return None
        if fetched is None:
            self.workflow.notice(f"lanebench: no earlier `{name}` artifact from {branch}: this "
                                 "baseline starts the history of main runs")
            return None
        return fetched.document

    # --- pull request ---------------------------------------------------------------------

    def run_compare(self) -> int:
        from lanebench.pipeline import PipelineRequest, decide, judge_change

        config = self.load_config()
        number = self.context.pr_number
        head_sha = self.context.pr_head_sha if number is not None else self.context.sha
        if self.context.event_name == "pull_request_target":
            self.warn_privileged_checkout()
        change_set = self.pull_request_change_set(number, use_git=True) if number else None
        decision = decide(config, change_set, self.inputs.lane or None)
        baseline, source = self.fetch_baseline(decision, measuring=self.results_input() is None)
        base_sha = str(((self.context.pull_request or {}).get("base") or {}).get("sha") or "")
        result = judge_change(PipelineRequest(
            config=config,
            output_dir=self.output_dir,
            change_set=change_set,
            decision=decision,
            iterations=self.inputs.iterations,
            baseline=baseline,
            baseline_source=source,
            comparison=self.comparison_override(),
            paired_base=base_sha or None,
            head_results=self.results_input(),
            run_info=self.run_info(config, pr=number, pr_head_sha=head_sha),
            fail_on=self.inputs.fail_on,
            progress=self.progress(),
            links=self.links() | self.baseline_links(),
            report_key=self.report_key(),
            notes=self.notes,
            repository_url=self.repository_url(),
        ))
        return self.finish(result, number, head_sha, fork=self.context.is_fork_pr)

    def warn_privileged_checkout(self) -> None:
        """pull_request_target runs with a write token: checking out the PR's code there
        hands that token to whoever opened the PR."""
        head = git_output(self.project, "rev-parse", "HEAD")
        pr = self.context.pull_request or {}
        pr_commits = {self.context.pr_head_sha, str(pr.get("merge_commit_sha") or "")} - {""}
        if head and head in pr_commits:
            self.workflow.warning(
                f"pull_request_target with the pull request's own commit checked out ({head[:12]}): "
                "this job runs code from the pull request with a token that can write to the "
                "repository and with its secrets, so the PR's author can take them over. Measure "
                "pull requests with the `pull_request` event, and for forks use the fork-safe "
                f"workflow pair ({FORK_SAFE_DOC}); never check out PR code in pull_request_target",
                title="lanebench: untrusted code in a privileged job",
            )

    def pull_request_change_set(self, number: int, *, use_git: bool) -> ChangeSet:
        """The PR's files from the API; beyond GitHub's 3,000, from `git diff` when the
        workspace has the history (never in the fork-safe report job: no PR code there)."""
        from lanebench.changes import change_set_from_git, change_set_from_pr_files

        labels = self.context.pr_labels
        files = self.client.pull_request_files(number)
        listed = change_set_from_pr_files(files.files, labels, total_files=files.total,
                                          root=self.workspace)
        if not files.truncated:
            return listed
        limit = (f"GitHub lists at most 3,000 of a pull request's files; this one changes "
                 f"{files.total:,}")
        if use_git:
            pr = self.context.pull_request or {}
            base_sha = str((pr.get("base") or {}).get("sha") or "")
            head_sha = self.context.pr_head_sha
            try:
                if not base_sha:
                    raise ConfigError("the event names no base commit")
                from_git = change_set_from_git(self.workspace, base_sha, head_sha, labels=labels)
            except LanebenchError as exc:
                note = (f"{limit}, and the workspace has no history to diff instead "
                        f"({exc.message}): the file list is incomplete, so the lane is chosen "
                        "from the files listed. Set `fetch-depth: 0` on actions/checkout.")
                self.workflow.notice(note, title="lanebench: incomplete file list")
                self.notes.append(note)
                return listed
            note = f"{limit}, so the changed files come from `git diff` in the workspace."
            self.workflow.notice(note, title="lanebench: file list from git")
            self.notes.append(note)
            return from_git
        note = (f"{limit}: the file list is incomplete, so the lane is chosen from the "
                "files listed.")
        self.workflow.notice(note, title="lanebench: incomplete file list")
        self.notes.append(note)
        return listed

    def fetch_baseline(self, decision: LaneDecision, *,
                       measuring: bool = True) -> tuple[ResultsDocument | None, str]:
        """The newest baseline artifact of the baseline branch, or (None, why there is none).

        Not fetched when the lane measures nothing (documentation changes), nor when this
        job measures base and head itself (paired)."""
        from lanebench.baseline import fetch_artifact_baseline

        if not decision.settings.run:
            return None, ""
        paired = (self.comparison_override() or decision.settings.comparison) == "paired"
        if paired and measuring:
            return None, ""  # base and head are both measured in this job
        name, branch = self.inputs.baseline_artifact, self.baseline_branch
        fetched = fetch_artifact_baseline(self.client, name, branch, self._tmp / "baseline")
        if fetched is None:
            self.notes.append(
                f"**No baseline yet**: no unexpired artifact `{name}` from a run on `{branch}`. "
                f"Create it by running this action on `{branch}` with `mode: baseline` and "
                f"uploading `{self.shown(self.output_dir)}/{RESULTS_FILE_NAME}` with "
                f"actions/upload-artifact as `name: {name}` ({BASELINE_WORKFLOW} does both, on "
                "every push and weekly, so the artifact never expires; start it now with "
                "`workflow_dispatch`)."
            )
            self.workflow.notice(
                f"lanebench: no baseline artifact `{name}` from {branch} yet: head-only "
                f"statistics; run the baseline workflow ({BASELINE_WORKFLOW}) on {branch} to "
                "create it",
                title="lanebench: no baseline",
            )
            return None, f"no artifact {name!r} from {branch} yet"
        self.baseline_run_id = fetched.artifact.run_id
        make_output_dir(self.output_dir)
        shutil.copyfile(fetched.path, self.output_dir / "baseline-results.json")
        return fetched.document, fetched.describe()

    def comparison_override(self) -> Literal["artifact", "paired"] | None:
        """The `comparison` input when set (`artifact` or `paired`); empty leaves the lane's."""
        return self.inputs.comparison or None

    def baseline_links(self) -> dict[str, str]:
        if not self.baseline_run_id:
            return {}
        runs = f"{self.context.server_url}/{self.context.repository}/actions/runs"
        return {"baseline": f"{runs}/{self.baseline_run_id}"}

    # --- fork-safe report -----------------------------------------------------------------

    def run_report(self) -> int:
        from lanebench.bundle import read_untrusted_bundle
        from lanebench.pipeline import PipelineRequest, decide, judge_change
        from lanebench.stats.paired import is_paired_document

        workflow_run = self.context.event.get("workflow_run")
        if not isinstance(workflow_run, dict):
            raise ConfigError(
                f"mode report reads the workflow_run event, this is {self.context.event_name}",
                hint="use `mode: report` only in the workflow that runs `on: workflow_run` "
                     f"({FORK_SAFE_DOC})",
            )
        directory = self.bundle_directory(workflow_run)
        trusted = read_untrusted_bundle(
            directory,
            expected_repository=self.context.repository,
            workflow_run=workflow_run,
            # for forks GitHub lists no PR in the workflow_run: the API says which is open
            open_pulls_with_head=self.client.open_pulls_with_head,
        )
        # From here on only checked values: the PR number and head commit GitHub vouches for.
        number, head_sha = trusted.pr_number, trusted.head_sha
        config = self.load_config()  # the default branch's: a fork cannot loosen its gate
        change_set = self.pull_request_change_set(number, use_git=False)
        labels = self.client.pull_request(number).labels
        change_set = change_set.with_labels(labels)
        decision = decide(config, change_set, self.inputs.lane or None)
        if is_paired_document(trusted.results):  # its base side was measured beside head
            baseline, source = None, ""
        else:
            baseline, source = self.fetch_baseline(decision, measuring=False)
        result = judge_change(PipelineRequest(
            config=config,
            output_dir=self.output_dir,
            change_set=change_set,
            decision=decision,
            baseline=baseline,
            baseline_source=source,
            head_results=trusted.results_path,
            fail_on=self.inputs.fail_on,
            links=self.links() | self.baseline_links(),
            report_key=self.report_key(),
            notes=self.notes,
        ))
        from_fork = str(((workflow_run.get("head_repository") or {}).get("full_name")) or "")
        fork = bool(from_fork) and from_fork.lower() != self.context.repository.lower()
        self.workflow.notice(
            f"lanebench: reporting PR #{number} at {head_sha[:12]} from workflow run "
            f"{workflow_run.get('id')}" + (f" (fork {from_fork})" if fork else "")
        )
        return self.finish(result, number, head_sha, fork=False)

    def bundle_directory(self, workflow_run: Mapping[str, Any]) -> Path:
        """The bundle as actions/download-artifact left it (`results`), or downloaded here."""
        given = self.results_input()
        if given is not None:
            return given
        from lanebench.baseline import BaselineError, extract_zip_safely

        run_id = workflow_run.get("id")
        if isinstance(run_id, bool) or not isinstance(run_id, int):
            raise ConfigError("the workflow_run event has no run id",
                              hint="set `results:` to the directory the bundle was downloaded to")
        artifact = self.client.artifact_for_run(run_id, BUNDLE_ARTIFACT)
        if artifact is None:
            raise ResultsError(
                f"workflow run {run_id} uploaded no artifact {BUNDLE_ARTIFACT!r}",
                hint="the measure workflow must run `lanebench bundle` and upload its output "
                     f"as {BUNDLE_ARTIFACT} ({FORK_SAFE_DOC})",
            )
        zip_path = self.client.download_artifact(artifact, self._tmp / "bundle.zip")
        directory = self._tmp / "bundle"
        try:
            extract_zip_safely(zip_path, directory, label=f"pull request {artifact.describe()}")
        except BaselineError as exc:
            raise ResultsError(exc.message, hint="re-run the pull request's measure workflow; "
                               "an artifact it did not write was refused") from None
        return directory

    # --- publishing -----------------------------------------------------------------------

    def finish(self, result: PipelineResult, number: int | None, head_sha: str, *, fork: bool) -> int:
        self.write_summary_and_outputs(result)
        published = self.publish(result, number, head_sha, fork=fork)
        self.workflow.set_output("comment-url", published.comment_url)
        self.workflow.set_output("check-url", published.check_url)
        lane = result.decision.lane if result.decision else "baseline"
        print(f"lanebench: lane {lane}, status {result.status}, {result.regressions} "
              f"regression(s); exit {result.exit_code}", flush=True)
        return result.exit_code

    def write_summary_and_outputs(self, result: PipelineResult) -> None:
        if result.summary:
            self.workflow.append_summary(result.summary)
        lane = result.decision.lane if result.decision else "baseline"
        self.workflow.set_output("lane", lane)
        self.workflow.set_output("status", result.status)
        self.workflow.set_output("regressions", result.regressions)
        self.workflow.set_output("results-path", self.shown(result.results_path))
        report = result.reports.get("summary") or result.reports.get("comment")
        self.workflow.set_output("report-path", self.shown(report.parent) if report else "")

    def publish(self, result: PipelineResult, number: int | None, head_sha: str, *, fork: bool) -> Published:
        published = Published()
        if number is not None and self.inputs.comment != "never":
            try:
                published.comment_url = self.post_comment(result, number)
            except GitHubPermissionError as exc:
                self.permission_problem(exc, fork=fork)
        if head_sha:
            try:
                published.check_url = self.create_check(result, head_sha)
            except GitHubPermissionError as exc:
                self.permission_problem(exc, fork=fork)
        return published

    def post_comment(self, result: PipelineResult, number: int) -> str:
        from lanebench.report import comment_marker

        marker = comment_marker(result.context.key)
        if self.inputs.comment == "on-change":
            news = result.regressions > 0 or result.gate_failed
            if not news and self.client.find_comment(number, marker) is None:
                return ""
        return self.client.upsert_comment(number, result.comment, marker)

    def create_check(self, result: PipelineResult, head_sha: str) -> str:
        from lanebench.report import render_summary

        conclusion = check_conclusion(result)
        run_url = self.context.run_url
        footer = f"\n\n[Full report in the job summary]({run_url})\n" if run_url else ""
        summary = result.summary
        budget = OUTPUT_FIELD_LIMIT - len(footer)
        if len(summary) > budget:
            # Re-render within the limit: the renderer drops details before rows.
            summary = render_summary(result.context, limit=max(budget - 16, 1000))
            summary = truncate_text(summary, budget, "*(shortened to GitHub's limit for a check "
                                    "run; the job summary and the report files are complete)*")
        return self.client.create_check_run(
            head_sha, self.inputs.check_name, conclusion, result.headline, summary + footer,
            details_url=run_url,
        )

    def permission_problem(self, exc: GitHubPermissionError, *, fork: bool) -> None:
        """403 on comment or check: say what to grant (or why granting cannot help) and go on."""
        kept = "the verdict is in the job summary and the step outputs"
        if fork:
            self.workflow.warning(
                f"{exc.message}. This pull request comes from a fork: GitHub gives its runs a "
                f"read-only token whatever `permissions:` ask for ({exc.permission} cannot be "
                f"granted), so use the fork-safe workflow pair ({FORK_SAFE_DOC}); {kept}",
                title="lanebench: cannot publish from a fork's pull request",
            )
        else:
            self.workflow.error(
                f"{exc.message}. Add `{exc.permission}` under the job's `permissions:`; {kept}",
                title="lanebench: missing permission",
            )


# --- pure helpers ------------------------------------------------------------------------


def check_conclusion(result: PipelineResult) -> Conclusion:
    """success, failure (the gate failed) or neutral (nothing to compare with yet)."""
    if result.status == "skipped":
        return "success"
    if result.gate_failed:
        return "failure"
    if result.status == "no-baseline":
        return "neutral"
    return "success"
