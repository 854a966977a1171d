"""Recommendations derived only from measured evidence, each citing its numbers.

Model first, the rules below it; docs/sla.md lists every recommendation and its trigger.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pathspec

from lanebench.formatting import (
    change_bounds,
    count_text,
    format_change,
    format_duration,
    format_value,
)
from lanebench.metrics import metric
from lanebench.results import BenchmarkResult, ResultsDocument
from lanebench.sla import SlaReport
from lanebench.stats.model import Comparison, MetricComparison
from lanebench.stats.summary import OUTLIER_RULE_DOC, OUTLIER_RULE_NAME
from lanebench.stats.twosample import mann_whitney_p


@dataclass
class Recommendation:
    kind: str  # stable identifier, e.g. "io-wait", "more-computation", "memory-growth", "noisy"
    title: str  # short imperative headline
    text: str  # the advice, with the figures that triggered it
    impact: float  # ranking key: larger first (e.g. the size of the change it explains)
    benchmark: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)  # the numbers behind it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- derivation ------------------------------------------------------------------------

MIB = 1024**2
# `cpu` must have grown by at least this share of the wall time growth to count as
# "in step" with it; below, most of the added time was spent off the CPU.
IN_STEP = 0.5
# CPU/wall below this is one core's worth of work; at or above PARALLEL, at least ~2 cores.
SERIAL_MAX = 1.25
PARALLEL_MIN = 1.75
MIN_PARALLELISM_SHIFT = 0.5  # cores
NOISE_OUTLIER_SHARE = 0.10
BUDGET_WARN_SHARE = 0.80

MEMORY_METRICS = ("maxrss", "tree_rss")
IO_METRICS = ("read_bytes", "write_bytes", "read_chars", "write_chars")

# Files that are programs or build inputs even when they sit under docs/.
CODE_LIKE_PATTERNS = [
    "*.py", "*.pyx", "*.c", "*.cc", "*.cpp", "*.h", "*.hpp", "*.rs", "*.go", "*.js", "*.mjs",
    "*.cjs", "*.ts", "*.tsx", "*.jsx", "*.java", "*.kt", "*.scala", "*.rb", "*.php", "*.cs",
    "*.swift", "*.sh", "*.sql", "Makefile", "CMakeLists.txt", "Dockerfile", "*.toml", "*.cfg",
]


def recommend(
    comparison: Comparison | None,
    head: ResultsDocument,
    base: ResultsDocument | None,
    sla: SlaReport | None,
    lane_decision: dict[str, Any] | None = None,
) -> list[Recommendation]:
    """Recommendations backed by measured numbers, largest expected impact first.

    Returns an empty list when the evidence shows nothing to act on.
    """
    recs: list[Recommendation] = []
    if comparison is not None:
        index = {(m.benchmark, m.metric): m for m in comparison.metrics}
        paired = comparison.settings.get("comparison") == "paired"
        for bench in head.benchmarks:
            recs += _instructions(bench.name, index)
            recs += _time_shape(bench, index)
            recs += _memory(bench.name, index)
            recs += _io(bench.name, index)
            recs += _noise(bench.name, index, paired=paired)
        recs += _cross_machine(comparison, paired=paired)
    if base is not None:
        for bench in head.benchmarks:
            other = base.benchmark(bench.name)
            if other is not None:
                recs += _parallelism(bench, other, head.environment)
    if sla is not None:
        recs += _budget(sla, head)
    if lane_decision is not None:
        recs += _lane_mismatch(lane_decision)
    return sorted(recs, key=lambda r: -r.impact)


# --- helpers ---------------------------------------------------------------------------


def _change_text(m: MetricComparison) -> str:
    """`+12.3% (1.20 s → 1.35 s, CI +8.1% to +16.9%)`."""
    assert m.change is not None
    parts = []
    if m.base is not None and m.head is not None:
        parts.append(f"{format_value(m.base.median, m.unit)} → {format_value(m.head.median, m.unit)}")
    if m.ci_low is not None and m.ci_high is not None:
        parts.append(f"CI {change_bounds(m.ci_low, m.ci_high)}")
    return format_change(m.change) + (f" ({', '.join(parts)})" if parts else "")


def _median_delta(m: MetricComparison | None) -> float | None:
    if m is None or m.base is None or m.head is None:
        return None
    return m.head.median - m.base.median


def _regressed(m: MetricComparison | None) -> bool:
    return m is not None and m.verdict == "regression" and m.change is not None


def _evidence(m: MetricComparison) -> dict[str, Any]:
    out: dict[str, Any] = {"metric": m.metric, "verdict": m.verdict, "change": m.change,
                           "ci": [m.ci_low, m.ci_high], "p_adjusted": m.p_adjusted}
    if m.base is not None and m.head is not None:
        out.update(base_median=m.base.median, head_median=m.head.median)
    return out


def _command_words(command: list[str] | str) -> list[str]:
    if isinstance(command, str):
        try:
            return shlex.split(command)
        except ValueError:
            return command.split()
    return list(command)


# First matching word of the command wins; anything else is treated as native code.
_PROFILERS: list[tuple[tuple[str, ...], str]] = [
    (("python", "python3", "pytest", "py.test", "pypy", "pypy3"),
     "py-spy (`py-spy record -o profile.svg -- {cmd}`) or cProfile (`python -m cProfile -s cumtime ...`)"),
    (("node", "npm", "npx", "yarn", "pnpm", "bun", "deno"),
     "`node --cpu-prof` (open the .cpuprofile in Chrome DevTools)"),
    (("go",), "`go tool pprof` (e.g. `go test -bench . -cpuprofile cpu.out`, then `go tool pprof cpu.out`)"),
    (("cargo",), "`cargo flamegraph` (or `perf record -g` on the built binary)"),
    (("java", "mvn", "gradle", "gradlew", "sbt"), "async-profiler (`asprof -d 30 -f flame.html <pid>`)"),
    (("ruby", "bundle", "rake", "rspec", "rails"), "rbspy (`rbspy record -- {cmd}`)"),
    (("dotnet",), "`dotnet-trace collect -- {cmd}`"),
]


def profiler_for(command: list[str] | str, shell: bool = False) -> str:
    """The profiler to suggest for a command, from the program it runs.

    The command is shown as one a shell runs as it is (shlex.join): a `python3 -c`
    script with spaces and semicolons stays one argument, and a shell command runs
    under `sh -c`.
    """
    words = _command_words(command)
    if shell and isinstance(command, str):
        shown = shlex.join(["sh", "-c", command])
    else:
        shown = shlex.join(words) if words else "<command>"
    for word in words:
        name = word.rsplit("/", 1)[-1]
        base = name.split(".exe")[0]
        for programs, tool in _PROFILERS:
            if base in programs or (programs[0] == "python" and base.startswith("python3.")):
                return tool.format(cmd=shown)
    return f"perf (`perf record -g -- {shown}`, then `perf report`)"


# --- rules -----------------------------------------------------------------------------


def _time_shape(
    bench: BenchmarkResult, index: dict[tuple[str, str], MetricComparison]
) -> list[Recommendation]:
    """Wall grew but CPU did not (waiting), or CPU grew (more computation)."""
    wall = index.get((bench.name, "wall"))
    cpu = index.get((bench.name, "cpu"))
    d_wall, d_cpu = _median_delta(wall), _median_delta(cpu)
    out: list[Recommendation] = []
    if _regressed(wall) and cpu is not None and not _regressed(cpu):
        assert wall is not None and wall.change is not None and d_wall is not None
        if d_cpu is not None and d_cpu < IN_STEP * d_wall:
            off_cpu = d_wall - max(d_cpu, 0.0)
            cpu_text = _change_text(cpu) if cpu.change is not None else cpu.verdict
            out.append(
                Recommendation(
                    kind="io-wait",
                    title="Find what the change waits on",
                    text=f"{bench.name}: wall time grew {_change_text(wall)} but CPU time did not "
                    f"({cpu_text}, verdict {cpu.verdict}): {format_duration(off_cpu)} of the "
                    f"{format_duration(d_wall)} added per run is spent off the CPU, waiting on "
                    "I/O, sleeps, locks or the network. Look for new blocking calls, retries, "
                    "timeouts or fsyncs in the changed code.",
                    impact=abs(wall.change),
                    benchmark=bench.name,
                    evidence={"wall": _evidence(wall), "cpu": _evidence(cpu),
                              "off_cpu_seconds": off_cpu},
                )
            )
    if _regressed(cpu):
        assert cpu is not None and cpu.change is not None
        if _regressed(wall):
            assert wall is not None
            along = f"in step with wall time ({_change_text(wall)})"
        elif wall is not None and wall.change is not None:
            along = f"while wall time did not regress ({format_change(wall.change)}, verdict {wall.verdict}"
            cores = _median_parallelism(bench)
            if cores is not None and cores >= SERIAL_MAX:
                # Only a command that keeps more than one core busy can add CPU time
                # without adding wall time: the extra work ran beside the critical path.
                along += f"; it keeps {cores:.1f} cores busy, so the extra work ran on other cores)"
            else:
                along += ")"
        else:
            along = "(no wall time comparison)"
        out.append(
            Recommendation(
                kind="more-computation",
                title="Profile the changed code",
                text=f"{bench.name}: CPU time grew {_change_text(cpu)} {along}: the change does "
                f"more computation. Profile it with {profiler_for(bench.command, bench.shell)} and compare "
                "the hot paths with the base branch.",
                impact=abs(cpu.change),
                benchmark=bench.name,
                evidence={"cpu": _evidence(cpu), **({"wall": _evidence(wall)} if wall else {})},
            )
        )
    return out


def _memory(name: str, index: dict[tuple[str, str], MetricComparison]) -> list[Recommendation]:
    out = []
    for metric_name in MEMORY_METRICS:
        m = index.get((name, metric_name))
        if not _regressed(m):
            continue
        assert m is not None and m.change is not None
        delta = _median_delta(m)
        grown = f", +{delta / MIB:.1f} MiB per run" if delta is not None else ""
        out.append(
            Recommendation(
                kind="memory-growth",
                title="Check the memory regression",
                text=f"{name}: {metric(metric_name).label.lower()} grew {_change_text(m)}{grown}, "
                f"beyond the {m.threshold * 100:g}% threshold. Look for new caches, whole-file "
                "reads, larger buffers or objects kept alive longer.",
                impact=abs(m.change),
                benchmark=name,
                evidence={**_evidence(m), "growth_mib": None if delta is None else delta / MIB},
            )
        )
    return out


# A comparison row's function tables (`compare`'s `extra`), the one read first: a Python
# program's own functions name the code its author wrote.
FUNCTION_TABLES = (("python_functions", "bytecodes"), ("functions", "instructions"))


def top_function(m: MetricComparison) -> tuple[str, dict[str, Any]] | None:
    """The function whose count moved most, Python's first: (unit, its row)."""
    for key, unit in FUNCTION_TABLES:
        rows = m.extra.get(key)
        if isinstance(rows, list) and rows and isinstance(rows[0], dict):
            return unit, rows[0]
    return None


def _instructions(name: str, index: dict[tuple[str, str], MetricComparison]) -> list[Recommendation]:
    """An instruction count that rose (or fell) beyond its threshold, with the function
    that moved most: the Python function when the program is Python, else the C one."""
    m = index.get((name, "instructions"))
    if m is None or m.verdict not in ("regression", "improvement") or m.change is None:
        return []
    where = ""
    evidence = _evidence(m)
    top = top_function(m)
    if top is not None:
        unit, row = top
        share = row.get("share")
        share_text = f", {share * 100:.0f}% of the change" if isinstance(share, (int, float)) else ""
        where = (f" Most of it: {row.get('label', '?')}: {count_text(int(row.get('change', 0)))} "
                 f"{unit}{share_text}.")
        evidence["function"] = {k: row.get(k) for k in ("file", "function", "change", "share")}
        evidence["function_unit"] = unit
        machine = m.extra.get("functions")
        if unit == "bytecodes" and isinstance(machine, list) and machine and isinstance(machine[0], dict):
            where += f" In machine code: {machine[0].get('label', '?')} {count_text(int(machine[0].get('change', 0)))} instructions."
    grew = m.verdict == "regression"
    return [Recommendation(
        kind="more-instructions" if grew else "fewer-instructions",
        title="Find the added work" if grew else "Keep the saving",
        text=f"{name}: instructions {_change_text(m)}, beyond the {m.threshold * 100:g}% threshold; "
        f"the count is exact, so this is the code, not the runner.{where}"
        + (" Look for a loop that runs more often or a cheaper path no longer taken." if grew else ""),
        impact=abs(m.change) + (1.0 if grew else 0.0),
        benchmark=name,
        evidence=evidence,
    )]


def _io(name: str, index: dict[tuple[str, str], MetricComparison]) -> list[Recommendation]:
    grown = [m for k in IO_METRICS if _regressed(m := index.get((name, k)))]
    if not grown:
        return []
    parts = [f"{metric(m.metric).label.lower()} {_change_text(m)}" for m in grown if m is not None]
    return [
        Recommendation(
            kind="more-io",
            title="Reduce the added I/O",
            text=f"{name}: more I/O per run: {'; '.join(parts)}. Look for repeated reads of the "
            "same file, a lost cache, extra logging or temporary files.",
            impact=max(abs(m.change or 0.0) for m in grown if m is not None),
            benchmark=name,
            evidence={"metrics": [_evidence(m) for m in grown if m is not None]},
        )
    ]


def _noise(
    name: str, index: dict[tuple[str, str], MetricComparison], *, paired: bool = False
) -> list[Recommendation]:
    """Too noisy to detect δ, or many outliers: what to change in the measuring.

    A metric whose verdict is decided (regression, improvement, unchanged) was precise
    enough, whatever the power estimate said before the test: it is not called noisy.
    """
    noisy = [m for (b, _), m in index.items() if b == name and m.undetectable]
    outliers = [
        m for (b, _), m in index.items()
        if b == name and m.head is not None and m.head.n > 0
        and len(m.head.outliers) >= 2 and len(m.head.outliers) / m.head.n >= NOISE_OUTLIER_SHARE
    ]
    if not noisy and not outliers:
        return []
    sentences: list[str] = []
    evidence: dict[str, Any] = {}
    impact = 0.0
    if noisy:
        worst = max(noisy, key=lambda m: m.noise.cv if m.noise else 0.0)
        assert worst.noise is not None
        n = worst.head.n if worst.head is not None else None
        needed = [m.noise.needed_n for m in noisy if m.noise is not None and m.noise.needed_n]
        listed = ", ".join(
            f"{m.metric} CV {m.noise.cv * 100:.1f}%" for m in noisy if m.noise is not None
        )
        at_n = f" at n={n}" if n is not None else ""
        sentences.append(
            f"{name}: {listed}{at_n}, so a {worst.threshold * 100:g}% change cannot be told "
            "from noise."
        )
        if needed:
            unit = "pairs" if paired else "iterations per side"
            sentences.append(
                f"Run about {max(needed)} {unit} (max_iterations: {max(needed)}) "
                "to detect it"
                + (f", up from {n}" if n is not None else "")
                + "."
            )
        else:
            sentences.append("No affordable iteration count would detect it at this noise level.")
        sentences.append(
            "Reduce the noise itself: pin the benchmark to a core (taskset -c 1) or stop "
            "background work."
            if paired else
            "Reduce the noise itself: pin the benchmark to a core (taskset -c 1), stop "
            "background work, or use paired A/B mode (base and head alternating on one runner)."
        )
        bounded = [m for m in noisy if "runner_effect" in (m.extra.get("cross_run") or {})]
        if bounded and not paired:
            # Without history the runner bound, not the noise, keeps these verdicts open.
            sentences.append(
                f"More iterations alone will not decide {bounded[0].metric} here: without main's "
                f"history the interval also spans what the runner may have done "
                f"({bounded[0].extra.get('interval_note', 'the runner bound')}); paired A/B mode "
                "avoids that, and so do 3 main runs of history."
            )
        evidence["noisy"] = [
            {"metric": m.metric, "cv": m.noise.cv, "needed_n": m.noise.needed_n}
            for m in noisy if m.noise is not None
        ]
        evidence["n"] = n
        impact = max(impact, worst.noise.cv)
    if outliers:
        m = max(outliers, key=lambda m: len(m.head.outliers) if m.head else 0)
        assert m.head is not None
        early = sorted(i for i in m.head.outliers if i < 2)
        sentence = (
            f"{len(m.head.outliers)} of {m.head.n} {m.metric} samples are outliers by the "
            f"{OUTLIER_RULE_NAME} ({OUTLIER_RULE_DOC})"
        )
        if early:
            sentence += (f", {len(early)} of them among the first 2 iterations: raise warmup "
                         "so caches and JIT are warm before measuring")
        sentences.append(sentence + ".")
        evidence["outliers"] = {"metric": m.metric, "count": len(m.head.outliers),
                                "n": m.head.n, "early": early}
        impact = max(impact, len(m.head.outliers) / m.head.n * 0.5)
    return [
        Recommendation(
            kind="noisy",
            title="Make the measurement quieter",
            text=" ".join(sentences),
            impact=impact,
            benchmark=name,
            evidence=evidence,
        )
    ]


def _cross_machine(comparison: Comparison, *, paired: bool = False) -> list[Recommendation]:
    if not comparison.cross_machine or paired:
        return []
    decided = [m for m in comparison.metrics if m.verdict in ("regression", "improvement")]
    stake = max((abs(m.change or 0.0) for m in decided), default=0.0)
    verdicts = (
        f"{len(decided)} regression/improvement verdict{'s' if len(decided) != 1 else ''} "
        "here could be the machines, not the change"
        if decided
        else "a change smaller than the machine difference can go unseen"
    )
    return [
        Recommendation(
            kind="cross-machine",
            title="Compare on the same machine",
            text="The baseline ran on a different machine ("
            + "; ".join(comparison.cross_machine)
            + f"), so the verdicts are weaker: {verdicts}. Re-run the baseline on the same runner "
            "type, or use paired A/B mode to measure base and head on one runner.",
            impact=max(stake, 0.05),
            evidence={"differences": list(comparison.cross_machine),
                      "decided_verdicts": len(decided)},
        )
    ]


def _ratios(bench: BenchmarkResult) -> list[float]:
    wall, cpu = bench.samples.get("wall", []), bench.samples.get("cpu", [])
    return [c / w for c, w in zip(cpu, wall, strict=False) if w > 0]


def _median_parallelism(bench: BenchmarkResult) -> float | None:
    """Median CPU/wall of a run: about 1 for a single-threaded command."""
    ratios = _ratios(bench)
    return float(np.median(ratios)) if ratios else None


def _character(ratio: float) -> str:
    if ratio < SERIAL_MAX:
        return "serial"
    if ratio >= PARALLEL_MIN:
        return "parallel"
    return "partly parallel"


def _parallelism(
    head: BenchmarkResult, base: BenchmarkResult, environment: dict[str, Any]
) -> list[Recommendation]:
    """CPU/wall moved between ~1 core (serial) and several cores (parallel)."""
    h, b = _ratios(head), _ratios(base)
    if len(h) < 5 or len(b) < 5:
        return []
    h_med, b_med = float(np.median(h)), float(np.median(b))
    if abs(h_med - b_med) < MIN_PARALLELISM_SHIFT or _character(h_med) == _character(b_med):
        return []
    p = mann_whitney_p(np.asarray(h, dtype=float), np.asarray(b, dtype=float))
    if p >= 0.01:
        return []
    cores = environment.get("cpu_affinity") or environment.get("cpu_count")
    on = f" on {cores} cores" if cores else ""
    if h_med < b_med:
        kind, title = "lost-parallelism", "Restore the lost parallelism"
        why = ("work that ran on several cores now runs on about one: look for a new lock, a "
               "serialised pool, a lower worker count or a blocking call inside parallel work")
    else:
        kind, title = "gained-parallelism", "Mind the new parallelism"
        why = ("the change now keeps several cores busy: its wall time depends on the runner's "
               "core count, and its CPU cost is that many times its wall time")
    return [
        Recommendation(
            kind=kind,
            title=title,
            text=f"{head.name}: CPU/wall went from {b_med:.2f} ({_character(b_med)}) to "
            f"{h_med:.2f} ({_character(h_med)}){on} (medians of {len(b)} and {len(h)} "
            f"iterations, Mann-Whitney p = {p:.2g}): {why}.",
            impact=abs(h_med / b_med - 1.0) if b_med > 0 else abs(h_med - b_med),
            benchmark=head.name,
            evidence={"base_ratio": b_med, "head_ratio": h_med, "cores": cores, "p_value": p},
        )
    ]


def _budget(sla: SlaReport, head: ResultsDocument) -> list[Recommendation]:
    budget = next((f for f in sla.findings if "share" in f.extra and "used" in f.extra), None)
    if budget is None:
        return []
    share = float(budget.extra["share"])
    if budget.passed and share < BUDGET_WARN_SHARE:
        return []
    per_bench = sorted(
        ((b.name, sum(b.samples.get("wall", []))) for b in head.benchmarks), key=lambda t: -t[1]
    )
    measured = sum(t for _, t in per_bench) or 1.0
    heaviest = [(n, t) for n, t in per_bench[:3] if t > 0]
    listed = ", ".join(f"{n} ({format_duration(t)}, {t / measured * 100:.0f}% of measured time)"
                       for n, t in heaviest)
    lane = f"the {sla.lane} lane" if sla.lane else "the lane"
    return [
        Recommendation(
            kind="budget",
            title="Free up the lane's time budget",
            text=f"{lane} used {format_duration(budget.extra['used'])} of its "
            f"{format_duration(budget.extra['budget'])} budget ({share * 100:.0f}%)."
            + (f" The heaviest benchmarks: {listed}." if listed else "")
            + (" Move the heaviest to the heavy lane (list them in a lane's `benchmarks:`),"
               if sla.lane != "heavy" else "")
            + " give them `paths:` so they run only when their files change, or shard them "
            "across jobs.",
            impact=share - BUDGET_WARN_SHARE + 0.05,
            evidence={"used": budget.extra["used"], "budget": budget.extra["budget"],
                      "share": share, "heaviest": [{"benchmark": n, "seconds": t} for n, t in heaviest]},
        )
    ]


def _lane_mismatch(decision: dict[str, Any]) -> list[Recommendation]:
    """A lane that measures nothing although the change touches code, by count or by name."""
    if decision.get("run", True):
        return []
    lane = decision.get("lane", "?")
    stats = decision.get("change_set") or {}
    code_files = int(stats.get("code_files") or 0)
    code_lines = int(stats.get("code_lines") or 0)
    paths = [p for p in decision.get("paths") or [] if isinstance(p, str)]
    code_like = [p for p in paths if _code_like(p)]
    out: list[Recommendation] = []
    forced = decision.get("forced_by")
    if code_files:
        how = f" because of the {forced}" if forced else ""
        rule_lane = decision.get("rule_lane")
        instead = f" The rules alone choose the {rule_lane} lane." if rule_lane and rule_lane != lane else ""
        out.append(
            Recommendation(
                kind="lane-mismatch",
                title="Measure this change",
                text=f"The {lane} lane measures nothing{how}, yet the change touches {code_files} "
                f"code file{'s' if code_files != 1 else ''} ({code_lines} changed lines).{instead}",
                impact=1.0,
                evidence={"lane": lane, "code_files": code_files, "code_lines": code_lines,
                          "forced_by": forced},
            )
        )
    elif code_like:
        shown = ", ".join(code_like[:3]) + (f" and {len(code_like) - 3} more" if len(code_like) > 3 else "")
        out.append(
            Recommendation(
                kind="lane-mismatch",
                title="Check the docs patterns",
                text=f"The {lane} lane measures nothing, but {len(code_like)} of the "
                f"{len(paths)} changed files look like code or build inputs: {shown}. If they "
                "are run or built (a Sphinx conf.py, doc examples), narrow `docs_patterns` so "
                "they count as code.",
                impact=0.5,
                evidence={"lane": lane, "code_like": code_like, "files": len(paths)},
            )
        )
    return out


def _code_like(path: str) -> bool:
    return _CODE_LIKE.match_file(path)


_CODE_LIKE = pathspec.GitIgnoreSpec.from_lines(CODE_LIKE_PATTERNS)
