"""Numbers as lanebench shows them: values in their unit, changes, intervals, p-values.

The one place they are formatted, for reports, the terminal, findings, advice and
verdict reasons alike. Table cells are short (`+11.8%`, `[+8.0, +15.2]`, `0.047`);
sentences say what a number is (`+11.8%`, `95% interval [+8.0%, +15.2%]`,
`adjusted p = 0.0472`). A p-value always shows enough digits to stay on its side of α.
"""

from __future__ import annotations

import math
from typing import TypeGuard

DASH = "—"


def is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def plural(n: int, word: str, plural_word: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural_word or word + 's')}"


# --- values ----------------------------------------------------------------------------------


def format_duration(seconds: float) -> str:
    """Human-readable duration with 3-4 significant digits."""
    if seconds != seconds:  # NaN
        return "n/a"
    a = abs(seconds)
    if a >= 60:
        return f"{seconds / 60:.2f} min"
    if a >= 1:
        return f"{seconds:.3f} s"
    if a >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if a >= 1e-6:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e9:.0f} ns"


def format_size(nbytes: float) -> str:
    """Human-readable binary size."""
    if nbytes != nbytes:
        return "n/a"
    a = abs(nbytes)
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if a >= factor:
            return f"{nbytes / factor:.1f} {unit}"
    return f"{nbytes:.0f} B"


def format_value(value: float | None, unit: str, missing: str = DASH) -> str:
    """A value in its unit: `1.234 s`, `12.3 MiB`, `80.0%` (a fraction), `42`, `0.123`."""
    if value is None or not is_number(value):
        return missing
    if unit in ("s", "seconds"):
        return format_duration(value)
    if unit == "bytes":
        return format_size(value)
    if unit in ("fraction", "ratio"):
        return f"{value * 100:.1f}%"
    if float(value).is_integer():
        # instruction counts run to billions: grouped digits keep them readable
        return f"{value:,.0f}" if abs(value) >= 100_000 else f"{value:.0f}"
    return f"{value:.3g}"


def format_raw(value: float) -> str:
    """A raw sample, exactly: integers without `.0`, other floats as their shortest repr."""
    v = float(value)
    if v.is_integer() and -(2**53) < v < 2**53:
        return str(int(v))
    return repr(v)


# --- changes and intervals -------------------------------------------------------------------


def format_change(change: float | None, digits: int = 1) -> str:
    """A relative change as a signed percentage: `+11.8%`, `-3.0%` (whole beyond 1000%)."""
    if change is None or not is_number(change):
        return DASH
    percent = change * 100.0
    if abs(percent) >= 1000:
        digits = 0
    return f"{percent:+.{digits}f}%"


def count_text(value: float) -> str:
    """A signed count, short: `+41.2M`, `-3.1k`, `+812`."""
    a = abs(value)
    for suffix, factor in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if a >= factor:
            return f"{value / factor:+.1f}{suffix}"
    return f"{value:+.0f}"


def format_runner_share(fraction: float) -> str:
    """A bound of a runner effect, whole percent, no sign on zero: `-5%`, `0%`, `+21%`."""
    return format_change(fraction, 0).replace("+0%", "0%").replace("-0%", "0%")


def pct(ratio: float) -> str:
    """A ratio as the change it means, in a sentence: 1.073 -> `+7.3%`, 1.0004 -> `+0.04%`."""
    change = (ratio - 1.0) * 100.0
    digits = 1 if abs(change) >= 0.1 or change == 0 else 2
    return f"{change:+.{digits}f}%"


def format_percent(fraction: float | None, digits: int = 1) -> str:
    if fraction is None or not is_number(fraction):
        return DASH
    return f"{fraction * 100:.{digits}f}%"


def format_threshold(fraction: float) -> str:
    return f"±{fraction * 100:g}%"


def format_interval(low: float | None, high: float | None) -> str:
    """A ratio interval as a table cell of percentage changes: `[+8.0, +15.2]`."""
    if low is None or high is None or not (is_number(low) and is_number(high)):
        return ""
    return f"[{format_change(low - 1.0)[:-1]}, {format_change(high - 1.0)[:-1]}]"


def confidence_text(confidence: float) -> str:
    """A confidence level as a percentage with at most two decimals: 95%, 96.9%, 99.75%."""
    return f"{confidence * 100:.2f}".rstrip("0").rstrip(".") + "%"


def interval_text(ci_low: float | None, ci_high: float | None, confidence: float) -> str:
    """A ratio interval in a sentence: `95% interval [+8.0%, +15.2%]`."""
    if ci_low is None or ci_high is None:
        return "interval unbounded"
    return f"{confidence_text(confidence)} interval [{pct(ci_low)}, {pct(ci_high)}]"


def change_bounds(ci_low: float, ci_high: float) -> str:
    """A ratio interval's ends as changes: `+8.1% to +16.9%`."""
    return f"{format_change(ci_low - 1)} to {format_change(ci_high - 1)}"


# --- p-values --------------------------------------------------------------------------------


def p_text(p: float, alpha: float, *, digits: int = 3, style: str = "g") -> str:
    """p with enough digits that the value shown sits on the same side of α as p itself.

    `digits` and `style` are the usual format ("g": significant digits, "f": decimals);
    more digits are added only where rounding would cross α: 0.0472 at α = 0.05 reads
    0.0472 (or 0.047), never 0.05.
    """
    if not math.isfinite(p):
        return str(p)
    for d in range(digits, digits + 12):
        shown = f"{p:.{d}{style}}"
        if (float(shown) < alpha) == (p < alpha):
            return shown
    return repr(p)


def format_p(p: float | None, alpha: float = 0.05) -> str:
    """A p-value in a table cell: `0.71`, `0.003`, `<0.001`; with more digits where
    rounding would cross α (0.0472 at α = 0.05 shows as `0.047`, never `0.05`)."""
    if p is None or not is_number(p):
        return DASH
    if p < 0.001 < alpha:
        return "<0.001"
    return p_text(p, alpha, digits=3 if p < 0.01 else 2, style="f")


def adjusted_p(p: float | None, alpha: float = 0.05) -> str:
    """The adjusted p-value in a sentence: `adjusted p = 0.0472`, `adjusted p < 0.001`."""
    if p is None:
        return "adjusted p n/a"
    return "adjusted p < 0.001" if p < 0.001 < alpha else f"adjusted p = {p_text(p, alpha)}"
