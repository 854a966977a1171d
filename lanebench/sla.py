"""SLA validation: per-lane rules checked against results and the comparison.

Model first, evaluation below it. Rule syntax and parsing live in
`lanebench.config.sla`; the user-facing description is docs/sla.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from lanebench.config.model import LaneSettings
from lanebench.config.sla import SlaRule, default_rules, implicit_rules
from lanebench.formatting import (
    adjusted_p,
    change_bounds,
    confidence_text,
    format_change,
    format_duration,
    format_value,
)
from lanebench.metrics import COMPARED_BY_DEFAULT, COUNTS_COMPARED
from lanebench.results import BenchmarkResult, ResultsDocument
from lanebench.stats.model import DECIDED, Comparison, MetricComparison
from lanebench.stats.statistic import sample_statistic, statistic_interval

Severity = Literal["warning", "critical"]
SlaStatus = Literal["pass", "warn", "fail"]
FailOn = Literal["critical", "warning", "never"]


@dataclass
class Finding:
    """One rule evaluated on one benchmark (or on the run as a whole)."""

    rule: str  # the rule as the user wrote it (or the default's text), e.g. "wall.p95 <= 2s"
    severity: Severity
    passed: bool
    message: str  # one sentence with the observed value, its interval and the limit
    benchmark: str | None = None
    metric: str | None = None
    observed: float | None = None
    interval: tuple[float, float] | None = None
    limit: float | None = None
    unit: str = ""  # "s", "bytes", "ratio", "count", "fraction"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SlaReport:
    status: SlaStatus
    fail_on: FailOn
    findings: list[Finding]  # every evaluated rule, passed ones included
    lane: str | None = None

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if not f.passed]

    @property
    def gate_failed(self) -> bool:
        """Whether the check must fail under `fail_on`."""
        if self.fail_on == "never":
            return False
        if self.fail_on == "warning":
            return self.status in ("warn", "fail")
        return self.status == "fail"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "gate_failed": self.gate_failed}


# --- evaluation ------------------------------------------------------------------------

# Statuses whose samples are not this run's measurement of this change.
_NOT_MEASURED = ("skipped", "carried_over")


def lane_rules(lane: LaneSettings, lane_name: str | None = None) -> list[SlaRule]:
    """The rules a lane enforces: its own list (or the built-in one), plus the implicit rules."""
    if lane.sla is not None:
        rules = list(lane.sla)
    else:
        rules = default_rules(lane_name, getattr(lane, "extend", None))
    named = {r.parsed.kind for r in rules}
    rules += [r for r in implicit_rules() if r.parsed.kind not in named]
    return [r for r in rules if r.effective_severity != "off"]


def compared_metrics(lane: LaneSettings, lane_name: str | None = None) -> list[str]:
    """The metrics `compare` should test: the defaults plus any a relative rule names."""
    metrics = [*COMPARED_BY_DEFAULT, *COUNTS_COMPARED]
    for rule in lane_rules(lane, lane_name):
        named = rule.parsed.metric
        if rule.parsed.kind == "relative" and named is not None and named not in metrics:
            metrics.append(named)
    return metrics


def evaluate_sla(
    lane: LaneSettings,
    head: ResultsDocument,
    comparison: Comparison | None,
    *,
    lane_name: str | None = None,
    fail_on: FailOn | None = None,
) -> SlaReport:
    """Check the lane's rules against the head results and the comparison (pure).

    `lane_name` picks the built-in rules when the lane has no `sla:` (default: the lane
    recorded in the head results); `fail_on` overrides the lane's.
    """
    name = lane_name if lane_name is not None else head.run.lane
    rules = lane_rules(lane, name)
    relative = [r for r in rules if r.parsed.kind == "relative"]
    findings: list[Finding] = []
    for rule in rules:
        kind = rule.parsed.kind
        if kind == "absolute":
            findings += _absolute(rule, head, lane)
        elif kind == "relative":
            findings += _relative(rule, comparison)
        elif kind == "failures":
            findings += _failures(rule, head)
        elif kind == "budget":
            findings.append(_budget(rule, head, lane))
        elif kind == "any-regression":
            findings += _any_regression(rule, comparison, relative)
        elif kind == "noise":
            findings += _noise(rule, comparison)
    return SlaReport(
        status=overall_status(findings),
        fail_on=fail_on or lane.fail_on,
        findings=findings,
        lane=name,
    )


def overall_status(findings: list[Finding]) -> SlaStatus:
    failed = [f for f in findings if not f.passed]
    if any(f.severity == "critical" for f in failed):
        return "fail"
    return "warn" if failed else "pass"


def _severity(rule: SlaRule) -> Severity:
    sev = rule.effective_severity
    assert sev != "off"
    return sev


# --- formatting ------------------------------------------------------------------------


def format_limit(value: float, unit: str) -> str:
    """A limit as the user would write it: 80%, 2.000 s, 512.0 MiB, 0."""
    if unit == "fraction":
        return f"{value * 100:g}%"
    return format_value(value, unit)


def _alpha(comparison: Comparison) -> float:
    alpha = comparison.settings.get("alpha")
    return float(alpha) if isinstance(alpha, (int, float)) and 0 < alpha < 1 else 0.05


def describe_change(m: MetricComparison, confidence: float, alpha: float = 0.05) -> str:
    """`wall +12.3% (95% CI +8.1% to +16.9%, adjusted p = 0.0012)`."""
    if m.change is None:
        return f"{m.metric}: {m.verdict}"
    if m.method.startswith("counts"):  # exact or range: no interval estimate, no p-value
        return f"{m.metric} {m.reason}"
    details = []
    if m.ci_low is not None and m.ci_high is not None:
        details.append(f"{confidence_text(confidence)} CI {change_bounds(m.ci_low, m.ci_high)}")
    details.append(adjusted_p(m.p_adjusted, alpha))
    if m.base is not None and m.head is not None:
        details.append(
            f"median {format_value(m.base.median, m.unit)} → {format_value(m.head.median, m.unit)}"
        )
    return f"{m.metric} {format_change(m.change)} ({', '.join(details)})"


def _confidence(comparison: Comparison) -> float:
    value = comparison.settings.get("confidence", 0.95)
    return float(value) if isinstance(value, (int, float)) else 0.95


def _change_interval(m: MetricComparison) -> tuple[float, float] | None:
    if m.ci_low is None or m.ci_high is None:
        return None
    return (m.ci_low - 1.0, m.ci_high - 1.0)


def _absolute(rule: SlaRule, head: ResultsDocument, lane: LaneSettings) -> list[Finding]:
    parsed = rule.parsed
    assert parsed.metric is not None and parsed.stat is not None and parsed.limit is not None
    unit = parsed.limit_unit
    label = f"{parsed.metric} {parsed.stat}"
    limit_text = f"{parsed.op} {format_limit(parsed.limit, unit)}"
    out: list[Finding] = []
    for bench in head.benchmarks:
        if not rule.applies_to(bench.name):
            continue
        values = bench.samples.get(parsed.metric)
        common: dict[str, Any] = {
            "rule": rule.rule,
            "severity": _severity(rule),
            "benchmark": bench.name,
            "metric": parsed.metric,
            "limit": parsed.limit,
            "unit": unit,
        }
        if bench.status in _NOT_MEASURED or not values:
            why = f"status {bench.status}" if bench.status in _NOT_MEASURED else "no successful iterations"
            out.append(
                Finding(
                    passed=True,
                    message=f"{bench.name}: {label} not evaluated ({why})",
                    extra={"evaluated": False},
                    **common,
                )
            )
            continue
        observed = sample_statistic(values, parsed.stat)
        interval = statistic_interval(values, parsed.stat, lane.stats.confidence, lane.stats.seed)
        passed = parsed.holds(observed)
        conf = f"{lane.stats.confidence * 100:g}%"
        if interval is not None:
            where = (
                f"{conf} CI {format_value(interval[0], unit)} to {format_value(interval[1], unit)}, "
                f"n={len(values)}"
            )
        else:
            where = f"n={len(values)}, too few iterations for a {conf} interval"
            if parsed.stat in ("min", "max"):
                where = f"n={len(values)}"
        verdict = "within the limit" if passed else "breaks the limit"
        message = (
            f"{bench.name}: {label} = {format_value(observed, unit)} ({where}), "
            f"limit {limit_text}: {verdict}"
        )
        straddles = interval is not None and interval[0] <= parsed.limit <= interval[1]
        if straddles:
            message += "; the interval contains the limit, so more iterations would settle it"
        out.append(
            Finding(
                passed=passed,
                message=message,
                observed=observed,
                interval=interval,
                extra={"evaluated": True, "n": len(values), "statistic": parsed.stat,
                       "interval_contains_limit": straddles},
                **common,
            )
        )
    return out


# --- rules on the comparison ------------------------------------------------------------


def _relative(rule: SlaRule, comparison: Comparison | None) -> list[Finding]:
    parsed = rule.parsed
    assert parsed.metric is not None and parsed.limit is not None
    limit_text = f"{parsed.limit * 100:g}%"
    base: dict[str, Any] = {"rule": rule.rule, "severity": _severity(rule), "metric": parsed.metric,
            "limit": parsed.limit, "unit": "fraction"}
    if comparison is None:
        return [Finding(passed=True, message=f"{parsed.metric}: not evaluated (no comparison "
                        "with a baseline)", extra={"evaluated": False}, **base)]
    matches = [
        m for m in comparison.metrics if m.metric == parsed.metric and rule.applies_to(m.benchmark)
    ]
    if not matches:
        return [
            Finding(
                passed=False,
                message=f"{parsed.metric}: not evaluated: the comparison has no {parsed.metric} "
                "for the benchmarks this rule names (is the metric compared, and the benchmark run?)",
                extra={"evaluated": False},
                **{**base, "severity": "warning"},
            )
        ]
    confidence = _confidence(comparison)
    out = []
    for m in matches:
        change = m.change
        described = describe_change(m, confidence, _alpha(comparison))
        if m.verdict == "regression":
            # The engine's reading of δ, with the rule's limit in its place: a significant
            # slowdown breaks the limit unless its interval rules out reaching past it.
            upper = None if change is None or m.ci_high is None else m.ci_high - 1.0
            passed = upper is not None and parsed.holds(upper)
            if change is None:
                tail = f"regression from a zero baseline, beyond any {limit_text} limit"
            elif passed:
                tail = f"regression, but its interval stays within the {limit_text} limit"
            elif upper is None:
                tail = f"regression with an unbounded interval: cannot rule out more than {limit_text}"
            else:
                tail = f"regression whose interval reaches past the {limit_text} limit"
        elif m.verdict in DECIDED:
            passed = True
            tail = f"{m.verdict}, within the {limit_text} limit"
        else:
            passed = True  # no evidence of a regression is not evidence of a breach
            tail = f"{m.verdict}, not a breach" + (f" ({m.reason})" if m.reason else "")
        out.append(
            Finding(
                passed=passed,
                message=f"{m.benchmark}: {described}: {tail}",
                benchmark=m.benchmark,
                observed=change,
                interval=_change_interval(m),
                extra={"evaluated": True, "verdict": m.verdict, "p_adjusted": m.p_adjusted,
                       "threshold": m.threshold},
                **base,
            )
        )
    return out


def _any_regression(
    rule: SlaRule, comparison: Comparison | None, relative: list[SlaRule]
) -> list[Finding]:
    base: dict[str, Any] = {"rule": rule.rule, "severity": _severity(rule), "unit": "fraction"}
    if comparison is None:
        return [Finding(passed=True, message="not evaluated (no comparison with a baseline)",
                        extra={"evaluated": False}, **base)]

    def covered(m: MetricComparison) -> bool:
        return any(r.parsed.metric == m.metric and r.applies_to(m.benchmark) for r in relative)

    in_scope = [m for m in comparison.metrics if rule.applies_to(m.benchmark)]
    considered = [m for m in in_scope if not covered(m)]
    confidence = _confidence(comparison)
    out = [
        Finding(
            passed=False,
            message=f"{m.benchmark}: {describe_change(m, confidence, _alpha(comparison))}: regression "
            f"(practical threshold {m.threshold * 100:g}%)",
            benchmark=m.benchmark,
            metric=m.metric,
            observed=m.change,
            interval=_change_interval(m),
            limit=m.threshold,
            extra={"evaluated": True, "verdict": m.verdict, "p_adjusted": m.p_adjusted},
            **base,
        )
        for m in considered
        if m.verdict == "regression"
    ]
    if not out:
        counts: dict[str, int] = {}
        for m in considered:
            counts[m.verdict] = counts.get(m.verdict, 0) + 1
        summary = ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) or "nothing compared"
        others = len(in_scope) - len(considered)
        verb = "is" if others == 1 else "are"
        elsewhere = f"; {others} more {verb} decided by relative rules" if others else ""
        out.append(
            Finding(
                passed=True,
                message=f"no regression among {len(considered)} compared metrics ({summary}){elsewhere}",
                extra={"evaluated": True, "counts": counts},
                **base,
            )
        )
    return out


def _noise(rule: SlaRule, comparison: Comparison | None) -> list[Finding]:
    base: dict[str, Any] = {"rule": rule.rule, "severity": _severity(rule), "unit": "fraction"}
    if comparison is None:
        return []
    considered = [m for m in comparison.metrics if m.noise is not None and rule.applies_to(m.benchmark)]
    out = []
    for m in considered:
        assert m.noise is not None
        if not m.undetectable:
            continue
        n = m.head.n if m.head is not None else None
        unit = "pairs" if m.method == "paired-wilcoxon" else "iterations per side"
        need = (
            f"about {m.noise.needed_n} {unit} would detect it"
            if m.noise.needed_n is not None
            else "no affordable number of iterations would detect it"
        )
        at_n = f" at n={n}" if n is not None else ""
        out.append(
            Finding(
                passed=False,
                message=f"{m.benchmark}: {m.metric} CV {m.noise.cv * 100:.1f}%{at_n}: a "
                f"{m.threshold * 100:g}% change is not detectable; {need}",
                benchmark=m.benchmark,
                metric=m.metric,
                observed=m.noise.cv,
                limit=m.threshold,
                extra={"evaluated": True, "needed_n": m.noise.needed_n, "n": n},
                **base,
            )
        )
    if not out and considered:
        out.append(
            Finding(
                passed=True,
                message=f"all {len(considered)} compared metrics can detect their threshold or were decided",
                extra={"evaluated": True},
                **base,
            )
        )
    return out


# --- rules on the head run ----------------------------------------------------------------


def _describe_failures(bench: BenchmarkResult) -> str:
    kinds: Counter[str] = Counter()
    for f in bench.failures:
        if f.status == "timeout":
            kinds["timeout"] += 1
        elif f.signal is not None:
            kinds[f"signal {f.signal}"] += 1
        elif f.exit_code is not None:
            kinds[f"exit code {f.exit_code}"] += 1
        else:
            kinds[f.status] += 1
    return ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in kinds.most_common())


def failure_count(bench: BenchmarkResult) -> int:
    """Failed iterations; a benchmark marked failed without records counts as one."""
    count = len(bench.failures)
    if count == 0 and bench.status in ("failed", "timeout"):
        return 1
    return count


def _failures(rule: SlaRule, head: ResultsDocument) -> list[Finding]:
    parsed = rule.parsed
    assert parsed.limit is not None
    as_rate = parsed.limit_unit == "fraction"
    base: dict[str, Any] = {"rule": rule.rule, "severity": _severity(rule),
            "unit": "fraction" if as_rate else "count", "limit": parsed.limit}
    out: list[Finding] = []
    checked = 0
    for bench in head.benchmarks:
        if not rule.applies_to(bench.name) or bench.status in _NOT_MEASURED:
            continue
        checked += 1
        failed = failure_count(bench)
        attempted = bench.n + failed
        rate = failed / attempted if attempted else 0.0
        observed = rate if as_rate else float(failed)
        if parsed.holds(observed):
            continue
        detail = _describe_failures(bench) or f"status {bench.status}"
        shown_limit = format_limit(parsed.limit, base["unit"])
        out.append(
            Finding(
                passed=False,
                message=f"{bench.name}: {failed} of {attempted} iterations failed "
                f"({rate * 100:.0f}%; {detail}), limit failures {parsed.op} {shown_limit}",
                benchmark=bench.name,
                observed=observed,
                extra={"failed": failed, "attempted": attempted, "status": bench.status},
                **base,
            )
        )
    if not out:
        out.append(
            Finding(
                passed=True,
                message=f"no benchmark over the failure limit ({checked} checked)",
                extra={"checked": checked},
                **base,
            )
        )
    return out


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def budget_usage(head: ResultsDocument, lane: LaneSettings) -> tuple[float, float, str]:
    """(seconds used, seconds allowed, where the use figure comes from).

    In order of preference: the runner's record in the run block (`measuring_seconds`,
    the time its budget counts, against `budget_seconds`); the time from `started_at` to
    `finished_at`; the sum of measured wall times (which leaves out warmup and setup).
    The allowance is the runner's `budget_seconds`, else the lane's `budget`.
    """
    run = head.run
    limit = float(lane.budget)
    if run.budget_seconds is not None and run.budget_seconds > 0:
        limit = run.budget_seconds
    if run.measuring_seconds is not None:
        return run.measuring_seconds, limit, "measuring time recorded by the runner"
    start, end = _parse_time(head.run.started_at), _parse_time(head.run.finished_at)
    if start is not None and end is not None and end >= start:
        return (end - start).total_seconds(), limit, "run start to finish"
    total = 0.0
    for bench in head.benchmarks:
        if bench.status in _NOT_MEASURED:
            continue
        total += sum(bench.samples.get("wall", []))
        total += sum(f.wall for f in bench.failures if f.wall is not None)
    return total, limit, "sum of measured wall times; warmup and setup not included"


def _budget(rule: SlaRule, head: ResultsDocument, lane: LaneSettings) -> Finding:
    parsed = rule.parsed
    assert parsed.limit is not None
    used, allowed, source = budget_usage(head, lane)
    share = used / allowed if allowed > 0 else 0.0
    observed = share if parsed.limit_unit == "fraction" else used
    passed = parsed.holds(observed)
    shown_limit = format_limit(parsed.limit, parsed.limit_unit)
    verdict = "within the limit" if passed else "over the limit"
    note = head.run.budget_note
    if note:
        verdict += f" ({note})"
    return Finding(
        rule=rule.rule,
        severity=_severity(rule),
        passed=passed,
        message=f"used {format_duration(used)} of the {format_duration(allowed)} budget "
        f"({share * 100:.0f}%, {source}), limit budget {parsed.op} {shown_limit}: {verdict}",
        observed=observed,
        limit=parsed.limit,
        unit=parsed.limit_unit,
        extra={"used": used, "budget": allowed, "share": share, "source": source},
    )
