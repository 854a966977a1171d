"""No benchmark found: what can honestly be measured anyway, and what the user must add."""

from __future__ import annotations

from lanebench.init.detectors._common import PYTHON, python_paths, slug, use_checkout
from lanebench.init.model import Finding, Location, Proposal
from lanebench.init.project import Project, PythonPackage

ADD_A_BENCHMARK = (
    "add a benchmark that runs your code's hot paths (a script such as bench/bench_main.py, "
    "a pytest-benchmark test, `go test -bench`, a `bench` Makefile target) and run "
    "`lanebench init` again, or list its command under `benchmarks:`"
)


def import_time(project: Project, package: PythonPackage | None) -> tuple[list[Proposal], list[Finding]]:
    """Importing the package: the one thing every Python project does that can be measured
    without knowing what it is for. It catches import-time regressions and nothing else."""
    if package is None or not package.packages:
        return [], [Finding("no benchmark", [], ADD_A_BENCHMARK)]
    first = package.packages[0]
    proposal = Proposal(
        name=slug(f"import-{first}"),
        found=f"no benchmark found; the package `{first}` can be imported",
        where=[Location(package.manifests[0] if package.manifests else package.source_dirs[0])],
        command=[PYTHON, "-c", f"import {first}"],
        detector="import-time",
        paths=python_paths(package, []),
        fallback=True,
        notes=[
            f"measures importing {first}, interpreter start-up included: it catches "
            "import-time regressions only, not slower functions",
            ADD_A_BENCHMARK,
        ],
    )
    use_checkout(proposal, package)
    return [proposal], []
