#!/usr/bin/env python3
"""How long the comparison and every report format take for a large run.

Builds two synthetic results documents (default 1,000 benchmarks x 30 samples x 4
metrics: wall, cpu, maxrss, read_chars), then times, on the same documents:
`lanebench.stats.compare`, SLA evaluation and advice, and each renderer, and writes
nothing to disk unless --write DIR is given. Prints the median of --repeat runs.

    python benchmarks/render_speed.py
    python benchmarks/render_speed.py --benchmarks 200 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lanebench.advice import recommend  # noqa: E402
from lanebench.config import LaneSettings  # noqa: E402
from lanebench.report import FORMATS, write_reports  # noqa: E402
from lanebench.report.demo import scale_context  # noqa: E402
from lanebench.sla import evaluate_sla  # noqa: E402
from lanebench.stats import compare  # noqa: E402

METRICS = ("wall", "cpu", "maxrss", "read_chars")


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmarks", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", type=Path, metavar="DIR", help="also time write_reports into DIR")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    ctx = scale_context(args.benchmarks, args.samples, METRICS, with_comparison=False)
    assert ctx.base is not None and ctx.head is not None
    lane = LaneSettings()
    rows: list[tuple[str, float, str]] = []

    t, comparison = timed(lambda: compare(ctx.base, ctx.head, lane=lane, lane_name="heavy", metrics=METRICS),
                          args.repeat)
    ctx.comparison = comparison  # type: ignore[assignment]
    rows.append(("compare (stats)", t, f"{len(ctx.comparison.metrics)} comparisons"))  # type: ignore[union-attr]
    t, sla = timed(lambda: evaluate_sla(lane, ctx.head, ctx.comparison, lane_name="heavy"), args.repeat)
    ctx.sla = sla  # type: ignore[assignment]
    rows.append(("SLA + advice", t, ""))
    t2, advice = timed(lambda: recommend(ctx.comparison, ctx.head, ctx.base, ctx.sla, ctx.lane), args.repeat)
    ctx.advice = advice  # type: ignore[assignment]
    rows[-1] = ("SLA + advice", t + t2, f"{len(sla.findings)} findings, {len(advice)} recommendations")  # type: ignore[attr-defined]
    render_total = 0.0
    for name, (filename, render) in FORMATS.items():
        t, text = timed(lambda render=render: render(ctx), args.repeat)
        render_total += t
        size = len(text.encode("utf-8"))  # type: ignore[union-attr]
        rows.append((f"render {name}", t, f"{filename}: {size / 1e6:.2f} MB"))
    if args.write:
        directory = args.write
    else:
        directory = Path(tempfile.mkdtemp(prefix="lanebench-render-"))
    t, _ = timed(lambda: write_reports(ctx, directory), args.repeat)
    rows.append(("write_reports (all files)", t, str(directory)))

    width = max(len(r[0]) for r in rows)
    print(f"{args.benchmarks} benchmarks x {args.samples} samples x {len(METRICS)} metrics, "
          f"median of {args.repeat}")
    for name, seconds, note in rows:
        print(f"  {name:<{width}}  {seconds:7.3f} s  {note}")
    print(f"  {'compare + write_reports':<{width}}  {rows[0][1] + rows[-1][1]:7.3f} s")
    print(f"  {'renderers one by one, summed':<{width}}  {render_total:7.3f} s")
    print(f"1-minute load average: {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
