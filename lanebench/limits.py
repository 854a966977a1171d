"""Limits shared between modules, so that what one writes the other accepts.

A config lists at most MAX_BENCHMARKS benchmarks and a results file holds at most as
many; both are checked before any work that grows with the count. GitHub's size limits
are met by the renderer (reports shrink to fit) and enforced by the publisher.
"""

from __future__ import annotations

MAX_BENCHMARKS = 1000

# GitHub's limits on what lanebench publishes
COMMENT_LIMIT = 65_536  # an issue comment's body, in characters
CHECK_OUTPUT_LIMIT = 65_535  # a check run's output.summary and output.text, in characters
SUMMARY_LIMIT = 1024 * 1024  # one step's job summary, in bytes
