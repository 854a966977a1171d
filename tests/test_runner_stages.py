"""The stage loop with a fake `measure`: budget, fair shares, warmups, stopping, failures and
pairs, exactly, with no process spawned and no clock read (`runner.stages`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lanebench.config import BenchmarkSpec, LaneSettings, config_from_dict
from lanebench.results import AdaptivePlan, RunInfo
from lanebench.runner import Attempt, Progress, Run, RunInterrupted, Sample
from lanebench.runner.interrupt import Interrupted
from lanebench.runner.sample import BASE, HEAD
from lanebench.runner.stages import Stages
from tests.helpers import Rule

CONFIG = config_from_dict({"benchmarks": [
    {"name": name, "command": ["true"]} for name in ("a", "b", "c")
]})


class FakeMeasure:
    """Each sample costs `seconds[name]` per run; `fails(name, attempt, side)` says which
    runs fail. Records every attempt it was asked for."""

    metrics = ("wall",)

    def metrics_for(self, spec: BenchmarkSpec) -> tuple[str, ...]:
        return self.metrics

    def __init__(self, seconds: dict[str, float], *, sides: tuple[str, ...] = (HEAD,),
                 fails: Callable[[str, Attempt, str], bool] = lambda *_: False) -> None:
        self.seconds = seconds
        self.sides = sides
        self.unit = "iterations" if sides == (HEAD,) else "pairs"
        self.fails = fails
        self.asked: list[tuple[str, Attempt]] = []

    def label(self, spec: BenchmarkSpec) -> str:
        return spec.name

    def __call__(self, spec: BenchmarkSpec, attempt: Attempt) -> Sample:
        self.asked.append((spec.name, attempt))
        wall = self.seconds[spec.name]
        runs = [
            Run("failed", wall, exit_code=1, message="exited with code 1", side=side)
            if self.fails(spec.name, attempt, side)
            else Run("ok", wall, {"wall": wall}, side=side)
            for side in attempt.sides
        ]
        return Sample(runs, order="base-first" if len(runs) == 2 else None)


class PlannedRule(Rule):
    plan = AdaptivePlan(looks=[2, 4], alpha_fractions=[0.5, 0.5])


def stages(measure: FakeMeasure, names: str = "a", stop_rule: Rule | None = None,
           **lane: object) -> Stages:
    settings = LaneSettings(**{"warmup": 0, "min_iterations": 2, "max_iterations": 2, **lane})
    specs = [b for b in CONFIG.benchmarks if b.name in names]
    return Stages(CONFIG, "standard", settings, specs, measure, output=Path("out.json"),
                  run_info=RunInfo(), progress=Progress(), stop_rule=stop_rule)


def measured(measure: FakeMeasure, name: str) -> list[Attempt]:
    return [a for n, a in measure.asked if n == name]


def test_the_minimum_and_its_warmup_without_a_stopping_rule() -> None:
    measure = FakeMeasure({"a": 0.1, "b": 0.2})
    doc = stages(measure, "ab", warmup=1, min_iterations=3, max_iterations=9).run()
    assert [(a.phase, a.stage, a.number) for a in measured(measure, "a")] == [
        ("warmup", 1, 1), ("measured", 1, 2), ("measured", 1, 3), ("measured", 1, 4)]
    a = doc.benchmark("a")
    assert a is not None and a.n == 3 and a.status == "ok" and a.notes == []
    assert a.settings.to_dict() == {
        "iterations": 3, "min_iterations": 3, "max_iterations": 9, "adaptive": False,
        "warmup": 1, "timeout": 300.0, "sample_interval": 0.05, "max_failures": 1,
    }
    assert doc.run.measuring_seconds == pytest.approx(4 * 0.1 + 4 * 0.2)


def test_more_samples_stop_at_the_lane_budget_exactly() -> None:
    # 0.1 s a sample and a 1.05 s budget: a warmup and 2 samples in stage 1 (0.3 s), then
    # stage 2 may spend what is left (0.75 s) and re-warms once first: 0.1 s + 6 samples.
    measure = FakeMeasure({"a": 0.1})
    rule = Rule(lambda name, head: False)
    doc = stages(measure, "a", rule, warmup=1, max_iterations=50, budget=1.05).run()
    a = doc.benchmark("a")
    assert a is not None and a.n == 8
    assert a.notes == ["budget 1.050 s reached: stopped at 8 of max 50 iterations"]
    warmups = [(x.stage, x.phase) for x in measured(measure, "a") if x.phase == "warmup"]
    assert warmups == [(1, "warmup"), (2, "warmup")]  # once per stage
    assert doc.run.measuring_seconds == pytest.approx(1.0)


def test_each_benchmark_gets_a_fair_share_of_what_is_left() -> None:
    # 3 benchmarks, 0.1 s a sample, budget 1.25 s: stage 1 spends 0.6 s; a may take a third
    # of the 0.65 s left (2 samples), b half of the rest (2), c what remains (2 of 0.25 s).
    measure = FakeMeasure({"a": 0.1, "b": 0.1, "c": 0.1})
    doc = stages(measure, "abc", Rule(lambda name, head: False), max_iterations=50, budget=1.25).run()
    assert [doc.benchmark(n).n for n in "abc"] == [4, 4, 4]  # type: ignore[union-attr]


def test_the_budget_never_cuts_the_minimum() -> None:
    measure = FakeMeasure({"a": 1.0})
    doc = stages(measure, "a", min_iterations=3, max_iterations=3, budget=0.5).run()
    assert doc.benchmark("a").n == 3  # type: ignore[union-attr]
    assert "more than the lane's budget of 500.00 ms" in (doc.run.budget_note or "")


def test_the_rule_is_asked_after_each_sample_and_its_plan_recorded() -> None:
    measure = FakeMeasure({"a": 0.1, "b": 0.1})
    asked: list[tuple[str, int]] = []

    def enough(name: str, head: dict[str, list[float]]) -> bool:
        asked.append((name, len(head["wall"])))
        return len(head["wall"]) >= (4 if name == "a" else 2)

    doc = stages(measure, "ab", PlannedRule(enough), max_iterations=10).run()
    assert asked == [("a", 2), ("a", 3), ("a", 4), ("b", 2)]
    a = doc.benchmark("a")
    assert a is not None and a.n == 4 and a.notes == ["stopping rule satisfied at 4 iterations"]
    assert a.settings.adaptive == PlannedRule.plan and a.settings.iterations == 10


def test_max_iterations_ends_an_undecided_benchmark() -> None:
    doc = stages(FakeMeasure({"a": 0.1}), "a", Rule(lambda n, h: False), max_iterations=4).run()
    assert doc.benchmark("a").notes == ["max_iterations (4) reached"]  # type: ignore[union-attr]


def test_a_rule_without_room_to_grow_is_not_adaptive() -> None:
    doc = stages(FakeMeasure({"a": 0.1}), "a", Rule(lambda n, h: False)).run()  # min = max
    a = doc.benchmark("a")
    assert a is not None and a.settings.adaptive is False and a.notes == []


def test_failures_stop_a_benchmark_at_max_failures_and_the_others_go_on() -> None:
    measure = FakeMeasure({"a": 0.1, "b": 0.1}, fails=lambda name, attempt, side: name == "a")
    doc = stages(measure, "ab", min_iterations=5, max_iterations=5, max_failures=2).run()
    a, b = doc.benchmark("a"), doc.benchmark("b")
    assert a is not None and b is not None
    assert a.status == "failed" and a.n == 0 and [f.iteration for f in a.failures] == [1, 2]
    assert a.notes == ["stopped after 2 failed iterations (max_failures 2)"]
    assert b.status == "ok" and b.n == 5


def test_a_failed_base_side_keeps_the_pairs_measured_before_it() -> None:
    measure = FakeMeasure({"a": 0.1}, sides=(BASE, HEAD),
                          fails=lambda name, attempt, side: side == BASE and attempt.number == 3)
    doc = stages(measure, "a", min_iterations=4, max_iterations=4).run()
    a = doc.benchmark("a")
    assert a is not None and a.paired is not None
    assert a.n == 2 and a.paired.order == ["base-first"] * 2
    assert a.status == "ok" and a.paired.base_status == "failed"
    assert a.notes == ["base side stopped after 1 failed iteration (max_failures 1): exited "
                       "with code 1; 2 pairs measured before it are kept"]
    assert a.settings.comparison == "paired"


def test_a_base_side_that_never_ran_leaves_head_measured_alone() -> None:
    measure = FakeMeasure({"a": 0.1}, sides=(BASE, HEAD),
                          fails=lambda name, attempt, side: side == BASE)
    doc = stages(measure, "a", min_iterations=3, max_iterations=3).run()
    a = doc.benchmark("a")
    assert a is not None and a.paired is not None
    assert a.n == 3 and a.paired.base_samples == {"wall": []} and a.paired.order == []
    # the first pair lost its base run, so it is not kept either
    assert [x.sides for x in measured(measure, "a")] == [(BASE, HEAD), (HEAD,), (HEAD,), (HEAD,)]
    assert any("head was measured alone" in note for note in a.notes)


def test_an_interrupt_returns_the_partial_document() -> None:
    class Interrupting(FakeMeasure):
        def __call__(self, spec: BenchmarkSpec, attempt: Attempt) -> Sample:
            if len(self.asked) == 2:
                raise Interrupted(15)
            return super().__call__(spec, attempt)

    with pytest.raises(RunInterrupted) as caught:
        stages(Interrupting({"a": 0.1, "b": 0.1}), "ab").run()
    assert caught.value.exit_code == 143
    assert "interrupted by SIGTERM: wrote partial results (2 measured iterations)" in str(caught.value)
    partial = caught.value.partial
    assert partial.run.status == "interrupted"
    assert [b.status for b in partial.benchmarks] == ["ok", "interrupted"]
    assert partial.benchmark("b").notes == ["not started: the run was interrupted before it"]  # type: ignore[union-attr]
