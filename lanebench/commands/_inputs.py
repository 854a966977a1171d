"""The results files a command judges, read and checked the same way by every command."""

from __future__ import annotations

from pathlib import Path

from lanebench.errors import ResultsError
from lanebench.results import ResultsDocument, read_results


def read_head(path: Path) -> ResultsDocument:
    """The head results to judge: a file of no benchmarks at all has nothing to pass."""
    head = read_results(path)
    if not head.benchmarks:
        raise ResultsError(
            f"{path}: the head results hold no benchmarks, so there is nothing to judge",
            hint="was the run cut short before its first benchmark? run `lanebench run` again",
        )
    return head
