"""What other runs say about a comparison between two runs on two runners.

An artifact-mode comparison sets samples from two jobs against each other: the baseline's
runner on main, at one time, and this job's runner now. Within-run samples say nothing
about how much a whole run moves from one runner to the next, and with 10+ samples a side
any runner difference is "significant". Two corrections, both on the log scale where
θ = log(head / base) is the change estimate of the two-sample test:

1. Runner speed (calibration). Both runs timed lanebench's reference workload; with
   f = median(head calibration) / median(base calibration), a time metric's change is
   θ - log f (wall by the workload's wall time, cpu/user/sys by its CPU time).

2. Run-to-run spread (history). The baseline carries the medians of the last K main
   runs (`baseline.append_history`). For each benchmark x metric, the spread of a run's
   log median around the others is σ_run: the standard deviation of the history's log
   medians (calibration-normalised when the comparison is). No run is set aside as an
   outlier: a disturbed run (a busy neighbour, a slow disk) is as likely on the pull
   request's side as in the history, so the spread must include it. (A MAD-based σ that
   set such runs aside gave 4.6x more false verdicts on this machine: docs/noise.md.) Old
   disturbances age out of the K-run window. θ differences two runs, each off by its own
   run effect, so

       se_total² = se_within² + 2 σ_run²

   where se_within comes from the two-sample interval (its half-width / z). σ_run
   already holds the within-run noise of a median, so se_within is counted twice when
   both are comparable: the interval is conservative by at most √2, never optimistic.
   The interval is θ ± t_q · se_total and the p-value 2 P(T > |θ| / se_total), with
   Welch-Satterthwaite degrees of freedom (m - 1)(1 + se_within² / 2σ_run²)², m the
   history runs used (m - 1 when history dominates, growing without bound as σ_run
   vanishes).

   With fewer than `history.min_runs` usable runs the cross-run spread is unknown, and a
   time metric's interval must also hold the runner effect: how much of its change the
   runner may have caused. The calibration says the runners' log speed ratio is c within
   ±h (its own 95% uncertainty); a benchmark may feel none of it (I/O-bound), all of it
   (CPU-bound, like the workload) or up to twice as much (a neighbour contending for disk
   and memory bandwidth too). On top of that comes what calibration cannot see: the
   unknown-runner bound (25%) between two machines; on one machine (same hardware, same
   boot: `environment.same_machine`) the drift of one machine (5%) while the speed is
   unchanged, or the change itself when it moved. A calibration whose uncertainty
   exceeds `calibration.max_noise` is not divided out (the estimate stays raw): the
   runner speed is unknown, and the span is all it cannot rule out. `_plan` has the
   table; docs/noise.md the reasons and the simulations. Memory, I/O and count metrics
   do not depend on runner speed and are left as measured.

Paired results need neither (both sides ran on one runner, interleaved).
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from scipy import stats as sps

from lanebench.calibration import NORMALIZED_BY, RunnerSpeed, calibration_of, runner_speed
from lanebench.config.model import LaneSettings
from lanebench.formatting import format_runner_share
from lanebench.machine import same_machine
from lanebench.results import HistoryEntry, PairedRun, ResultsDocument
from lanebench.stats.evaluate import MetricAnalysis
from lanebench.stats.twosample import TwoSampleResult

# Without history, a benchmark is assumed to feel between none and this many times the
# runner difference the calibration workload measured (on the log scale).
MAX_FELT = 2.0


@dataclass(frozen=True)
class RunSpread:
    """How much one run's log median of a benchmark x metric moves between runs."""

    sigma: float  # standard deviation of the log medians
    runs: int  # runs used


def history_entries(doc: ResultsDocument) -> list[HistoryEntry] | None:
    """The baseline's history entries that hold medians, or None when the file has no
    history block at all."""
    if doc.history is None:
        return None
    return [e for e in doc.history if e.benchmarks is not None]


def log_medians(
    history: Sequence[HistoryEntry], benchmark: str, metric: str, measure: str | None
) -> list[float]:
    """log(median) per history run, divided by that run's calibration median when `measure`."""
    out = []
    for entry in history:
        value = ((entry.benchmarks or {}).get(benchmark) or {}).get(metric)
        if value is None or value <= 0:
            continue
        if measure is not None:
            cal = (entry.calibration or {}).get(measure)
            if cal is None or cal <= 0:
                continue
            value = value / cal
        out.append(math.log(value))
    return out


def run_spread(
    history: Sequence[HistoryEntry], benchmark: str, metric: str, measure: str | None = None
) -> RunSpread | None:
    """σ_run of a benchmark x metric over the history; None with fewer than 2 usable runs."""
    logs = log_medians(history, benchmark, metric, measure)
    if len(logs) < 2:
        return None
    return RunSpread(sigma=statistics.stdev(logs), runs=len(logs))


RunnerState = Literal["unknown", "noisy", "steady", "changed"]


@dataclass(frozen=True)
class RunnerPlan:
    """How a time metric's change is corrected and bounded for runner speed (no history).

    On the log scale: the benchmark's change θ_raw holds the code's change plus a runner
    effect somewhere in [low, high]; the estimate is θ_raw - shift.
    """

    shift: float  # log factor the estimate is divided by (0: calibration not applied)
    low: float  # smallest runner effect the benchmark may hold (log)
    high: float  # largest
    se_calibration: float  # the factor's standard error, added to the interval's
    sentence: str  # the reason, for the verdict line

    @property
    def bound(self) -> float:
        """The largest runner effect either way, as a fraction (0.25 = ±25%)."""
        return math.expm1(max(-self.low, self.high))

    @property
    def why(self) -> str:
        """For tables: "runner -5% to +21%"."""
        return f"runner {format_runner_share(math.expm1(self.low))} to {format_runner_share(math.expm1(self.high))}"


@dataclass(frozen=True)
class Correction:
    """What `CrossRun.adjust` did to one benchmark x metric: widened it by the history's
    cross-run `spread`, or held it to the runner bound (`bounded`: no usable history)."""

    metric: str
    spread: RunSpread | None = None
    bounded: bool = False


@dataclass
class CrossRun:
    """The cross-run corrections of one artifact-mode comparison (see the module docstring).

    `adjust` corrects one analysis and says how (`Correction`); what the whole comparison's
    corrections amount to (the trust line, the runner summary) is read from those."""

    lane: LaneSettings
    speed: RunnerSpeed | None
    history: list[HistoryEntry]
    same_machine: bool = False

    @classmethod
    def from_documents(
        cls, base: ResultsDocument, head: ResultsDocument, lane: LaneSettings
    ) -> CrossRun | None:
        """None when there is nothing to model: files without calibration or history
        (written before lanebench 1.1, or by hand) are compared as measured."""
        history = history_entries(base)
        has_calibration = calibration_of(base) is not None and calibration_of(head) is not None
        if history is None and not has_calibration:
            return None
        return cls(
            lane=lane, speed=runner_speed(base, head), history=history or [],
            same_machine=same_machine(base.environment, head.environment),
        )

    @property
    def normalize(self) -> bool:
        return self.speed is not None and self.lane.calibration.normalize

    @property
    def history_runs(self) -> int:
        return len(self.history)

    def state(self, measure: str = "wall") -> RunnerState:
        """What the calibration says about the runner speed for `measure`:

        - unknown: no calibration on both sides, or normalisation switched off;
        - noisy:   its own 95% uncertainty exceeds `calibration.max_noise`: the machines'
                   speed moved too much during the runs to be one number;
        - steady:  known well enough, and no different from 1 beyond that uncertainty;
        - changed: known well enough, and different.
        """
        if not self.normalize or self.speed is None:
            return "unknown"
        if not self.speed.usable(measure, self.lane.calibration.max_noise):
            return "noisy"
        return "changed" if self.speed.changed(measure) else "steady"

    def _plan(self, measure: str) -> RunnerPlan:
        """The correction and runner effect of a time metric measured by `measure` (no history).

        The calibration says the runners' speed ratio is c within ±h (its own 95%
        uncertainty); a benchmark may feel none of that, all of it or up to MAX_FELT times
        as much. On the same machine that span is held to the drift one machine shows
        between runs (`same_machine_bound`) while the calibration shows the speed
        unchanged; a speed change beyond its noise is divided out, with as much again
        left unexplained (a neighbour slowed file I/O 2.5 times as much as the workload,
        on the log scale, on this machine). Different or unknown machines add the
        unknown-runner bound. A calibration too noisy to use is not divided out: the
        estimate stays the raw one, and the span is all it cannot rule out.
        """
        history = self.lane.history
        unknown = math.log1p(history.unknown_runner_bound)
        drift = math.log1p(history.same_machine_bound)
        state = self.state(measure)
        speed = self.speed
        if state == "unknown" or speed is None:
            why = "no calibration" if speed is None else "calibration not applied"
            return RunnerPlan(0.0, -unknown, unknown, 0.0,
                              f"runner speed unknown ({why}): only a change beyond "
                              f"±{history.unknown_runner_bound * 100:g}% of runner difference can gate")
        c = math.log(speed.ratio[measure])
        h = speed.uncertainty(measure)
        # A benchmark timed while the machine sped up or slowed down within a run may have
        # felt that swing whatever the medians say (a neighbour that came and went).
        swing = speed.swing.get(measure, 0.0)
        unknown = max(unknown, swing)
        se_c = speed.log_se.get(measure, 0.0)
        ratio_text = speed.ratio_text(measure)
        felt_low, felt_high = MAX_FELT * min(0.0, c - h), MAX_FELT * max(0.0, c + h)
        noisy = (
            f"the reference workload's own times varied too much to apply it ({ratio_text}, "
            f"usable within ±{self.lane.calibration.max_noise * 100:g}%), so the change is "
            "taken as measured and"
        )
        if not self.same_machine:
            if state == "noisy":
                plan = RunnerPlan(0.0, felt_low - unknown, felt_high + unknown, 0.0, "")
                return dataclasses.replace(plan, sentence=(
                    f"runner speed unknown: {noisy} may hold a runner effect of "
                    f"{plan.why.removeprefix('runner ')}"))
            # Known runner speed between two machines: the estimate normalised by it, the
            # benchmark feeling it 0, 1 or MAX_FELT times, plus the unknown-runner bound.
            return RunnerPlan(
                c, min(0.0, MAX_FELT * c) - unknown, max(0.0, MAX_FELT * c) + unknown, se_c,
                f"only a change beyond ±{history.unknown_runner_bound * 100:g}% of runner "
                "difference can gate, with or without the calibration factor",
            )
        if state == "steady":
            held = max(drift, swing)
            plan = RunnerPlan(0.0, min(felt_low, -held), max(felt_high, held), 0.0, "")
            if held > drift and plan.high <= held + 1e-12 and -plan.low <= held + 1e-12:
                return dataclasses.replace(plan, sentence=(
                    f"same machine, runner speed unchanged overall (reference workload "
                    f"{ratio_text}), but it moved by up to {math.expm1(swing) * 100:.0f}% within "
                    f"a run: the change may hold a runner effect of "
                    f"{plan.why.removeprefix('runner ')}"))
            if plan.bound <= history.same_machine_bound + 1e-12:
                return dataclasses.replace(plan, sentence=(
                    f"same machine, runner speed unchanged (reference workload {ratio_text}): "
                    f"only a change beyond the ±{history.same_machine_bound * 100:g}% drift of "
                    "one machine between runs can gate"))
            return dataclasses.replace(plan, sentence=(
                f"same machine, runner speed unchanged within the calibration's own "
                f"uncertainty (reference workload {ratio_text}): the change may hold a runner "
                f"effect of {plan.why.removeprefix('runner ')}"))
        slack = max(drift, abs(c), swing)
        shift = c if state == "changed" else 0.0
        plan = RunnerPlan(shift, felt_low - slack, felt_high + slack, 0.0, "")
        if state == "changed":
            return dataclasses.replace(plan, sentence=(
                f"same machine, but its speed changed between the runs (reference workload "
                f"{ratio_text}, divided out): the change may hold a runner effect of "
                f"{plan.why.removeprefix('runner ')}"))
        return dataclasses.replace(plan, sentence=(
            f"same machine, runner speed unknown: {noisy} may hold a runner effect of "
            f"{plan.why.removeprefix('runner ')}"))

    def adjust(
        self, analysis: MetricAnalysis, benchmark: str, metric: str, kind: str
    ) -> tuple[MetricAnalysis, Correction | None]:
        """The analysis with θ normalised by runner speed and its interval widened by the
        cross-run spread (or the runner bound), raw numbers kept in `extra`; and what was
        done (None: left as measured, or only normalised)."""
        r = analysis.result
        if (
            r is None or analysis.insufficient is not None or r.ratio is None or r.ratio <= 0
            or r.ci_low is None or r.ci_high is None or r.ci_low <= 0 or r.scale != "log"
        ):
            return analysis, None
        settings = self.lane.history
        conf = analysis.confidence
        z = float(sps.norm.ppf(0.5 + conf / 2.0))
        raw_theta = math.log(r.ratio)
        se_within = max(0.0, (math.log(r.ci_high) - math.log(r.ci_low)) / (2.0 * z))
        extra: dict[str, Any] = {
            "raw_ratio": r.ratio, "raw_ci": [r.ci_low, r.ci_high], "raw_p": r.p_value,
            "se_within": se_within,
        }
        correction: Correction | None
        measure = NORMALIZED_BY[metric] if kind == "time" and metric in NORMALIZED_BY else None
        state = self.state(measure) if measure is not None else "unknown"
        # History normalises by any calibration known well enough: its spread was measured
        # on normalised medians, which already hold the calibration's own error.
        history_measure = measure if state in ("steady", "changed") else None
        spread = run_spread(self.history, benchmark, metric, history_measure)
        if spread is not None and spread.runs >= settings.min_runs:
            theta = raw_theta
            if history_measure is not None and self.speed is not None:
                factor = self.speed.ratio[history_measure]
                theta -= math.log(factor)
                extra["runner_factor"] = factor
            between = 2.0 * spread.sigma**2
            se = math.sqrt(se_within**2 + between)
            df = (spread.runs - 1) * (1.0 + se_within**2 / between) ** 2 if between > 0 else math.inf
            q = float(sps.t.ppf(0.5 + conf / 2.0, df))
            p = float(2.0 * sps.t.sf(abs(theta) / se, df)) if se > 0 else (1.0 if theta == 0 else 0.0)
            lo, hi = theta - q * se, theta + q * se
            extra["cross_run"] = {
                "history_runs": spread.runs, "between_run_sd": spread.sigma, "se_total": se, "df": df,
                "runner": state,
            }
            extra["interval_note"] = f"cross-run spread of {spread.runs} main runs"
            if state == "noisy":
                extra["note"] = (
                    "calibration too noisy to apply: compared as measured, against the "
                    f"spread of {spread.runs} main runs' raw medians"
                )
            correction = Correction(metric, spread=spread)
        elif kind == "time" and measure is not None and settings.unknown_runner_bound > 0:
            plan = self._plan(measure)
            se = math.hypot(se_within, plan.se_calibration)
            theta = raw_theta - plan.shift
            # The code's change is the raw one less a runner effect in [plan.low, plan.high].
            low, high = raw_theta - plan.high, raw_theta - plan.low
            lo, hi = low - z * se, high + z * se
            excess = low if low > 0 else -high if high < 0 else 0.0
            if se > 0:
                p = float(min(1.0, 2.0 * sps.norm.sf(excess / se))) if excess > 0 else 1.0
            else:
                p = 0.0 if excess > 0 else 1.0
            if plan.shift:
                extra["runner_factor"] = math.exp(plan.shift)
            usable = spread.runs if spread is not None else 0
            extra["cross_run"] = {
                "history_runs": usable, "unknown_runner_bound": settings.unknown_runner_bound,
                "runner_effect": [math.expm1(plan.low), math.expm1(plan.high)], "runner": state,
                "same_machine": self.same_machine, "se_calibration": plan.se_calibration,
                "se_total": se,
            }
            extra["interval_note"] = plan.why
            extra["note"] = (
                f"cross-run uncertainty unknown ({usable} usable main run{'s' if usable != 1 else ''} "
                f"in the baseline's history, {settings.min_runs} needed): {plan.sentence}"
            )
            correction = Correction(metric, bounded=True)
        elif measure is not None and state in ("steady", "changed") and self.speed is not None:
            factor = self.speed.ratio[measure]
            theta = raw_theta - math.log(factor)
            se = math.hypot(se_within, self.speed.log_se.get(measure, 0.0))
            lo, hi = theta - z * se, theta + z * se
            p = float(2.0 * sps.norm.sf(abs(theta) / se)) if se > 0 else r.p_value
            extra["runner_factor"] = factor
            correction = None
        else:
            return analysis, None
        result = TwoSampleResult(
            p_value=p,
            ratio=math.exp(theta),
            ci_low=math.exp(lo),
            ci_high=math.exp(hi),
            confidence=r.confidence,
            method=r.method,
            scale="log",
            shift_sign=(theta > 0) - (theta < 0),
            extra={**r.extra, **extra},
        )
        return dataclasses.replace(analysis, result=result), correction

    # --- what the comparison says about itself --------------------------------------------

    def warnings(self) -> list[str]:
        """A "different runner" line when a usable calibration differs beyond
        `calibration.warn_ratio` between two machines. The same machine running at another
        speed is not a different machine: that is a runner note (`notes`)."""
        if self.speed is None or self.same_machine or self.state("wall") not in ("steady", "changed"):
            return []
        lines = []
        ratio = self.speed.ratio["wall"]
        bound = self.lane.calibration.warn_ratio
        if abs(math.log(ratio)) > math.log1p(bound):
            slower = "slower" if ratio > 1 else "faster"
            size = ratio if ratio > 1 else 1.0 / ratio
            lines.append(
                f"runner speed: the reference workload ran {size:.2f}x {slower} in head than in "
                f"the baseline (beyond the {bound * 100:g}% bound)"
                + ("; time metrics are normalised by it" if self.normalize else "")
            )
        return lines

    def notes(self) -> list[str]:
        """What the reader must know about runner speed that is not a machine difference."""
        if self.speed is None:
            return []
        lines: list[str] = []
        state = self.state("wall")
        if state == "noisy":
            lines.append(
                "runner speed unknown: the reference workload's times varied too much to "
                f"measure it (head/baseline {self.speed.ratio_text('wall')}, usable within "
                f"±{self.lane.calibration.max_noise * 100:g}%); time metrics are compared as "
                "measured, with a wider bound"
            )
        elif state == "changed" and self.same_machine:
            lines.append(
                "same machine, different speed: the reference workload ran "
                f"{self.speed.ratio_text('wall')} in head than in the baseline; time metrics "
                "are normalised by it"
            )
        lines.extend(self.speed.notes)
        return lines

    @staticmethod
    def typical_band(corrections: Sequence[Correction]) -> float | None:
        """The median 95% cross-run band (1.96 √2 σ_run) over benchmarks' wall time."""
        used = [c for c in corrections if c.spread is not None]
        sigmas = [c.spread.sigma for c in used if c.metric == "wall" and c.spread is not None]
        sigmas = sigmas or [c.spread.sigma for c in used if c.spread is not None]
        if not sigmas:
            return None
        return 1.96 * math.sqrt(2.0) * statistics.median(sigmas)

    def trust(self, corrections: Sequence[Correction]) -> str:
        """The comparison's trust line, given what its corrections were."""
        parts = ["artifact baseline"]
        if self.same_machine:
            parts.append("same machine")
        state = self.state("wall")
        if self.speed is None:
            parts.append("no calibration on both sides: runner speed unknown")
        elif not self.normalize:
            parts.append(f"calibration not applied ({self.speed.describe()})")
        elif state == "noisy":
            parts.append(f"calibration too noisy to apply ({self.speed.ratio_text('wall')}): "
                         "runner speed unknown")
        elif state == "steady" and self.same_machine:
            parts.append(f"runner speed unchanged ({self.speed.ratio_text('wall')})")
        else:
            parts.append(f"normalised by calibration (runner {self.speed.ratio_text('wall')})")
        band = self.typical_band(corrections)
        runs = max((c.spread.runs for c in corrections if c.spread is not None), default=0)
        if band is not None:
            parts.append(f"cross-run noise from {runs} main runs: ±{band * 100:.0f}% (wall, 95%)")
        if any(c.bounded for c in corrections) or band is None:
            n = self.history_runs
            what = "no history" if n == 0 else f"{n} main run{'s' if n != 1 else ''} of history"
            scope = "some time metrics" if band is not None else "time metrics"
            parts.append(f"{what}: {scope} gate only on changes beyond {self._bound_text()}")
        return ", ".join(parts)

    def _bound_text(self) -> str:
        """What a time change must exceed without history, in the trust line's words."""
        history = self.lane.history
        if not self.same_machine or self.speed is None or not self.normalize:
            return f"±{history.unknown_runner_bound * 100:g}%"
        plans = [self._plan(m) for m in ("wall", "cpu")]
        if all(p.bound <= history.same_machine_bound + 1e-12 for p in plans):
            return f"the ±{history.same_machine_bound * 100:g}% drift of one machine"
        widest = max(plans, key=lambda p: p.bound)
        return f"the runner effect the calibration cannot rule out ({widest.why.removeprefix('runner ')})"

    def summary(self, corrections: Sequence[Correction]) -> dict[str, Any]:
        return {
            "mode": "artifact",
            "same_machine": self.same_machine,
            "runner_speed": dict(self.speed.ratio) if self.speed else None,
            "runner_speed_log_se": dict(self.speed.log_se) if self.speed else None,
            "runner_state": {m: self.state(m) for m in ("wall", "cpu")} if self.speed else None,
            "normalized": self.normalize,
            "history_runs": self.history_runs,
            "min_runs": self.lane.history.min_runs,
            "unknown_runner_bound": self.lane.history.unknown_runner_bound,
            "same_machine_bound": self.lane.history.same_machine_bound,
            "bounded_metrics": sum(c.bounded for c in corrections),
            "notes": self.notes(),
        }


UNMODELLED_TRUST = (
    "artifact baseline without calibration or history (files from before lanebench 1.1): "
    "runner differences are not modelled"
)


def paired_trust(head: ResultsDocument) -> str:
    info = head.run.paired or PairedRun()
    ref = info.base_ref or "base"
    commit = (info.base_commit or "")[:7]
    pairs = [len(b.samples.get("wall", [])) for b in head.benchmarks if b.paired is not None]
    count = f", {min(pairs)}+ pairs per benchmark" if pairs else ""
    return (
        f"paired A/B on one runner: base {ref}" + (f" ({commit})" if commit else "")
        + f" and head measured interleaved in this job{count}"
    )
