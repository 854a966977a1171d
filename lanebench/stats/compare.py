"""`compare`: two results documents in, a Comparison out. A pure function: no files.

For each benchmark in both files and each compared metric present on both sides: the
summaries, the test and change estimate (twosample.py), then p-values adjusted across
every benchmark x metric tested in the run (adjust.py), then the verdict (verdict.py)
and noise diagnostics (power.py). Benchmarks that failed, were skipped or carried over
in head get those verdicts, one row per metric, so every report lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lanebench.atomic_write import write_json_atomic
from lanebench.config.model import LaneSettings
from lanebench.environment import machine_differences
from lanebench.errors import ResultsError
from lanebench.metrics import COMPARED_BY_DEFAULT, metric
from lanebench.results import (
    BenchmarkResult,
    ResultsDocument,
    check_major,
    load_json_file,
)
from lanebench.stats import paired as paired_stats
from lanebench.stats.adjust import adjust_pvalues
from lanebench.stats.evaluate import MetricAnalysis, analyze_metric, verdict_for
from lanebench.stats.history import UNMODELLED_TRUST, CrossRun, paired_trust
from lanebench.stats.model import (
    COMPARISON_KIND,
    BenchmarkOutcome,
    Comparison,
    MetricComparison,
    Noise,
    Summary,
)
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


@dataclass
class _Row:
    row: MetricComparison
    analysis: MetricAnalysis | None = None
    base_values: Sequence[float] = ()
    head_values: Sequence[float] = ()


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


def compare(
    base: ResultsDocument,
    head: ResultsDocument,
    *,
    lane: LaneSettings,
    lane_name: str | None = None,
    metrics: Sequence[str] | None = None,
) -> Comparison:
    """Compare head against base under the lane's statistics settings and thresholds."""
    stats = lane.stats
    wanted = list(metrics) if metrics is not None else list(COMPARED_BY_DEFAULT)
    outcomes: list[BenchmarkOutcome] = []
    rows: list[_Row] = []

    def threshold_of(name: str) -> float:
        return lane.thresholds.for_metric(name, metric(name).kind)

    def plain_row(bench: str, name: str, verdict: str, reason: str,
                  base_values: Sequence[float] = (), head_values: Sequence[float] = ()) -> None:
        rows.append(_Row(MetricComparison(
            benchmark=bench, metric=name, unit=metric(name).unit, kind=metric(name).kind,
            threshold=threshold_of(name), verdict=verdict, reason=reason,  # type: ignore[arg-type]
            base=_summary(base_values), head=_summary(head_values), method=stats.test,
        )))

    # Paired results compare head with its own interleaved base side (stats/paired.py);
    # two separate runs get the cross-run corrections (stats/history.py).
    paired_run = paired_stats.is_paired_comparison(base, head)
    cross = None if paired_run else CrossRun.from_documents(base, head, lane)
    for hb in head.benchmarks:
        bb = base.benchmark(hb.name)
        outcome = BenchmarkOutcome(name=hb.name, status="compared", base_n=bb.n if bb else 0, head_n=hb.n)
        outcomes.append(outcome)
        base_samples = bb.samples if bb is not None else {}
        if hb.status in ("skipped", "carried_over"):
            outcome.status = "skipped" if hb.status == "skipped" else "carried over"
            outcome.notes.extend(hb.notes)
            verdict = outcome.status
            reason = hb.notes[-1] if hb.notes else (
                "not run in this lane" if verdict == "skipped"
                else "not affected by this change; the baseline's results stand"
            )
            for name in _metric_names(wanted, base_samples, hb.samples):
                plain_row(hb.name, name, verdict, reason, base_samples.get(name, ()), hb.samples.get(name, ()))
            continue
        if hb.status in FAILED_STATUSES:
            outcome.status = "failed"
            reason = _failure_reason(hb)
            outcome.notes.append(reason)
            for name in _metric_names(wanted, base_samples, hb.samples):
                plain_row(hb.name, name, "failed", reason, base_samples.get(name, ()), hb.samples.get(name, ()))
            continue
        if bb is None or bb.n == 0:
            outcome.status = "missing in baseline"
            why = ("not in the baseline results" if bb is None
                   else f"the baseline run of this benchmark has no samples (status {bb.status})")
            outcome.notes.append(why)
            for name in _metric_names(wanted, hb.samples):
                plain_row(hb.name, name, "no baseline", why, (), hb.samples.get(name, ()))
            continue
        if hb.status == "interrupted":
            outcome.notes.append(f"interrupted after {hb.n} measured iterations")
        if hb.failures:
            outcome.notes.append(f"{len(hb.failures)} failed iterations excluded from the samples")
        fraction, look_note = 1.0, ""
        plan = plan_of(hb.settings, lane)
        if plan is not None:
            fraction, look_note = analysis_fraction(plan, hb.n)
            outcome.notes.append(f"adaptive sampling: {look_note}, spending {fraction:.3g} of α")
        pairs = paired_run and paired_stats.is_paired(bb, hb)
        for name in wanted:
            if name not in bb.samples or name not in hb.samples:
                if name in bb.samples or name in hb.samples:
                    side = "baseline" if name not in bb.samples else "head"
                    outcome.notes.append(f"metric {name} not recorded in the {side} results")
                continue
            b_values, h_values = bb.samples[name], hb.samples[name]
            if pairs:
                analysis = paired_stats.paired_analysis(b_values, h_values, stats, fraction)
            else:
                analysis = analyze_metric(b_values, h_values, stats, fraction)
                if cross is not None:
                    analysis = cross.adjust(analysis, hb.name, name, metric(name).kind)
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
            rows.append(_Row(MetricComparison(
                benchmark=hb.name, metric=name, unit=metric(name).unit, kind=metric(name).kind,
                threshold=threshold_of(name), verdict="inconclusive", reason="",
                base=b_sum, head=h_sum,
                ratio=r.ratio if r else None,
                ci_low=r.ci_low if r else None,
                ci_high=r.ci_high if r else None,
                p_value=r.p_value if r else None,
                method=paired_stats.METHOD if pairs else stats.test, extra=extra,
            ), analysis, b_values, h_values))

    head_names = {b.name for b in head.benchmarks}
    for bb in base.benchmarks:
        if bb.name not in head_names:
            outcomes.append(BenchmarkOutcome(
                name=bb.name, status="missing in head", base_n=bb.n,
                notes=["in the baseline results but not in head"],
            ))

    family = [r for r in rows if r.analysis is not None and r.analysis.p_family is not None]
    adjusted = adjust_pvalues([r.analysis.p_family for r in family], stats.correction)  # type: ignore[union-attr,misc]
    for r, p_adj in zip(family, adjusted, strict=True):
        r.row.p_adjusted = p_adj
        if r.analysis is not None and r.analysis.fraction != 1.0:
            r.row.extra["p_sequential"] = r.analysis.p_family
    family_size = len(family)
    for r in rows:
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
            level = r.analysis.level / max(family_size, 1)
            if row.method == paired_stats.METHOD:
                row.noise = paired_noise_check(
                    r.base_values, r.head_values, threshold=row.threshold, level=level
                )
            else:
                row.noise = noise_check(
                    r.base_values, r.head_values, threshold=row.threshold, level=level,
                    test=stats.test,
                )

    return Comparison(
        lane=lane_name,
        settings={
            "test": stats.test,
            "correction": stats.correction,
            "alpha": stats.alpha,
            "confidence": stats.confidence,
            "metrics": wanted,
            "thresholds": {name: threshold_of(name) for name in wanted},
            "estimator": ESTIMATORS[paired_stats.METHOD if paired_run else stats.test],
            "comparison": "paired" if paired_run else "artifact",
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
        benchmarks=outcomes,
        metrics=[r.row for r in rows],
        extra={
            "trust": paired_trust(head) if paired_run
            else cross.trust() if cross is not None else UNMODELLED_TRUST,
            "runner": {"mode": "paired"} if paired_run
            else cross.summary() if cross is not None else {"mode": "artifact"},
        },
    )


# --- reading and writing the comparison JSON --------------------------------------------


def _dataclass_from(cls: Any, data: dict[str, Any]) -> Any:
    fields = cls.__dataclass_fields__
    known = {k: v for k, v in data.items() if k in fields and k != "extra"}
    obj = cls(**known)
    if "extra" in fields:
        extra = dict(data.get("extra") or {})
        extra.update({k: v for k, v in data.items() if k not in fields})
        obj.extra = extra
    return obj


def comparison_from_dict(d: Any, *, source: str = "<comparison>") -> Comparison:
    """Rebuild a Comparison from its JSON form (`Comparison.to_dict()`)."""
    if not isinstance(d, dict) or "schema_version" not in d:
        raise ResultsError(f"{source}: not a lanebench comparison file (no schema_version)")
    if d.get("kind", COMPARISON_KIND) != COMPARISON_KIND:
        raise ResultsError(f"{source}: expected a {COMPARISON_KIND} file, got kind {d.get('kind')!r}")
    check_major(d["schema_version"], source)
    try:
        metrics = []
        for m in d.get("metrics", []):
            m = dict(m)
            for side in ("base", "head"):
                if m.get(side) is not None:
                    m[side] = _dataclass_from(Summary, m[side])
            if m.get("noise") is not None:
                m["noise"] = Noise(**m["noise"])
            metrics.append(_dataclass_from(MetricComparison, m))
        benchmarks = [BenchmarkOutcome(**b) for b in d.get("benchmarks", [])]
        top = {k: v for k, v in d.items() if k not in ("kind", "counts", "metrics", "benchmarks")}
        top["metrics"], top["benchmarks"] = metrics, benchmarks
        return _dataclass_from(Comparison, top)
    except (TypeError, AttributeError) as exc:
        raise ResultsError(f"{source}: malformed comparison file: {exc}") from None


def write_comparison(path: Path | str, comparison: Comparison) -> Path:
    return write_json_atomic(path, comparison.to_dict())


def read_comparison(path: Path | str) -> Comparison:
    return comparison_from_dict(load_json_file(path, "comparison file"), source=str(path))

