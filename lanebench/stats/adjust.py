"""Multiple-testing control across every benchmark x metric compared in one run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy import stats as sps

Correction = Literal["holm", "bh", "bonferroni", "none"]
CORRECTIONS: tuple[str, ...] = ("holm", "bh", "bonferroni", "none")


def adjust_pvalues(p: Sequence[float], method: str = "holm") -> list[float]:
    """Adjusted p-values, in the input order; reject where adjusted p < alpha.

    holm: Holm's step-down (family-wise error rate <= alpha under any dependence):
        adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)) over the ascending p_(j).
        Five lines of numpy; statsmodels has it too, but would add pandas and patsy to
        the container for this one function.
    bh: Benjamini-Hochberg (false discovery rate <= alpha), via
        scipy.stats.false_discovery_control.
    bonferroni: min(1, m p). none: p unchanged.
    """
    values = np.asarray(p, dtype=float)
    if values.size == 0:
        return []
    if np.any((values < 0) | (values > 1) | ~np.isfinite(values)):
        raise ValueError("p-values must be finite numbers in [0, 1]")
    m = values.size
    if method == "holm":
        order = np.argsort(values, kind="stable")
        stepped = (m - np.arange(m)) * values[order]
        adjusted_sorted = np.minimum(1.0, np.maximum.accumulate(stepped))
        adjusted = np.empty(m)
        adjusted[order] = adjusted_sorted
    elif method == "bh":
        adjusted = sps.false_discovery_control(values, method="bh")
    elif method == "bonferroni":
        adjusted = np.minimum(1.0, values * m)
    elif method == "none":
        adjusted = values.copy()
    else:
        raise ValueError(f"unknown correction {method!r} (expected one of {', '.join(CORRECTIONS)})")
    return [float(v) for v in adjusted]
