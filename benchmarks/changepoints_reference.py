"""Record what two published E-divisive implementations say about seeded series (run by hand).

    python3 -m venv /tmp/cp-ref && . /tmp/cp-ref/bin/activate
    pip install numpy scipy wheel setuptools more-itertools structlog typing-extensions
    pip install --no-deps apache-otava
    pip install --no-deps --no-build-isolation signal-processing-algorithms
    python benchmarks/changepoints_reference.py > tests/fixtures/changepoint_reference.json

Neither library is a lanebench dependency (docs/trends.md says why); this script runs in
a venv of its own and writes a fixture that tests/test_changepoint.py holds
`lanebench.stats.changepoint` against:

- `q_best`: Apache Otava's `PairDistanceCalculator` (its E-divisive statistic Q over every
  (τ, κ)), restricted to splits with at least MIN_SIZE runs on each side, and its argmax:
  the statistic and the split must agree to rounding.
- `otava` and `mongodb`: the change points of Otava's `compute_change_points_orig`
  (Matteson & James with permutations) and of MongoDB's `e_divisive` at p 0.01 with 199
  permutations, seeded. Their permutation draws differ from lanebench's, so only the
  series marked `clear` (steps far above the noise) are expected to agree exactly.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from otava.analysis import compute_change_points_orig
from otava.change_point_divisive.calculator import PairDistanceCalculator
from signal_processing_algorithms.determinism import deterministic_numpy_random
from signal_processing_algorithms.energy_statistics.energy_statistics import e_divisive

MIN_SIZE = 5


def series(seed: int, length: int, cv: float, steps: dict[int, float]) -> list[float]:
    rng = np.random.default_rng(seed)
    x = np.exp(rng.normal(0.0, cv, length))
    for at, factor in steps.items():
        x[at:] *= factor
    return [float(v) for v in np.log(x)]


def q_best(z: list[float]) -> tuple[int, float]:
    arr = np.asarray(z)
    q = PairDistanceCalculator(arr)._get_Q_vals(0, arr.size)
    taus = np.arange(1, arr.size)[:, None]
    kappas = np.arange(2, arr.size + 1)[None, :]
    ok = (taus >= MIN_SIZE) & (kappas - taus >= MIN_SIZE) & (taus <= arr.size - MIN_SIZE)
    q = np.where(ok, q, -np.inf)
    i, j = np.unravel_index(int(np.argmax(q)), q.shape)
    return int(taus[i, 0]), float(q[i, j])


CASES = [
    # (name, seed, length, cv, steps, clear)
    ("aa-2%", 1, 60, 0.02, {}, True),
    ("aa-10%", 2, 60, 0.10, {}, True),
    ("step+10%-at-30-noise-2%", 3, 60, 0.02, {30: 1.10}, True),
    ("step+5%-at-20-noise-1%", 4, 40, 0.01, {20: 1.05}, True),
    ("two-steps-noise-1%", 5, 60, 0.01, {20: 1.10, 40: 0.95}, True),
    ("step+3%-noise-5%", 6, 60, 0.05, {30: 1.03}, False),
    ("step+5%-noise-5%", 7, 60, 0.05, {25: 1.05}, False),
    ("spike-of-6-noise-1%", 8, 50, 0.01, {20: 1.2, 26: 1 / 1.2}, False),
    ("long-200-three-steps", 9, 200, 0.03, {50: 1.08, 110: 0.9, 160: 1.15}, True),
]


def main() -> None:
    out = []
    for name, seed, length, cv, steps, clear in CASES:
        z = series(seed, length, cv, steps)
        tau, q = q_best(z)
        otava, _ = compute_change_points_orig(z, max_pvalue=0.01, seed=seed)
        with deterministic_numpy_random(seed):
            mongodb = e_divisive(z, pvalue=0.01, permutations=199)
        out.append({
            "name": name, "log_values": z, "steps": {str(k): v for k, v in steps.items()},
            "clear": clear, "min_size": MIN_SIZE, "q_best": {"tau": tau, "q": q},
            "otava": sorted(int(c.index) for c in otava), "mongodb": sorted(int(i) for i in mongodb),
        })
    json.dump({"generated_by": "benchmarks/changepoints_reference.py", "cases": out}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
