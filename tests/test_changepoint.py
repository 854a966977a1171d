"""Change points on one series: E-divisive means with a permutation test (seeded)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from lanebench.stats.changepoint import ChangePointSettings, _best_splits, _Coefficients, detect

FIXTURE = Path(__file__).parent / "fixtures" / "changepoint_reference.json"


def lognormal(seed: int, length: int, cv: float, steps: dict[int, float] | None = None) -> list[float]:
    rng = np.random.default_rng(seed)
    x = np.exp(rng.normal(0.0, cv, length))
    for at, factor in (steps or {}).items():
        x[at:] *= factor
    return [float(v) for v in x]


def brute_force_best(z: list[float], min_size: int, exponent: float = 1.0) -> tuple[float, int]:
    """Q(τ, κ) straight from Matteson & James's definition, maximised over every split."""
    best = (-math.inf, -1)
    for tau in range(min_size, len(z) - min_size + 1):
        for kappa in range(tau + min_size, len(z) + 1):
            x, y = z[:tau], z[tau:kappa]
            n, m = len(x), len(y)
            between = sum(abs(a - b) ** exponent for a in x for b in y)
            within_x = sum(abs(x[i] - x[j]) ** exponent for i in range(n) for j in range(i + 1, n))
            within_y = sum(abs(y[i] - y[j]) ** exponent for i in range(m) for j in range(i + 1, m))
            q = m * n / (m + n) * (2 * between / (m * n) - 2 * within_x / (n * (n - 1))
                                   - 2 * within_y / (m * (m - 1)))
            if q > best[0]:
                best = (q, tau)
    return best


@pytest.mark.parametrize(("length", "min_size", "exponent"), [(12, 2, 1.0), (17, 3, 1.0), (20, 4, 0.5), (13, 2, 1.5)])
def test_the_statistic_is_the_papers_definition(length: int, min_size: int, exponent: float) -> None:
    rng = np.random.default_rng(length)
    z = rng.normal(size=length)
    z[length // 2 :] += 1.0
    q, tau = _best_splits(z[None], _Coefficients(length, min_size), exponent)
    expected_q, expected_tau = brute_force_best(z.tolist(), min_size, exponent)
    assert int(tau[0]) == expected_tau
    assert q[0] == pytest.approx(expected_q, rel=1e-12)


def test_the_statistic_and_clear_change_points_agree_with_otava_and_mongodb() -> None:
    """Recorded from Apache Otava 0.8.0 and signal-processing-algorithms 2.1.6
    (benchmarks/changepoints_reference.py)."""
    cases = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]
    for case in cases:
        z = np.asarray(case["log_values"])
        q, tau = _best_splits(z[None], _Coefficients(z.size, case["min_size"]), 1.0)
        assert int(tau[0]) == case["q_best"]["tau"], case["name"]
        assert q[0] == pytest.approx(case["q_best"]["q"], rel=1e-12), case["name"]
        found = [c.index for c in detect(np.exp(z).tolist()).change_points]
        if case["clear"]:
            assert found == case["otava"] == case["mongodb"], case["name"]
    spike = next(c for c in cases if c["name"].startswith("spike"))
    # A six-run spike: MongoDB's statistic (κ fixed at the end) misses it; the paper's finds both ends.
    assert spike["mongodb"] == []
    found = [c.index for c in detect(np.exp(spike["log_values"]).tolist()).change_points]
    assert {20, 26} <= set(found)


def test_a_clean_step_is_found_at_the_right_run() -> None:
    values = lognormal(1, 40, 0.02, {25: 1.10})
    d = detect(values)
    assert [c.index for c in d.change_points] == [25]
    cp = d.change_points[0]
    assert cp.p_value == pytest.approx(1 / 200)  # no permutation came close: the smallest p
    assert (cp.before.start, cp.before.stop, cp.after.start, cp.after.stop) == (0, 25, 25, 40)
    assert cp.direction == 1
    assert cp.ratio == pytest.approx(1.10, abs=0.02)


def test_the_size_interval_covers_the_true_step() -> None:
    values = lognormal(4, 50, 0.05, {20: 1.10})
    (cp,) = detect(values).change_points
    assert cp.index == 20
    assert cp.ci_low is not None and cp.ci_high is not None
    assert cp.ci_low < 1.10 < cp.ci_high
    assert cp.ci_low > 1.0  # and excludes no change


def test_a_series_without_change_has_no_change_point() -> None:
    for seed in range(5):  # A/A at five stated seeds, 2% and 10% noise
        assert detect(lognormal(seed, 60, 0.02)).change_points == ()
        assert detect(lognormal(100 + seed, 60, 0.10)).change_points == ()


def test_two_steps_are_both_found() -> None:
    values = lognormal(2, 60, 0.02, {20: 1.10, 40: 0.92})
    d = detect(values)
    assert [c.index for c in d.change_points] == [20, 40]
    assert [c.direction for c in d.change_points] == [1, -1]
    assert len(d.segments) == 3
    assert d.change_points[0].after == d.change_points[1].before


def test_a_tiny_step_in_a_noiseless_count_is_found_exactly() -> None:
    values = [634_809_449.0] * 18 + [634_809_449.0 * 1.005] * 12
    d = detect(values, scale="raw")
    (cp,) = d.change_points
    assert cp.index == 18
    assert cp.ratio == pytest.approx(1.005, rel=1e-12)
    assert cp.ci_low == cp.ci_high == cp.ratio  # constant segments: the exact ratio
    assert detect([634_809_449.0] * 30, scale="raw").change_points == ()


def test_a_too_short_series_says_so() -> None:
    d = detect([1.0, 1.1, 1.0, 1.2, 1.3, 1.3, 1.2, 1.3, 1.2])
    assert d.change_points == ()
    assert d.insufficient == "9 runs: a change point needs at least 10 (5 on each side)"
    assert detect([1.0] * 10).insufficient is None


def test_same_input_same_answer_and_the_seed_is_used() -> None:
    values = lognormal(6, 60, 0.05, {30: 1.06})
    a = detect(values, settings=ChangePointSettings(seed=3))
    b = detect(values, settings=ChangePointSettings(seed=3))
    assert a == b


def test_counts_are_summed_per_segment() -> None:
    values = lognormal(1, 40, 0.02, {25: 1.10})
    d = detect(values, counts=[20] * 40)
    assert [s.samples for s in d.segments] == [500, 300]
    assert detect(values, counts=[20] * 39 + [None]).segments[1].samples is None


@pytest.mark.parametrize(
    ("values", "scale", "message"),
    [
        ([1.0, math.nan] * 6, "log", "finite"),
        ([1.0, 0.0] * 6, "log", "positive"),
        ([1.0] * 12, "linear", "unknown scale"),
    ],
)
def test_bad_input_is_refused(values: list[float], scale: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        detect(values, scale=scale)  # type: ignore[arg-type]


def test_settings_that_cannot_reach_significance_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 100 permutations"):
        ChangePointSettings(significance=0.01, permutations=99)
