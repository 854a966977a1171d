"""Comparing counts that repeat exactly (instructions under cachegrind), or nearly.

A pure function of the two sides' repeats, the threshold δ and the instrument
fingerprints. Three methods, chosen by what the repeats show:

- exact:      every repeat on each side is the same number. The change is known exactly;
              regression when head/base >= 1 + δ, improvement when <= 1 - δ, else unchanged.
- range:      the repeats differ, but by at most `tolerance` (default δ/10) of their
              median: the jitter of a process tree whose parent waits for its children
              (a few hundred instructions in billions, docs/instructions.md). The change
              lies within [min(head)/max(base), max(head)/min(base)]; the verdict is the
              one that whole range gives, and inconclusive when it straddles ±δ.
- two-sample: the repeats differ by more: they are noisy, their spread is the noise, and
              the usual two-sample tests and verdict rules apply (`verdict` is None; the
              caller runs them on the same samples).

The fingerprints (valgrind version, architecture, libc, toolchain executables, hash seeds,
cache simulation) must match: counts from different instruments are not comparable, so a
mismatch is stated and the verdict downgraded to inconclusive, never compared silently.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lanebench.formatting import pct
from lanebench.stats.model import Verdict

CountMethod = Literal["exact", "range", "two-sample"]

# Recorded for the reader, not compared: measured not to change the counts under valgrind
# (valgrind lays out the client's memory itself; docs/instructions.md).
INFORMATIONAL_KEYS = frozenset({"aslr"})


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def fingerprint_differences(
    base: Mapping[str, Any] | None, head: Mapping[str, Any] | None
) -> list[str]:
    """One line per fingerprint entry that differs: `valgrind: 3.19.0 (base) vs 3.22.0 (head)`.

    A side without a fingerprint (a file from before the instrument existed) is itself a
    difference; informational entries (ASLR) are not.
    """
    if base is None or head is None:
        if base is None and head is None:
            return ["neither side recorded the instrument's fingerprint"]
        missing = "base" if base is None else "head"
        return [f"the {missing} recorded no instrument fingerprint"]
    flat_base, flat_head = _flatten(base), _flatten(head)
    lines = []
    for key in sorted(set(flat_base) | set(flat_head)):
        if key.split(".")[0] in INFORMATIONAL_KEYS:
            continue
        b, h = flat_base.get(key, "(absent)"), flat_head.get(key, "(absent)")
        if b != h:
            lines.append(f"{key}: {b} (base) vs {h} (head)")
    return lines


@dataclass(frozen=True)
class CountComparison:
    """The outcome for one benchmark's count metric.

    `verdict` is None only for method "two-sample": the caller's usual tests decide.
    `ratio` is head/base (medians), None when the base is zero. `base_spread` and
    `head_spread` are each side's (max - min) / median, 0.0 when its repeats are identical.
    """

    method: CountMethod
    verdict: Verdict | None
    reason: str
    base: float
    head: float
    ratio: float | None
    base_spread: float
    head_spread: float
    fingerprint_differences: tuple[str, ...] = ()


def spread(values: Sequence[float]) -> float:
    """(max - min) / median; 0.0 for identical values (and for a zero median)."""
    mid = statistics.median(values)
    return (max(values) - min(values)) / mid if mid else 0.0


def change_text(base: float, head: float) -> str:
    """`+1.6% (+10,000,000)`; changes under 0.1% keep two significant digits."""
    if base == head:
        return "no change"
    delta = f"{head - base:+,.0f}"
    if not base:
        return f"from zero ({delta})"
    change = head / base - 1
    text = pct(head / base) if abs(change) >= 0.001 else f"{change * 100:+.2g}%"
    return f"{text} ({delta})"


def _decide(lo: float | None, hi: float | None, threshold: float, estimate: str) -> tuple[Verdict, str]:
    band = f"±{threshold * 100:g}%"
    if lo is None or hi is None:
        return "regression", "rose from zero"
    if lo >= 1 + threshold:
        return "regression", f"{estimate}, at least the +{threshold * 100:g}% threshold"
    if hi <= 1 - threshold:
        return "improvement", f"{estimate}, at least the -{threshold * 100:g}% threshold"
    if 1 - threshold < lo and hi < 1 + threshold:
        return "unchanged", f"{estimate}, within {band}"
    return "inconclusive", f"{estimate}: the repeats' spread straddles the {band} threshold"


def compare_counts(
    base: Sequence[float],
    head: Sequence[float],
    *,
    threshold: float = 0.01,
    tolerance: float | None = None,
    base_fingerprint: Mapping[str, Any] | None,
    head_fingerprint: Mapping[str, Any] | None,
) -> CountComparison:
    """Compare repeats of a (near-)deterministic count. Both sides need at least one value;
    a fingerprint is None when that side recorded none (which is itself a mismatch)."""
    if not base or not head:
        raise ValueError("compare_counts needs at least one value on each side")
    tolerance = threshold / 10 if tolerance is None else tolerance
    b_mid, h_mid = statistics.median(base), statistics.median(head)
    b_spread, h_spread = spread(base), spread(head)
    ratio = h_mid / b_mid if b_mid else None
    estimate = change_text(b_mid, h_mid)
    differences = tuple(fingerprint_differences(base_fingerprint, head_fingerprint))

    method: CountMethod
    verdict: Verdict | None
    if b_spread == 0 and h_spread == 0:
        method = "exact"
        if b_mid == 0:
            verdict, reason = ("unchanged", "zero on both sides") if h_mid == 0 else _decide(None, None, threshold, estimate)
        else:
            verdict, reason = _decide(ratio, ratio, threshold, estimate)
            reason += f" (identical repeats: {len(base)} base, {len(head)} head)"
    elif max(b_spread, h_spread) <= tolerance and min(base) > 0:
        method = "range"
        lo, hi = min(head) / max(base), max(head) / min(base)
        verdict, reason = _decide(lo, hi, threshold, estimate)
        reason += (
            f" (repeats differ by up to {max(b_spread, h_spread) * 100:.2g}%; the change lies "
            f"in [{pct(lo)}, {pct(hi)}])"
        )
    else:
        method, verdict = "two-sample", None
        reason = (
            f"repeats differ by up to {b_spread * 100:.2g}% (base) and {h_spread * 100:.2g}% "
            f"(head), more than {tolerance * 100:g}%: the counts are noisy here, and the "
            "two-sample tests decide"
        )
    if differences:
        verdict = "inconclusive"
        reason = (
            f"{estimate}, not compared: the instrument differs ({'; '.join(differences)}); "
            "counts from different instruments are not comparable"
        )
    return CountComparison(method, verdict, reason, b_mid, h_mid, ratio, b_spread, h_spread, differences)
