"""`compare`: two results documents in, a Comparison out. A pure function: no files.

Four steps, one function each:
1. `_outcome`: what each head benchmark can be (failed, skipped, carried over, missing in
   the baseline get those verdicts, one row per metric, so every report lists them);
2. `_analyse`: for each benchmark in both files and each compared metric on both sides,
   the summaries, the test and change estimate (twosample.py, paired.py), corrected for
   the runners when two runs are compared (history.py);
3. `_decide`: p-values adjusted across every benchmark x metric tested in the run
   (adjust.py), then the verdict (verdict.py) and noise diagnostics (power.py);
4. `_assemble`: the Comparison with its settings, runs, environments and trust line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lanebench.config.model import LaneSettings, StatsSettings
from lanebench.machine import machine_differences
from lanebench.metrics import COMPARED_BY_DEFAULT, COUNTS_COMPARED, INSTRUMENT_METRICS, metric
from lanebench.profile.cachegrind import ProfileError
from lanebench.profile.store import diff_stored
from lanebench.results import BenchmarkResult, InstructionCounts, ResultsDocument
from lanebench.stats import paired as paired_stats
from lanebench.stats.adjust import adjust_pvalues
from lanebench.stats.deterministic import compare_counts
from lanebench.stats.evaluate import MetricAnalysis, analyze_metric, verdict_for
from lanebench.stats.history import UNMODELLED_TRUST, Correction, CrossRun, paired_trust
from lanebench.stats.model import BenchmarkOutcome, Comparison, MetricComparison, Summary
from lanebench.stats.power import noise_check, paired_noise_check
from lanebench.stats.sequential import analysis_fraction, plan_of
from lanebench.stats.summary import OUTLIER_RULE, summarize

ESTIMATORS = {
    "mann-whitney": "Hodges-Lehmann shift of log values (ratio = exp(shift)) with the "
    "Mann-Whitney-based distribution-free interval",
    "welch-log": "difference of mean log values (ratio of geometric means) with Welch's interval",
    paired_stats.METHOD: paired_stats.ESTIMATOR,
}
VERDICT_RULE = (
    "unchanged: interval within ±δ; regression: adjusted p < α, interval above 1 and reaching "
    "+δ; improvement: mirror image; otherwise inconclusive"
)
FAILED_STATUSES = ("failed", "timeout")
FUNCTIONS_SHOWN = 10  # rows of "where the instructions went" per benchmark


@dataclass
class _Row:
    row: MetricComparison
    analysis: MetricAnalysis | None = None
    base_values: Sequence[float] = ()
    head_values: Sequence[float] = ()


@dataclass
class _Judging:
    """What the steps share: the settings, the kind of comparison, what was found so far."""

    lane: LaneSettings
    wanted: list[str]
    paired: bool  # head's own interleaved base side (stats/paired.py)
    cross: CrossRun | None  # two runs on two runners (stats/history.py)
    outcomes: list[BenchmarkOutcome] = field(default_factory=list)
    rows: list[_Row] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)

    @property
    def stats(self) -> StatsSettings:
        return self.lane.stats

    def threshold(self, name: str) -> float:
        return self.lane.thresholds.for_metric(name, metric(name).kind)

    def plain_row(self, bench: str, name: str, verdict: str, reason: str,
                  base_values: Sequence[float] = (), head_values: Sequence[float] = ()) -> None:
        self.rows.append(_Row(MetricComparison(
            benchmark=bench, metric=name, unit=metric(name).unit, kind=metric(name).kind,
            threshold=self.threshold(name), verdict=verdict, reason=reason,  # type: ignore[arg-type]
            base=_summary(base_values), head=_summary(head_values), method=self.stats.test,
        )))


def _summary(values: Sequence[float]) -> Summary | None:
    return summarize(values) if len(values) else None


def _failure_reason(bench: BenchmarkResult) -> str:
    if not bench.failures:
        note = f": {bench.notes[-1]}" if bench.notes else ""
        return f"the head run of this benchmark ended with status {bench.status}{note}"
    last = bench.failures[-1]
    if last.status == "timeout":
        what = "timed out"
    elif last.signal is not None:
        what = f"was killed by signal {last.signal}"
    elif last.exit_code is not None:
        what = f"exited with code {last.exit_code}"
    else:
        what = "failed"
    detail = last.message or next(
        (line.strip() for line in reversed(last.stderr_tail.splitlines()) if line.strip()), ""
    )
    count = len(bench.failures)
    more = f" ({count} failed iterations)" if count > 1 else ""
    return f"iteration {last.iteration} {what}{more}" + (f": {detail[:200]}" if detail else "")


def _metric_names(wanted: Sequence[str], *sample_dicts: dict[str, list[float]]) -> list[str]:
    present = set().union(*(d.keys() for d in sample_dicts)) if sample_dicts else set()
    return [m for m in wanted if m in present]


def _outcome(j: _Judging, hb: BenchmarkResult, bb: BenchmarkResult | None) -> BenchmarkOutcome:
    """The benchmark's outcome; "compared" when `_analyse` is to test it, else its rows are
    written here with the verdict its status gives every metric."""
    outcome = BenchmarkOutcome(name=hb.name, status="compared", base_n=bb.n if bb else 0, head_n=hb.n)
    base_samples = bb.samples if bb is not None else {}
    if hb.status in ("skipped", "carried_over"):
        outcome.status = "skipped" if hb.status == "skipped" else "carried over"
        outcome.notes.extend(hb.notes)
        verdict = outcome.status
        reason = hb.notes[-1] if hb.notes else (
            "not run in this lane" if verdict == "skipped"
            else "not affected by this change; the baseline's results stand"
        )
        for name in _metric_names(j.wanted, base_samples, hb.samples):
            j.plain_row(hb.name, name, verdict, reason, base_samples.get(name, ()), hb.samples.get(name, ()))
    elif hb.status in FAILED_STATUSES:
        outcome.status = "failed"
        reason = _failure_reason(hb)
        outcome.notes.append(reason)
        for name in _metric_names(j.wanted, base_samples, hb.samples):
            j.plain_row(hb.name, name, "failed", reason, base_samples.get(name, ()), hb.samples.get(name, ()))
    elif bb is None or bb.n == 0:
        outcome.status = "missing in baseline"
        why = ("not in the baseline results" if bb is None
               else f"the baseline run of this benchmark has no samples (status {bb.status})")
        outcome.notes.append(why)
        for name in _metric_names(j.wanted, hb.samples):
            j.plain_row(hb.name, name, "no baseline", why, (), hb.samples.get(name, ()))
    return outcome


def _analyse(j: _Judging, hb: BenchmarkResult, bb: BenchmarkResult, outcome: BenchmarkOutcome) -> None:
    """One row per compared metric: the test at the share of α its look may spend."""
    stats = j.stats
    if hb.status == "interrupted":
        outcome.notes.append(f"interrupted after {hb.n} measured iterations")
    if hb.failures:
        outcome.notes.append(f"{len(hb.failures)} failed iterations excluded from the samples")
    fraction, look_note = 1.0, ""
    plan = plan_of(hb.settings, j.lane)
    if plan is not None:
        fraction, look_note = analysis_fraction(plan, hb.n)
        outcome.notes.append(f"adaptive sampling: {look_note}, spending {fraction:.3g} of α")
    pairs = j.paired and paired_stats.is_paired(bb, hb)
    for name in j.wanted:
        if name not in bb.samples or name not in hb.samples:
            if name in bb.samples or name in hb.samples:
                side = "baseline" if name not in bb.samples else "head"
                outcome.notes.append(f"metric {name} not recorded in the {side} results")
            continue
        b_values, h_values = bb.samples[name], hb.samples[name]
        counted = name in INSTRUMENT_METRICS
        if counted and b_values and h_values and _count_row(j, hb, bb, name, b_values, h_values, pairs):
            continue
        if pairs:
            analysis = paired_stats.paired_analysis(b_values, h_values, stats, fraction)
        else:
            analysis = analyze_metric(b_values, h_values, stats, fraction)
            if j.cross is not None and not counted:  # counts do not depend on the runner
                analysis, correction = j.cross.adjust(analysis, hb.name, name, metric(name).kind)
                if correction is not None:
                    j.corrections.append(correction)
        r = analysis.result
        extra: dict[str, Any] = {
            "confidence": analysis.confidence,
            "alpha_fraction": fraction,
            "min_attainable_p": analysis.min_p,
        }
        if r is not None:
            extra["scale"] = r.scale
            extra.update({k: v for k, v in r.extra.items() if k != "note"})
            if "note" in r.extra:
                extra["note"] = r.extra["note"]
        if look_note:
            extra["look"] = look_note
        # A side can hold no samples at all (min_iterations: 0): no summary, and the
        # analysis above already says the data is insufficient.
        b_sum, h_sum = _summary(b_values), _summary(h_values)
        if b_sum is not None and h_sum is not None and b_sum.median > 0:
            extra["median_ratio"] = h_sum.median / b_sum.median
        j.rows.append(_Row(MetricComparison(
            benchmark=hb.name, metric=name, unit=metric(name).unit, kind=metric(name).kind,
            threshold=j.threshold(name), verdict="inconclusive", reason="",
            base=b_sum, head=h_sum,
            ratio=r.ratio if r else None,
            ci_low=r.ci_low if r else None,
            ci_high=r.ci_high if r else None,
            p_value=r.p_value if r else None,
            method=paired_stats.METHOD if pairs else stats.test, extra=extra,
        ), analysis, b_values, h_values))


def _count_row(j: _Judging, hb: BenchmarkResult, bb: BenchmarkResult, name: str,
               b_values: Sequence[float], h_values: Sequence[float], pairs: bool) -> bool:
    """An instrument metric's row from `compare_counts` (exact or range; a fingerprint
    mismatch downgraded, said why); False when its repeats are too noisy for that and the
    two-sample tests are to decide. No calibration, no history, no p-value: it stays out
    of the multiple-testing family."""
    head_counts, base_counts = hb.instructions, bb.instructions
    head_print = head_counts.fingerprint if head_counts is not None else None
    base_print = base_counts.fingerprint if base_counts is not None else None
    if pairs and base_print is None and head_counts is not None:
        base_print = head_counts.base_fingerprint
    threshold = j.threshold(name)
    counts = compare_counts(b_values, h_values, threshold=threshold,
                            base_fingerprint=base_print, head_fingerprint=head_print)
    if counts.verdict is None:
        return False
    b_sum, h_sum = _summary(b_values), _summary(h_values)
    extra: dict[str, Any] = {
        "count_method": counts.method,
        "base_spread": counts.base_spread,
        "head_spread": counts.head_spread,
    }
    if counts.fingerprint_differences:
        extra["fingerprint_differences"] = list(counts.fingerprint_differences)
    if counts.ratio is not None:
        extra["median_ratio"] = counts.ratio
    low = high = counts.ratio
    if counts.method == "range" and min(b_values) > 0:
        low, high = min(h_values) / max(b_values), max(h_values) / min(b_values)
    if name == "instructions":
        extra.update(_where_counts_went(base_counts, head_counts, pairs))
    j.rows.append(_Row(MetricComparison(
        benchmark=hb.name, metric=name, unit=metric(name).unit, kind=metric(name).kind,
        threshold=threshold, verdict=counts.verdict, reason=counts.reason,
        base=b_sum, head=h_sum, ratio=counts.ratio, ci_low=low, ci_high=high,
        method=f"counts ({counts.method})", extra=extra,
    )))
    return True


def _where_counts_went(base: InstructionCounts | None, head: InstructionCounts | None,
                       pairs: bool) -> dict[str, Any]:
    """The functions whose counts changed most, from the stored profiles: machine
    instructions per C function (`functions`), and bytecodes per Python function
    (`python_functions`) when the program is Python."""
    out: dict[str, Any] = {}
    for key, field_name, base_name, event in (
        ("functions", "profile", "base_profile", "Ir"),
        ("python_functions", "python_profile", "base_python_profile", "Bc"),
    ):
        base_profile = getattr(base, field_name) if base is not None else None
        if pairs and base_profile is None and head is not None:
            base_profile = getattr(head, base_name)
        head_profile = getattr(head, field_name) if head is not None else None
        if base_profile is None or head_profile is None:
            continue
        try:
            diff = diff_stored(base_profile, head_profile, event=event, top=FUNCTIONS_SHOWN)
        except ProfileError as err:
            out[f"{key}_problem"] = err.message
            continue
        out[key] = [
            {"file": r.file, "function": r.function, "label": r.short_label, "base": r.base,
             "head": r.head, "change": r.change, "share": r.share,
             **({"base_below": r.base_below} if r.base_below else {}),
             **({"head_below": r.head_below} if r.head_below else {})}
            for r in diff.rows
        ]
        out[f"{key}_changed"] = diff.functions_changed
        out[f"{key}_total_change"] = diff.change
    return out


def _decide(j: _Judging) -> int:
    """Adjust the family's p-values, then each tested row's verdict and noise check; the
    family's size."""
    stats = j.stats
    family = [r for r in j.rows if r.analysis is not None and r.analysis.p_family is not None]
    adjusted = adjust_pvalues([r.analysis.p_family for r in family], stats.correction)  # type: ignore[union-attr,misc]
    for r, p_adj in zip(family, adjusted, strict=True):
        r.row.p_adjusted = p_adj
        if r.analysis is not None and r.analysis.fraction != 1.0:
            r.row.extra["p_sequential"] = r.analysis.p_family
    for r in j.rows:
        if r.analysis is None:
            continue
        row = r.row
        row.verdict, row.reason = verdict_for(
            r.analysis, row.p_adjusted, alpha=stats.alpha, threshold=row.threshold
        )
        if row.verdict == "inconclusive" and row.extra.get("note"):
            # Why the interval is as wide as it is (runner bound, noisy calibration):
            # the verdict's reason must say it, not only the JSON.
            row.reason = f"{row.reason}; {row.extra['note']}"
        if len(r.base_values) >= 2 and len(r.head_values) >= 2:
            level = r.analysis.level / max(len(family), 1)
            if row.method == paired_stats.METHOD:
                row.noise = paired_noise_check(
                    r.base_values, r.head_values, threshold=row.threshold, level=level
                )
            else:
                row.noise = noise_check(
                    r.base_values, r.head_values, threshold=row.threshold, level=level,
                    test=stats.test,
                )
    return len(family)


def _assemble(j: _Judging, base: ResultsDocument, head: ResultsDocument, lane_name: str | None,
              family_size: int) -> Comparison:
    stats, cross = j.stats, j.cross
    if j.paired:
        trust, runner = paired_trust(head), {"mode": "paired"}
    elif cross is not None:
        trust, runner = cross.trust(j.corrections), cross.summary(j.corrections)
    else:
        trust, runner = UNMODELLED_TRUST, {"mode": "artifact"}
    return Comparison(
        lane=lane_name,
        settings={
            "test": stats.test,
            "correction": stats.correction,
            "alpha": stats.alpha,
            "confidence": stats.confidence,
            "metrics": j.wanted,
            "thresholds": {name: j.threshold(name) for name in j.wanted},
            "estimator": ESTIMATORS[paired_stats.METHOD if j.paired else stats.test],
            "comparison": "paired" if j.paired else "artifact",
            "outlier_rule": OUTLIER_RULE,
            "verdict_rule": VERDICT_RULE,
            "family_size": family_size,
        },
        base_run=base.run.to_dict(),
        head_run=head.run.to_dict(),
        base_environment=dict(base.environment),
        head_environment=dict(head.environment),
        cross_machine=machine_differences(base.environment, head.environment)
        + (cross.warnings() if cross is not None else []),
        benchmarks=j.outcomes,
        metrics=[r.row for r in j.rows],
        extra={"trust": trust, "runner": runner},
    )


def compare(
    base: ResultsDocument,
    head: ResultsDocument,
    *,
    lane: LaneSettings,
    lane_name: str | None = None,
    metrics: Sequence[str] | None = None,
) -> Comparison:
    """Compare head against base under the lane's statistics settings and thresholds."""
    # Paired results compare head with its own interleaved base side (stats/paired.py);
    # two separate runs get the cross-run corrections (stats/history.py).
    paired = paired_stats.is_paired_comparison(base, head)
    j = _Judging(
        lane=lane,
        wanted=list(metrics) if metrics is not None else [*COMPARED_BY_DEFAULT, *COUNTS_COMPARED],
        paired=paired,
        cross=None if paired else CrossRun.from_documents(base, head, lane),
    )
    for hb in head.benchmarks:
        bb = base.benchmark(hb.name)
        outcome = _outcome(j, hb, bb)
        j.outcomes.append(outcome)
        if outcome.status == "compared" and bb is not None:
            _analyse(j, hb, bb, outcome)
    head_names = {b.name for b in head.benchmarks}
    for bb in base.benchmarks:
        if bb.name not in head_names:
            j.outcomes.append(BenchmarkOutcome(
                name=bb.name, status="missing in head", base_n=bb.n,
                notes=["in the baseline results but not in head"],
            ))
    return _assemble(j, base, head, lane_name, _decide(j))
