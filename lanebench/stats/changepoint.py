"""Change points in one series of main-branch runs: E-divisive means with a permutation test.

The series is one benchmark x metric, one value per main run (the run's median), in the
order main's runs measured their commits. A change point is the first run of a new level.

Method: E-divisive means (Matteson & James, "A Nonparametric Approach for Multiple Change
Point Analysis of Multivariate Data", JASA 2014), the method of MongoDB's performance CI
(Daly et al., ICPE 2020) and of Apache Otava (formerly Hunter). Why it, and why written
here, is in docs/trends.md; in short: it assumes no distribution and no noise level (the
run-to-run noise of CI runners is neither normal nor known), it needs no penalty to tune,
and its permutation test gives each change point a p-value that means the same thing on
every series.

For a segment Z and a split of it into X = Z[s:τ] (n values) and Y = Z[τ:κ] (m values),
the divergence is

    Q(τ, κ) = mn/(m+n) · ( 2/(mn) Σ|X_i - Y_j|^a
                           - 2/(n(n-1)) Σ_{i<k} |X_i - X_k|^a
                           - 2/(m(m-1)) Σ_{j<k} |Y_j - Y_k|^a )

(the scaled sample energy distance, exponent a in (0, 2), a = 1 here as in the paper's
examples). The best split of a segment maximises Q over τ and κ; κ < the segment's end
lets a change be found next to another one (the paper's answer to bisection's blind
spot). The segment with the largest best Q is the candidate. Its significance: the values
within each current segment are permuted R times, the largest Q over all segments is
recomputed each time, and p = (1 + #{Q_perm >= Q}) / (R + 1) (the observed order counts
as one of the permutations, so p is never 0). A candidate with p < `significance` becomes
a change point, its segment is split, and the search goes on; the first candidate that
is not significant ends it. The permutations are curtailed: they stop as soon as p can
no longer fall below `significance`, which changes no decision and makes the test of a
non-change cheap.

Times are analysed on log values (a slowdown multiplies a time), counts on raw values
(they can be zero, and an instruction count is near-deterministic: with no noise at all
a step of any size is a change). The size of a change compares the two segments on
either side of it: the Hodges-Lehmann ratio after / before with its distribution-free
interval (`twosample.mann_whitney`), which for constant segments is the exact ratio.

Pure and deterministic: the same series and settings give the same change points, with
permutations drawn from `numpy.random.default_rng(seed)`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from lanebench.stats.twosample import mann_whitney

Scale = Literal["log", "raw"]
# Permuted series are scored in batches of at most this many distance-matrix cells (8 bytes
# each) per array: 2 MiB, small enough to stay in cache, large enough to amortise numpy.
BATCH_CELLS = 1 << 18
# Two statistics that differ by less than this relative amount are a tie (counted against
# the candidate, as the permutation p-value requires); floating-point sums of the same
# distances in another order differ by about 1e-15.
TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ChangePointSettings:
    """How change points are searched for and tested (defaults: docs/trends.md)."""

    significance: float = 0.01  # a candidate with permutation p below this is a change point
    permutations: int = 199  # R; the smallest attainable p is 1 / (R + 1)
    min_size: int = 5  # fewest runs on each side of a change point
    exponent: float = 1.0  # a in |x - y|^a
    confidence: float = 0.95  # of each change's size interval
    seed: int = 0
    max_change_points: int = 20  # bounds the work on a long, restless series

    def __post_init__(self) -> None:
        if not 0 < self.significance < 1:
            raise ValueError("significance must be in (0, 1)")
        if self.permutations < 1:
            raise ValueError("permutations must be at least 1")
        if 1.0 / (self.permutations + 1) >= self.significance:
            raise ValueError(
                f"{self.permutations} permutations cannot reach p < {self.significance:g} "
                f"(the smallest p is 1/{self.permutations + 1}): use at least "
                f"{math.ceil(1.0 / self.significance)} permutations"
            )
        if self.min_size < 2:
            raise ValueError("min_size must be at least 2 (the statistic needs 2 values a side)")
        if not 0 < self.exponent < 2:
            raise ValueError("exponent must be in (0, 2)")
        if not 0 < self.confidence < 1:
            raise ValueError("confidence must be in (0, 1)")
        if self.max_change_points < 1:
            raise ValueError("max_change_points must be at least 1")


@dataclass(frozen=True)
class Segment:
    """Runs [start, stop) between two change points (or an end of the series)."""

    start: int
    stop: int
    median: float
    min: float
    max: float
    spread: float | None  # robust relative spread: 1.4826 MAD / |median|; None when median is 0
    samples: int | None  # iterations behind the segment's runs, when every run says

    @property
    def runs(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class ChangePoint:
    """A change of level at `index`: runs before it and runs from it on differ."""

    index: int  # the first run after the change
    p_value: float  # permutation p of the search step that found it
    statistic: float  # Q of the split, on the analysed scale
    ratio: float | None  # after / before (Hodges-Lehmann); None when before is all zeros
    ci_low: float | None  # None: the segments are too short for an interval at `confidence`
    ci_high: float | None
    confidence: float
    before: Segment
    after: Segment

    @property
    def direction(self) -> int:
        """+1 when the level rose, -1 when it fell."""
        if self.ratio is not None and self.ratio != 1.0:
            return 1 if self.ratio > 1.0 else -1
        return 1 if self.after.median > self.before.median else -1


@dataclass(frozen=True)
class Detection:
    """The change points of one series, and the segments between them."""

    points: int
    scale: Scale
    settings: ChangePointSettings
    change_points: tuple[ChangePoint, ...]
    segments: tuple[Segment, ...]
    insufficient: str | None = None  # why no search was made (too few runs)


def minimum_points(settings: ChangePointSettings) -> int:
    return 2 * settings.min_size


def analysed_values(values: Sequence[float], scale: Scale) -> np.ndarray:
    """The values on the scale the analysis works on (log or raw); ValueError if impossible."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError("a series is a flat sequence of numbers")
    if not np.all(np.isfinite(x)):
        raise ValueError("a series holds only finite numbers")
    if scale == "log":
        if np.any(x <= 0):
            raise ValueError("the log scale needs positive values (use scale='raw')")
        return np.log(x)
    if scale != "raw":
        raise ValueError(f"unknown scale {scale!r} (expected 'log' or 'raw')")
    return x


class _Coefficients:
    """The weights of Q(τ, κ) for one segment length, over all (τ, κ) at once.

    With P the (L+1) x (L+1) two-dimensional prefix sum of the distance matrix D
    (P[i, j] = Σ_{a<i, b<j} D[a, b]) and n = τ, m = κ - τ:
      between X and Y   B  = P[τ, κ] - P[τ, τ]
      within X (pairs)  WX = P[τ, τ] / 2
      within Y (pairs)  WY = (P[κ, κ] - 2 P[τ, κ] + P[τ, τ]) / 2
    so Q = c1 B - 2 c2 WX - 2 c3 WY with c1 = 2/(m+n), c2 = m/((m+n)(n-1)),
    c3 = n/((m+n)(m-1)), that is Q = (c1 + 2 c3) P[τ,κ] - (c1 + c2 + c3) P[τ,τ] - c3 P[κ,κ].
    Only τ in [min_size, L - min_size] and κ in [2 min_size, L] can be valid; invalid
    cells get -inf through `mask`.
    """

    def __init__(self, length: int, min_size: int) -> None:
        self.taus = np.arange(min_size, length - min_size + 1)
        self.kappas = np.arange(2 * min_size, length + 1)
        n = self.taus[:, None].astype(float)
        m = self.kappas[None, :] - n
        valid = m >= min_size
        with np.errstate(divide="ignore", invalid="ignore"):
            c1 = 2.0 / (m + n)
            c2 = m / ((m + n) * (n - 1))
            c3 = n / ((m + n) * (m - 1))
        self.cross = np.where(valid, c1 + 2.0 * c3, 0.0)
        self.first = np.where(valid, c1 + c2 + c3, 0.0)
        self.second = np.where(valid, c3, 0.0)
        self.mask = np.where(valid, 0.0, -np.inf)


def _best_splits(z: np.ndarray, coef: _Coefficients, exponent: float) -> tuple[np.ndarray, np.ndarray]:
    """The largest Q of each row of `z` (shape B x L) and the τ that reaches it."""
    batch, length = z.shape
    d = np.abs(z[:, :, None] - z[:, None, :])
    if exponent != 1.0:
        d **= exponent
    p = np.zeros((batch, length + 1, length + 1))
    np.cumsum(d, axis=2, out=d)
    np.cumsum(d, axis=1, out=p[:, 1:, 1:])
    diag = p.reshape(batch, -1)[:, :: length + 2]  # P[i, i]
    t0, t1 = coef.taus[0], coef.taus[-1] + 1
    k0 = coef.kappas[0]
    q = p[:, t0:t1, k0:] * coef.cross
    np.multiply(diag[:, t0:t1, None], coef.first, out=d[:, : t1 - t0, : length + 1 - k0])
    q -= d[:, : t1 - t0, : length + 1 - k0]
    np.multiply(diag[:, None, k0:], coef.second, out=d[:, : t1 - t0, : length + 1 - k0])
    q -= d[:, : t1 - t0, : length + 1 - k0]
    q += coef.mask
    flat = q.reshape(batch, -1)
    where = np.argmax(flat, axis=1)
    best = flat[np.arange(batch), where]
    return best, coef.taus[where // coef.kappas.size]


class _Search:
    """E-divisive on one (transformed) series; see the module docstring."""

    def __init__(self, z: np.ndarray, settings: ChangePointSettings) -> None:
        self.z = z
        self.settings = settings
        self.rng = np.random.default_rng(settings.seed)
        self._coefficients: dict[int, _Coefficients] = {}

    def coefficients(self, length: int) -> _Coefficients:
        if length not in self._coefficients:
            self._coefficients[length] = _Coefficients(length, self.settings.min_size)
        return self._coefficients[length]

    def splittable(self, bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return [(s, e) for s, e in bounds if e - s >= 2 * self.settings.min_size]

    def candidate(self, bounds: list[tuple[int, int]]) -> tuple[float, int] | None:
        """(Q, absolute τ) of the best split over all segments; None when none can split."""
        best: tuple[float, int] | None = None
        for s, e in self.splittable(bounds):
            q, tau = _best_splits(self.z[None, s:e], self.coefficients(e - s), self.settings.exponent)
            if math.isfinite(q[0]) and (best is None or q[0] > best[0]):
                best = (float(q[0]), s + int(tau[0]))
        return best

    def p_value(self, bounds: list[tuple[int, int]], observed: float) -> float | None:
        """The permutation p of `observed`; None once it cannot fall below significance."""
        settings = self.settings
        total = settings.permutations
        # p = (1 + exceed) / (total + 1) < significance  <=>  exceed < limit
        limit = settings.significance * (total + 1) - 1.0
        segments = self.splittable(bounds)
        longest = max(e - s for s, e in segments)
        batch_size = max(1, min(total, BATCH_CELLS // ((longest + 1) ** 2)))
        tie = observed - TIE_TOLERANCE * abs(observed)
        exceed = done = 0
        while done < total:
            size = min(batch_size, total - done)
            best = np.full(size, -np.inf)
            for s, e in segments:
                rows = self.rng.permuted(np.broadcast_to(self.z[s:e], (size, e - s)), axis=1)
                q, _ = _best_splits(rows, self.coefficients(e - s), settings.exponent)
                np.maximum(best, q, out=best)
            exceed += int(np.count_nonzero(best >= tie))
            done += size
            if exceed >= limit:
                return None
        return (1.0 + exceed) / (total + 1.0)

    def run(self) -> list[tuple[int, float, float]]:
        """(index, p, Q) of each change point, in the order found."""
        bounds = [(0, self.z.size)]
        found: list[tuple[int, float, float]] = []
        while len(found) < self.settings.max_change_points:
            best = self.candidate(bounds)
            if best is None or best[0] <= 0:
                break
            q, tau = best
            p = self.p_value(bounds, q)
            if p is None:
                break
            found.append((tau, p, q))
            s, e = next((s, e) for s, e in bounds if s < tau < e)
            bounds.remove((s, e))
            bounds.extend([(s, tau), (tau, e)])
        return found


def _segment(values: np.ndarray, start: int, stop: int, counts: Sequence[int | None] | None) -> Segment:
    part = values[start:stop]
    median = float(np.median(part))
    mad = float(np.median(np.abs(part - median)))
    samples = None
    if counts is not None:
        window = counts[start:stop]
        if all(c is not None for c in window):
            samples = int(sum(c for c in window if c is not None))
    return Segment(
        start=start, stop=stop, median=median, min=float(part.min()), max=float(part.max()),
        spread=1.4826 * mad / abs(median) if median != 0 else None, samples=samples,
    )


def detect(
    values: Sequence[float],
    *,
    scale: Scale = "log",
    settings: ChangePointSettings | None = None,
    counts: Sequence[int | None] | None = None,
) -> Detection:
    """The change points of `values` (one per run, oldest first).

    `counts`, when given, are the iterations behind each run's value; they are summed
    into each segment's `samples` and take no part in the search (the series' own scatter
    from run to run is the noise that matters, and it already contains each run's
    within-run noise). Raises ValueError for values that are not finite, or not
    positive on the log scale.
    """
    settings = settings or ChangePointSettings()
    raw = np.asarray(values, dtype=float)
    z = analysed_values(values, scale)
    if counts is not None and len(counts) != raw.size:
        raise ValueError("counts must have one entry per value")
    needed = minimum_points(settings)
    if raw.size < needed:
        whole = (_segment(raw, 0, raw.size, counts),) if raw.size else ()
        return Detection(
            points=int(raw.size), scale=scale, settings=settings, change_points=(),
            segments=whole,
            insufficient=(
                f"{raw.size} run{'s' if raw.size != 1 else ''}: a change point needs at least "
                f"{needed} ({settings.min_size} on each side)"
            ),
        )
    found = _Search(z, settings).run()
    cuts = sorted(index for index, _, _ in found)
    edges = [0, *cuts, int(raw.size)]
    segments = tuple(_segment(raw, a, b, counts) for a, b in zip(edges, edges[1:], strict=False))
    by_index = {index: (p, q) for index, p, q in found}
    change_points = []
    for i, cut in enumerate(cuts):
        before, after = segments[i], segments[i + 1]
        size = mann_whitney(raw[before.start:before.stop], raw[after.start:after.stop], settings.confidence)
        p, q = by_index[cut]
        change_points.append(ChangePoint(
            index=cut, p_value=p, statistic=q, ratio=size.ratio, ci_low=size.ci_low,
            ci_high=size.ci_high, confidence=settings.confidence, before=before, after=after,
        ))
    return Detection(
        points=int(raw.size), scale=scale, settings=settings,
        change_points=tuple(change_points), segments=segments,
    )
