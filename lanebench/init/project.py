"""What `lanebench init` reads of a project once: its files, and its Python package facts.

Every detector works from this one walk, which skips version-control, virtualenv, build
and dependency folders and stops at MAX_FILES, so a huge tree costs a bounded time.
"""

from __future__ import annotations

import configparser
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_FILES = 20_000
# Text files larger than this are not read for patterns (generated tables, data).
MAX_READ_BYTES = 512 * 1024

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", ".env", "node_modules",
    "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist", "target",
    ".eggs", "site-packages", ".lanebench", "lanebench-results", ".benchmarks", "vendor",
})
PYTHON_MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg")
COMPILED_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".pyx", ".rs", ".f90")


@dataclass
class PythonPackage:
    """The project's importable packages and where their sources live."""

    name: str | None  # the distribution name, when a manifest says it
    packages: list[str]  # top-level import names
    source_dirs: list[str]  # folders relative to the root, e.g. "src/cattrs"
    src_layout: bool  # sources under src/, so not importable from the root as they are
    compiled: bool  # C, Cython or Rust parts: the checkout must be built to import it
    dependencies: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)  # console scripts it installs
    manifests: list[str] = field(default_factory=list)


@dataclass
class Project:
    root: Path
    files: list[str]  # every file walked, relative, with forward slashes
    truncated: bool = False
    _text_cache: dict[str, str | None] = field(default_factory=dict, repr=False)

    def exists(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def text(self, rel: str) -> str | None:
        """The file's text, or None when it is missing, binary or too large to read."""
        if rel not in self._text_cache:
            self._text_cache[rel] = _read_text(self.root / rel)
        return self._text_cache[rel]

    def toml(self, rel: str) -> dict[str, Any] | None:
        text = self.text(rel)
        if text is None:
            return None
        try:
            return tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError):
            return None

    def matching(self, pattern: str) -> Iterator[str]:
        """Files whose relative path matches the regular expression (searched, not anchored)."""
        rx = re.compile(pattern)
        return (f for f in self.files if rx.search(f))

    def line_of(self, rel: str, needle: str | re.Pattern[str]) -> int | None:
        """The first line (1-based) of the file that contains `needle`."""
        text = self.text(rel) or ""
        for number, line in enumerate(text.splitlines(), 1):
            if (needle.search(line) if isinstance(needle, re.Pattern) else needle in line):
                return number
        return None


def _read_text(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_READ_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_READ_BYTES or b"\0" in raw[:8192]:
        return None
    return raw.decode("utf-8", errors="replace")


def scan(root: Path) -> Project:
    """Walk the project once, in sorted order, without following symlinked folders."""
    root = root.resolve()
    files: list[str] = []
    truncated = False
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        rel_folder = os.path.relpath(folder, root)
        for name in sorted(names):
            rel = name if rel_folder == "." else f"{rel_folder}/{name}".replace(os.sep, "/")
            files.append(rel)
            if len(files) >= MAX_FILES:
                truncated = True
                break
        if truncated:
            break
    return Project(root=root, files=files, truncated=truncated)


def python_package(project: Project) -> PythonPackage | None:
    """The Python package the project builds, from its manifests and its folders."""
    manifests = [m for m in PYTHON_MANIFESTS if project.exists(m)]
    pyproject = project.toml("pyproject.toml") or {}
    meta = pyproject.get("project") if isinstance(pyproject.get("project"), dict) else {}
    assert isinstance(meta, dict)
    cfg = _setup_cfg(project)
    name = meta.get("name") if isinstance(meta.get("name"), str) else None
    if name is None and cfg is not None and cfg.has_option("metadata", "name"):
        name = cfg.get("metadata", "name").strip() or None
    if name is None and project.exists("setup.py"):
        match = re.search(r"""\bname\s*=\s*["']([A-Za-z0-9._-]+)["']""", project.text("setup.py") or "")
        name = match.group(1) if match else None
    packages = _top_level_packages(project)
    if not manifests and not packages:
        return None
    if name is not None:
        wanted = re.sub(r"[-_.]+", "_", name).lower()
        # the package named like the distribution first; others (a compatibility alias) after
        packages.sort(key=lambda p: (p[1].lower() != wanted, p[0]))
    source_dirs = [folder for folder, _ in packages]
    compiled = any(
        f.endswith(COMPILED_SUFFIXES) for f in project.files
        if any(f.startswith(d + "/") for d in source_dirs)
    ) or bool(re.search(r"\b(Extension|ext_modules|cythonize|RustExtension)\b",
                        project.text("setup.py") or ""))
    deps = meta.get("dependencies") if isinstance(meta.get("dependencies"), list) else []
    if not deps and cfg is not None and cfg.has_option("options", "install_requires"):
        deps = [d.strip() for d in cfg.get("options", "install_requires").splitlines() if d.strip()]
    scripts = meta.get("scripts") if isinstance(meta.get("scripts"), dict) else {}
    assert isinstance(scripts, dict) and isinstance(deps, list)
    return PythonPackage(
        name=name,
        packages=[pkg for _, pkg in packages],
        source_dirs=source_dirs,
        src_layout=any(d.startswith("src/") for d in source_dirs),
        compiled=compiled,
        dependencies=[str(d) for d in deps],
        scripts=sorted(str(s) for s in scripts),
        manifests=manifests,
    )


def _setup_cfg(project: Project) -> configparser.ConfigParser | None:
    text = project.text("setup.cfg")
    if text is None:
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return parser


NOT_PACKAGES = frozenset({"tests", "test", "testing", "docs", "doc", "bench", "benches",
                          "benchmark", "benchmarks", "examples", "scripts", "tools"})


def _top_level_packages(project: Project) -> list[tuple[str, str]]:
    """(folder, import name) of every package in src/ or at the root: a folder holding
    `__init__.py`, that is not a test, docs or benchmark folder."""
    found: list[tuple[str, str]] = []
    for rel in project.files:
        parts = rel.split("/")
        if parts[-1] != "__init__.py":
            continue
        if len(parts) == 3 and parts[0] == "src":
            folder, name = f"src/{parts[1]}", parts[1]
        elif len(parts) == 2:
            folder, name = parts[0], parts[0]
        else:
            continue
        if name.lower() not in NOT_PACKAGES and name.isidentifier():
            found.append((folder, name))
    return found
