"""`lanebench init --yes` on three real third-party projects (tests/fixtures/init/README.md):
each writes a config the loader and the JSON Schema accept, workflows that actionlint and
zizmor pass, and a first `lanebench baseline` that runs. Real processes throughout."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from lanebench.config import load_config
from tests.helpers import REPO
from tests.init_helpers import copy_project, lanebench
from tests.test_lint import ACTIONLINT, require

pytestmark = pytest.mark.slow

SCHEMA = json.loads((REPO / "lanebench" / "schema" / "lanebench.schema.json").read_text())
PIN = "example/lanebench@" + "1234567890abcdef" * 2 + "12345678"


def config_of(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / ".github" / "lanebench.yml").read_text())


def flat(text: str) -> str:
    """The config's text with comment marks and line wrapping taken out."""
    return " ".join(line.strip().lstrip("#").strip() for line in text.splitlines())


def lint_workflows(project: Path) -> None:
    files = sorted(str(p) for p in (project / ".github" / "workflows").glob("*.yml"))
    assert files
    actionlint = require(str(ACTIONLINT) if ACTIONLINT.exists() else None, "actionlint")
    proc = subprocess.run([actionlint, *files], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    zizmor = require(shutil.which("zizmor"), "zizmor")
    proc = subprocess.run([zizmor, "--offline", "--no-progress", *files],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def init_validate_baseline(project: Path, *init_args: str) -> dict[str, Any]:
    proc = lanebench("init", "--yes", *init_args, cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    config = config_of(project)
    jsonschema.validate(config, SCHEMA)
    proc = lanebench("validate", ".github/lanebench.yml", cwd=project)
    assert proc.returncode == 0 and "valid config" in proc.stdout, proc.stdout + proc.stderr
    # A first baseline with few iterations (the default is the heavy lane's 60).
    proc = lanebench("baseline", "-n", "2", "--store", "baseline", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((project / "baseline" / "lanebench-results.json").read_text())
    measured = {b["name"]: b for b in results["benchmarks"]}
    assert set(measured) == {b["name"] for b in config["benchmarks"]}
    for bench in measured.values():
        assert bench["status"] == "ok", bench
        assert len(bench["samples"]["wall"]) == 2
    return config


def test_pytest_benchmark_suite_of_cattrs(tmp_path: Path) -> None:
    project = copy_project("cattrs", tmp_path)
    config = init_validate_baseline(project)
    (bench,) = config["benchmarks"]
    assert bench["name"] == "pytest-bench"
    assert bench["command"][:5] == ["python3", "-m", "pytest", "bench", "-q"]
    assert "--benchmark-only" in bench["command"]
    # src/ layout, pure Python: the checkout's code is what the benchmark imports
    assert bench["env"] == {"PYTHONPATH": "src"}
    assert bench["paths"] == ["bench/**", "src/cattrs/**", "src/cattr/**", "pyproject.toml"]
    text = flat((project / ".github" / "lanebench.yml").read_text())
    assert "pytest-benchmark suite: 12 test functions using the `benchmark` fixture" in text
    assert "bench/test_primitives.py:7" in text
    # pytest and pytest-benchmark are not in the action's image: measured on the runner
    workflow = (project / ".github" / "workflows" / "runner-toolchain.yml").read_text()
    assert "python -m pip install -e . pytest pytest-benchmark" in workflow
    lint_workflows(project)


def test_makefile_targets_and_pyperf_script_of_psutil(tmp_path: Path) -> None:
    project = copy_project("psutil", tmp_path)
    config = init_validate_baseline(project, "--action", PIN, "--action-version", "v9.9.9")
    names = [b["name"] for b in config["benchmarks"]]
    assert names == ["pyperf-bench-oneshot-2", "make-bench-oneshot"]
    by_name = {b["name"]: b for b in config["benchmarks"]}
    assert by_name["make-bench-oneshot"]["command"] == ["make", "bench-oneshot"]
    assert by_name["make-bench-oneshot"]["paths"][:2] == ["Makefile", "scripts/internal/bench_oneshot.py"]
    assert by_name["pyperf-bench-oneshot-2"]["command"][-2:] == ["--debug-single-value", "--quiet"]
    text = flat((project / ".github" / "lanebench.yml").read_text())
    # the second Makefile target runs the pyperf script already proposed: left out, said why
    assert "- name: make-bench-oneshot-2" in text
    assert "left out: runs what pyperf-bench-oneshot-2 runs" in text
    assert "psutil has compiled parts" in text
    workflow = (project / ".github" / "workflows" / "runner-toolchain.yml").read_text()
    assert f"uses: {PIN} # v9.9.9" in workflow
    # every pin in the workflow is the one given (comments may still name the placeholder)
    code = [line for line in workflow.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in code if "OWNER/lanebench" in line or "0" * 40 in line]
    assert sum(PIN in line for line in code) == 3  # the report job's `uses:`, pip in two jobs
    lint_workflows(project)


def test_project_without_benchmarks_gets_the_import_time_and_is_told_what_to_add(tmp_path: Path) -> None:
    project = copy_project("tomli", tmp_path)
    config = init_validate_baseline(project)
    (bench,) = config["benchmarks"]
    assert bench == {"name": "import-tomli", "command": ["python3", "-c", "import tomli"],
                     "env": {"PYTHONPATH": "src"}, "paths": ["src/tomli/**", "pyproject.toml"]}
    text = flat((project / ".github" / "lanebench.yml").read_text())
    assert "catches import-time regressions only" in text
    assert "add a benchmark that runs your code's hot paths" in text
    # nothing beyond Python's standard library: the action measures in its own container
    assert sorted(p.name for p in (project / ".github" / "workflows").iterdir()) == [
        "main-baseline.yml", "pr.yml"]
    lint_workflows(project)


def test_every_workflow_kind_passes_the_linters(tmp_path: Path) -> None:
    project = copy_project("tomli", tmp_path)
    for kind in ("same-repo", "fork-safe", "runner-toolchain"):
        proc = lanebench("init", "--yes", "--no-trial", "--force", "--workflows", kind, cwd=project)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in (project / ".github" / "workflows").iterdir()) == [
        "fork-safe-pr.yml", "fork-safe-report.yml", "main-baseline.yml", "pr.yml",
        "runner-toolchain.yml"]
    lint_workflows(project)


def test_existing_files_are_kept_without_force_and_dry_run_writes_nothing(tmp_path: Path) -> None:
    project = copy_project("tomli", tmp_path)
    config_file = project / ".github" / "lanebench.yml"
    config_file.parent.mkdir()
    config_file.write_text("mine\n")
    proc = lanebench("init", "--yes", "--no-trial", cwd=project)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "lanebench: error: .github/lanebench.yml already exists (pass --force to overwrite, "
        "or --dry-run to see what would be written)")
    assert config_file.read_text() == "mine\n"
    assert not (project / ".github" / "workflows").exists()

    proc = lanebench("init", "--yes", "--no-trial", "--dry-run", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "--- would overwrite .github/lanebench.yml ---" in proc.stdout
    assert "--- would write .github/workflows/pr.yml ---" in proc.stdout
    assert config_file.read_text() == "mine\n"

    proc = lanebench("init", "--yes", "--no-trial", "--force", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert load_config(config_file).benchmarks[0].name == "import-tomli"


def test_refuses_to_ask_without_a_terminal(tmp_path: Path) -> None:
    project = copy_project("tomli", tmp_path)
    proc = lanebench("init", cwd=project)
    assert proc.returncode == 2
    assert proc.stderr == ("lanebench: error: lanebench init asks questions, but this is not a "
                           "terminal (pass --yes to take every default)\n")
    assert not (project / ".github").exists()


def test_sharded_workflows_are_refused_until_shards_exist(tmp_path: Path) -> None:
    project = copy_project("tomli", tmp_path)
    proc = lanebench("init", "--yes", "--no-trial", "--workflows", "sharded", cwd=project)
    assert proc.returncode == 2
    assert "--workflows sharded: needs `lanebench shard`" in proc.stderr
    assert not (project / ".github").exists()


def test_a_folder_with_nothing_to_benchmark_is_told_what_to_add(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    proc = lanebench("init", "--yes", cwd=tmp_path)
    assert proc.returncode == 2
    assert "lanebench: error: no benchmark found in" in proc.stderr
    assert "add a benchmark that runs your code's hot paths" in proc.stderr
    assert not (tmp_path / ".github").exists()
