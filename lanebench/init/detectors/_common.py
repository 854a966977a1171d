"""What several detectors share: benchmark names, and how a Python benchmark finds the code."""

from __future__ import annotations

import re

from lanebench.init.model import Proposal
from lanebench.init.project import Project, PythonPackage

PYTHON = "python3"


def slug(text: str) -> str:
    """A benchmark name made of what was found: lowercase words joined by `-`."""
    words = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return words[:80] or "benchmark"


def python_paths(package: PythonPackage | None, own: list[str]) -> list[str]:
    """A Python benchmark's `paths:` its own files, the package's sources, the manifests."""
    paths = list(own)
    if package is not None:
        paths += [f"{folder}/**" for folder in package.source_dirs]
        paths += package.manifests
    return _unique(paths)


def use_checkout(proposal: Proposal, package: PythonPackage | None) -> None:
    """Make a Python benchmark import this checkout's package rather than an installed copy:
    a pure-Python src/ layout is put on PYTHONPATH; a compiled one needs a build first."""
    if package is None:
        return
    if package.compiled:
        proposal.notes.append(
            f"{', '.join(package.packages) or 'the package'} has compiled parts: the benchmark "
            "imports whatever copy is installed; build this checkout first (a `setup:` such as "
            "`python3 -m pip install -e .`) so a pull request's code is what runs"
        )
    elif package.src_layout:
        proposal.env["PYTHONPATH"] = "src"
        proposal.notes.append(
            "PYTHONPATH=src: the benchmark imports this checkout's code, not an installed copy"
        )
    if package.dependencies:
        proposal.notes.append(
            f"needs the project's dependencies installed ({', '.join(package.dependencies[:4])}"
            f"{', …' if len(package.dependencies) > 4 else ''})"
        )


def manifest_mentions(project: Project, word: str) -> list[str]:
    """Dependency files that name `word` (a package), for saying where it was found."""
    names = ["pyproject.toml", "setup.cfg", "setup.py", "tox.ini", "noxfile.py", "Pipfile"]
    names += [f for f in project.files if re.fullmatch(r"(.*/)?requirements[^/]*\.(txt|in)", f)]
    pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.IGNORECASE)
    return [n for n in names if pattern.search(project.text(n) or "")]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
