"""Noise diagnostics: can a change of δ be detected at this noise with these samples?

Power by the normal approximation on the log scale: a two-sample comparison at level a
(two-sided) with power 1 - β needs, per side,

    n = 2 (z_{1-a/2} + z_{1-β})² σ² / (ARE · ln(1 + δ)²)

where σ is the noise on the log scale, estimated robustly (1.4826 · MAD of the log
values, pooled over both sides) so that the outliers Mann-Whitney shrugs off do not
inflate it, and ARE is the test's asymptotic relative efficiency against the t-test
(3/π ≈ 0.955 for Mann-Whitney under normal noise, its worst case among common shapes;
1 for Welch). The level is α divided by the number of comparisons in the run (Holm's
first step), and never below what the sample sizes can reach at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from lanebench.stats.model import Noise
from lanebench.stats.summary import plain_floats, sorted_median
from lanebench.stats.twosample import equal_n_needed, normal_quantile

TARGET_POWER = 0.80
ARE = {"mann-whitney": 3.0 / math.pi, "welch-log": 1.0}
MAX_NEEDED = 100_000  # beyond this, call it unbounded


MAD_TO_SD = 1.482602218505602  # 1 / Φ⁻¹(3/4): MAD to standard deviation under normal noise


def _mad(x: np.ndarray) -> float:
    if plain_floats(x):  # the same medians in plain Python: numpy's overhead dominates here
        values = x.tolist()
        center = sorted_median(sorted(values))
        return float(sorted_median(sorted(abs(v - center) for v in values)))
    return float(np.median(np.abs(x - np.median(x))))


def robust_log_sd(values: Sequence[float]) -> float:
    """1.4826 · MAD of log values (≈ CV for small noise); raw MAD/median when a value is <= 0."""
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        return 0.0
    if np.all(x > 0):
        return _mad(np.log(x)) * MAD_TO_SD
    median = sorted_median(sorted(x.tolist())) if plain_floats(x) else float(np.median(x))
    if median <= 0:
        return 0.0
    return _mad(x) * MAD_TO_SD / median


def needed_per_side(sigma: float, threshold: float, level: float, test: str, power: float = TARGET_POWER) -> int | None:
    """Samples per side for `power` at a true change of δ; None when unbounded."""
    if threshold <= 0 or not math.isfinite(sigma):
        return None
    z = normal_quantile(1 - level / 2) + normal_quantile(power)
    effect = math.log1p(threshold)
    n = 2.0 * (z * sigma / effect) ** 2 / ARE.get(test, 1.0)
    floor_n = equal_n_needed(test, level)
    if floor_n is None:
        return None
    needed = max(math.ceil(n), floor_n, 2)
    return needed if needed <= MAX_NEEDED else None


def head_needed(needed: int, n_base: int) -> int | None:
    """Head samples that match `needed` per side in precision against a fixed baseline.

    Equal-precision condition on the harmonic mean: 1/n_base + 1/n_head = 2/needed.
    """
    room = 2.0 / needed - 1.0 / n_base
    if room <= 0:
        return None
    return math.ceil(1.0 / room)


def noise_check(
    base: Sequence[float],
    head: Sequence[float],
    *,
    threshold: float,
    level: float,
    test: str,
) -> Noise:
    """Whether δ is detectable at level `level` with 80% power, given both samples' noise."""
    n_base, n_head = len(base), len(head)
    sigma = math.sqrt((robust_log_sd(base) ** 2 + robust_log_sd(head) ** 2) / 2.0)
    needed = needed_per_side(sigma, threshold, level, test)
    if n_base < 1 or n_head < 1:
        return Noise(cv=sigma, detectable=False, needed_n=needed, message="no samples")
    effective = 2.0 * n_base * n_head / (n_base + n_head)
    if needed is None:
        return Noise(
            cv=sigma,
            detectable=False,
            needed_n=None,
            message=f"noise (robust CV {sigma * 100:.1f}%) too high for a {threshold * 100:g}% "
            f"threshold at any practical sample size",
        )
    detectable = effective >= needed
    if detectable:
        return Noise(cv=sigma, detectable=True, needed_n=needed)
    more = head_needed(needed, n_base)
    against = (
        f", or {more} head samples against this baseline's {n_base}" if more is not None else ""
    )
    return Noise(
        cv=sigma,
        detectable=False,
        needed_n=needed,
        message=f"robust CV {sigma * 100:.1f}%: detecting {threshold * 100:g}% with 80% power "
        f"needs ~{needed} samples per side{against}; has {n_base} vs {n_head}",
    )


def paired_noise_check(
    base: Sequence[float], head: Sequence[float], *, threshold: float, level: float
) -> Noise:
    """Whether δ is detectable from these pairs: the noise is that of the per-pair
    log-ratios, which the pairing leaves after cancelling what both sides shared.

    n = (z_{1-a/2} + z_{1-β})² σ_d² / (ARE · ln(1 + δ)²) pairs (one sample of
    differences), ARE = 3/π for the signed-rank test against the t-test.
    """
    from lanebench.stats.paired import pairs_needed

    n = min(len(base), len(head))
    b, h = np.asarray(base[:n], dtype=float), np.asarray(head[:n], dtype=float)
    if n < 2:
        return Noise(cv=0.0, detectable=False, needed_n=None, message="fewer than 2 pairs")
    if np.all(b > 0) and np.all(h > 0):
        d = np.log(h) - np.log(b)
    else:
        center = float(np.median(b))
        d = (h - b) / center if center > 0 else np.zeros(n)
    sigma = _mad(d) * MAD_TO_SD
    floor_n = pairs_needed(level)
    needed: int | None = None
    if threshold > 0 and floor_n is not None:
        z = normal_quantile(1 - level / 2) + normal_quantile(TARGET_POWER)
        raw = (z * sigma / math.log1p(threshold)) ** 2 / ARE["mann-whitney"]
        needed = max(math.ceil(raw), floor_n, 2)
        if needed > MAX_NEEDED:
            needed = None
    if needed is None:
        return Noise(
            cv=sigma, detectable=False, needed_n=None,
            message=f"per-pair noise (robust CV {sigma * 100:.1f}%) too high for a "
            f"{threshold * 100:g}% threshold at any practical number of pairs",
        )
    if n >= needed:
        return Noise(cv=sigma, detectable=True, needed_n=needed)
    return Noise(
        cv=sigma, detectable=False, needed_n=needed,
        message=f"robust CV of the per-pair ratios {sigma * 100:.1f}%: detecting "
        f"{threshold * 100:g}% with 80% power needs ~{needed} pairs; has {n}",
    )
