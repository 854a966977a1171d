"""The instructions instrument in a run: each benchmark that counts instructions runs
`repeats` times under cachegrind, through the same stage loop (`runner.stages`) as time.

Which instruments measure a benchmark (`choose_instruments`): its own `instrument`, else
its lane's, else `LANEBENCH_INSTRUMENT` from the environment, else `auto`: time, plus
instructions wherever valgrind is installed (docs/instructions.md, "What a config naming
no instrument gates on"). A benchmark that names `instructions` where valgrind is missing
stops the run before anything is measured, with one line naming the fix.

The counted pass runs after the time pass (`with_counts` merges the two): each sample is
one run of the command under `valgrind --tool=cachegrind` per side (base and head in a
paired run), its process tree's counts read from cachegrind's files, which are then
deleted. The last repeat's profile is kept, size-bounded, with the instrument's
fingerprint, in the benchmark's `instructions` block. The pass has no checkpoint: a
resumed run counts again (a few repeats).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lanebench.config import BenchmarkSpec, Config, LaneSettings
from lanebench.errors import ConfigError
from lanebench.formatting import format_duration
from lanebench.metrics import INSTRUMENT_METRICS
from lanebench.profile.cachegrind import Profile, ProfileError
from lanebench.profile.store import compact_profile
from lanebench.results import BenchmarkResult, InstructionCounts, ResultsDocument, RunInfo
from lanebench.runner.command_env import benchmark_environment
from lanebench.runner.instruments.python_functions import (
    bytecode_environment,
    collect_bytecodes,
    runs_python,
)
from lanebench.runner.instruments.valgrind import (
    INSTALL_HINT,
    AslrProbe,
    InstrumentError,
    ValgrindSettings,
    collect,
    find_valgrind,
    fingerprint,
    instrument_environment,
    probe_aslr,
    wrap_command,
)
from lanebench.runner.measure import log_folder_name
from lanebench.runner.process import measure_once
from lanebench.runner.progress import Progress
from lanebench.runner.sample import BASE, HEAD, Attempt, Run, Sample
from lanebench.runner.stages import RunInterrupted, Stages

ENVIRONMENT_VARIABLE = "LANEBENCH_INSTRUMENT"
INSTRUMENT_NAMES = ("time", "instructions")
# valgrind runs a program 20-50x slower (docs/instructions.md, "Cost"): a benchmark's
# timeout, meant for the program alone, is stretched by this much under the instrument.
SLOWDOWN = 50
COUNT_METRICS = ("instructions",)
CACHE_METRICS = ("instructions", "l1_misses", "ll_misses", "estimated_cycles")


@dataclass(frozen=True)
class InstrumentChoice:
    """What measures one benchmark, and why (`declared` as the config or default said)."""

    time: bool
    instructions: bool
    declared: str
    note: str | None = None  # e.g. `auto` where valgrind is missing


def declared_instrument(spec: BenchmarkSpec, lane: LaneSettings) -> str | list[str]:
    """The instrument as written: the benchmark's, the lane's, the environment's, `auto`."""
    if spec.instrument is not None:
        return spec.instrument
    if lane.instrument is not None:
        return lane.instrument
    value = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not value:
        return "auto"
    names = [v.strip() for v in value.split(",")]
    if value != "auto" and not all(n in INSTRUMENT_NAMES for n in names):
        raise ConfigError(
            f"{ENVIRONMENT_VARIABLE}={value[:60]!r}: expected time, instructions, time,instructions or auto",
            hint=f"fix or unset {ENVIRONMENT_VARIABLE}",
        )
    return "auto" if value == "auto" else (names[0] if len(names) == 1 else names)


def choose_instruments(
    specs: Sequence[BenchmarkSpec], lane: LaneSettings, *, valgrind: str | None,
    missing: str = "",
) -> dict[str, InstrumentChoice]:
    """Each benchmark's instruments; `valgrind` is the found launcher (None: not found,
    `missing` saying why). Raises InstrumentError when a benchmark names instructions and
    valgrind is missing."""
    out: dict[str, InstrumentChoice] = {}
    for spec in specs:
        declared = declared_instrument(spec, lane)
        shown = declared if isinstance(declared, str) else ", ".join(declared)
        if spec.harness is not None:
            # A harness times its cases inside its own process: there is no per-case
            # process for valgrind to count.
            if declared != "auto" and "instructions" in ([declared] if isinstance(declared, str) else declared):
                raise InstrumentError(
                    f"benchmark {spec.name}: a {spec.harness} harness entry is measured by the "
                    "harness itself; instruction counts need a plain command",
                    hint="remove `instrument` from this entry, or count a plain command benchmark",
                )
            out[spec.name] = InstrumentChoice(True, False, "time", None)
            continue
        if declared == "auto":
            note = None
            if valgrind is None:
                note = (f"instructions not counted: {missing or 'valgrind is not installed'} "
                        f"(`instrument: auto` counts them where valgrind is installed; {INSTALL_HINT})")
            out[spec.name] = InstrumentChoice(True, valgrind is not None, "auto", note)
            continue
        names = [declared] if isinstance(declared, str) else list(declared)
        if "instructions" in names and valgrind is None:
            raise InstrumentError(
                f"benchmark {spec.name}: `instrument: {shown}` needs valgrind: {missing or 'not found'}",
                hint=INSTALL_HINT,
            )
        out[spec.name] = InstrumentChoice("time" in names, "instructions" in names, shown)
    return out


def locate_valgrind(specs: Sequence[BenchmarkSpec], lane: LaneSettings) -> dict[str, InstrumentChoice]:
    """`choose_instruments` with valgrind looked up only when some benchmark may count."""
    if all(declared_instrument(s, lane) == "time" for s in specs):
        return choose_instruments(specs, lane, valgrind=None)
    try:
        found: str | None = find_valgrind()
        missing = ""
    except InstrumentError as err:
        found, missing = None, err.message
    return choose_instruments(specs, lane, valgrind=found, missing=missing)


def cache_sim_for(spec: BenchmarkSpec, lane: LaneSettings) -> bool:
    return spec.cache_sim if spec.cache_sim is not None else lane.cache_sim


def counting_lane(lane: LaneSettings) -> LaneSettings:
    """The lane as the counted pass runs it: `repeats` samples, no warmup (the counts do
    not warm up), no stopping rule."""
    return lane.model_copy(update={
        "min_iterations": lane.repeats, "max_iterations": lane.repeats, "warmup": 0,
    })


@dataclass
class _Kept:
    profile: Profile
    fingerprint: dict[str, Any]
    bytecodes: Profile | None = None


class CountMeasure:
    """One sample: the command once under cachegrind per side, in that side's tree."""

    unit = "repeats"

    def __init__(self, lane: LaneSettings, roots: Mapping[str, Path], log_dir: Path,
                 *, valgrind: str, aslr: AslrProbe) -> None:
        self.lane = lane
        self.roots = dict(roots)
        self.sides = tuple(self.roots)
        self.log_dir = log_dir
        self.valgrind = valgrind
        self.aslr = aslr
        self.kept: dict[tuple[str, str], _Kept] = {}  # (benchmark, side) -> last profile

    def label(self, spec: BenchmarkSpec) -> str:
        return f"{spec.name} (instructions)"

    def metrics_for(self, spec: BenchmarkSpec) -> tuple[str, ...]:
        return CACHE_METRICS if cache_sim_for(spec, self.lane) else COUNT_METRICS

    def __call__(self, spec: BenchmarkSpec, attempt: Attempt) -> Sample:
        return Sample([self.run_side(spec, side, attempt) for side in attempt.sides])

    def run_side(self, spec: BenchmarkSpec, side: str, attempt: Attempt) -> Run:
        settings = ValgrindSettings(cache_sim=cache_sim_for(spec, self.lane))
        logs = self.log_dir.absolute() / log_folder_name(spec.name) / "instructions"
        if len(self.sides) > 1:
            logs = logs / side
        out = logs / f"cachegrind-{attempt.number}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        env = instrument_environment(benchmark_environment(spec))
        argv = wrap_command(spec.command, shell=spec.shell, out_dir=out, settings=settings,
                            valgrind=self.valgrind, aslr=self.aslr)
        timeout = spec.timeout if spec.timeout is not None else self.lane.timeout
        cwd = self.roots[side] / spec.cwd
        record = measure_once(argv, cwd, env, timeout * SLOWDOWN if timeout else None,
                              self.lane.sample_interval, logs)
        run = Run(status=record.status, wall=record.wall, exit_code=record.exit_code,
                  signal=record.signal, stderr_tail=record.stderr_tail, message=record.message,
                  leftovers=record.leftovers, side=side)
        if record.ok:
            try:
                reading = collect(out)
            except ProfileError as err:
                run.status, run.message = "error", f"under valgrind: {err.message}"
            else:
                run.metrics = dict(reading.metrics)
                key = (spec.name, side)
                known = self.kept.get(key)
                if known is None:
                    known = _Kept(reading.profile, fingerprint(
                        settings, valgrind=self.valgrind, aslr=self.aslr, env=env,
                        profile=reading.profile, project_roots=[self.roots[side]], cwd=cwd,
                    ))
                    if runs_python(reading.profile):
                        known.bytecodes = self._count_bytecodes(spec, env, cwd, logs, timeout)
                self.kept[key] = _Kept(reading.profile, known.fingerprint, known.bytecodes)
        elif record.status == "failed" and not run.message.startswith("under valgrind"):
            run.message = f"under valgrind: {run.message}"
        shutil.rmtree(out, ignore_errors=True)
        return run

    def _count_bytecodes(self, spec: BenchmarkSpec, env: dict[str, str], cwd: Path, logs: Path,
                         timeout: float | None) -> Profile | None:
        """Once per benchmark and side: the command without valgrind, counting the
        bytecodes of each Python function; None when that run fails (its counts are
        then left out of the report, the instruction counts stand)."""
        out = logs / "bytecodes"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        record = measure_once(spec.argv, cwd, bytecode_environment(env, out),
                              timeout * SLOWDOWN if timeout else None, self.lane.sample_interval,
                              logs, log_name="bytecodes")
        try:
            return collect_bytecodes(out) if record.ok else None
        except ProfileError:
            return None
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def block(self, spec: BenchmarkSpec) -> InstructionCounts | None:
        head = self.kept.get((spec.name, HEAD))
        if head is None:
            return None
        base = self.kept.get((spec.name, BASE))
        return InstructionCounts(
            fingerprint=head.fingerprint,
            profile=compact_profile(head.profile, roots=[str(self.roots[HEAD])]),
            repeats=self.lane.repeats,
            cache_sim=cache_sim_for(spec, self.lane),
            base_fingerprint=base.fingerprint if base else None,
            base_profile=compact_profile(base.profile, roots=[str(self.roots[BASE])]) if base else None,
            python_profile=self._stored(head.bytecodes, HEAD),
            base_python_profile=self._stored(base.bytecodes, BASE) if base else None,
        )

    def _stored(self, profile: Profile | None, side: str) -> dict[str, Any] | None:
        return None if profile is None else compact_profile(profile, roots=[str(self.roots[side])])


def count_instructions(
    config: Config,
    lane_name: str,
    lane: LaneSettings,
    specs: list[BenchmarkSpec],
    *,
    roots: Mapping[str, Path],
    output: Path,
    log_dir: Path,
    progress: Progress,
    run_info: RunInfo,
) -> ResultsDocument:
    """The counted pass over `specs` (each counting instructions): their results, each with
    its `instructions` block. Raises RunInterrupted with the partial document."""
    measure = CountMeasure(counting_lane(lane), roots, log_dir, valgrind=find_valgrind(),
                           aslr=probe_aslr())
    stages = Stages(config, lane_name, measure.lane, specs, measure, output=output,
                    run_info=run_info, progress=progress,
                    resume_hint="instruction counts are taken again on a new run")

    def with_blocks(doc: ResultsDocument) -> ResultsDocument:
        for spec, bench in zip(specs, doc.benchmarks, strict=True):
            bench.instructions = measure.block(spec)
        return doc

    try:
        return with_blocks(stages.run())
    except RunInterrupted as exc:
        exc.partial = with_blocks(exc.partial)
        raise


WORSE = {"ok": 0, "skipped": 0, "carried_over": 0, "interrupted": 1, "timeout": 2, "failed": 3}


def merge_benchmark(timed: BenchmarkResult | None, counted: BenchmarkResult | None,
                    *, optional: bool = False) -> BenchmarkResult:
    """One benchmark's result from its time pass and its counted pass (either may be None).
    `optional` (instrument `auto`): a command valgrind cannot run keeps its time results,
    and a note says why it has no counts."""
    if timed is None:
        assert counted is not None
        return counted
    if counted is None:
        return timed
    if optional and counted.status in ("failed", "timeout") and timed.status == "ok":
        last = counted.failures[-1].message if counted.failures else counted.status
        timed.notes.append(f"instructions not counted: the command failed under valgrind ({last}); "
                           "measured by time alone")
        return timed
    timed.samples.update(counted.samples)
    timed.instructions = counted.instructions
    if timed.paired is not None and counted.paired is not None:
        timed.paired.base_samples.update(counted.paired.base_samples)
        timed.paired.base_failures += [dataclasses.replace(f, message=f"instructions: {f.message}")
                                       for f in counted.paired.base_failures]
        timed.paired.base_notes += counted.paired.base_notes
    timed.failures += [dataclasses.replace(f, message=f"instructions: {f.message}") for f in counted.failures]
    timed.notes += [f"instructions: {note}" for note in counted.notes]
    if WORSE.get(counted.status, 0) > WORSE.get(timed.status, 0):
        timed.status = counted.status
    return timed


def with_counts(
    timed: ResultsDocument, counted: ResultsDocument | None, specs: Sequence[BenchmarkSpec],
    choices: Mapping[str, InstrumentChoice],
) -> ResultsDocument:
    """The run's document: every benchmark of `specs` in order, its time and count results
    merged, with the instrument choice's note (e.g. valgrind missing under `auto`)."""
    by_time = {b.name: b for b in timed.benchmarks}
    by_count = {b.name: b for b in counted.benchmarks} if counted is not None else {}
    # A harness entry's cases (`<name>/<case>`) follow its invocation in the time pass's
    # document and are no specs of their own: they stay where they are.
    spec_names = {spec.name for spec in specs}
    following: dict[str, list[BenchmarkResult]] = {}
    owner: str | None = None
    for bench in timed.benchmarks:
        if bench.name in spec_names:
            owner = bench.name
        elif owner is not None:
            following.setdefault(owner, []).append(bench)
    merged = []
    for spec in specs:
        if spec.name not in by_time and spec.name not in by_count:
            continue
        choice = choices.get(spec.name)
        bench = merge_benchmark(by_time.get(spec.name), by_count.get(spec.name),
                                optional=choice is not None and choice.declared == "auto")
        note = choice.note if choice is not None else None
        if note and note not in bench.notes:
            bench.notes.append(note)
        merged.append(bench)
        merged.extend(following.get(spec.name, []))
    timed.benchmarks = merged
    if counted is not None and counted.run.measuring_seconds is not None:
        timed.run.measuring_seconds = round(
            (timed.run.measuring_seconds or 0.0) + counted.run.measuring_seconds, 6)
    if counted is not None and counted.run.status == "interrupted":
        timed.run.status = "interrupted"
    return timed


def count_metrics_of(bench: BenchmarkResult) -> list[str]:
    """The instrument metrics a benchmark's samples hold."""
    return [m for m in INSTRUMENT_METRICS if m in bench.samples]


# Each counted benchmark costs about this many of its plain runs: `repeats` runs at ~35x
# (docs/instructions.md, "Cost"), plus one bytecode-counting run for Python at ~33x.
COUNTED_COST_FACTOR = 40


def affordable(doc: ResultsDocument, specs: Sequence[BenchmarkSpec], lane: LaneSettings,
               choices: Mapping[str, InstrumentChoice]) -> dict[str, InstrumentChoice]:
    """`auto` benchmarks whose counting would not fit what is left of the lane's budget
    (estimated from the time pass), switched to time alone with a note saying so. A
    benchmark that names `instructions` is counted whatever it costs."""
    spent = doc.run.measuring_seconds or 0.0
    changed: dict[str, InstrumentChoice] = {}
    for spec in specs:
        choice, bench = choices[spec.name], doc.benchmark(spec.name)
        walls = bench.samples.get("wall") if bench is not None else None
        if choice.declared != "auto" or not walls:
            continue
        runs = lane.repeats + 1
        need = statistics.median(walls) * COUNTED_COST_FACTOR * runs
        if spent + need > lane.budget:
            changed[spec.name] = dataclasses.replace(choice, instructions=False, note=(
                f"instructions not counted: about {format_duration(need)} under valgrind "
                f"({runs} runs at ~{COUNTED_COST_FACTOR}x the {format_duration(statistics.median(walls))} "
                f"of one) would exceed the lane's budget of {format_duration(lane.budget)}; "
                "name `instrument: instructions` to count it anyway"
            ))
        else:
            spent += need
    return changed


def measure_instruments(
    config: Config,
    lane_name: str,
    lane: LaneSettings,
    specs: list[BenchmarkSpec],
    timed: Callable[[list[BenchmarkSpec]], ResultsDocument],
    *,
    roots: Mapping[str, Path],
    output: Path,
    log_dir: Path,
    progress: Progress,
    run_info: RunInfo,
) -> ResultsDocument:
    """Each benchmark by its instruments: `timed(specs)` (the time pass) for those measured
    by time, then the counted pass for those counting instructions; one document."""
    if not lane.run:
        return timed(specs)
    choices = locate_valgrind(specs, lane)
    time_specs = [s for s in specs if choices[s.name].time]
    count_specs = [s for s in specs if choices[s.name].instructions]
    try:
        doc = timed(time_specs)
    except RunInterrupted as exc:
        exc.partial = with_counts(exc.partial, None, specs, choices)
        raise
    choices = {**choices, **affordable(doc, count_specs, lane, choices)}
    count_specs = [s for s in count_specs if choices[s.name].instructions]
    counted = None
    if count_specs:
        try:
            counted = count_instructions(config, lane_name, lane, count_specs, roots=roots,
                                         output=output, log_dir=log_dir, progress=progress,
                                         run_info=run_info)
        except RunInterrupted as exc:
            exc.partial = with_counts(doc, exc.partial, specs, choices)
            raise
    return with_counts(doc, counted, specs, choices)
