"""Verdicts on (near-)deterministic counts: exact, range, or back to the two-sample tests."""

from __future__ import annotations

import pytest

from lanebench.stats.deterministic import compare_counts, fingerprint_differences

PRINT = {"tool": "cachegrind", "valgrind": "3.19.0", "arch": "x86_64", "cache_sim": False,
         "hash_seed": {"PYTHONHASHSEED": "0"}, "aslr": "off (setarch -R)",
         "executables": {"python3": "sha256:a83c0370d91532c9"}}


def compare(base: list[float], head: list[float], **kw: object):  # type: ignore[no-untyped-def]
    return compare_counts(base, head, base_fingerprint=PRINT, head_fingerprint=PRINT, **kw)  # type: ignore[arg-type]


def test_identical_repeats_give_the_exact_change_against_the_threshold() -> None:
    slower = compare([634_809_449] * 3, [644_749_747] * 3)
    assert (slower.method, slower.verdict) == ("exact", "regression")
    assert slower.ratio == pytest.approx(644_749_747 / 634_809_449)
    assert "+1.6% (+9,940,298)" in slower.reason and "identical repeats: 3 base, 3 head" in slower.reason
    faster = compare([1000.0, 1000.0], [989.0, 989.0])
    assert faster.verdict == "improvement"
    within = compare([1000.0, 1000.0], [1009.0, 1009.0])
    assert (within.verdict, within.method) == ("unchanged", "exact")
    same = compare([5.0, 5.0], [5.0])
    assert same.verdict == "unchanged" and same.reason.startswith("no change")


def test_the_threshold_is_inclusive_and_configurable() -> None:
    assert compare([1000.0], [1010.0]).verdict == "regression"  # exactly +1%
    assert compare([1000.0], [1010.0], threshold=0.02).verdict == "unchanged"


def test_tiny_jitter_is_decided_on_the_range_of_the_repeats() -> None:
    # a parent that waits for a child: a few hundred instructions in billions
    base = [2_505_043_605.0, 2_505_044_162.0, 2_505_043_700.0]
    unchanged = compare(base, [2_505_043_900.0, 2_505_044_000.0])
    assert (unchanged.method, unchanged.verdict) == ("range", "unchanged")
    assert unchanged.base_spread > 0
    slower = compare(base, [v * 1.05 for v in base])
    assert (slower.method, slower.verdict) == ("range", "regression")


def test_a_change_within_the_jitter_of_the_threshold_is_inconclusive() -> None:
    result = compare([1000.0, 1000.5], [1010.0, 1010.4], tolerance=0.001)
    assert (result.method, result.verdict) == ("range", "inconclusive")
    assert "straddles" in result.reason


def test_noisy_repeats_go_back_to_the_two_sample_tests() -> None:
    result = compare([35_253_541.0, 35_287_991.0, 35_295_443.0], [35_234_106.0, 35_248_857.0, 35_272_930.0])
    assert result.method == "two-sample" and result.verdict is None
    assert "two-sample tests decide" in result.reason
    assert result.base_spread == pytest.approx((35_295_443 - 35_253_541) / 35_287_991)


def test_a_zero_base_is_handled() -> None:
    assert compare([0.0, 0.0], [0.0]).verdict == "unchanged"
    rose = compare([0.0], [10.0])
    assert rose.verdict == "regression" and rose.ratio is None


def test_a_fingerprint_mismatch_is_stated_and_downgrades_the_verdict() -> None:
    newer = {**PRINT, "valgrind": "3.22.0"}
    result = compare_counts([1000.0] * 2, [1200.0] * 2, base_fingerprint=PRINT, head_fingerprint=newer)
    assert result.verdict == "inconclusive"
    assert result.fingerprint_differences == ("valgrind: 3.19.0 (base) vs 3.22.0 (head)",)
    assert "not compared: the instrument differs (valgrind: 3.19.0 (base) vs 3.22.0 (head))" in result.reason
    assert result.ratio == pytest.approx(1.2)  # the numbers are still shown


def test_fingerprint_differences_look_inside_and_skip_what_does_not_change_counts() -> None:
    other_python = {**PRINT, "executables": {"python3": "sha256:ffff"}, "aslr": "not disabled: refused"}
    assert fingerprint_differences(PRINT, other_python) == [
        "executables.python3: sha256:a83c0370d91532c9 (base) vs sha256:ffff (head)"
    ]
    seeds = {**PRINT, "hash_seed": {"PYTHONHASHSEED": "random"}}
    assert fingerprint_differences(PRINT, seeds) == ["hash_seed.PYTHONHASHSEED: 0 (base) vs random (head)"]
    assert fingerprint_differences(None, PRINT) == ["the base recorded no instrument fingerprint"]
    assert fingerprint_differences(PRINT, dict(PRINT)) == []


def test_no_values_is_a_usage_error() -> None:
    with pytest.raises(ValueError):
        compare([], [1.0])


def test_the_instrument_metrics_are_in_the_catalog_but_not_recorded_by_every_run() -> None:
    from lanebench.metrics import METRICS, metric

    assert metric("instructions").label == "Instructions"
    assert metric("estimated_cycles").unit == "count"
    assert "instructions" not in METRICS  # the time instrument does not record it
