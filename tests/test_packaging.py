"""`pip install` of a release works without the repository: the sdist and the wheel that
`python -m build` makes hold every file lanebench reads at run time, and the wheel, installed
in a fresh virtualenv outside the checkout, runs the CLI for real: --version, schema, a run
of a copy of examples/demo (calibration included) and its reports (the HTML templates).

The build uses the test environment's build backend (`--no-isolation`), and the fresh
virtualenv sees the test environment's dependencies through a path file, so nothing is
downloaded: what is under test is the package itself, not PyPI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

from scripts.release_version import source_version

pytestmark = pytest.mark.slow  # builds the package and runs the installed CLI as real processes

REPO = Path(__file__).resolve().parents[1]
VERSION = source_version()


def package_files() -> set[str]:
    """Every file of the lanebench package in the checkout, as a path inside the package."""
    return {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "lanebench").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist, then the wheel built from that sdist (python -m build's default)."""
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv outside the checkout with the wheel installed (no dependencies
    downloaded: a path file adds the test environment's site-packages after its own)."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=120)
    wheel = dist / f"lanebench-{VERSION}-py3-none-any.whl"
    pip = [str(root / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)]
    proc = subprocess.run(pip, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    site = subprocess.run([str(root / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # Directories named in a path file are added without their own path files, so the
    # checkout's editable install (a path file in the test environment) stays out.
    deps = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    Path(site, "test-environment.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    return root


def run(venv: Path, cwd: Path, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_wheel_holds_every_package_file_the_entry_point_and_the_metadata(dist: Path) -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    with zipfile.ZipFile(dist / f"lanebench-{VERSION}-py3-none-any.whl") as whl:
        names = set(whl.namelist())
        info = f"lanebench-{VERSION}.dist-info"
        metadata = whl.read(f"{info}/METADATA").decode()
        entry_points = whl.read(f"{info}/entry_points.txt").decode()
    assert package_files() <= names, sorted(package_files() - names)
    assert {n for n in names if not n.startswith(info)} == package_files()
    assert "[console_scripts]\nlanebench = lanebench.cli:main" in entry_points.replace("lanebench=", "lanebench = ")
    assert f"\nVersion: {VERSION}\n" in metadata
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    required = [ln.removeprefix("Requires-Dist: ") for ln in metadata.splitlines()
                if ln.startswith("Requires-Dist: ") and "extra ==" not in ln]
    assert required == declared


def test_sdist_holds_what_a_wheel_is_built_from(dist: Path) -> None:
    with tarfile.open(dist / f"lanebench-{VERSION}.tar.gz") as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md"} <= names
    assert package_files() <= names, sorted(package_files() - names)


def test_installed_cli_runs_from_the_wheel_outside_the_checkout(venv: Path, tmp_path: Path) -> None:
    where = run(venv, tmp_path, "python", "-c", "import lanebench; print(lanebench.__file__)")
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout
    # the dependencies the wheel requires are there (what pip would have installed)
    check = run(venv, tmp_path, "python", "-c", (
        "from importlib.metadata import requires, version\n"
        "from packaging.requirements import Requirement\n"
        "for r in map(Requirement, requires('lanebench')):\n"
        "    if r.marker is None: assert r.specifier.contains(version(r.name), prereleases=True), r\n"))
    assert check.returncode == 0, check.stderr

    version = run(venv, tmp_path, "lanebench", "--version")
    assert (version.returncode, version.stdout) == (0, f"lanebench {VERSION}\n")
    schema = run(venv, tmp_path, "lanebench", "schema")
    assert schema.returncode == 0, schema.stderr
    assert "benchmarks" in json.loads(schema.stdout)["properties"]


def test_installed_cli_runs_and_reports_a_copy_of_the_demo(venv: Path, tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(REPO / "examples" / "demo", demo)
    for name in ("base", "head"):
        proc = run(venv, demo, "lanebench", "run", "-n", "2", "-w", "0", "-o", f"{name}.json")
        assert proc.returncode == 0, proc.stderr
    results = json.loads((demo / "head.json").read_text(encoding="utf-8"))
    config = yaml.safe_load((demo / ".github" / "lanebench.yml").read_text(encoding="utf-8"))
    assert [b["name"] for b in results["benchmarks"]] == [b["name"] for b in config["benchmarks"]]
    if shutil.which("valgrind"):  # the instruction-count instrument, from the installed package
        counted = {b["name"] for b in results["benchmarks"] if b["samples"].get("instructions")}
        assert counted == {b["name"] for b in config["benchmarks"] if b.get("instrument") == "auto"}
    assert len(results["calibration"]["samples"]["wall"]) >= 5  # the packaged reference workload ran
    assert results["environment"]["lanebench"] == VERSION

    proc = run(venv, demo, "lanebench", "report", "-f", "all", "-o", "report", "base.json", "head.json")
    assert proc.returncode == 0, proc.stderr
    html = (demo / "report" / "report.html").read_text(encoding="utf-8")
    css = (REPO / "lanebench" / "report" / "templates" / "dashboard.css").read_text(encoding="utf-8")
    first_rule = next(ln for ln in css.splitlines() if ln.strip().endswith("{"))
    assert first_rule.strip() in html  # the stylesheet template, inlined
    assert "cpu-loop" in html and "memory-alloc" in html
    comment = (demo / "report" / "comment.md").read_text(encoding="utf-8")
    assert f"lanebench {VERSION}" in comment


def test_the_image_build_context_is_enough_to_build_the_package(tmp_path: Path) -> None:
    """.dockerignore excludes everything (`*`) but what its `!` lines name: those files alone
    (the Dockerfile's `COPY . /src`) must build the same wheel, and hold the entrypoint."""
    lines = [ln.strip() for ln in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()]
    rules = [ln for ln in lines if ln and not ln.startswith("#")]
    assert rules[0] == "*", "the context is an allowlist: everything else stays out"
    kept = [ln[1:].rstrip("/") for ln in rules if ln.startswith("!")]
    assert all(not ln.startswith("!") for ln in rules[1 + len(kept):])  # then only exclusions
    context = tmp_path / "context"
    for name in kept:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, context / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            context.mkdir(exist_ok=True)
            shutil.copy2(src, context / name)
    assert (context / "entrypoint.py").is_file()  # the final stage takes it from the build stage
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                           str(tmp_path / "out"), str(context)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(tmp_path / "out" / f"lanebench-{VERSION}-py3-none-any.whl") as whl:
        assert package_files() <= set(whl.namelist())
