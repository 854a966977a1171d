"""Numbers as reports show them: values in their unit, changes, intervals, p-values."""

from __future__ import annotations

import math

from lanebench.stats.verdict import p_text
from lanebench.units import format_quantity

DASH = "—"


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def format_value(value: float | None, unit: str) -> str:
    """A measured value in its unit: `1.234 s`, `12.3 MiB`, `42`."""
    return format_quantity(value, unit, DASH)


def format_raw(value: float) -> str:
    """A raw sample, exactly: integers without `.0`, other floats as their shortest repr."""
    v = float(value)
    if v.is_integer() and -(2**53) < v < 2**53:
        return str(int(v))
    return repr(v)


def format_change(change: float | None) -> str:
    """A relative change as a signed percentage: `+11.8%`, `-3.0%`."""
    if not is_number(change):
        return DASH
    assert change is not None
    pct = change * 100.0
    if abs(pct) >= 1000:
        return f"{pct:+.0f}%"
    return f"{pct:+.1f}%"


def format_interval(low: float | None, high: float | None) -> str:
    """A ratio interval as percentage changes: `[+8.0, +15.2]`."""
    if not (is_number(low) and is_number(high)):
        return ""
    assert low is not None and high is not None
    return f"[{format_change(low - 1.0)[:-1]}, {format_change(high - 1.0)[:-1]}]"


def format_p(p: float | None, alpha: float = 0.05) -> str:
    """`0.71`, `0.003`, `<0.001`; with more digits where rounding would cross α
    (0.0472 at α = 0.05 shows as `0.047`, never `0.05`)."""
    if not is_number(p):
        return DASH
    assert p is not None
    if p < 0.001 < alpha:
        return "<0.001"
    return p_text(p, alpha, digits=3 if p < 0.01 else 2, style="f")


def format_percent(fraction: float | None, digits: int = 1) -> str:
    if not is_number(fraction):
        return DASH
    assert fraction is not None
    return f"{fraction * 100:.{digits}f}%"


def format_threshold(fraction: float) -> str:
    return f"±{fraction * 100:g}%"


def plural(n: int, word: str, plural_word: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural_word or word + 's')}"
