"""The one function that strings the steps together, used by the CLI and the action.

change set → lane → plan → run (or read results produced elsewhere) → compare with the
baseline → SLA + advice → reports on disk, and returned rendered (comment, summary,
headline). Publishing (comment, check, outputs) is the caller's job: this module knows
nothing of GitHub.

`record` is where a run's results file is written, once, whether the run measured
(`measure_lane`, also for `lanebench run`), read its head from elsewhere, or was
interrupted (the partial document is written before the interrupt goes on).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lanebench.advice import Recommendation, recommend
from lanebench.baseline import append_history, append_main_run, main_run_of
from lanebench.calibration.measure import run_calibrated
from lanebench.changes import ChangeSet
from lanebench.config import BenchmarkSpec, Config, LaneSettings
from lanebench.config.model import MAX_ITERATIONS, checked_override
from lanebench.errors import ConfigError
from lanebench.lane_decision import LaneDecision, Planned, decide_lane, plan_benchmarks
from lanebench.main_trends import MainTrends, main_trends
from lanebench.metrics import COMPARED_BY_DEFAULT
from lanebench.output_dir import make_output_dir
from lanebench.report import ReportContext, headline, render_reports, write_rendered
from lanebench.results import (
    RESULTS_FILE_NAME,
    BenchmarkResult,
    ResultsDocument,
    RunInfo,
    read_results,
    write_results,
)
from lanebench.runner import Progress, RunInterrupted, run_benchmarks
from lanebench.runner.paired import run_paired
from lanebench.runner.sample import StopRule
from lanebench.sla import FailOn, SlaReport, compared_metrics, evaluate_sla
from lanebench.stats import Comparison, SequentialStopper, compare, sequential_stopper
from lanebench.stats.paired import is_paired_document, paired_baseline

Status = Literal["pass", "warn", "fail", "skipped", "no-baseline"]
REPORTS_DIR = "report"


@dataclass
class PipelineRequest:
    """What to measure and against what. Paths are absolute or relative to the cwd."""

    config: Config
    output_dir: Path
    change_set: ChangeSet | None = None  # None: unknown, the fallback lane is used
    forced_lane: str | None = None
    decision: LaneDecision | None = None  # decided already (`decide`), else from the change set
    iterations: int | None = None
    baseline: ResultsDocument | None = None
    baseline_source: str = ""  # where the baseline came from, or why there is none
    head_results: Path | None = None  # produced elsewhere: measure nothing, judge this file
    run_info: RunInfo = field(default_factory=RunInfo)
    fail_on: FailOn | None = None
    resume: bool = False
    progress: Progress | None = None
    links: dict[str, str] = field(default_factory=dict)
    report_key: str | None = None
    # The baseline job: the previous baseline, whose history the new one carries forward.
    previous_baseline: ResultsDocument | None = None
    # The PR job: "paired" measures `paired_base` beside head in this job, interleaved;
    # None takes the lane's `comparison` setting (docs/noise.md).
    comparison: Literal["artifact", "paired"] | None = None
    paired_base: str | None = None  # git ref or SHA of the base commit
    notes: list[str] = field(default_factory=list)  # Markdown shown under the reports' status line
    repository_url: str | None = None  # links the commits of main's trends


@dataclass
class PipelineResult:
    """What a job found; the report context holds the documents, the rest says how it went."""

    decision: LaneDecision | None  # None for a baseline run
    plan: list[Planned]
    context: ReportContext
    reports: dict[str, Path]  # format name -> file written
    rendered: dict[str, str]  # format name -> its text, as written
    results_path: Path | None
    status: Status

    @property
    def comment(self) -> str:
        """The PR comment, starting with its hidden marker."""
        return self.rendered.get("comment", "")

    @property
    def summary(self) -> str:
        """The job summary."""
        return self.rendered.get("summary", "")

    @property
    def headline(self) -> str:
        """The status line every report starts with, as plain text."""
        return headline(self.context)

    @property
    def head(self) -> ResultsDocument | None:
        return self.context.head

    @property
    def base(self) -> ResultsDocument | None:
        return self.context.base

    @property
    def comparison(self) -> Comparison | None:
        return self.context.comparison

    @property
    def sla(self) -> SlaReport | None:
        return self.context.sla

    @property
    def advice(self) -> list[Recommendation]:
        return self.context.advice

    @property
    def trends(self) -> MainTrends | None:
        """The record of main runs and its analysis (the baseline job's, or the one the
        baseline carried for a pull request's trend chart)."""
        return self.context.trends

    @property
    def regressions(self) -> int:
        return len(self.comparison.regressions) if self.comparison else 0

    @property
    def gate_failed(self) -> bool:
        return bool(self.sla and self.sla.gate_failed)

    @property
    def exit_code(self) -> int:
        return 1 if self.gate_failed else 0


def _with_iterations(lane: LaneSettings, iterations: int | None) -> LaneSettings:
    if iterations is None:
        return lane
    checked_override("iterations", iterations, 1, MAX_ITERATIONS)
    return lane.model_copy(update={"min_iterations": iterations, "max_iterations": iterations})


def _skipped(planned: Planned, note: str | None = None) -> BenchmarkResult:
    return BenchmarkResult(
        name=planned.spec.name,
        command=planned.spec.command,
        shell=planned.spec.shell,
        cwd=planned.spec.cwd,
        status="skipped",
        notes=[note or planned.reason],
    )


def _carried_over(base: ResultsDocument | None, planned: Planned) -> BenchmarkResult:
    """The baseline's samples stand in for a benchmark this change does not affect."""
    source = base.benchmark(planned.spec.name) if base is not None else None
    if source is None:
        return _skipped(
            planned, "no changed file matches its paths, and there is no baseline to carry over"
        )
    carried = copy.deepcopy(source)
    carried.status = "carried_over"
    carried.notes = [planned.reason]
    return carried


def _status(sla: SlaReport | None, comparison: Comparison | None, skipped: bool) -> Status:
    if skipped:
        return "skipped"
    if comparison is None:
        return "no-baseline"
    assert sla is not None
    return sla.status


def assess(
    base: ResultsDocument | None,
    head: ResultsDocument,
    lane: LaneSettings,
    lane_name: str | None,
    *,
    lane_decision: dict[str, Any] | None = None,
    fail_on: FailOn | None = None,
) -> tuple[Comparison | None, SlaReport, list[Recommendation]]:
    """Compare (every metric the SLA names included), check the SLA, derive advice."""
    comparison = None
    if base is not None:
        metrics = compared_metrics(lane, lane_name)
        comparison = compare(base, head, lane=lane, lane_name=lane_name, metrics=metrics)
    sla = evaluate_sla(lane, head, comparison, lane_name=lane_name, fail_on=fail_on)
    advice = recommend(comparison, head, base, sla, lane_decision)
    return comparison, sla, advice


def decide(config: Config, change_set: ChangeSet | None, forced: str | None = None) -> LaneDecision:
    """The change's lane; an unknown change set (None) gets the fallback lane."""
    unknown = ChangeSet(files=(), labels=(), source="unknown", complete=False)
    return decide_lane(config, change_set or unknown, forced=forced)


def record(
    output: Path,
    produce: Callable[[], ResultsDocument],
    finish: Callable[[ResultsDocument], ResultsDocument] | None = None,
    *,
    empty_too: bool = True,
) -> ResultsDocument:
    """The run's results document, `finish`ed, written to `output`: the one place a run's
    results file is written. An interrupted run's partial document is written as it is,
    before the interrupt goes on. With `empty_too` False, a document of no benchmarks is
    returned but not written."""
    try:
        doc = produce()
    except RunInterrupted as exc:
        write_results(output, exc.partial)
        raise
    if finish is not None:
        doc = finish(doc)
    if empty_too or doc.benchmarks:
        write_results(output, doc)
    return doc


def measure_lane(
    config: Config,
    lane_name: str,
    lane: LaneSettings,
    specs: list[BenchmarkSpec],
    *,
    output: Path,
    run_info: RunInfo,
    progress: Progress | None = None,
    paired_base: str | None = None,
    baseline: ResultsDocument | None = None,
    resume: bool = False,
    checkpoint: Path | None = None,
    log_dir: Path | None = None,
    finish: Callable[[ResultsDocument], ResultsDocument] | None = None,
) -> ResultsDocument:
    """Measure `specs` and write the results to `output` (`record`).

    With `paired_base` the base commit is measured beside head, pair by pair; else head
    alone, with the reference workload timed around and between the benchmarks. Either
    way, when the lane allows more iterations than its minimum, a stopping rule ends each
    benchmark once its verdicts are decided: against `baseline` for a plain run (none
    without one), against its own base side for a paired run.
    """
    adaptive = lane.max_iterations > lane.min_iterations
    if paired_base is not None:
        if resume:
            raise ConfigError("paired runs cannot be resumed", hint="run again without --resume")
        rule: StopRule | None = None
        if adaptive:
            rule = SequentialStopper(lane, family_size=len(specs) * len(COMPARED_BY_DEFAULT))
        return record(output, lambda: run_paired(
            config, lane_name, lane, specs, base_ref=paired_base, output=output, stop_rule=rule,
            progress=progress, run_info=run_info, log_dir=log_dir,
        ), finish)
    rule = sequential_stopper(baseline, lane) if baseline is not None and adaptive else None
    return record(output, lambda: run_calibrated(
        lambda between: run_benchmarks(
            config, lane_name, lane, specs, output=output, resume=resume, stop_rule=rule,
            progress=progress, run_info=run_info, checkpoint=checkpoint, log_dir=log_dir,
            between_benchmarks=between,
        ),
        lane.calibration,
        progress,
    ), finish)


def judge_change(request: PipelineRequest) -> PipelineResult:
    """The pull-request job: decide the lane, measure, compare, check, write reports."""
    config = request.config
    change_set = request.change_set or ChangeSet(files=(), labels=(), source="unknown", complete=False)
    decision = request.decision or decide(config, request.change_set, request.forced_lane)
    lane = _with_iterations(decision.settings, request.iterations)
    plan = plan_benchmarks(config, decision, change_set)
    output_dir = request.output_dir
    make_output_dir(output_dir)
    results_path = output_dir / RESULTS_FILE_NAME
    base = request.baseline
    run_info = copy.deepcopy(request.run_info)
    run_info.lane = decision.lane

    to_run = [p.spec for p in plan if p.run]
    if not lane.run:
        return _finish_skipped(request, decision, plan, output_dir)

    def with_the_rest(head: ResultsDocument) -> ResultsDocument:
        """Benchmarks not run in this lane keep their place in the report."""
        measured = {b.name for b in head.benchmarks}
        for planned in plan:
            if planned.run or planned.spec.name in measured:
                continue
            head.benchmarks.append(
                _carried_over(base, planned) if planned.carried_over else _skipped(planned))
        return head

    if request.head_results is not None:
        head_path = request.head_results

        def judged() -> ResultsDocument:
            head = read_results(head_path)
            _check_head_covers(head, to_run, head_path)
            return head

        head = record(results_path, judged, with_the_rest, empty_too=False)
    elif to_run:
        paired = (request.comparison or lane.comparison) == "paired"
        if paired and not request.paired_base:
            raise ConfigError(
                f"lane {decision.lane} compares paired, but no base commit is known",
                hint="pass --paired REF (or --base REF), or set `comparison: artifact`",
            )
        head = measure_lane(
            config, decision.lane, lane, to_run, output=results_path, run_info=run_info,
            progress=request.progress, paired_base=request.paired_base if paired else None,
            baseline=base, resume=request.resume, finish=with_the_rest,
        )
    else:
        head = record(results_path, lambda: ResultsDocument(run=run_info, environment={}, benchmarks=[]),
                      with_the_rest)
    if is_paired_document(head):
        base = paired_baseline(head)  # head's own interleaved base side

    lane_dict = decision.to_dict()
    comparison, sla, advice = assess(
        base, head, lane, decision.lane, lane_decision=lane_dict, fail_on=request.fail_on
    )
    links = dict(request.links)
    if request.baseline_source and not is_paired_document(head):
        links.setdefault("baseline", request.baseline_source)
    context = ReportContext(
        head=head,
        comparison=comparison,
        base=base,
        sla=sla,
        advice=advice,
        lane=lane_dict,
        links=links,
        skipped={p.spec.name: p.reason for p in plan if not p.run and not p.carried_over},
        carried_over={p.spec.name: p.reason for p in plan if p.carried_over},
        key=request.report_key,
        notes=list(request.notes),
        trends=_main_trend_chart(request.baseline, lane, request.repository_url),
    )
    return _finish(decision, plan, context, output_dir, results_path, _status(sla, comparison, skipped=False))


def _main_trend_chart(baseline: ResultsDocument | None, lane: LaneSettings,
                      repository_url: str | None) -> MainTrends | None:
    """Main's wall-time trend for a pull request's reports, from the baseline's record of
    main runs (wall time alone: the comment draws nothing else, and a pull request waits)."""
    if baseline is None or baseline.main_runs is None or len(baseline.main_runs.runs) < 2:
        return None
    return main_trends(baseline.main_runs, lane.thresholds, metrics=("wall",),
                       repository_url=repository_url, list_findings=False, find_new=False)


def _finish(
    decision: LaneDecision | None,
    plan: list[Planned],
    context: ReportContext,
    output_dir: Path,
    results_path: Path | None,
    status: Status,
) -> PipelineResult:
    rendered = render_reports(context)
    reports = write_rendered(rendered, output_dir / REPORTS_DIR)
    return PipelineResult(decision, plan, context, reports, rendered, results_path, status)


def _check_head_covers(head: ResultsDocument, specs: list, path: Path) -> None:
    missing = [s.name for s in specs if head.benchmark(s.name) is None]
    if missing:
        raise ConfigError(
            f"{path}: results have no benchmark {', '.join(repr(m) for m in missing)} that the lane runs",
            hint="run `lanebench run` with the same config and lane, or pass the lane explicitly",
        )


def _finish_skipped(
    request: PipelineRequest, decision: LaneDecision, plan: list[Planned], output_dir: Path
) -> PipelineResult:
    context = ReportContext(
        head=None,
        lane=decision.to_dict(),
        links=dict(request.links),
        skipped={p.spec.name: p.reason for p in plan},
        skip_reason=decision.reason,  # the headline already says "skipped (<lane> lane)"
        key=request.report_key,
        notes=list(request.notes),
    )
    return _finish(decision, plan, context, output_dir, None, "skipped")


def baseline_lane(config: Config) -> tuple[str, LaneSettings]:
    """Settings for measuring a baseline: a lane named `baseline` if the config has one,
    else the largest iteration budget of any running lane over every benchmark, fixed N."""
    if "baseline" in config.lanes:
        lane = config.lanes["baseline"]
        return "baseline", lane.model_copy(update={"run": True})
    running = [lane for lane in config.lanes.values() if lane.run]
    if not running:
        raise ConfigError("no lane runs benchmarks, so there is nothing to measure for a baseline")
    widest = max(running, key=lambda lane: lane.max_iterations)
    fixed = widest.max_iterations
    return "baseline", widest.model_copy(
        update={"benchmarks": "all", "min_iterations": fixed, "max_iterations": fixed}
    )


def measure_baseline(request: PipelineRequest) -> PipelineResult:
    """The main-branch job: measure every benchmark and write the next baseline."""
    config = request.config
    lane_name, lane = baseline_lane(config)
    lane = _with_iterations(lane, request.iterations)
    output_dir = request.output_dir
    make_output_dir(output_dir)
    results_path = output_dir / RESULTS_FILE_NAME
    run_info = copy.deepcopy(request.run_info)
    run_info.lane = lane_name
    specs = [b for b in config.benchmarks if lane.benchmarks == "all" or b.name in lane.benchmarks]

    def with_history(head: ResultsDocument) -> ResultsDocument:
        # The next baseline carries the last runs' summaries (run-to-run spread for
        # compare) and the longer record of main runs (trends).
        previous = request.previous_baseline
        with_summaries = append_history(previous, head, lane.history.keep)
        return append_main_run(previous, with_summaries, lane.history.trend_runs)

    if request.head_results is not None:
        head_path = request.head_results
        head = record(results_path, lambda: read_results(head_path), with_history)
    else:
        head = measure_lane(
            config, lane_name, lane, specs, output=results_path, run_info=run_info,
            progress=request.progress, resume=request.resume, finish=with_history,
        )
    sla = evaluate_sla(lane, head, None, lane_name=lane_name, fail_on=request.fail_on)
    advice = recommend(None, head, None, sla, None)
    notes = list(request.notes)
    if main_run_of(head) is None:
        notes.append("This run names no commit SHA (not a git checkout) or measured nothing, "
                     "so it is not a point of main's trends.")
    trends = None
    if head.main_runs is not None:
        # Findings are new when this run's own record brought them; a run that added no
        # record (no commit) brings none.
        own = main_run_of(head)
        added = own is not None and head.main_runs.runs[-1].commit == own.commit
        trends = main_trends(head.main_runs, lane.thresholds, repository_url=request.repository_url,
                             find_new=added)
    context = ReportContext(
        head=head, sla=sla, advice=advice, lane={"lane": lane_name, "reasons": ["baseline run"], "trace": []},
        links=dict(request.links), key=request.report_key, title="lanebench baseline",
        notes=notes, trends=trends,
    )
    return _finish(None, [], context, output_dir, results_path, sla.status)
