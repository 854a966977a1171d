"""Python harness suites: pytest-benchmark tests and pyperf scripts."""

from __future__ import annotations

import ast
import posixpath
import re

from lanebench.init.detectors._common import (
    PYTHON,
    manifest_mentions,
    python_paths,
    slug,
    use_checkout,
)
from lanebench.init.model import Finding, HarnessRun, Location, Proposal
from lanebench.init.project import Project, PythonPackage

# A test function taking the `benchmark` fixture; the signature may span lines.
BENCHMARK_TEST = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(test\w*)[ \t]*\(([^)]*)\)", re.M)
TEST_FILE = re.compile(r"(^|/)(test_[^/]*|[^/]*_test)\.py$")
PYPERF_IMPORT = re.compile(r"^\s*(import pyperf|from pyperf import)", re.M)
PYPERF_RUNNER = re.compile(r"\bRunner\s*\(")
# pytest-benchmark's rounds in the plain command: a fixed count, so the process's time
# follows the code's speed (by default each test loops for about a second, whatever its speed).
PYTEST_ROUNDS = 20


def benchmark_tests(text: str) -> list[str]:
    return [m.group(1) for m in BENCHMARK_TEST.finditer(text)
            if re.search(r"\bbenchmark\b", m.group(2))]


def detect_pytest_benchmark(
    project: Project, package: PythonPackage | None
) -> tuple[list[Proposal], list[Finding]]:
    files: dict[str, list[str]] = {}
    for rel in project.matching(TEST_FILE.pattern):
        tests = benchmark_tests(project.text(rel) or "")
        if tests:
            files[rel] = tests
    if not files:
        return [], []
    mentions = manifest_mentions(project, "pytest-benchmark")
    # One proposal per top folder holding benchmark tests: `bench/`, `tests/` ...
    groups: dict[str, list[str]] = {}
    for rel in files:
        top = rel.split("/")[0] if "/" in rel else "."
        groups.setdefault(top, []).append(rel)
    proposals = []
    for top, rels in sorted(groups.items()):
        tests_in_top = [f for f in project.matching(TEST_FILE.pattern)
                        if (f.split("/")[0] if "/" in f else ".") == top]
        # the folder when every test file in it benchmarks, else the files themselves
        targets = [top] if top != "." and len(tests_in_top) == len(rels) else sorted(rels)
        count = sum(len(files[r]) for r in rels)
        # Fixed work here too: left to calibrate, each test would run for about a second.
        harness_cmd = [PYTHON, "-m", "pytest", *targets, "-q", "-p", "no:cacheprovider",
                       "--benchmark-only", "--benchmark-max-time=0",
                       f"--benchmark-min-rounds={PYTEST_ROUNDS}", "--benchmark-json={output}"]
        proposal = Proposal(
            name=slug(f"pytest-{top if top != '.' else 'benchmarks'}"),
            found=f"pytest-benchmark suite: {count} test function{'s' if count != 1 else ''} "
            "using the `benchmark` fixture",
            where=[Location(r, project.line_of(r, f"def {files[r][0]}")) for r in sorted(rels)[:5]]
            + [Location(m) for m in mentions],
            command=[PYTHON, "-m", "pytest", *targets, "-q", "-p", "no:cacheprovider",
                     "--benchmark-only", "--benchmark-max-time=0",
                     f"--benchmark-min-rounds={PYTEST_ROUNDS}"],
            detector="pytest-benchmark",
            paths=python_paths(package, [f"{t}/**" if t in groups else t for t in targets]
                               + _conftests(project, targets)),
            harness=HarnessRun("pytest-benchmark", harness_cmd, "file"),
            pip=["pytest", "pytest-benchmark"],
            notes=[
                f"measured as one process: every case runs {PYTEST_ROUNDS} rounds "
                "(--benchmark-max-time=0), so a slower case makes the process slower; "
                "comparing each case on its own comes with `harness: pytest-benchmark`"
            ],
        )
        if len(rels) > 5:
            proposal.notes.append(f"and {len(rels) - 5} more file{'s' if len(rels) > 6 else ''}")
        use_checkout(proposal, package)
        proposals.append(proposal)
    return proposals, []


def _conftests(project: Project, targets: list[str]) -> list[str]:
    out = []
    for target in targets:
        folder = target if not target.endswith(".py") else posixpath.dirname(target)
        while folder and folder != ".":
            if project.exists(f"{folder}/conftest.py"):
                out.append(f"{folder}/conftest.py")
            folder = posixpath.dirname(folder)
    if project.exists("conftest.py"):
        out.append("conftest.py")
    return out


def detect_pyperf(
    project: Project, package: PythonPackage | None
) -> tuple[list[Proposal], list[Finding]]:
    proposals = []
    for rel in project.matching(r"\.py$"):
        text = project.text(rel) or ""
        if not (PYPERF_IMPORT.search(text) and PYPERF_RUNNER.search(text)):
            continue
        stem = posixpath.splitext(posixpath.basename(rel))[0]
        proposal = Proposal(
            name=slug(f"pyperf-{stem}"),
            found="pyperf script (pyperf.Runner)",
            where=[Location(rel, project.line_of(rel, PYPERF_RUNNER))],
            command=[PYTHON, rel, "--debug-single-value", "--quiet"],
            detector="pyperf",
            paths=python_paths(package, [rel]),
            harness=HarnessRun("pyperf", [PYTHON, rel, "--fast", "--quiet", "--output", "{output}"],
                               "file"),
            pip=["pyperf"],
            notes=[
                "pyperf runs with --fast (half its worker processes): every lanebench "
                "iteration is a whole pyperf run, so the repeats come from lanebench"
            ],
        )
        use_checkout(proposal, package)
        proposals.append(proposal)
    return proposals, []


BENCH_FOLDER = re.compile(r"(^|/)(bench|benches|benchmark|benchmarks|perf|performance)/[^/]+\.py$")
MAIN_GUARD = re.compile(r"^if\s+__name__\s*==\s*[\"']__main__[\"']\s*:", re.M)


# Top-level statements that do work when the file runs (a loop, a call), unlike a module
# of definitions that only a program importing it would run.
_WORK = (ast.For, ast.While, ast.With, ast.Expr, ast.Try)


def runs_as_program(text: str) -> bool:
    """Whether a file is a program: a `__main__` guard, or work done at its top level
    (examples/demo/bench/cpu_loop.py is a loop and a print, with no guard)."""
    if MAIN_GUARD.search(text):
        return True
    try:
        body = ast.parse(text).body
    except (SyntaxError, ValueError, RecursionError):
        return False
    docstring = 1 if body and isinstance(body[0], ast.Expr) and isinstance(
        getattr(body[0], "value", None), ast.Constant) else 0
    return any(isinstance(node, _WORK) for node in body[docstring:])


def detect_scripts(
    project: Project, package: PythonPackage | None
) -> tuple[list[Proposal], list[Finding]]:
    """Python scripts in a benchmark folder that run as programs (`runs_as_program`),
    other than test files and pyperf scripts."""
    proposals = []
    for rel in project.matching(BENCH_FOLDER.pattern):
        text = project.text(rel) or ""
        if TEST_FILE.search(rel) or PYPERF_IMPORT.search(text) or not runs_as_program(text):
            continue
        stem = posixpath.splitext(posixpath.basename(rel))[0]
        proposal = Proposal(
            name=slug(f"script-{stem}"),
            found="benchmark script (a program in a benchmark folder)",
            where=[Location(rel, project.line_of(rel, MAIN_GUARD))],
            command=[PYTHON, rel],
            detector="script",
            paths=python_paths(package, [f"{posixpath.dirname(rel)}/**"]),
            notes=["the script's own timing output is not read: lanebench measures the process"],
        )
        use_checkout(proposal, package)
        proposals.append(proposal)
    return proposals, []
