"""What the `lanebench init` tests share: a project copied out of tests/fixtures/init, and
the command line run on it as a user would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO, cli_env

FIXTURES = REPO / "tests" / "fixtures" / "init"
PY = sys.executable


def init_env() -> dict[str, str]:
    """lanebench importable; `python3` is this interpreter (with pytest-benchmark and pyperf),
    and the suite's own pytest variables do not reach a project's pytest."""
    env = {k: v for k, v in cli_env().items() if not k.startswith("PYTEST_")}
    env["PATH"] = os.pathsep.join([str(Path(PY).parent), env.get("PATH", "")])
    return env


def copy_project(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(FIXTURES / name, target)
    return target


def lanebench_argv() -> list[str]:
    """The installed `lanebench` script, as a user runs it: unlike `python -m lanebench`,
    it does not put the working directory first on sys.path, where a project's own
    package (psutil's checkout) would shadow the installed one lanebench imports."""
    script = Path(PY).parent / "lanebench"
    return [str(script)] if script.exists() else [PY, "-m", "lanebench"]


def lanebench(*args: str, cwd: Path, timeout: float = 600,
              stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*lanebench_argv(), *args], cwd=cwd, env=init_env(),
                          capture_output=True, text=True, timeout=timeout, stdin=stdin)
