"""Static checks of what users copy and what releases: action.yml, the example workflows, the
project's own workflows (.github/workflows), the Dockerfile, the code.

Each linter runs as a real subprocess. Outside CI a missing linter skips its test;
in CI (CI=true) a missing linter fails, so the checks can never silently vanish.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ACTIONLINT = REPO.parent / "shared" / "tools" / "actionlint"


def workflow_files() -> list[Path]:
    return sorted((REPO / "examples").rglob("*.yml")) + sorted((REPO / "examples").rglob("*.yaml"))


def example_workflows() -> list[Path]:
    return [p for p in workflow_files() if p.parent.name == "workflows"]


def own_workflows() -> list[Path]:
    """The project's own workflows (the release), linted like the examples."""
    return sorted((REPO / ".github" / "workflows").glob("*.yml"))


def require(tool: str | None, name: str) -> str:
    if tool:
        return tool
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is not installed; .ci/run must install it")
    pytest.skip(f"{name} is not installed")


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_zizmor_finds_nothing() -> None:
    exe = require(shutil.which("zizmor"), "zizmor")
    actions = ["action.yml", *[str(p.relative_to(REPO)) for p in sorted(REPO.glob("examples/*/action.yml"))]]
    targets = [*actions, *[str(p.relative_to(REPO)) for p in [*example_workflows(), *own_workflows()]]]
    proc = run([exe, "--offline", "--no-progress", *targets])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hadolint_finds_nothing() -> None:
    exe = require(shutil.which("hadolint"), "hadolint")
    dockerfiles = ["Dockerfile", *[str(p.relative_to(REPO)) for p in sorted(REPO.glob("examples/*/Dockerfile"))]]
    proc = run([exe, *dockerfiles])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_finds_nothing() -> None:
    files = [*example_workflows(), *own_workflows()]
    if not files:
        pytest.skip("no example workflows yet")
    exe = require(str(ACTIONLINT) if ACTIONLINT.exists() else None, "actionlint (../shared/tools/actionlint)")
    proc = run([exe, *[str(p) for p in files]])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_finds_nothing() -> None:
    """The package type-checks (pyproject.toml's [tool.mypy], with the pydantic plugin)."""
    exe = require(shutil.which("mypy"), "mypy")
    proc = run([exe])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_finds_nothing() -> None:
    exe = require(shutil.which("ruff"), "ruff")
    proc = run([exe, "check", "lanebench", "tests", "benchmarks", "scripts", "entrypoint.py"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
