"""Where a command will write, checked before it measures or computes anything."""

from __future__ import annotations

from pathlib import Path

from lanebench.errors import ConfigError


def _existing_ancestor(path: Path) -> Path:
    for parent in path.absolute().parents:
        if parent.exists():
            return parent
    return Path("/")


def check_output_file(path: Path, option: str) -> None:
    """`path` can become a file: it is not a directory and nothing on its way is a file."""
    if path.is_dir():
        raise ConfigError(f"{option} {path}: is a directory", hint="give a file name")
    ancestor = _existing_ancestor(path)
    if not ancestor.is_dir():
        raise ConfigError(f"{option} {path}: {ancestor} is not a directory")


def check_output_directory(path: Path, option: str) -> None:
    """`path` can become a directory: it is one already, or nothing on its way is a file."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{option} {path}: is not a directory", hint="give a directory name")
    ancestor = _existing_ancestor(path)
    if not ancestor.is_dir():
        raise ConfigError(f"{option} {path}: {ancestor} is not a directory")
