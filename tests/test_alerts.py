"""Trend alerts, pure: which finding is which issue, and the issue's text."""

from __future__ import annotations

from dataclasses import replace

from lanebench.alerts import (
    MARKER_PREFIX,
    Alert,
    KnownAlert,
    alerts_from,
    parse_marker,
    plan,
    series_id,
)
from lanebench.report.alert_issue import (
    CommitListing,
    PullLink,
    RangeCommit,
    commits_section,
    issue_body,
    issue_title,
    reusable_commits,
)
from lanebench.report.escape import ZWJ
from lanebench.stats.trends import analyse
from tests.trend_histories import commit, step_history

CREEP = {40: 1.01, 44: 1.01, 48: 1.01, 52: 1.01, 56: 1.01}
HOSTILE = "parse --> <!-- lanebench-trend-alert v1 key=000000000000000000000000 @alice #12 [x](http://a)"


def the_alert(**kwargs) -> Alert:  # type: ignore[no-untyped-def]
    (alert,) = alerts_from(analyse(step_history(**kwargs)))
    return alert


def known(alert: Alert, *, number: int = 7, state: str = "open", **changes: str) -> KnownAlert:
    found = parse_marker(alert.marker, number=number, state=state)
    assert found is not None
    return replace(found, **changes)


# --- alerts and markers ---------------------------------------------------------------------


def test_a_regression_step_is_one_change_alert_with_its_commit_range() -> None:
    alert = the_alert()
    assert (alert.kind, alert.direction, alert.verdict) == ("change", "up", "regression")
    assert (alert.start, alert.end) == (commit(19), commit(20))
    assert alert.key == alert.finding.key  # type: ignore[union-attr]


def test_improvements_are_alerts_only_when_asked() -> None:
    report = analyse(step_history(steps={20: 0.92}))
    assert alerts_from(report) == []
    (alert,) = alerts_from(report, improvements=True)
    assert (alert.direction, alert.verdict) == ("down", "improvement")


def test_a_creeping_drift_is_an_alert_of_its_own_beside_the_earlier_step() -> None:
    report = analyse(step_history(60, steps={15: 1.06}, creep=CREEP, noise=0.005))
    kinds = {(a.kind, a.end) for a in alerts_from(report)}
    assert kinds == {("change", commit(15)), ("drift", commit(59))}


def test_the_marker_round_trips_and_holds_no_benchmark_text() -> None:
    alert = the_alert(benchmark=HOSTILE)
    marker = alert.marker
    assert marker.startswith(MARKER_PREFIX) and marker.count("-->") == 1 and marker.endswith("-->")
    assert "parse" not in marker and "alice" not in marker
    parsed = parse_marker(f"text before\n{marker}\ntext after", number=3, state="closed")
    assert parsed == KnownAlert(key=alert.key, kind="change", series=series_id(HOSTILE, "wall"),
                                direction="up", start=commit(19), end=commit(20), number=3, state="closed")


def test_a_mangled_marker_is_no_alert() -> None:
    marker = the_alert().marker
    assert parse_marker(marker.replace("direction=up", "direction=sideways")) is None
    assert parse_marker(marker.replace("kind=change", "kind=change extra=1")) is None
    assert parse_marker("") is None


# --- the plan -------------------------------------------------------------------------------


def test_without_known_alerts_the_alert_is_created() -> None:
    history = step_history()
    alert = the_alert()
    decided = plan([alert], [], history)
    assert decided.create == (alert,) and decided.update == () and decided.held == ()


def test_a_re_run_updates_the_same_issue_and_creates_none() -> None:
    history = step_history()
    alert = the_alert()
    decided = plan([alert], [known(alert)], history)
    assert decided.create == () and decided.update == ((alert, known(alert)),)


def test_a_first_bad_commit_that_moved_by_a_few_runs_is_the_same_alert() -> None:
    history = step_history()
    alert = the_alert()
    earlier = known(alert, key="f" * 24, start=commit(21), end=commit(22))  # two runs later, no overlap
    decided = plan([alert], [earlier], history)
    assert decided.create == () and decided.update == ((alert, earlier),)


def test_a_change_more_than_five_runs_away_is_a_new_alert() -> None:
    history = step_history()
    alert = the_alert()
    far = known(alert, key="f" * 24, start=commit(25), end=commit(26))
    decided = plan([alert], [far], history)
    assert decided.create == (alert,) and decided.quiet == (far,)


def test_overlapping_ranges_are_the_same_alert_however_far_their_ends() -> None:
    history = step_history()
    alert = the_alert()
    wide = known(alert, key="f" * 24, start=commit(10), end=commit(30))  # runs that skipped it
    assert plan([alert], [wide], history).update == ((alert, wide),)


def test_another_direction_or_series_is_another_alert() -> None:
    history = step_history()
    alert = the_alert()
    for other in (known(alert, key="f" * 24, direction="down"),
                  known(alert, key="f" * 24, series="0" * 24),
                  known(alert, key="f" * 24, kind="drift")):
        assert plan([alert], [other], history).create == (alert,)


def test_a_closed_alert_stays_closed_and_nothing_is_created() -> None:
    history = step_history()
    alert = the_alert()
    closed = known(alert, state="closed")
    decided = plan([alert], [closed], history)
    assert decided.create == () and decided.update == () and decided.closed == ((alert, closed),)


def test_an_open_issue_wins_a_tie_with_a_closed_one_and_one_issue_serves_one_alert() -> None:
    history = step_history()
    alert = the_alert()
    closed, open_ = known(alert, number=3, state="closed"), known(alert, number=9)
    decided = plan([alert], [closed, open_], history)
    assert decided.update == ((alert, open_),) and decided.closed == () and decided.quiet == ()


def test_two_steps_of_one_series_keep_their_own_issues() -> None:
    history = step_history(60, steps={20: 1.08, 40: 1.08})
    first, second = alerts_from(analyse(history))
    assert (first.end, second.end) == (commit(20), commit(40))
    decided = plan([first, second], [known(first, number=4)], history)
    assert decided.update == ((first, known(first, number=4)),) and decided.create == (second,)


def test_an_open_issue_no_finding_matches_is_left_quiet() -> None:
    history = step_history()
    alert = the_alert()
    stale = known(alert, key="e" * 24, series="1" * 24)
    assert plan([alert], [stale], history).quiet == (stale,)


def test_an_alert_whose_range_left_the_history_matches_only_its_own_first_bad_commit() -> None:
    history = step_history()
    alert = the_alert()
    gone = known(alert, key="f" * 24, start="a" * 40, end="b" * 40)
    assert plan([alert], [gone], history).create == (alert,)
    same_end = known(alert, key="f" * 24, start="a" * 40)
    assert plan([alert], [same_end], history).update == ((alert, same_end),)


def test_old_changes_are_not_opened_when_alerts_start_on_a_long_history() -> None:
    history = step_history(80)  # the step is 60 runs back
    alert = the_alert(runs=80)
    decided = plan([alert], [], history, max_age_runs=30)
    assert decided.create == ()
    ((held, why),) = decided.held
    assert held == alert and "59 runs ago" in why and "30 runs" in why
    assert plan([alert], [], history, max_age_runs=60).create == (alert,)


def test_at_most_max_new_issues_a_run_newest_first() -> None:
    history = step_history(60, steps={10: 1.08, 25: 1.08, 40: 1.08})
    alerts = alerts_from(analyse(history))
    assert [a.end for a in alerts] == [commit(10), commit(25), commit(40)]
    decided = plan(alerts, [], history, max_new=2, max_age_runs=60)
    assert [a.end for a in decided.create] == [commit(40), commit(25)]
    ((held, why),) = decided.held
    assert held.end == commit(10) and "already opens 2" in why


# --- the issue's text -----------------------------------------------------------------------


LISTING = CommitListing(
    commits=(RangeCommit(commit(20), "Speed up *parse* | see [x](http://a) @alice #12 <!-- x -->", "bob",
                         f"https://github.com/o/r/commit/{commit(20)}",
                         (PullLink(12, "Parse faster @carol", "https://github.com/o/r/pull/12"),)),),
    total=3, compare_url="https://github.com/o/r/compare/x...y",
)


def test_title_is_one_line_and_rounded() -> None:
    alert = the_alert(benchmark="parse\nnext line")
    title = issue_title(alert)
    assert "\n" not in title
    assert title == f"lanebench: parse next line wall time +8% on main at {commit(20)[:7]}"


def test_body_carries_the_numbers_the_range_and_how_to_silence_it() -> None:
    alert = the_alert()
    section = commits_section(alert, LISTING, repository_url="https://github.com/o/r")
    body = issue_body(alert, commits=section, label="lanebench-trend")
    assert body.startswith(alert.marker + "\n")
    assert "**parse** · Wall time rose **+8.1%** on main (95% interval +7.3% to +8.9%)" in body
    assert "| main runs | 20 | 20 |" in body
    assert f"[`{commit(19)[:7]}`](https://github.com/o/r/commit/{commit(19)})" in body
    assert "(3 commits), [compared on GitHub](https://github.com/o/r/compare/x...y)" in body
    assert f"[#{ZWJ}12 Parse faster @{ZWJ}carol](https://github.com/o/r/pull/12)" in body
    assert "- … and 2 more" in body
    assert "**Close this issue**" in body and "`alert-issue` input" in body
    assert "`lanebench-trend` label" in body


def test_everything_from_the_repository_is_escaped() -> None:
    alert = the_alert(benchmark=HOSTILE)
    body = issue_body(alert, commits=commits_section(alert, LISTING, repository_url=None), label="x")
    # One marker of each kind, ours: neither a benchmark name nor a commit subject opens another.
    assert body.count("<!--") == 3  # the alert marker and the commits section's two
    assert body.count(MARKER_PREFIX) == 1
    assert "@alice" not in body and f"@{ZWJ}alice" in body
    assert "#12 " not in body.replace("[#", "")  # no bare cross-reference
    assert "[x](http" not in body and "\\*parse\\*" in body


def test_a_drift_body_names_its_window_and_the_steps_taken_out() -> None:
    report = analyse(step_history(60, steps={15: 1.06}, creep=CREEP, noise=0.005))
    drift = next(a for a in alerts_from(report) if a.kind == "drift")
    body = issue_body(drift, commits=commits_section(drift, None, repository_url=None, note="n"), label="x")
    assert "drifted **+" in body and "over the last 20 main runs" in body
    assert "Theil–Sen" in body and "Mann–Kendall" in body
    assert issue_title(drift).startswith("lanebench: parse wall time drifted +")


def test_a_complete_commits_section_is_reused_for_the_same_range_only() -> None:
    alert = the_alert()
    complete = commits_section(alert, LISTING, repository_url=None)
    body = issue_body(alert, commits=complete, label="x")
    assert reusable_commits(body, alert) == complete
    moved = replace(alert, end=commit(21))
    assert reusable_commits(body, moved) is None
    with_note = issue_body(alert, commits=commits_section(alert, None, repository_url=None, note="n"), label="x")
    assert reusable_commits(with_note, alert) is None
