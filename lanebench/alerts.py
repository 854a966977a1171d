"""Trend alerts: which findings on main become issues, and which earlier issue each one is.

Pure: trend findings (`stats.trends.analyse`) and the alerts raised before (parsed from
their issues' markers, or from any other record) in, a plan out. Publishing the plan is
`lanebench.publish_alerts`; the issue text is `lanebench.report.alert_issue`.

An alert is a change point whose verdict is a regression, or a drift reported as one
(improvements too when asked). Each issue carries a hidden marker at the top of its body,

    <!-- lanebench-trend-alert v1 key=<hex> kind=change series=<hex> direction=up start=<sha> end=<sha> -->

made of hex digits and fixed words only, so no benchmark name can end the comment or
forge another alert's fields. `start`..`end` is the commit range: for a change point the
last run before it (`last_good`) and the first after it (`first_bad`), for a drift the
first and last run of its window.

A finding is the same alert as a known one when benchmark x metric, kind and direction
match and the two commit ranges overlap or end within `match_runs` runs of each other:
the first-bad run of one real change can move by a run or two as runs accumulate, and a
drift's window slides by one run per run. Matching is one to one, nearest first, so two
real steps of one series each keep their own issue.

What becomes of a finding:

- it matches an open issue: the issue is brought up to date (numbers sharpen as runs
  accumulate, and the range may move);
- it matches a closed issue: left alone. A maintainer closed it (fixed, accepted, or a
  false alarm); reopening or commenting on every main run that still sees the change
  would fight that decision. A later, different change opens a new issue;
- it matches nothing: a new issue, unless its range ended more than `max_age_runs` runs
  ago (old news when alerts are first turned on over a long history) or this run already
  opens `max_new` issues (the rest wait for the next run, newest first).

Open issues of ours that no current finding matches are left as they are (`quiet`): a
change point that stops being detected may come back with the next runs, and a comment
each time it flickers would be noise.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from lanebench.history_store import History
from lanebench.metrics import metric as metric_info
from lanebench.stats.model import Verdict
from lanebench.stats.trends import ALERTS, ChangeFinding, DriftFinding, TrendReport, alert_key

DEFAULT_LABEL = "lanebench-trend"
LABEL_COLOR = "d93f0b"
LABEL_DESCRIPTION = "A change on main found by lanebench's trend analysis"
MATCH_RUNS = 5  # the change-point search's fewest runs on a side: closer ends are one change
MAX_AGE_RUNS = 30
MAX_NEW = 5

Kind = Literal["change", "drift"]
Direction = Literal["up", "down"]

MARKER_PREFIX = "<!-- lanebench-trend-alert v1 "
_MARKER = re.compile(
    r"<!-- lanebench-trend-alert v1 key=(?P<key>[0-9a-f]{24}) kind=(?P<kind>change|drift) "
    r"series=(?P<series>[0-9a-f]{24}) direction=(?P<direction>up|down) "
    r"start=(?P<start>[0-9a-f]{7,64}) end=(?P<end>[0-9a-f]{7,64}) -->"
)


def series_id(benchmark: str, metric: str) -> str:
    """A marker-safe identity of one benchmark x metric (hex)."""
    text = json.dumps([benchmark, metric], ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class Alert:
    """One finding that asks for an issue."""

    kind: Kind
    benchmark: str
    metric: str
    direction: Direction
    verdict: Verdict
    start: str  # change: last_good; drift: the window's first commit
    end: str  # change: first_bad; drift: the window's last commit
    finding: ChangeFinding | DriftFinding

    @property
    def key(self) -> str:
        if isinstance(self.finding, ChangeFinding):
            return self.finding.key
        return alert_key(self.benchmark, self.metric, f"drift:{self.start}")

    @property
    def series(self) -> str:
        return series_id(self.benchmark, self.metric)

    @property
    def label(self) -> str:
        """The metric as reports name it ("Wall time")."""
        return metric_info(self.metric).label

    @property
    def marker(self) -> str:
        return (f"{MARKER_PREFIX}key={self.key} kind={self.kind} series={self.series} "
                f"direction={self.direction} start={self.start} end={self.end} -->")


@dataclass(frozen=True)
class KnownAlert:
    """An alert raised before, as its issue's marker records it."""

    key: str
    kind: Kind
    series: str
    direction: Direction
    start: str
    end: str
    number: int | None = None  # the issue
    state: str = "open"  # the issue's: "open" or "closed"

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def parse_marker(body: str, *, number: int | None = None, state: str = "open") -> KnownAlert | None:
    """The alert an issue body's marker records, or None when it has none (or a mangled one)."""
    found = _MARKER.search(body or "")
    if found is None:
        return None
    g = found.groupdict()
    return KnownAlert(key=g["key"], kind=g["kind"], series=g["series"],  # type: ignore[arg-type]
                      direction=g["direction"], start=g["start"], end=g["end"],  # type: ignore[arg-type]
                      number=number, state=state)


def alerts_from(report: TrendReport, *, improvements: bool = False) -> list[Alert]:
    """The findings that ask for an issue: regressions (and improvements when asked),
    change points and reported drifts, in the report's order."""
    wanted = ALERTS if improvements else ("regression",)
    out: list[Alert] = []
    for trend in report.trends:
        for c in trend.changes:
            if c.verdict in wanted:
                out.append(Alert(
                    kind="change", benchmark=c.series.benchmark, metric=c.series.metric,
                    direction="up" if c.change.direction > 0 else "down", verdict=c.verdict,
                    start=c.last_good, end=c.first_bad, finding=c,
                ))
        d = trend.drift
        if d is not None and d.reported and d.verdict in wanted:
            out.append(Alert(
                kind="drift", benchmark=d.series.benchmark, metric=d.series.metric,
                direction="up" if d.drift.slope > 0 else "down", verdict=d.verdict,
                start=d.since, end=d.until, finding=d,
            ))
    return out


@dataclass(frozen=True)
class Plan:
    create: tuple[Alert, ...]
    update: tuple[tuple[Alert, KnownAlert], ...]  # an open issue of ours: bring it up to date
    closed: tuple[tuple[Alert, KnownAlert], ...]  # closed by a maintainer: left alone
    held: tuple[tuple[Alert, str], ...]  # no issue opened now, and why
    quiet: tuple[KnownAlert, ...]  # open issues no current finding matches: left alone


def _distance(alert: Alert, known: KnownAlert, position: dict[str, int], match_runs: int) -> int | None:
    """How far apart two alerts' ranges are, in runs (-1: the same key, 0: overlapping);
    None when they are not the same alert."""
    if (alert.kind, alert.series, alert.direction) != (known.kind, known.series, known.direction):
        return None
    if alert.key == known.key:
        return -1
    ends = [position.get(c) for c in (alert.start, alert.end, known.start, known.end)]
    if any(e is None for e in ends):
        # Runs that left the history: only the same first-bad commit is the same alert.
        return 0 if alert.end == known.end else None
    a0, a1, k0, k1 = (e for e in ends if e is not None)
    if a0 <= k1 and k0 <= a1:
        return 0
    gap = abs(a1 - k1)
    return gap if gap <= match_runs else None


def plan(
    alerts: Sequence[Alert],
    known: Sequence[KnownAlert],
    history: History,
    *,
    match_runs: int = MATCH_RUNS,
    max_age_runs: int = MAX_AGE_RUNS,
    max_new: int = MAX_NEW,
) -> Plan:
    """What to do with each alert given the known ones (see the module's docstring)."""
    position = {run.commit: i for i, run in enumerate(history.runs)}
    pairs = []
    for i, alert in enumerate(alerts):
        for j, k in enumerate(known):
            d = _distance(alert, k, position, match_runs)
            if d is not None:
                # nearest first; on a tie an open issue, then the oldest issue
                pairs.append((d, not k.is_open, k.number if k.number is not None else 0, i, j))
    pairs.sort()
    matched_alerts: dict[int, int] = {}
    taken: set[int] = set()
    for _, _, _, i, j in pairs:
        if i not in matched_alerts and j not in taken:
            matched_alerts[i] = j
            taken.add(j)

    update: list[tuple[Alert, KnownAlert]] = []
    closed: list[tuple[Alert, KnownAlert]] = []
    fresh: list[Alert] = []
    for i, alert in enumerate(alerts):
        if i in matched_alerts:
            k = known[matched_alerts[i]]
            (update if k.is_open else closed).append((alert, k))
        else:
            fresh.append(alert)

    held: list[tuple[Alert, str]] = []
    newest = len(history.runs) - 1
    candidates = []
    for alert in fresh:
        end = position.get(alert.end)
        if end is None or newest - end > max_age_runs:
            where = "before the history" if end is None else f"{newest - end} runs ago"
            held.append((alert, f"its range ended {where}, beyond the {max_age_runs} runs an alert "
                                "is opened for"))
        else:
            candidates.append((end, alert))
    candidates.sort(key=lambda pair: -pair[0])  # newest first; stable for equal ends
    create = [a for _, a in candidates[:max(max_new, 0)]]
    held += [(a, f"this run already opens {max_new} alert issues; the next run opens it")
             for _, a in candidates[max(max_new, 0):]]
    quiet = tuple(k for j, k in enumerate(known) if j not in taken and k.is_open)
    return Plan(create=tuple(create), update=tuple(update), closed=tuple(closed), held=tuple(held),
                quiet=quiet)
