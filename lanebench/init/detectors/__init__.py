"""Detectors: each reads the scanned project and returns proposals and findings.

A finding is something that looks like a benchmark but cannot be proposed as one
(a reason says what to do). Detectors never run anything; `trial.py` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lanebench.init.detectors import compiled, fallback, make, python, tasks
from lanebench.init.model import Finding, Proposal
from lanebench.init.project import Project, PythonPackage, python_package

Detector = Callable[[Project, PythonPackage | None], tuple[list[Proposal], list[Finding]]]

# In the order proposals are listed: harness suites first, then task runners' entries.
DETECTORS: list[tuple[str, Detector]] = [
    ("pytest-benchmark", python.detect_pytest_benchmark),
    ("pyperf", python.detect_pyperf),
    ("hyperfine", make.detect_hyperfine_scripts),
    ("google-benchmark", compiled.detect_google_benchmark),
    ("go", compiled.detect_go),
    ("cargo", compiled.detect_cargo),
    ("make", make.detect_make),
    ("package.json", tasks.detect_npm),
    ("tox", tasks.detect_tox),
    ("nox", tasks.detect_nox),
    ("script", python.detect_scripts),
]


@dataclass
class Detection:
    project: Project
    package: PythonPackage | None
    proposals: list[Proposal]
    findings: list[Finding]


def detect(project: Project) -> Detection:
    """Every proposal the project supports, with unique names; when there is none, the
    fallback (importing the Python package) or a finding saying what to add."""
    package = python_package(project)
    proposals: list[Proposal] = []
    findings: list[Finding] = []
    for _, detector in DETECTORS:
        found, problems = detector(project, package)
        proposals += found
        findings += problems
    if not proposals:
        found, problems = fallback.import_time(project, package)
        proposals += found
        findings += problems
    _unique_names(proposals)
    _mark_duplicates(proposals)
    return Detection(project, package, proposals, findings)


def _unique_names(proposals: list[Proposal]) -> None:
    seen: dict[str, int] = {}
    for proposal in proposals:
        count = seen.get(proposal.name, 0)
        seen[proposal.name] = count + 1
        if count:
            proposal.name = f"{proposal.name}-{count + 1}"


TASK_RUNNERS = frozenset({"make", "tox", "nox", "package.json"})


def _mark_duplicates(proposals: list[Proposal]) -> None:
    """A task runner's entry that runs a script another proposal runs directly."""
    direct = {str(w.path): p.name for p in proposals if p.detector not in TASK_RUNNERS
              for w in p.where}
    for proposal in proposals:
        if proposal.detector not in TASK_RUNNERS:
            continue
        for path in proposal.paths:
            if path in direct:
                proposal.duplicate_of = direct[path]
                proposal.notes.append(f"runs {path}, which {direct[path]} already measures")
                break
