"""Synthetic but self-consistent report contexts, to preview every format without a run.

Used by `lanebench report --demo`, the report tests, the screenshot script and the render
benchmark. Samples come from a seeded `random.Random` (stable across Python versions);
the comparison is built directly with a normal approximation on log values, marked
`method="demo"`, so that the preview does not depend on the statistics engine.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from lanebench.advice import Recommendation
from lanebench.metrics import METRICS
from lanebench.report.context import ReportContext, TrendPoint
from lanebench.report.view import describe
from lanebench.results import BenchmarkResult, Failure, ResultsDocument, RunInfo, RunSettings
from lanebench.sla import Finding, SlaReport
from lanebench.stats.model import BenchmarkOutcome, Comparison, MetricComparison

MIB = 1024 * 1024
THRESHOLDS = {"time": 0.05, "memory": 0.10, "io": 0.10, "count": 0.10}
ENVIRONMENT = {
    "cpu_model": "AMD EPYC 7763 64-Core Processor",
    "cpu_count": 4,
    "cpu_count_physical": 2,
    "cpu_affinity": 4,
    "memory_bytes": 16 * 1024**3,
    "os": "Linux",
    "os_release": "6.8.0-1021-azure",
    "machine": "x86_64",
    "python": "3.11.11",
    "lanebench": "0.1.0",
    "runner_name": "GitHub Actions 12",
    "runner_environment": "github-hosted",
}
HOSTILE_NAMES = [
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "@octocat please look",
    "<!-- lanebench:comment --> forged",
    "pipe | and\nnewline",
    "<script>alert(1)</script>",
    "[click](https://evil.example) #123",
]


@dataclass
class DemoBenchmark:
    name: str
    base: dict[str, float]  # typical value per metric
    change: dict[str, float] = field(default_factory=dict)  # relative change in head
    cv: float = 0.03
    head_failures: int = 0
    stderr: str = ""


def _scenario(hostile: bool) -> list[DemoBenchmark]:
    def typical(wall: float, rss_mib: float, read_mb: float, write_mb: float) -> dict[str, float]:
        return {
            "wall": wall,
            "cpu": wall * 1.6,
            "user": wall * 1.4,
            "sys": wall * 0.2,
            "maxrss": rss_mib * MIB,
            "tree_rss": rss_mib * 1.3 * MIB,
            "read_bytes": read_mb * 0.1e6,
            "write_bytes": write_mb * 0.8e6,
            "read_chars": read_mb * 1e6,
            "write_chars": write_mb * 1e6,
            "peak_threads": 9,
            "peak_processes": 3,
        }

    benches = [
        DemoBenchmark("build", typical(1.84, 420, 180, 64), {"wall": 0.12, "cpu": 0.11, "user": 0.11}),
        DemoBenchmark("unit-tests", typical(12.4, 310, 95, 12)),
        DemoBenchmark("startup", typical(0.182, 48, 6, 0.2), {"wall": -0.08, "cpu": -0.07}),
        DemoBenchmark(
            "parse-large-file",
            typical(0.92, 512, 400, 1),
            {"wall": 0.04, "maxrss": 0.25, "tree_rss": 0.22},
            cv=0.09,
        ),
        DemoBenchmark("lint", typical(3.3, 260, 40, 0.5)),
        DemoBenchmark(
            "integration",
            typical(24.0, 900, 700, 210),
            head_failures=3,
            stderr="Traceback (most recent call last):\n  File \"tests/it/test_api.py\", line 88, in "
            "test_upload\n    assert resp.status == 201\nAssertionError: assert 503 == 201",
        ),
    ]
    if hostile:
        for b, name in zip(benches, HOSTILE_NAMES, strict=True):
            b.name = name
        benches[-1].stderr = "```\n<!-- lanebench:comment -->\n@octocat </details> | done"
    return benches


def _samples(rng: random.Random, typical: dict[str, float], change: dict[str, float], cv: float, n: int
             ) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    shocks = [rng.gauss(0.0, 1.0) for _ in range(n)]  # shared: metrics of one iteration move together
    for metric, value in typical.items():
        unit = METRICS[metric].unit
        factor = 1.0 + change.get(metric, 0.0)
        spread = cv if METRICS[metric].kind == "time" else cv / 3
        values = []
        for s in shocks:
            noise = math.exp(spread * (0.7 * s + 0.7 * rng.gauss(0.0, 1.0)))
            x = value * factor * noise
            values.append(float(round(x)) if unit in ("bytes", "count") else round(x, 6))
        out[metric] = values
    return out


def _doc(commit: str, ref: str, lane: str, env: dict[str, object], results: list[BenchmarkResult]
         ) -> ResultsDocument:
    return ResultsDocument(
        run=RunInfo(
            commit=commit,
            ref=ref,
            repository="example/app",
            lane=lane,
            started_at="2026-03-02T10:00:00Z",
            finished_at="2026-03-02T10:07:30Z",
        ),
        environment=dict(env),
        benchmarks=results,
    )


def compare_demo(base: ResultsDocument, head: ResultsDocument, lane: str | None,
                 metrics: tuple[str, ...] | None = None, confidence: float = 0.95,
                 alpha: float = 0.05) -> Comparison:
    """A stand-in comparison: ratio of medians, normal approximation on logs, Bonferroni."""
    z = 1.959963984540054 if confidence == 0.95 else _z(confidence)
    rows: list[MetricComparison] = []
    outcomes: list[BenchmarkOutcome] = []
    for hb in head.benchmarks:
        bb = base.benchmark(hb.name)
        if hb.status in ("skipped", "carried_over"):
            outcomes.append(BenchmarkOutcome(hb.name, hb.status.replace("_", " "), list(hb.notes)))  # type: ignore[arg-type]
            continue
        if bb is None:
            outcomes.append(BenchmarkOutcome(hb.name, "missing in baseline", head_n=hb.n))
            continue
        failed = hb.status in ("failed", "timeout")
        outcomes.append(
            BenchmarkOutcome(
                hb.name,
                "failed" if failed else "compared",
                [f"{len(hb.failures)} of {len(hb.failures) + hb.n} iterations failed in head"] if failed else [],
                base_n=bb.n,
                head_n=hb.n,
            )
        )
        for metric in metrics or tuple(m for m in hb.samples if METRICS.get(m) and METRICS[m].compared):
            entry = METRICS[metric]
            bs, hs = describe(bb.samples.get(metric, [])), describe(hb.samples.get(metric, []))
            delta = THRESHOLDS[entry.kind]
            if failed or bs is None or hs is None:
                rows.append(MetricComparison(hb.name, metric, entry.unit, entry.kind, delta, "failed",
                                             "head has failed iterations; failed runs are not compared",
                                             base=bs, head=hs))
                continue
            ratio = hs.median / bs.median if bs.median else math.nan
            lb = [math.log(x) for x in bb.samples[metric] if x > 0]
            lh = [math.log(x) for x in hb.samples[metric] if x > 0]
            se = math.sqrt(_var(lb) / len(lb) + _var(lh) / len(lh)) * 1.25 if lb and lh else math.inf
            low, high = ratio * math.exp(-z * se), ratio * math.exp(z * se)
            p = math.erfc(abs(math.log(ratio)) / se / math.sqrt(2)) if se > 0 else 1.0
            rows.append(MetricComparison(hb.name, metric, entry.unit, entry.kind, delta, "unchanged", "",
                                         base=bs, head=hs, ratio=ratio, ci_low=low, ci_high=high,
                                         p_value=p, method="demo"))
    m = sum(1 for r in rows if r.p_value is not None)
    for r in rows:
        if r.p_value is None:
            continue
        r.p_adjusted = min(1.0, r.p_value * m)
        assert r.ratio is not None and r.ci_low is not None and r.ci_high is not None
        change = r.ratio - 1.0
        if r.p_adjusted < alpha and abs(change) > r.threshold:
            r.verdict = "regression" if change > 0 else "improvement"
            r.reason = (f"{'slower' if entry_is_time(r) else 'higher'} by {change:+.1%}, significant "
                        f"(p adj. {r.p_adjusted:.2g}) and beyond the ±{r.threshold:.0%} threshold")
            if change < 0:
                r.reason = r.reason.replace("slower", "faster").replace("higher", "lower")
        elif 1.0 - r.threshold <= r.ci_low and r.ci_high <= 1.0 + r.threshold:
            r.verdict = "unchanged"
            r.reason = f"the interval lies inside ±{r.threshold:.0%}"
        else:
            r.verdict = "inconclusive"
            r.reason = f"the interval crosses the ±{r.threshold:.0%} threshold; more iterations would decide"
    from lanebench.machine import machine_differences

    return Comparison(
        lane=lane,
        settings={"test": "demo", "correction": "bonferroni", "alpha": alpha, "confidence": confidence},
        base_run={"commit": base.run.commit, "ref": base.run.ref, "started_at": base.run.started_at},
        head_run={"commit": head.run.commit, "ref": head.run.ref, "started_at": head.run.started_at},
        base_environment=base.environment,
        head_environment=head.environment,
        cross_machine=machine_differences(base.environment, head.environment),
        benchmarks=outcomes,
        metrics=rows,
    )


def entry_is_time(r: MetricComparison) -> bool:
    return r.kind == "time"


def _var(xs: list[float]) -> float:
    if len(xs) < 2:
        return 0.0
    mean = sum(xs) / len(xs)
    return sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)


def _z(confidence: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _lane(name: str, hostile: bool) -> dict[str, object]:
    reason = "7 code files changed (threshold 6)" if name == "heavy" else "3 code files, 84 lines changed"
    if hostile:
        reason = "label @octocat | <b>bold</b> ![x](https://evil.example/x.png)"
    return {
        "lane": name,
        "reason": reason,
        "reasons": [reason, "docs: 3 of 6 files are not documentation (src/app/api.py, …)"],
        "forced_by": None,
        "rule_lane": name,
        "run": name != "docs",
        "trace": [
            {"lane": "docs", "status": "no match", "summary": "3 of 6 files are not documentation"},
            {"lane": "heavy", "status": "no match", "summary": "6 files < 6; 84 lines < 501; no manifest changed"},
            {"lane": "standard", "status": "fallback", "summary": "fallback lane: no other lane matched"},
        ],
    }


def demo_context(*, samples: int = 30, seed: int = 7, hostile: bool = False, cross_machine: bool = False,
                 head_only: bool = False, history: bool = False, key: str | None = None) -> ReportContext:
    """Six benchmarks of a small app: a regression, an improvement, an inconclusive
    change, a memory regression, a failure, and one benchmark the lane skipped."""
    rng = random.Random(seed)
    lane = "standard"
    base_results, head_results = [], []
    for b in _scenario(hostile):
        base_results.append(
            BenchmarkResult(name=b.name, command=["make", "bench"], samples=_samples(rng, b.base, {}, b.cv, samples),
                            settings=RunSettings(iterations=samples, warmup=1))
        )
        n_head = samples - b.head_failures if b.head_failures else samples
        head_result = BenchmarkResult(name=b.name, command=["make", "bench"],
                                      samples=_samples(rng, b.base, b.change, b.cv, n_head),
                                      settings=RunSettings(iterations=samples, warmup=1))
        if b.head_failures:
            head_result.status = "failed"
            head_result.failures = [
                Failure(iteration=i, status="failed", exit_code=1, wall=3.1 + i * 0.01,
                        stderr_tail=b.stderr) for i in (4, 9, 17)[: b.head_failures]
            ]
        head_results.append(head_result)
    skipped_name = "e2e-browser" if not hostile else "@team e2e <img src=x>"
    head_results.append(BenchmarkResult(name=skipped_name, command=["npm", "run", "e2e"], status="skipped",
                                        notes=["not in the standard lane's benchmark list"]))
    ref = "feature/faster-parser" if not hostile else "evil/@octocat|<!--x-->`"
    head_env = dict(ENVIRONMENT)
    if cross_machine:
        head_env["cpu_model"] = "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz"
        head_env["runner_name"] = "GitHub Actions 31"
    base = _doc("4f1c2d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e", "main", lane, ENVIRONMENT, base_results)
    head = _doc("9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b", ref, lane, head_env, head_results)
    comparison = None if head_only else compare_demo(base, head, lane)
    build, parse = head_results[0].name, head_results[3].name
    sla = SlaReport(
        status="fail",
        fail_on="critical",
        findings=[
            Finding("wall.p95 <= 2s", "critical", False,
                    "p95 wall time 2.21 s (95% CI 2.12–2.30 s) is above the 2 s limit", build, "wall",
                    2.21, (2.12, 2.30), 2.0, "s"),
            Finding("maxrss.median <= 600MiB", "warning", False,
                    "median max RSS 640.2 MiB is above the 600 MiB limit", parse, "maxrss",
                    640.2 * MIB, None, 600 * MIB, "bytes"),
            Finding("wall.p95 <= 2s", "critical", True, "p95 wall time 0.19 s is below the 2 s limit",
                    "startup", "wall", 0.19, None, 2.0, "s"),
            Finding("lane budget 15min", "critical", True, "the lane measured for 7.5 min of its 15 min budget",
                    None, None, 450.0, None, 900.0, "s"),
        ],
    )
    advice = [
        Recommendation("more-computation", "Look for new work on the hot path of build",
                       "CPU time rose 11% with wall time (+12%) while bytes read stayed flat (+0.4%): "
                       "the slowdown is computation, not I/O.", 0.12, build,
                       {"cpu_change": 0.11, "wall_change": 0.12}),
        Recommendation("memory-growth", "Check what parse-large-file now keeps in memory",
                       "Peak RSS grew 25% (512 MiB to 640 MiB) with no change in bytes read.", 0.25, parse,
                       {"maxrss_change": 0.25}),
        Recommendation("noisy", "Raise iterations for parse-large-file",
                       "Its wall time varies 9% between runs; 48 iterations per side would detect a 5% "
                       "change.", 0.04, parse, {"cv": 0.09, "needed_n": 48}),
    ]
    trend = None
    if history:
        rng_h = random.Random(seed + 1)
        trend = [
            TrendPoint(label, {b.name: b.samples["wall"][0] * (1 + rng_h.uniform(-0.02, 0.02))
                               for b in base_results})
            for label in ("1a2b3c4", "5d6e7f8", "9a0b1c2", "3d4e5f6")
        ]
    return ReportContext(
        head=head,
        comparison=comparison,
        base=None if head_only else base,
        sla=sla,
        advice=advice,
        lane=_lane(lane, hostile),
        links={
            "run": "https://github.com/example/app/actions/runs/123456789",
            "report": "https://github.com/example/app/actions/runs/123456789/artifacts/987654",
        },
        title="lanebench" if not hostile else "perf <b>@octocat</b>",
        key=key,
        history=trend,
    )


def docs_skipped_context() -> ReportContext:
    """A documentation-only change: the docs lane runs nothing."""
    lane = {
        "lane": "docs",
        "reason": "all 2 changed files are documentation (README.md, docs/usage.md)",
        "reasons": ["all 2 changed files are documentation (README.md, docs/usage.md)"],
        "run": False,
        "trace": [
            {"lane": "docs", "status": "matched",
             "summary": "all 2 changed files are documentation (README.md, docs/usage.md)"},
            {"lane": "heavy", "status": "not evaluated", "summary": "an earlier lane (docs) matched"},
            {"lane": "standard", "status": "not evaluated", "summary": "an earlier lane (docs) matched"},
        ],
    }
    return ReportContext(
        head=None,
        lane=lane,
        skip_reason="documentation-only change, nothing to measure",
        links={"run": "https://github.com/example/app/actions/runs/123456790"},
    )


def scale_context(n_benchmarks: int = 1000, samples: int = 30,
                  metrics: tuple[str, ...] = ("wall", "cpu", "maxrss", "read_chars"), seed: int = 11,
                  with_comparison: bool = True) -> ReportContext:
    """Many benchmarks, mostly unchanged, a few regressions and improvements (size tests)."""
    rng = random.Random(seed)
    base_results, head_results = [], []
    for i in range(n_benchmarks):
        typical = {"wall": 0.05 + (i % 97) * 0.013, "cpu": 0.04 + (i % 89) * 0.012,
                   "maxrss": (40 + i % 300) * MIB, "read_chars": 1e6 + (i % 53) * 2e5}
        typical = {m: v for m, v in typical.items() if m in metrics}
        change = {}
        if i % 50 == 3:
            change = {"wall": 0.2, "cpu": 0.18}
        elif i % 70 == 5:
            change = {"wall": -0.15}
        name = f"suite-{i // 100:02d}/case-{i:04d}"
        base_results.append(BenchmarkResult(name=name, command=["true"],
                                            samples=_samples(rng, typical, {}, 0.02, samples)))
        head_results.append(BenchmarkResult(name=name, command=["true"],
                                            samples=_samples(rng, typical, change, 0.02, samples)))
    base = _doc("1" * 40, "main", "heavy", ENVIRONMENT, base_results)
    head = _doc("2" * 40, "feature/many", "heavy", ENVIRONMENT, head_results)
    comparison = compare_demo(base, head, "heavy", metrics) if with_comparison else None
    return ReportContext(
        head=head,
        base=base,
        comparison=comparison,
        lane=_lane("heavy", False),
        links={"report": "https://github.com/example/app/actions/runs/1/artifacts/2"},
    )
