"""Seeded simulations of change points and drift on main's history (run by hand).

    python benchmarks/changepoints.py [--series 100] [--only steps,aa,stream,delay,drift]

Prints Markdown tables (recorded in docs/trends.md). Each series is one benchmark's
median per main run: lognormal around 1.0 with the given CV (the run-to-run noise of a
runner pool), 60 runs long unless said otherwise. Each goes through the same path as a
real history: a `History` of run records, then `lanebench.stats.trends.analyse` with its
defaults (E-divisive at p < 0.01 with 199 permutations, at least 5 runs a side; drift
over the last 20 runs; the time threshold 5%).

"found" counts series with a change point within ±3 runs of the true step, "alerted"
those where that change point's verdict is a regression at δ = 5%, "position error" is
|found - true| in runs over the found ones, "false" counts change points farther than 3
runs from any true step. The naive rule flags run i when |value[i] / value[i-1] - 1| >= X
(what a previous-vs-current threshold does); its "found" and "false" are counted the same
way. Seeded: the same command prints the same tables.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np
from scipy.stats import binomtest

from lanebench.history_store import BenchmarkPoint, History, MetricPoint, Runner, RunRecord
from lanebench.stats.trends import TrendReport, TrendSettings, analyse

LENGTH = 60
TOLERANCE = 3
NAIVE = (0.05, 0.10)
SETTINGS = TrendSettings(normalize=False)


def rate(hits: int, total: int) -> str:
    ci = binomtest(hits, total).proportion_ci(method="exact")
    return f"{hits / total * 100:.0f}% [{ci.low * 100:.0f}, {ci.high * 100:.0f}]"


def per_100(count: int, series: int) -> str:
    return f"{count * 100 / series:.1f}"


def noisy(rng: np.random.Generator, length: int, cv: float, outliers: float = 0.0) -> np.ndarray:
    sigma = float(np.sqrt(np.log1p(cv * cv)))
    x = np.exp(rng.normal(0.0, sigma, length))
    hit = rng.random(length) < outliers
    x[hit] *= rng.uniform(1.2, 2.0, int(hit.sum()))
    return x


def with_steps(x: np.ndarray, steps: dict[int, float]) -> np.ndarray:
    y = x.copy()
    for at, factor in steps.items():
        y[at:] *= factor
    return y


def history_of(values: Sequence[float]) -> History:
    runs = tuple(
        RunRecord(
            commit=f"{i:040x}", date="2025-01-01T00:00:00+00:00",
            runners=(Runner(fingerprint="sim"),),
            benchmarks={"b": BenchmarkPoint(metrics={"wall": MetricPoint(float(v), 20, None, None)})},
        )
        for i, v in enumerate(values)
    )
    return History(runs=runs)


def analysed(values: Sequence[float]) -> TrendReport:
    return analyse(history_of(values), SETTINGS)


def naive_flags(values: np.ndarray, x: float) -> list[int]:
    change = values[1:] / values[:-1] - 1.0
    return [int(i) + 1 for i in np.flatnonzero(np.abs(change) >= x)]


class Tally:
    """Found / false / position error of one method over many series with known steps."""

    def __init__(self) -> None:
        self.series = self.found = self.alerted = self.false = 0
        self.errors: list[int] = []

    def add(self, indices: Sequence[int], truth: Sequence[int], alerted: Sequence[int] = ()) -> None:
        self.series += 1
        for t in truth:
            near = [i for i in indices if abs(i - t) <= TOLERANCE]
            if near:
                self.found += 1
                self.errors.append(min(abs(i - t) for i in near))
            self.alerted += any(abs(i - t) <= TOLERANCE for i in alerted)
        self.false += sum(all(abs(i - t) > TOLERANCE for t in truth) for i in indices)

    def error_text(self) -> str:
        if not self.errors:
            return "-"
        e = np.asarray(self.errors)
        return f"{e.mean():.1f} (exact {np.mean(e == 0) * 100:.0f}%)"


def steps_table(n: int) -> None:
    print("### A single step among noise\n")
    print(f"{n} series of {LENGTH} runs per row, the step at a random run in [10, 50]; "
          "95% Clopper-Pearson intervals.\n")
    print("| step | noise CV | E-divisive found | alerted (δ 5%) | position error | false per 100 | "
          + " | ".join(f"naive {x * 100:g}%: found | false per 100" for x in NAIVE) + " |")
    print("| --- | --- | --- | --- | --- | --- | " + " | ".join("--- | ---" for _ in NAIVE) + " |")
    for step in (1.03, 1.05, 1.10):
        for cv in (0.02, 0.05, 0.10):
            rng = np.random.default_rng(int(step * 1000) + int(cv * 1000))
            ed, naive = Tally(), {x: Tally() for x in NAIVE}
            for _ in range(n):
                at = int(rng.integers(10, 51))
                values = with_steps(noisy(rng, LENGTH, cv), {at: step})
                changes = analysed(values).changes
                ed.add([c.change.index for c in changes], [at],
                       [c.change.index for c in changes if c.verdict == "regression"])
                for x, tally in naive.items():
                    tally.add(naive_flags(values, x), [at])
            cells = " | ".join(f"{rate(t.found, n)} | {per_100(t.false, n)}" for t in naive.values())
            print(f"| {(step - 1) * 100:+g}% | {cv * 100:g}% | {rate(ed.found, n)} | {rate(ed.alerted, n)} | "
                  f"{ed.error_text()} | {per_100(ed.false, n)} | {cells} |", flush=True)
    print()


def aa_table(n: int) -> None:
    print("### A/A: no change at all\n")
    print(f"{n} series of {LENGTH} runs per row. \"outliers\": 3% of runs 1.2-2x slower "
          "(a noisy neighbour).\n")
    print("| noise CV | model | change points per 100 series | series with any | alerts (δ 5%) per 100 | "
          "drift reported per 100 | " + " | ".join(f"naive {x * 100:g}%: flags per 100 | series with any"
                                                    for x in NAIVE) + " |")
    print("| --- | --- | --- | --- | --- | --- | " + " | ".join("--- | ---" for _ in NAIVE) + " |")
    for cv in (0.02, 0.05, 0.10):
        for model, outliers in (("lognormal", 0.0), ("outliers", 0.03)):
            rng = np.random.default_rng(7000 + int(cv * 1000) + int(outliers * 100))
            cps = anyc = alerts = drifts = 0
            flags = {x: 0 for x in NAIVE}
            flagged = {x: 0 for x in NAIVE}
            for _ in range(n):
                values = noisy(rng, LENGTH, cv, outliers)
                report = analysed(values)
                cps += len(report.changes)
                anyc += bool(report.changes)
                alerts += len(report.alerts)
                drifts += len(report.drifts)
                for x in NAIVE:
                    f = naive_flags(values, x)
                    flags[x] += len(f)
                    flagged[x] += bool(f)
            cells = " | ".join(f"{per_100(flags[x], n)} | {rate(flagged[x], n)}" for x in NAIVE)
            print(f"| {cv * 100:g}% | {model} | {per_100(cps, n)} | {rate(anyc, n)} | {per_100(alerts, n)} | "
                  f"{per_100(drifts, n)} | {cells} |", flush=True)
    print()


def delay_table(n: int) -> None:
    print("### How many runs after a step it is found\n")
    print(f"{n} series per cell: 40 runs before a step, k runs after it; found = a change point "
          "within ±3 runs of the step.\n")
    ks = (3, 5, 7, 10, 15)
    print("| step | noise CV | " + " | ".join(f"k = {k}" for k in ks) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in ks) + " |")
    for step, cv in ((1.05, 0.02), (1.10, 0.05), (1.10, 0.10)):
        cells = []
        for k in ks:
            rng = np.random.default_rng(9000 + k + int(cv * 1000))
            tally = Tally()
            for _ in range(n):
                values = with_steps(noisy(rng, 40 + k, cv), {40: step})
                tally.add([c.change.index for c in analysed(values).changes], [40])
            cells.append(rate(tally.found, n))
        print(f"| {(step - 1) * 100:+g}% | {cv * 100:g}% | " + " | ".join(cells) + " |", flush=True)
    print()


def drift_table(n: int) -> None:
    print("### Creeping drift: five +1% steps in the last 20 runs\n")
    print(f"{n} series of {LENGTH} runs per row. Steps at runs 41, 45, 49, 53, 57 (+5.1% in all); "
          "\"one step\": a single +5.1% step at run 49 instead; \"flat\": none. Drift is reported "
          "when its verdict at δ = 5% is a regression once the change points that are alerts "
          "themselves are taken out.\n")
    print("| series | noise CV | drift reported | a change point alerted | neither | "
          "largest change point found (median) |")
    print("| --- | --- | --- | --- | --- | --- |")
    shapes = {
        "five +1% steps": {41: 1.01, 45: 1.01, 49: 1.01, 53: 1.01, 57: 1.01},
        "one +5.1% step": {49: 1.0101**5},
        "flat": {},
    }
    for name, steps in shapes.items():
        for cv in (0.01, 0.02, 0.05):
            rng = np.random.default_rng(11000 + int(cv * 1000) + len(steps))
            drifted = alerted = neither = 0
            largest: list[float] = []
            for _ in range(n):
                report = analysed(with_steps(noisy(rng, LENGTH, cv), steps))
                drifted += bool(report.drifts)
                alerted += bool(report.alerts)
                neither += not report.drifts and not report.alerts
                sizes = [c.change.ratio for c in report.changes if c.change.ratio is not None]
                if sizes:
                    largest.append(max(sizes, key=lambda r: abs(np.log(r))))
            big = f"{(np.median(largest) - 1) * 100:+.1f}% ({len(largest)} series)" if largest else "-"
            print(f"| {name} | {cv * 100:g}% | {rate(drifted, n)} | {rate(alerted, n)} | "
                  f"{rate(neither, n)} | {big} |", flush=True)
    print()


def stream_table(n: int) -> None:
    print("### A/A, analysed after every other run as main grows\n")
    print(f"{n} series per row, each analysed at 20, 22, ..., 80 runs (31 analyses), as the "
          "baseline job would; a false alert counts once per series however many analyses "
          "repeat it (alerts within 5 runs of one already raised are the same alert).\n")
    print("| noise CV | distinct false alerts per 100 series | series with any | "
          "drift reports per 100 series |")
    print("| --- | --- | --- | --- |")
    for cv in (0.02, 0.05, 0.10):
        rng = np.random.default_rng(13000 + int(cv * 1000))
        alerts = anyc = drifts = 0
        for _ in range(n):
            values = noisy(rng, 80, cv)
            raised: list[int] = []
            drifted: list[int] = []
            for length in range(20, 81, 2):
                report = analysed(values[:length])
                for c in report.alerts:
                    if all(abs(c.change.index - i) > 5 for i in raised):
                        raised.append(c.change.index)
                if report.drifts and (not drifted or length - drifted[-1] > 20):
                    drifted.append(length)
            alerts += len(raised)
            anyc += bool(raised)
            drifts += len(drifted)
        print(f"| {cv * 100:g}% | {per_100(alerts, n)} | {rate(anyc, n)} | {per_100(drifts, n)} |",
              flush=True)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100, help="series per table row")
    parser.add_argument("--only", default="steps,aa,stream,delay,drift")
    args = parser.parse_args()
    cp = SETTINGS.changepoint
    print(f"E-divisive: p < {cp.significance:g}, {cp.permutations} permutations, at least "
          f"{cp.min_size} runs a side, seed {cp.seed}; drift over {SETTINGS.drift.window} runs, "
          f"p < {SETTINGS.drift.alpha:g}, {SETTINGS.drift.confidence * 100:g}% interval.\n")
    tables = {"steps": steps_table, "aa": aa_table, "delay": lambda n: delay_table(max(20, n // 2)),
              "drift": drift_table, "stream": lambda n: stream_table(max(10, n // 4))}
    for name in args.only.split(","):
        started = time.perf_counter()
        tables[name](args.series)
        print(f"<!-- {name}: {time.perf_counter() - started:.0f} s -->\n", flush=True)


if __name__ == "__main__":
    main()
