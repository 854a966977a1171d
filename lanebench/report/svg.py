"""Charts for the HTML dashboard, drawn as inline SVG on the server (no script, no network).

Colours come from CSS classes, so the page's light and dark themes restyle every chart.
Every label that came from a results file goes through `markupsafe.escape`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

GOLDEN = 0.6180339887498949  # deterministic jitter: point i sits at (i * GOLDEN) mod 1


def nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round-numbered ticks covering [lo, hi], at most `count` + 1 of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = mag
    for m in (1, 2, 2.5, 5, 10):
        step = m * mag
        if (hi - lo) / step <= count:
            break
    digits = max(0, 1 - math.floor(math.log10(step)))
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    i = first
    while i * step <= hi + step * 1e-9:
        ticks.append(round(i * step, digits) + 0.0)
        i += 1
    return ticks


class _Scale:
    def __init__(self, lo: float, hi: float, x0: float, x1: float) -> None:
        self.lo, self.hi, self.x0, self.x1 = lo, hi, x0, x1
        self.k = (x1 - x0) / (hi - lo) if hi > lo else 0.0

    def __call__(self, v: float) -> float:
        return self.x0 + (min(max(v, self.lo), self.hi) - self.lo) * self.k


def _domain(values: Sequence[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if hi == lo:
        pad = abs(lo) * 0.01 or 1.0
    else:
        pad = (hi - lo) * 0.06
    lo, hi = lo - pad, hi + pad
    if min(values) >= 0 and lo < 0:
        lo = 0.0
    return lo, hi


def axis_unit(magnitude: float, unit: str) -> tuple[float, str]:
    """One scale for a whole axis, so tick labels read 1.8 s, 2 s, 2.2 s (not 1.800 s)."""
    if unit == "s":
        for factor, suffix in ((60.0, " min"), (1.0, " s"), (1e-3, " ms"), (1e-6, " µs")):
            if magnitude >= factor:
                return factor, suffix
        return 1e-9, " ns"
    if unit == "bytes":
        for factor, suffix in ((1024.0**3, " GiB"), (1024.0**2, " MiB"), (1024.0, " KiB")):
            if magnitude >= factor:
                return factor, suffix
        return 1.0, " B"
    return 1.0, ""


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    # Linear interpolation between closest ranks (numpy's default), without numpy's
    # per-call overhead: thousands of small samples are drawn per page.
    pos = (len(sorted_values) - 1) * q
    i = int(pos)
    frac = pos - i
    if i + 1 < len(sorted_values):
        return sorted_values[i] + (sorted_values[i + 1] - sorted_values[i]) * frac
    return sorted_values[i]


def box_stats(values: Sequence[float]) -> tuple[float, float, float, float, float]:
    """Whisker low, first quartile, median, third quartile, whisker high (Tukey, 1.5 IQR)."""
    s = sorted(values)
    q1, med, q3 = _quantile(s, 0.25), _quantile(s, 0.5), _quantile(s, 0.75)
    iqr = q3 - q1
    inside = [v for v in s if q1 - 1.5 * iqr <= v <= q3 + 1.5 * iqr]
    return (inside[0] if inside else q1), q1, med, q3, (inside[-1] if inside else q3)


@lru_cache(maxsize=256)
def _jitter_rows(cy: float, n: int) -> tuple[str, ...]:
    """The formatted y of each of n points in a lane centred at cy: the same for every
    panel with as many samples, so drawn once rather than once per panel."""
    return tuple(f"{cy + ((j * GOLDEN) % 1.0 - 0.5) * 18:.0f}" for j in range(n))


def distribution_svg(
    base: Sequence[float] | None, head: Sequence[float] | None, unit: str, *, title: str
) -> Markup:
    """Box plus every sample, baseline above head, on one shared axis."""
    lanes = [(name, list(v)) for name, v in (("base", base), ("head", head)) if v]
    if not lanes:
        return Markup("")
    width, left, right, lane_h = 360, 40, 348, 32
    top = 8
    axis_y = top + lane_h * len(lanes) + 2
    height = axis_y + 18
    lo, hi = _domain([min(min(v) for _, v in lanes), max(max(v) for _, v in lanes)])
    x = _Scale(lo, hi, left, right)
    k, x0 = x.k, left - lo * x.k
    esc_title = escape(title)
    out = [f'<svg class="dist" viewBox="0 0 {width} {height}" role="img"><title>{esc_title}</title>']
    factor, suffix = axis_unit(max(abs(lo), abs(hi)), unit)
    ticks = [t * factor for t in nice_ticks(lo / factor, hi / factor, 4)]
    grid = "".join(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{axis_y}"/>' for t in ticks)
    out.append(f'<g class="grid">{grid}</g>')
    out.append(
        '<g class="tick">'
        + "".join(
            f'<text x="{x(t):.1f}" y="{axis_y + 13}">{t / factor:g}{escape(suffix)}</text>' for t in ticks
        )
        + "</g>"
    )
    for i, (name, values) in enumerate(lanes):
        cy = top + lane_h * i + lane_h / 2
        low, q1, med, q3, high = box_stats(values)
        out.append(
            f'<g class="lane lane-{name}"><text class="lab" x="0" y="{cy + 4:.1f}">{name}</text>'
            f'<line class="whisk" x1="{x(low):.1f}" x2="{x(high):.1f}" y1="{cy}" y2="{cy}"/>'
            f'<rect class="box" x="{x(q1):.1f}" y="{cy - 8}" width="{max(x(q3) - x(q1), 1):.1f}" '
            f'height="16"/><line class="med" x1="{x(med):.1f}" x2="{x(med):.1f}" y1="{cy - 9}" '
            f'y2="{cy + 9}"/>'
        )
        # Points as zero-length round-capped strokes: one path per lane, a tenth of the
        # bytes of one <circle> per sample.
        pts: list[str] = []
        outs: list[str] = []
        for v, y in zip(values, _jitter_rows(cy, len(values)), strict=True):
            # Whole units: one unit is about one CSS pixel at the plot's size.
            (outs if v < low or v > high else pts).append(f"M{x0 + v * k:.0f} {y}h0")
        out.append(f'<path class="pts" d="{"".join(pts)}"/>')
        if outs:  # hollow: a background-coloured dot over a coloured one
            d = "".join(outs)
            out.append(f'<path class="pts out" d="{d}"/><path class="pts hole" d="{d}"/>')
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


@dataclass
class ForestItem:
    label: str
    change: float  # ratio - 1
    low: float  # interval, as changes
    high: float
    threshold: float
    verdict: str
    why: str = ""  # what kept an inconclusive verdict open ("not significant after adjustment")


def forest_html(items: Sequence[ForestItem], *, title: str) -> Markup:
    """Change with its interval per benchmark, over the ±δ band of 'no practical change'.

    A grid of rows (name, bar, numbers) rather than one wide SVG, so that on a phone the
    name moves above its bar instead of shrinking to nothing. Each bar is a small SVG
    stretched to its cell; strokes use `vector-effect: non-scaling-stroke`, so the interval
    keeps its thickness and the estimate (a round-capped dot) stays round.
    """
    if not items:
        return Markup("")
    values = [v for it in items for v in (it.low, it.high, it.threshold * 1.5, -it.threshold * 1.5)]
    lo = max(min(values), -0.95)
    hi = min(max(values), 3.0)
    pad = (hi - lo) * 0.06
    lo, hi = lo - pad, hi + pad
    x = _Scale(lo, hi, 0.0, 1000.0)
    ticks = nice_ticks(lo * 100, hi * 100, 6)
    grid = "".join(f"M{x(t / 100):.1f} 0v24" for t in ticks)
    zero = x(0.0)
    out = [
        f'<div class="forest" role="group" aria-label="{escape(title)}">'
        '<span class="f-blank"></span><div class="f-ticks" aria-hidden="true">'
        + "".join(
            f'<span style="left:{x(t / 100) / 10:.2f}%">{_percent_tick(t)}</span>' for t in ticks
        )
        + '</div><span class="f-blank"></span>'
    ]
    for it in items:
        numbers = f"{it.change:+.1%} [{it.low * 100:+.1f}, {it.high * 100:+.1f}]"
        clip = ("f-clip-lo " if it.low < lo else "") + ("f-clip-hi" if it.high > hi else "")
        out.append(
            f'<div class="f-row v-{it.verdict.replace(" ", "-")}">'
            f'<span class="f-name">{escape(it.label)}</span>'
            f'<svg class="fbar {clip.strip()}" viewBox="0 0 1000 24" preserveAspectRatio="none" '
            f'role="img" aria-label="{escape(it.label)}: {numbers}, {escape(it.verdict)}">'
            f'<rect class="band" x="{x(-it.threshold):.1f}" y="0" '
            f'width="{x(it.threshold) - x(-it.threshold):.1f}" height="24"/>'
            f'<path class="gl" d="{grid}"/><path class="zero" d="M{zero:.1f} 0v24"/>'
            f'<path class="ci" d="M{x(it.low):.1f} 12H{x(it.high):.1f}"/>'
            f'<path class="pt" d="M{x(it.change):.1f} 12h0"/></svg>'
            f'<span class="f-num">{numbers}'
            + (f'<span class="f-why"> · {escape(it.verdict)} ({escape(it.why)})</span>' if it.why else "")
            + "</span></div>"
        )
    out.append("</div>")
    return Markup("".join(out))


def _percent_tick(t: float) -> str:
    return "0%" if t == 0 else f"{t:+g}%"


@dataclass
class TrendRun:
    """One main run in a trend chart: its value, the value's interval, a tooltip."""

    value: float
    low: float | None
    high: float | None
    tip: str  # commit, date, value: shown on hover


@dataclass
class TrendMark:
    """A change point: the level changed between run `index - 1` and run `index`."""

    index: int
    verdict: str
    label: str  # "+8.1%"


@dataclass
class TrendLevel:
    """The level (median) of the runs [start, stop) between change points."""

    start: int
    stop: int
    value: float


def trend_svg(
    runs: Sequence[TrendRun],
    *,
    marks: Sequence[TrendMark] = (),
    levels: Sequence[TrendLevel] = (),
    window: tuple[int, int] | None = None,
    window_verdict: str = "",
    unit: str,
    x_labels: Sequence[tuple[int, str]] = (),
    title: str,
) -> Markup:
    """A series of main runs: each run's interval and value, the level between change
    points, change points as dashed rules labelled with their size, and a drift's window
    [first, last] shaded. `unit` "ratio" reads the axis as multiples (the value divided by
    a calibration time); `x_labels` are (run index, text) ticks under the axis."""
    if not runs:
        return Markup("")
    width, left, right, top = 720, 56, 708, 18
    plot_bottom = 150
    height = plot_bottom + (34 if x_labels else 16)
    ends = [v for r in runs for v in (r.value, r.low, r.high) if v is not None and math.isfinite(v)]
    ends += [lv.value for lv in levels]
    lo, hi = _domain(ends)
    y = _Scale(lo, hi, plot_bottom, top)
    step = (right - left) / max(len(runs), 1)
    x0 = left + step / 2

    def x(i: float) -> float:
        return x0 + i * step

    out = [f'<svg class="trend" viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>']
    if window is not None:
        a, b = window
        out.append(f'<rect class="window v-{escape(window_verdict)}" x="{x(a) - step / 2:.1f}" y="{top}" '
                   f'width="{(b - a + 1) * step:.1f}" height="{plot_bottom - top}"/>')
    if unit == "ratio":
        factor, suffix = 1.0, "×"
    else:
        factor, suffix = axis_unit(max(abs(lo), abs(hi)), unit)
    ticks = [t * factor for t in nice_ticks(lo / factor, hi / factor, 4)]
    out.append('<g class="grid">' + "".join(
        f'<line x1="{left}" x2="{right}" y1="{y(t):.1f}" y2="{y(t):.1f}"/>' for t in ticks) + "</g>")
    out.append('<g class="tick ytick">' + "".join(
        f'<text x="{left - 6}" y="{y(t) + 3.5:.1f}">{t / factor:g}{escape(suffix)}</text>' for t in ticks)
        + "</g>")
    if x_labels:
        last = len(runs) - 1

        def anchor(i: int) -> str:  # the end labels stay inside the chart
            return ' style="text-anchor:start"' if i == 0 and last else (
                ' style="text-anchor:end"' if i == last and last else "")
        out.append('<g class="tick">' + "".join(
            f'<text x="{x(i) + (-step / 2 if i == 0 and last else step / 2 if i == last and last else 0):.1f}" '
            f'y="{plot_bottom + 14}"{anchor(i)}>{escape(text)}</text>' for i, text in x_labels) + "</g>")
        out.append(f'<text class="axis-note" x="{right}" y="{plot_bottom + 29}">main runs, oldest first</text>')
    for level in levels:
        out.append(f'<path class="level" d="M{x(level.start) - step / 2:.1f} {y(level.value):.1f}'
                   f'H{x(level.stop - 1) + step / 2:.1f}"/>')
    for mark in marks:
        mx = x(mark.index) - step / 2
        near_end = mx > right - 60  # label left of the rule, inside the chart
        align = ' style="text-anchor:end"' if near_end else ""
        out.append(f'<g class="cp v-{escape(mark.verdict.replace(" ", "-"))}">'
                   f'<path d="M{mx:.1f} {top}V{plot_bottom}"/>'
                   f'<text x="{mx + (-3 if near_end else 3):.1f}" y="{top - 5}"{align}>'
                   f'{escape(mark.label)}</text></g>')
    # One element per run, so that each can carry its tooltip (the commit and the value).
    out.append('<g class="runs">')
    for i, r in enumerate(runs):
        cx, cy = x(i), y(r.value)
        bar = (f'<path class="ci" d="M{cx:.1f} {y(r.low):.1f}V{y(r.high):.1f}"/>'
               if r.low is not None and r.high is not None else "")
        out.append(f'<g><title>{escape(r.tip)}</title>{bar}<path class="pt" d="M{cx:.1f} {cy:.1f}h0"/></g>')
    out.append("</g></svg>")
    return Markup("".join(out))
