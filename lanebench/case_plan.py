"""Which cases of a harness benchmark a change runs, and the arguments that select them.

A harness benchmark that runs (its `paths` were hit, or it has none) may name per-case
paths: `cases: {"<case-name glob>": {paths: [...]}}`. A case of the baseline whose glob's
paths miss every changed file is carried over from the baseline, like a benchmark, and
left out of the harness's command where the harness can filter: pytest-benchmark gets
`--deselect <node id>` for each (its test paths stay valid and new tests still run), Go
and Google Benchmark their filter naming the cases still to run. pyperf, hyperfine and
the custom JSON have no filter: their cases all run, and none is carried over. The case
list comes from the baseline: without one, every case runs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from lanebench import harness
from lanebench.changes import ChangeSet
from lanebench.config import BenchmarkSpec, Config
from lanebench.harness import Case, pytest_benchmark
from lanebench.lane_decision import (
    PatternMatcher,
    Planned,
    all_paths,
    config_file_changed,
    project_prefix,
)
from lanebench.results import BenchmarkResult, ResultsDocument


@dataclass
class CasePlan:
    """One harness benchmark's cases in this change: those carried over (the baseline's
    entries, with why), and the arguments that leave them out of the command."""

    spec: BenchmarkSpec
    carried: dict[str, str] = field(default_factory=dict)  # results name -> reason
    selection: list[str] = field(default_factory=list)
    everything: bool = False  # every known case carried: the harness is not run at all

    def carried_results(self, base: ResultsDocument) -> list[BenchmarkResult]:
        out = []
        for name, reason in self.carried.items():
            source = base.benchmark(name)
            if source is None:
                continue
            entry = copy.deepcopy(source)
            entry.status = "carried_over"
            entry.notes = [reason]
            out.append(entry)
        return out


def baseline_cases(base: ResultsDocument, spec: BenchmarkSpec) -> list[BenchmarkResult]:
    prefix = f"{spec.name}/"
    return [b for b in base.benchmarks if b.name.startswith(prefix) and b.harness is not None
            and b.harness.role == "case" and b.harness.selector is not None]


def plan_cases(config: Config, plan: list[Planned], change_set: ChangeSet,
               base: ResultsDocument | None) -> dict[str, CasePlan]:
    """Per harness benchmark that runs and names `cases`: its case plan (module docstring)."""
    out: dict[str, CasePlan] = {}
    if base is None or not change_set.complete:
        return out
    prefix = project_prefix(config, change_set)
    if config_file_changed(config, change_set, prefix) is not None:
        return out
    paths = all_paths(change_set.files)
    for planned in plan:
        spec = planned.spec
        if not planned.run or spec.harness is None or not spec.cases:
            continue
        fmt = harness.format_for(spec.harness)
        if fmt.select is None:
            continue  # no filter: every case runs, measured afresh
        case_plan = CasePlan(spec)
        running: list[Case] = []
        carried: list[Case] = []
        for entry in baseline_cases(base, spec):
            case_name = entry.name[len(spec.name) + 1:]
            case = Case(name=case_name, selector=entry.harness.selector or case_name)  # type: ignore[union-attr]
            glob = next((g for g in spec.cases if fnmatchcase(case_name, g)), None)
            if glob is None:
                running.append(case)
                continue
            matcher = PatternMatcher(spec.cases[glob].paths, paths, prefix)
            hit = next((c for c in change_set.files if matcher.any_path(c)), None) \
                if matcher.matched else None
            if hit is None:
                carried.append(case)
                case_plan.carried[entry.name] = (
                    f"no changed file matches the paths of cases {glob!r}; baseline carried over")
            else:
                running.append(case)
        if not carried:
            continue
        if not running:
            # Every known case is carried over: the harness benchmark is, as a whole.
            case_plan.everything = True
            case_plan.carried[spec.name] = "every case's paths miss the changed files; " \
                "baseline carried over"
        elif fmt.name == pytest_benchmark.NAME:
            case_plan.selection = pytest_benchmark.deselect_args(carried)
        else:
            case_plan.selection = harness.select_args(fmt.name, running) or []
        out[spec.name] = case_plan
    return out
