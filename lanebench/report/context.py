"""The one input every renderer takes: what was measured, compared and decided."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lanebench.advice import Recommendation
from lanebench.main_trends import MainTrends
from lanebench.results import ResultsDocument
from lanebench.sla import SlaReport
from lanebench.stats.model import Comparison


@dataclass
class TrendPoint:
    """One earlier run for the trend chart: a label (short SHA, date) and wall medians."""

    label: str
    values: dict[str, float]  # benchmark name -> median wall time in seconds


@dataclass
class ReportContext:
    """Everything a report shows. Renderers read it and never change it.

    `comparison` None means there is no baseline yet: reports show head-only statistics.
    `head` None (or `skip_reason` set) means the lane ran nothing, e.g. the docs lane.
    `links` may hold "run" (the workflow run), "report" (the report artifact) and
    "baseline" (where the baseline came from); other keys are ignored.
    """

    head: ResultsDocument | None
    comparison: Comparison | None = None
    base: ResultsDocument | None = None
    sla: SlaReport | None = None
    advice: list[Recommendation] = field(default_factory=list)
    lane: dict[str, Any] | None = None
    links: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # benchmark -> why not run
    carried_over: dict[str, str] = field(default_factory=dict)  # benchmark -> from where
    skip_reason: str | None = None  # the whole run was skipped, and why
    title: str = "lanebench"
    key: str | None = None  # tells apart the comments of several configs on one PR
    history: list[TrendPoint] | None = None
    trends: MainTrends | None = None  # the record of main runs and its analysis, when there is one
    notes: list[str] = field(default_factory=list)  # Markdown shown under the status line

    @property
    def lane_name(self) -> str | None:
        if self.lane and isinstance(self.lane.get("lane"), str):
            return self.lane["lane"]
        if self.comparison is not None and self.comparison.lane:
            return self.comparison.lane
        if self.head is not None and self.head.run.lane:
            return self.head.run.lane
        return None

    @property
    def is_skipped(self) -> bool:
        """The lane measured nothing (docs lane), so the report only explains why."""
        if self.skip_reason is not None:
            return True
        if self.lane and self.lane.get("run") is False:
            return True
        return self.head is None or (not self.head.benchmarks and self.comparison is None)
