"""Adaptive iterations without inflating false alarms: alpha spending over planned looks.

A benchmark is measured min_iterations times, then looked at a few planned times up to
max_iterations; at each look the stopper asks whether every compared metric already has
a decided verdict (regression, improvement or unchanged) and, if so, stops measuring.

Looking repeatedly and stopping on the first "significant" look would inflate the false
alarm rate (with 20 looks at α = 5%, roughly to 25%). So α is split across the looks by
a spending function F(t), t = n / max_iterations, F(1) = 1: look k may spend the share
f_k = F(t_k) - F(t_(k-1)) of α, for its test (level α·f_k) and its interval (confidence
1 - (1 - confidence)·f_k). The shares sum to 1, so by the union bound the chance that any
look raises a false alarm is at most α whatever the correlation between looks: a
Bonferroni over the planned looks, weighted by the spending function. It is conservative
against exact group-sequential boundaries, and needs no numerical integration.

Default spending: Pocock-type (Lan-DeMets), F(t) = ln(1 + (e - 1) t). It spends much of
α at the first look, so clear cases stop early; the price is a stricter final look.
O'Brien-Fleming-type, F(t) = 2 - 2Φ(z_(1-α/2) / √t) / α, keeps nearly all of α for the
last look and rarely stops early.

A metric whose verdict is out of reach by max_iterations at the noise seen so far is given
up on (non-binding futility, `futile`): the benchmark stops once every metric is decided or
given up on, instead of spending the rest of its budget on samples that cannot decide.
Giving up only removes chances to reject, so it cannot raise the false-alarm rate.

The final `compare` reads the plan from the benchmark's `settings.adaptive` and spends
the share of the look the run ended at (see `analysis_fraction`), so the reported verdict
carries the same guarantee. Interim looks use Bonferroni over the run's comparisons
(family_size); Holm or Benjamini-Hochberg in the final compare reject at least as much,
so a benchmark the stopper stopped keeps its verdict.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

from scipy import stats as sps

from lanebench.config.model import LaneSettings
from lanebench.metrics import COMPARED_BY_DEFAULT, metric
from lanebench.results import AdaptivePlan, ResultsDocument, RunSettings, Samples
from lanebench.stats.evaluate import MetricAnalysis, analyze_metric, verdict_for
from lanebench.stats.model import DECIDED
from lanebench.stats.paired import paired_analysis

DEFAULT_LOOKS = 4
MIN_LOOK = 3  # never look before 3 head samples: no test can decide on fewer


def _pocock(t: float, alpha: float) -> float:
    return math.log1p((math.e - 1.0) * t)


def _obrien_fleming(t: float, alpha: float) -> float:
    if t <= 0:
        return 0.0
    return float(2.0 - 2.0 * sps.norm.cdf(sps.norm.ppf(1 - alpha / 2) / math.sqrt(t))) / alpha


SPENDING: dict[str, Callable[[float, float], float]] = {
    "pocock": _pocock,
    "obrien-fleming": _obrien_fleming,
}


def planned_looks(min_iterations: int, max_iterations: int, looks: int = DEFAULT_LOOKS) -> list[int]:
    """Sample counts at which to look: min_iterations, then evenly spaced up to max."""
    last = max(max_iterations, 1)
    first = min(max(min_iterations, MIN_LOOK), last)
    if looks <= 1 or first >= last:
        return [last]
    points = {round(first + (last - first) * i / (looks - 1)) for i in range(looks)}
    return sorted(points)


def spending_fractions(
    looks: Sequence[int], max_iterations: int, spending: str = "pocock", alpha: float = 0.05
) -> list[float]:
    """Each look's share of α (they sum to 1; the last look takes what is left)."""
    if spending not in SPENDING:
        raise ValueError(f"unknown spending {spending!r} (expected one of {', '.join(SPENDING)})")
    fn = SPENDING[spending]
    total = max(max_iterations, looks[-1])
    cumulative = [min(1.0, fn(n / total, alpha)) for n in looks[:-1]] + [1.0]
    shares, previous = [], 0.0
    for c in cumulative:
        shares.append(max(0.0, c - previous))
        previous = max(previous, c)
    return shares


def make_plan(
    min_iterations: int,
    max_iterations: int,
    *,
    looks: int = DEFAULT_LOOKS,
    spending: str = "pocock",
    alpha: float = 0.05,
) -> AdaptivePlan:
    points = planned_looks(min_iterations, max_iterations, looks)
    return AdaptivePlan(
        looks=points,
        alpha_fractions=spending_fractions(points, max_iterations, spending, alpha),
        scheme="alpha-spending",
        spending=spending,
    )


def adaptive_plan(
    lane: LaneSettings, *, looks: int = DEFAULT_LOOKS, spending: str = "pocock"
) -> AdaptivePlan:
    """The plan every benchmark measured adaptively under `lane` records as `settings.adaptive`."""
    return make_plan(
        lane.min_iterations, lane.max_iterations, looks=looks, spending=spending, alpha=lane.stats.alpha
    )


def plan_of(settings: RunSettings, lane: LaneSettings) -> AdaptivePlan | None:
    """The alpha-spending plan a head benchmark was measured under, or None (fixed size).

    `settings.adaptive` is the plan itself, or `true` (files from before 1.2 and stopping
    rules without a plan), in which case the default plan is rebuilt from the recorded
    min and max iterations: the plan `sequential_stopper` uses unless told otherwise.
    """
    adaptive = settings.adaptive
    if adaptive is None or adaptive is False:
        return None
    if isinstance(adaptive, AdaptivePlan):
        return adaptive
    lo = settings.min_iterations if settings.min_iterations is not None else lane.min_iterations
    hi = settings.max_iterations if settings.max_iterations is not None else lane.max_iterations
    return dataclasses.replace(make_plan(lo, hi, alpha=lane.stats.alpha), reconstructed=True)


def analysis_fraction(plan: AdaptivePlan, n: int) -> tuple[float, str]:
    """The share of α an analysis of n head samples may spend under `plan`, and why.

    At a planned look: that look's share. Between looks (the run ended early for another
    reason, e.g. its time budget): what the looks already taken left unspent. Before the
    first look: all of α, since no interim analysis happened.
    """
    looks, fractions = plan.looks, plan.alpha_fractions
    if n in looks:
        k = looks.index(n)
        return fractions[k], f"look {k + 1} of {len(looks)} at n = {n}"
    taken = [f for look, f in zip(looks, fractions, strict=True) if look < n]
    if not taken:
        return 1.0, f"n = {n} before the first planned look"
    return max(0.0, 1.0 - sum(taken)), f"n = {n} after {len(taken)} of {len(looks)} planned looks"


def _sample_count(samples: dict[str, list[float]]) -> int:
    if "wall" in samples:
        return len(samples["wall"])
    return min((len(v) for v in samples.values()), default=0)


class SequentialStopper:
    """The runner's stopping rule (`runner.stages.StopRule`): `stopper(name, head, base)`
    is True once every compared metric's verdict is decided or out of reach.

    Plain runs are judged against a baseline document (`sequential_stopper`), paired runs
    against their own base side, passed as `base` with the paired signed-rank analysis
    `compare` applies to the finished file (`SequentialStopper(lane, family_size=...)`:
    there is no baseline to count the comparisons in). Either way it answers only at the
    plan's looks and spends their shares of α.
    """

    def __init__(
        self,
        lane: LaneSettings,
        *,
        baseline: ResultsDocument | None = None,
        family_size: int | None = None,
        metrics: Sequence[str] | None = None,
        looks: int = DEFAULT_LOOKS,
        spending: str = "pocock",
    ) -> None:
        self.baseline = baseline
        self.lane = lane
        self.metrics = tuple(metrics) if metrics is not None else COMPARED_BY_DEFAULT
        self.plan = adaptive_plan(lane, looks=looks, spending=spending)
        self.family_size = max(family_size if family_size is not None else self._family_size(), 1)
        # benchmark -> [(n, {metric: verdict})] for progress output and tests
        self.history: dict[str, list[tuple[int, dict[str, str]]]] = {}

    def _family_size(self) -> int:
        wanted = self.lane.benchmarks
        total = 0
        for bench in self.baseline.benchmarks if self.baseline is not None else []:
            if wanted != "all" and bench.name not in wanted:
                continue
            if bench.n == 0:
                continue
            total += sum(1 for m in self.metrics if m in bench.samples)
        return total

    def __call__(self, name: str, head: Samples, base: Samples | None = None) -> bool:
        if base is not None:
            n = min(_sample_count(base), _sample_count(head))
            if n not in self.plan.looks:
                return False
            return self._decided(name, n, base, head, paired_analysis, paired=True)
        n = _sample_count(head)
        if n not in self.plan.looks or self.baseline is None:
            return False
        baseline = self.baseline.benchmark(name)
        if baseline is None or baseline.n == 0:
            return False
        return self._decided(name, n, baseline.samples, head, analyze_metric)

    def _decided(
        self,
        name: str,
        n: int,
        base_samples: Samples,
        head_samples: Samples,
        analyze: Callable[..., MetricAnalysis],
        *,
        paired: bool = False,
    ) -> bool:
        """True when every compared metric's verdict at look n is decided, or is futile:
        out of reach by max_iterations at the noise seen so far (see `futile`)."""
        plan = self.plan
        fraction = plan.alpha_fractions[plan.looks.index(n)]
        stats = self.lane.stats
        last = max(self.lane.max_iterations, plan.looks[-1])
        final_confidence = 1.0 - (1.0 - stats.confidence) * plan.alpha_fractions[-1]
        verdicts: dict[str, str] = {}
        for metric_name in self.metrics:
            if metric_name not in base_samples or metric_name not in head_samples:
                continue
            analysis = analyze(base_samples[metric_name], head_samples[metric_name], stats, fraction)
            p = analysis.p_family
            p_bonferroni = None if p is None else min(1.0, p * self.family_size)
            threshold = self.lane.thresholds.for_metric(metric_name, metric(metric_name).kind)
            verdict: str  # a Verdict, or FUTILE
            verdict, _ = verdict_for(analysis, p_bonferroni, alpha=stats.alpha, threshold=threshold)
            if verdict not in DECIDED and n < last:
                n_base = None if paired else len(base_samples[metric_name])
                if futile(analysis, threshold, n, last, n_base, final_confidence):
                    verdict = FUTILE
            verdicts[metric_name] = verdict
            if verdict not in DECIDED and verdict != FUTILE:
                break
        self.history.setdefault(name, []).append((n, verdicts))
        return bool(verdicts) and all(v in DECIDED or v == FUTILE for v in verdicts.values())

    def given_up(self, name: str) -> list[str]:
        """The metrics the last look at `name` gave up on as undecidable (for the run's note)."""
        looks = self.history.get(name) or [(0, {})]
        return [m for m, v in looks[-1][1].items() if v == FUTILE]


FUTILE = "futile"


def futile(
    analysis: MetricAnalysis,
    threshold: float,
    n: int,
    last: int,
    n_base: int | None,
    final_confidence: float,
) -> bool:
    """Whether no verdict is in reach by `last` head samples at the noise seen at n.

    Non-binding futility: giving up on a metric only ever removes chances to reject, so it
    cannot raise the false-alarm rate; it saves the samples that could not have decided.
    The interval's half-width h (log scale) is projected to the last look: rescaled from
    this look's confidence to the last look's (the ratio of their normal quantiles), and
    shrunk by √(n/last) for pairs, by √((1/n_b + 1/last)/(1/n_b + 1/n)) against a fixed
    baseline of n_b. A verdict stays in reach while "unchanged" could still be proven by an
    interval centred on no change (h' < log(1 + δ): the current estimate is not held
    against it, since with no change it drifts towards zero) or a change could be (|θ| > h',
    θ the current estimate). An untested or unbounded analysis is never futile: more
    samples may be what it needs.
    """
    r = analysis.result
    if analysis.insufficient is not None or r is None or r.ratio is None or r.scale != "log":
        return False
    if r.ci_low is None or r.ci_high is None or r.ci_low <= 0 or r.ratio <= 0:
        return False
    theta = abs(math.log(r.ratio))
    half = (math.log(r.ci_high) - math.log(r.ci_low)) / 2.0
    if n_base is None:
        shrink = math.sqrt(n / last)
    else:
        shrink = math.sqrt((1.0 / n_base + 1.0 / last) / (1.0 / n_base + 1.0 / n))
    z_now = float(sps.norm.ppf(0.5 + analysis.confidence / 2.0))
    z_last = float(sps.norm.ppf(0.5 + final_confidence / 2.0))
    projected = half * shrink * z_last / z_now
    reachable = projected < math.log1p(threshold) or theta > projected
    return not reachable


def sequential_stopper(
    baseline: ResultsDocument,
    lane: LaneSettings,
    metrics: Sequence[str] | None = None,
    *,
    looks: int = DEFAULT_LOOKS,
    spending: str = "pocock",
) -> SequentialStopper:
    """The stopping rule of a plain adaptive run, judged against `baseline`.

    The runner asks it after each measured iteration once min_iterations are reached; it
    answers True at a planned look once every compared metric's verdict is decided. The
    runner records `stopper.plan` as `settings.adaptive` of each benchmark it governed, so
    that `compare` spends the same share of α as the look the run stopped at.
    """
    return SequentialStopper(lane, baseline=baseline, metrics=metrics, looks=looks, spending=spending)
