"""Iterations that fit the lane budgets, from one timed run of each benchmark.

The built-in lanes come from the config loader (`lanebench.config.builtin_config`), so a
change to their budgets or iteration bounds is followed here. Two things must fit:
- a pull request's lane runs at least `min_iterations` of every benchmark whatever the
  budget (the budget only stops the adaptive rounds after that), so warmup +
  min_iterations rounds must fit each running lane's budget;
- the baseline on main runs the widest lane's `max_iterations` of every benchmark, fixed,
  so warmup + max_iterations rounds must fit that lane's budget.
Only HEADROOM of a budget is planned for: a CI runner can be slower than this machine.
When the built-in values fit, nothing is written and the config stays short.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lanebench.config import builtin_config

HEADROOM = 0.6
# Fewer iterations than this cannot show a change: Mann-Whitney's smallest two-sided
# p-value with 5 values a side is 2/252 = 0.008; with 4 it is 0.029, before correction.
MIN_USEFUL_ITERATIONS = 5
# Calibration runs twice per lane run (start and end), about 0.1 s each.
CALIBRATION_SECONDS = 0.3


@dataclass
class LanePlan:
    name: str
    budget: float
    warmup: int
    min_iterations: int
    max_iterations: int
    fits: int  # whole rounds of every benchmark that fit HEADROOM of the budget

    @property
    def minimum_fits(self) -> bool:
        return self.fits >= self.min_iterations


@dataclass
class Plan:
    per_round: float  # seconds for one run of every included benchmark
    lanes: list[LanePlan]
    defaults: dict[str, Any] = field(default_factory=dict)  # written under `defaults:`
    notes: list[str] = field(default_factory=list)

    def lane(self, name: str) -> LanePlan:
        return next(lane for lane in self.lanes if lane.name == name)


def plan_iterations(walls: list[float], root: Path) -> Plan:
    """The iteration settings for benchmarks whose single runs took `walls` seconds."""
    per_round = sum(walls)
    lanes = []
    for name, lane in builtin_config(root).lanes.items():
        if not lane.run:
            continue
        usable = HEADROOM * float(lane.budget) - CALIBRATION_SECONDS
        fits = math.floor(usable / per_round) - lane.warmup if per_round > 0 else lane.max_iterations
        lanes.append(LanePlan(name, float(lane.budget), lane.warmup, lane.min_iterations,
                              lane.max_iterations, max(fits, 0)))
    plan = Plan(per_round, lanes)
    widest = max(lanes, key=lambda lane: lane.max_iterations)
    if all(lane.minimum_fits for lane in lanes) and widest.fits >= widest.max_iterations:
        return plan
    tightest = min(lanes, key=lambda lane: lane.fits)
    low = min(min(lane.min_iterations for lane in lanes), tightest.fits)
    if low < MIN_USEFUL_ITERATIONS:
        low = MIN_USEFUL_ITERATIONS
        needed = (CALIBRATION_SECONDS + (low + tightest.warmup) * per_round) / HEADROOM
        budget_min = math.ceil(needed / 60)
        plan.defaults["budget"] = f"{budget_min}min"
        plan.notes.append(
            f"one round of the benchmarks took {per_round:.1f} s: {MIN_USEFUL_ITERATIONS} "
            f"iterations, the fewest that can show a change, need a {budget_min} min budget, "
            f"more than the {tightest.name} lane's {tightest.budget / 60:g} min; the budget is "
            "raised (fewer or shorter benchmarks, or `paths:` so they run only when their "
            "files change, keep it down)"
        )
        high = low
    else:
        high = max(low, min(widest.max_iterations, widest.fits))
    plan.defaults["min_iterations"] = low
    plan.defaults["max_iterations"] = high
    plan.notes.append(
        f"one round of the benchmarks took {per_round:.1f} s here: iterations set to "
        f"{low}–{high} in every lane so each lane's minimum and the baseline's {high} fixed "
        f"iterations fit {HEADROOM:.0%} of the budget (the built-in lanes ask for "
        + ", ".join(f"{lane.name} {lane.min_iterations}–{lane.max_iterations}" for lane in lanes)
        + ")"
    )
    return plan


def timeout_for(wall: float, lane_timeout: float = 300.0) -> float | None:
    """A per-iteration timeout for a benchmark whose run took `wall` seconds, when the
    lane's default would cut a slower runner's run short: three times the run, whole minutes."""
    wanted = 3 * wall
    if wanted <= lane_timeout:
        return None
    return float(math.ceil(wanted / 60) * 60)
