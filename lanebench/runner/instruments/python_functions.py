"""Which Python functions ran the instructions: bytecodes executed per Python function.

Cachegrind sees machine code: for a Python program it names the interpreter's C functions
(`_PyEval_EvalFrameDefault`), never the Python function they were running
(docs/instructions.md, "Naming Python functions"). So when the counted program is Python,
the instrument runs the command once more per side, without valgrind, with a
`sitecustomize` on PYTHONPATH (`python_hook/`) that counts the bytecodes each Python
function executes (`sys.settrace` opcode events; the count is as deterministic as the
instruction count with the hash seed pinned, and costs about as much as one cachegrind
run). The result is a profile in cachegrind's format with one event, `Bc`, which the
profile package reads, stores and diffs like any other.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from lanebench.profile.cachegrind import Profile, read_tree

HOOK_DIR = Path(__file__).with_name("python_hook")
OUTPUT_VARIABLE = "LANEBENCH_BYTECODE_DIR"
OUTPUT_PATTERN = "bc.out.*"
EVENT = "Bc"


def runs_python(profile: Profile) -> bool:
    """Whether any process of the counted tree was a Python interpreter."""
    for command in profile.commands:
        program = os.path.basename(command.split(" ", 1)[0].split("\n", 1)[0])
        if program.startswith("python") or program.startswith("pypy"):
            return True
    return False


def bytecode_environment(env: Mapping[str, str], out_dir: Path) -> dict[str, str]:
    """`env` with the counting hook first on PYTHONPATH, writing to `out_dir`."""
    paths = [str(HOOK_DIR), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
    return dict(sorted({**env, "PYTHONPATH": os.pathsep.join(paths),
                        OUTPUT_VARIABLE: str(out_dir)}.items()))


def collect_bytecodes(out_dir: Path) -> Profile | None:
    """The tree's bytecode counts merged; None when no Python process wrote any."""
    if not any(out_dir.glob(OUTPUT_PATTERN)):
        return None
    return read_tree(out_dir, OUTPUT_PATTERN)
