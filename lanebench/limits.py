"""Limits shared by the config and the results files, so that what one accepts the other reads.

A config lists at most MAX_BENCHMARKS benchmarks and a results file holds at most as
many; both are checked before any work that grows with the count.
"""

from __future__ import annotations

MAX_BENCHMARKS = 1000
