"""Typed quantities in config files: durations, sizes and percentages (shown by
`lanebench.formatting`).

Each parser accepts a number (already in the base unit: seconds, bytes, fraction)
or a string with a unit, and raises ValueError whose text says what was expected,
so config errors read `expected a duration like "90s", got "fast"`.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_NUMBER = r"(?P<num>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"

DURATION_UNITS: dict[str, float] = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
}
SIZE_UNITS: dict[str, int] = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_DURATION_RE = re.compile(rf"^\s*{_NUMBER}\s*(?P<unit>[a-zµ]+)\s*$", re.IGNORECASE)
_SIZE_RE = re.compile(rf"^\s*{_NUMBER}\s*(?P<unit>[a-z]+)\s*$", re.IGNORECASE)
_PERCENT_RE = re.compile(rf"^\s*{_NUMBER}\s*%\s*$")

DURATION_PATTERN = r"^\s*[0-9]*\.?[0-9]+\s*(ns|us|µs|ms|s|sec|m|min|h)\s*$"
SIZE_PATTERN = r"^\s*[0-9]*\.?[0-9]+\s*([KMGT]i?B|B)\s*$"
PERCENT_PATTERN = r"^\s*[0-9]*\.?[0-9]+\s*%\s*$"


# The longest duration a config may give (a timeout, a budget): a year. Beyond it a
# number is a typo or `.inf`, and nanosecond deadlines and poll(2) timeouts overflow.
MAX_DURATION = 365 * 24 * 3600.0
# The largest size (a petabyte) and percentage (1000%, a factor of 11) a config may give.
MAX_SIZE = 1000**5
MAX_PERCENT = 10.0


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_in(text: str, scale: float, maximum: float) -> float | None:
    """float(text) * scale when finite and at most `maximum`, else None."""
    number = float(text) * scale
    return number if math.isfinite(number) and number <= maximum else None


def parse_duration(value: Any) -> float:
    """Seconds from `90`, `"90s"`, `"1.5min"`, `"250ms"`; at most MAX_DURATION."""
    if _is_number(value) and value >= 0:
        if not value <= MAX_DURATION:
            raise ValueError(f"expected a duration of at most a year, got {_shown(value)}")
        return float(value)
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        if m and m.group("unit").lower() in DURATION_UNITS:
            seconds = _number_in(m.group("num"), DURATION_UNITS[m.group("unit").lower()], MAX_DURATION)
            if seconds is None:
                raise ValueError(f"expected a duration of at most a year, got {_shown(value)}")
            return seconds
    raise ValueError(f'expected a duration like "90s", got {_shown(value)}')


def parse_size(value: Any) -> int:
    """Bytes from `1048576`, `"512MiB"`, `"1.5GB"`; at most MAX_SIZE."""
    size: float | None = None
    if _is_number(value) and value >= 0:
        if not value <= MAX_SIZE:
            raise ValueError(f"expected a size of at most a petabyte, got {_shown(value)}")
        size = float(value)
    elif isinstance(value, str):
        m = _SIZE_RE.match(value)
        if m and m.group("unit").lower() in SIZE_UNITS:
            size = _number_in(m.group("num"), SIZE_UNITS[m.group("unit").lower()], MAX_SIZE)
            if size is None:
                raise ValueError(f"expected a size of at most a petabyte, got {_shown(value)}")
    if size is None:
        raise ValueError(f'expected a size like "512MiB", got {_shown(value)}')
    return int(value) if _is_number(value) else int(round(size))


def parse_percent(value: Any) -> float:
    """A fraction from `"5%"` or `0.05`; at most 1000% (10)."""
    if isinstance(value, str):
        m = _PERCENT_RE.match(value)
        if m:
            fraction = _number_in(m.group("num"), 0.01, MAX_PERCENT)
            if fraction is not None:
                return fraction
    elif _is_number(value) and 0 <= value < MAX_PERCENT:
        return float(value)
    raise ValueError(f'expected a percentage like "5%", got {_shown(value)}')


def _shown(value: Any, limit: int = 60) -> str:
    if isinstance(value, str):
        return f'"{value[:limit]}"' if len(value) <= limit else f'"{value[:limit]}…" ({len(value)} characters)'
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": DURATION_PATTERN},
            ],
            "description": 'A duration: seconds as a number, or a string like "90s", "1.5min", "250ms".',
        }
    ),
]
Size = Annotated[
    int,
    BeforeValidator(parse_size),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": SIZE_PATTERN},
            ],
            "description": 'A size: bytes as a number, or a string like "512MiB", "1.5GB".',
        }
    ),
]
Percent = Annotated[
    float,
    BeforeValidator(parse_percent),
    PlainSerializer(lambda v: f"{v * 100:g}%"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": PERCENT_PATTERN},
            ],
            "description": 'A percentage: "5%", or a fraction like 0.05.',
        }
    ),
]
