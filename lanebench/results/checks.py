"""Types before use: every value read from a results file is checked against what its
model declares, and a problem is one ResultsError line naming where it is."""

from __future__ import annotations

import builtins
import re
from typing import Any

from lanebench.errors import ResultsError
from lanebench.metrics import INSTRUMENT_METRICS, METRICS
from lanebench.results.json_input import ResultsLimitError

# Every sample's magnitude is 0 or within [MIN_SAMPLE, MAX_SAMPLE]: a nanosecond (the
# clock's resolution) up to 10^15 (a petabyte; 30 million years). Ratios of two samples
# and sums of squares of a million of them then stay far from float overflow.
MIN_SAMPLE = 1e-9
MAX_SAMPLE = 1e15
METRIC_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")


def shown(value: Any, limit: int = 60) -> str:
    """A value for an error line: repr, cut short (a hostile value can be megabytes)."""
    if isinstance(value, (dict, list)):
        return type(value).__name__
    text = repr(value[:limit] if isinstance(value, str) else value)
    return text if len(text) <= limit + 2 else text[:limit] + "…"


def is_sample(x: Any) -> bool:
    """A number a measurement can be: 0, or of magnitude within [MIN_SAMPLE, MAX_SAMPLE]."""
    t = type(x)
    return (t is float or t is int) and (x == 0 or MIN_SAMPLE <= abs(x) <= MAX_SAMPLE)


def sample_problem(metric_name: str, value: Any) -> str | None:
    """Why `value` cannot be a measurement of `metric_name`, or None."""
    if not is_sample(value):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{shown(value)} is out of range (0, or {MIN_SAMPLE:g} to {MAX_SAMPLE:g})"
        return f"{'nothing' if value is None else type(value).__name__} is not a number"
    catalog = METRICS.get(metric_name)
    if catalog is not None and (value < 0 or (value == 0 and catalog.positive)):
        need = "above 0" if catalog.positive else "0 or more"
        return f"{value!r} is not a possible {metric_name} measurement (it is always {need})"
    return None


class Checks:
    """The checks of one file; `source` names it in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, expected: str, got: Any) -> ResultsError:
        what = "nothing" if got is None else type(got).__name__
        if isinstance(got, (str, int, float)) and not isinstance(got, bool):
            what += f" {shown(got)}"
        return ResultsError(f"{self.source}: {where}: expected {expected}, got {what}")

    def obj(self, d: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
        val = d.get(key)
        if not isinstance(val, dict):
            raise self.fail(f"{where}{key}", "an object", val)
        return val

    def list(self, d: dict[str, Any], key: str, where: str = "") -> list[Any]:
        val = d.get(key)
        if not isinstance(val, list):
            raise self.fail(f"{where}{key}", "a list", val)
        return val

    def block(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "an object", value)
        return value

    def optional(self, d: dict[str, Any], key: str, kind: type | tuple[type, ...], expected: str,
                 where: str, default: Any = None) -> Any:
        """d[key] when it is of `kind` (bool never passes for int), `default` when absent."""
        if d.get(key) is None:
            return default
        val = d[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(val, kind) or (isinstance(val, bool) and bool not in kinds):
            raise self.fail(f"{where}.{key}", expected, val)
        return val

    def text(self, d: dict[str, Any], key: str, where: str) -> str | None:
        return self.optional(d, key, str, "a string", where)

    def flag(self, d: dict[str, Any], key: str, where: str) -> bool | None:
        return self.optional(d, key, bool, "true or false", where)

    def count(self, d: dict[str, Any], key: str, where: str) -> int | None:
        """A whole number >= 0, or None when absent."""
        val = d.get(key)
        if val is None:
            return None
        if type(val) is not int or val < 0:
            raise self.fail(f"{where}.{key}", "a whole number >= 0", val)
        return val

    def integer(self, d: dict[str, Any], key: str, where: str) -> int | None:
        return self.optional(d, key, int, "an integer", where)

    def seconds(self, d: dict[str, Any], key: str, where: str) -> float | None:
        val = d.get(key)
        return None if val is None else self.number(val, f"{where}.{key}")

    def choice(self, d: dict[str, Any], key: str, choices: tuple[str, ...], where: str,
               default: str) -> str:
        val = d.get(key, default)
        if not isinstance(val, str) or val not in choices:
            raise self.fail(f"{where}.{key}", f"one of {', '.join(choices)}", val)
        return val

    def strings(self, d: dict[str, Any], key: str, where: str) -> builtins.list[str]:
        val = d.get(key)
        if val is None:
            return []
        if not isinstance(val, list) or not all(isinstance(x, str) for x in val):
            raise self.fail(f"{where}.{key}", "a list of strings", val)
        return list(val)

    def number(self, value: Any, where: str, *, positive: bool = False) -> float:
        if not is_sample(value) or (positive and value == 0) or value < 0:
            raise self.fail(where, "a positive number" if positive else "a number >= 0", value)
        return float(value)

    def samples(self, raw: Any, where: str) -> dict[str, builtins.list[float]]:
        """Per metric a list of numbers within the catalog's range, all lists of one instrument
        of one length (the time instrument's iterations, the instructions instrument's repeats)."""
        if not isinstance(raw, dict):
            raise self.fail(where, "an object", raw)
        samples: dict[str, list[float]] = {}
        lengths: dict[bool, set[int]] = {False: set(), True: set()}  # counted? -> lengths
        for metric_name, values in raw.items():
            if not METRIC_NAME_RE.fullmatch(metric_name):
                raise ResultsLimitError(
                    "bad-metric-name",
                    f"{self.source}: {where}: metric name {shown(metric_name)} is not a "
                    "lower-case identifier",
                )
            if not isinstance(values, list):
                raise self.fail(f"{where}.{metric_name}", "a list of numbers", values)
            if not all(is_sample(x) for x in values):
                i, bad = next((i, x) for i, x in enumerate(values) if not is_sample(x))
                what = (f"{shown(bad)} is out of range (0, or {MIN_SAMPLE:g} to {MAX_SAMPLE:g})"
                        if isinstance(bad, (int, float)) and not isinstance(bad, bool)
                        else f"{type(bad).__name__} is not a number")
                raise ResultsError(f"{self.source}: {where}.{metric_name}[{i}]: {what}")
            if values and metric_name in METRICS:
                low = min(values)
                if low < 0 or (low == 0 and METRICS[metric_name].positive):
                    i = values.index(low)
                    need = "above 0" if METRICS[metric_name].positive else "0 or more"
                    raise ResultsError(
                        f"{self.source}: {where}.{metric_name}[{i}]: {low!r} is not a possible "
                        f"{metric_name} measurement (it is always {need})",
                        hint="the file was edited or written by something other than lanebench",
                    )
            samples[metric_name] = [float(x) for x in values]
            lengths[metric_name in INSTRUMENT_METRICS].add(len(values))
        for counts in lengths.values():
            if len(counts) > 1:
                raise ResultsError(
                    f"{self.source}: {where}: metrics have different sample counts {sorted(counts)}"
                )
        return samples
