"""Trend alerts as GitHub issues: `alerts.plan` carried out through `github.GitHubClient`.

The baseline job calls `publish_alerts` after its results are written, with the trend
report of the history it is about to upload. One issue per alert (a change point that is
a regression, or a reported drift), found again on every run by its label, its marker
and its author (the token's own account), so a re-run updates and never duplicates; see
`lanebench.alerts` for which finding is which issue and why closed issues stay closed.

It needs `issues: write` (and `contents: read` for the commits of each range). Nothing
here fails the job: a missing permission, issues turned off, or GitHub failing after its
retries becomes one warning line in `AlertsOutcome.warnings`, and the rest of the job
(results, job summary, the artifact upload) goes on. A commit range GitHub cannot list
(a force-pushed history) only leaves that issue without its commit list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lanebench.alerts import (
    DEFAULT_LABEL,
    LABEL_COLOR,
    LABEL_DESCRIPTION,
    MARKER_PREFIX,
    MATCH_RUNS,
    MAX_AGE_RUNS,
    MAX_NEW,
    Alert,
    KnownAlert,
    alerts_from,
    parse_marker,
    plan,
)
from lanebench.github import (
    RANGE_COMMITS_LIMIT,
    GitHubClient,
    GitHubError,
    GitHubPermissionError,
    IssueInfo,
)
from lanebench.history_store import History
from lanebench.report.alert_issue import (
    CommitListing,
    PullLink,
    RangeCommit,
    commits_section,
    issue_body,
    issue_title,
    reusable_commits,
)
from lanebench.report.escape import plain_line
from lanebench.stats.trends import TrendReport

PULL_LOOKUPS = 20  # commits of a range whose pull requests are asked for (one request each)
PULLS_PER_COMMIT = 5


@dataclass(frozen=True)
class IssueRef:
    alert: Alert
    number: int
    url: str


@dataclass
class AlertsOutcome:
    """What happened to each alert; `warnings` are one line each, for `::warning::`."""

    created: list[IssueRef] = field(default_factory=list)
    updated: list[IssueRef] = field(default_factory=list)
    unchanged: list[IssueRef] = field(default_factory=list)  # already up to date: no request
    closed: list[IssueRef] = field(default_factory=list)  # matched a closed issue: left alone
    held: list[tuple[Alert, str]] = field(default_factory=list)  # no issue now, and why
    quiet: list[KnownAlert] = field(default_factory=list)  # open, nothing matches it now
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One plain line per alert, for the job summary or a log."""
        out = [f"opened #{r.number}: {issue_title(r.alert)}" for r in self.created]
        out += [f"updated #{r.number}: {issue_title(r.alert)}" for r in self.updated]
        out += [f"up to date #{r.number}: {issue_title(r.alert)}" for r in self.unchanged]
        out += [f"left closed #{r.number}: {issue_title(r.alert)}" for r in self.closed]
        out += [f"not opened ({why}): {issue_title(a)}" for a, why in self.held]
        out += [f"no longer found, left open: #{k.number}" for k in self.quiet]
        return out


def publish_alerts(
    client: GitHubClient,
    report: TrendReport,
    history: History,
    *,
    label: str = DEFAULT_LABEL,
    repository_url: str | None = None,
    improvements: bool = False,
    max_new: int = MAX_NEW,
    max_age_runs: int = MAX_AGE_RUNS,
    match_runs: int = MATCH_RUNS,
) -> AlertsOutcome:
    """Open or update one issue per alert of `report` (the analysis of `history`).

    `repository_url` (``$GITHUB_SERVER_URL/$GITHUB_REPOSITORY``) links the commits of each
    range. Never raises `GitHubError`: a failure stops the remaining issue requests and is
    one line in the outcome's warnings.
    """
    outcome = AlertsOutcome()
    alerts = alerts_from(report, improvements=improvements)
    if not alerts:
        return outcome  # nothing to open or update: no request at all
    try:
        issues = {i.number: i for i in client.own_issues(label, MARKER_PREFIX)}
        known = [k for i in issues.values()
                 if (k := parse_marker(i.body, number=i.number, state=i.state)) is not None]
        decided = plan(alerts, known, history, match_runs=match_runs, max_age_runs=max_age_runs,
                       max_new=max_new)
        outcome.held, outcome.quiet = list(decided.held), list(decided.quiet)
        for alert, k in decided.closed:
            assert k.number is not None
            outcome.closed.append(IssueRef(alert, k.number, issues[k.number].html_url))
        for alert, k in decided.update:
            assert k.number is not None
            _update(client, alert, issues[k.number], outcome, label=label, repository_url=repository_url)
        if decided.create:
            client.ensure_label(label, color=LABEL_COLOR, description=LABEL_DESCRIPTION)
        for alert in decided.create:
            if not _create(client, alert, outcome, label=label, repository_url=repository_url):
                break
    except GitHubError as exc:
        outcome.warnings.append(_warning(exc))
    return outcome


def _warning(exc: GitHubError) -> str:
    kept = "the baseline results are written and the job goes on"
    if isinstance(exc, GitHubPermissionError):
        return (f"lanebench: no trend alert issues: {exc.message}. Add `{exc.permission}` under "
                f"the baseline job's `permissions:`; {kept}")
    fix = f" ({exc.hint})" if exc.hint else ""
    return f"lanebench: trend alert issues not updated: {exc.message}{fix}; {kept}"


def _update(client: GitHubClient, alert: Alert, issue: IssueInfo, outcome: AlertsOutcome, *,
            label: str, repository_url: str | None) -> None:
    commits = reusable_commits(issue.body, alert) or _commits(client, alert, repository_url)
    body = issue_body(alert, commits=commits, label=label)
    title = issue_title(alert)
    changes = {"title": title if title != issue.title else None,
               "body": body if body != issue.body else None}
    if changes["title"] is None and changes["body"] is None:
        outcome.unchanged.append(IssueRef(alert, issue.number, issue.html_url))
        return
    updated = client.update_issue(issue.number, **changes)
    outcome.updated.append(IssueRef(alert, updated.number, updated.html_url))


def _create(client: GitHubClient, alert: Alert, outcome: AlertsOutcome, *,
            label: str, repository_url: str | None) -> bool:
    body = issue_body(alert, commits=_commits(client, alert, repository_url), label=label)
    created = client.create_issue(issue_title(alert), body, [label])
    outcome.created.append(IssueRef(alert, created.number, created.html_url))
    if label.lower() not in (name.lower() for name in created.labels):
        # GitHub drops the labels of a new issue when the token may not set them; without
        # the label the next run cannot find this issue and would open another.
        outcome.warnings.append(
            f"lanebench: GitHub opened alert issue #{created.number} without the label "
            f"{label!r}, so the next run could not find it again: no more alert issues are "
            "opened. Give the token `issues: write` on this repository")
        return False
    return True


def _commits(client: GitHubClient, alert: Alert, repository_url: str | None) -> str:
    """The range's commits section. A range GitHub cannot list, or pull requests it does
    not give, leave a one-line note instead."""
    try:
        listed = client.commit_range(alert.start, alert.end, limit=RANGE_COMMITS_LIMIT)
    except GitHubError as exc:
        note = f"GitHub did not list the commits of this range: {plain_line(exc.message)}."
        return commits_section(alert, None, repository_url=repository_url, note=note)
    pulls: dict[str, tuple[PullLink, ...]] = {}
    note = ""
    try:
        for c in listed.commits[:PULL_LOOKUPS]:
            pulls[c.sha] = tuple(PullLink(p.number, p.title, p.html_url)
                                 for p in client.pulls_of_commit(c.sha, limit=PULLS_PER_COMMIT))
    except GitHubError as exc:
        note = f"GitHub did not list the pull requests of these commits: {plain_line(exc.message)}."
    commits = tuple(RangeCommit(c.sha, c.subject, c.author, c.html_url, pulls.get(c.sha, ()))
                    for c in listed.commits)
    listing = CommitListing(commits, listed.total, listed.html_url)
    return commits_section(alert, listing, repository_url=repository_url, note=note)
