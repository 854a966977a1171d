"""What can name the Python function that got slower? Measured on a real parser.

Run by hand (about 2 minutes of one core; figures in docs/instructions.md, "Naming Python
functions"):

    python benchmarks/python_attribution.py --python ~/.pyenv/versions/3.12.1/bin/python3.12

The workload parses a generated TOML document with a copy of the standard library's
`tomllib` (tomli 2.0.1's code), imported as `tomlx`; the "slowed" copy does a little more
work per character in `parse_basic_str` (an extra `len(char.encode())`), a change the
size of a real regression (+15-30% of the parse). For each way of counting, base and
slowed are run twice each, and the table says: the overhead on the plain run, whether the
two runs of one copy count the same, and the three functions whose count changed most.

- cachegrind: instructions per C function (lanebench.profile);
- sys.setprofile: Python calls per function (3.10+);
- sys.monitoring PY_START: the same with 3.12's low-overhead events;
- sys.monitoring LINE: lines executed per function (3.12+);
- sys.monitoring INSTRUCTION: bytecode instructions executed per function (3.12+).

The Python-level counters are a `sitecustomize.py` on PYTHONPATH, so they attach to any
Python command (children too), and write one JSON file per process at exit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lanebench.profile.diff import diff_counts  # noqa: E402
from lanebench.runner.instruments.valgrind import run_counted  # noqa: E402

SITECUSTOMIZE = r'''
import atexit, json, os, sys
_mode = os.environ.get("COUNT_MODE", "")
_out = os.environ.get("COUNT_DIR", "")
_counts = {}

def _key(code):
    return f"{code.co_qualname if hasattr(code, 'co_qualname') else code.co_name} ({os.path.basename(code.co_filename)})"

if _mode == "setprofile":
    def _prof(frame, event, arg):
        if event == "call":
            k = _key(frame.f_code)
            _counts[k] = _counts.get(k, 0) + 1
    sys.setprofile(_prof)
elif _mode.startswith("monitoring-"):
    mon = sys.monitoring
    TOOL = mon.PROFILER_ID
    mon.use_tool_id(TOOL, "counts")
    event = {"monitoring-calls": mon.events.PY_START, "monitoring-lines": mon.events.LINE,
             "monitoring-instructions": mon.events.INSTRUCTION}[_mode]
    per_code = {}
    def _hit(code, *args):
        per_code[code] = per_code.get(code, 0) + 1
    mon.register_callback(TOOL, event, _hit)
    mon.set_events(TOOL, event)

def _dump():
    if _mode.startswith("monitoring-"):
        mon.set_events(TOOL, 0)
        for code, n in per_code.items():
            k = _key(code)
            _counts[k] = _counts.get(k, 0) + n
    if _out:
        with open(os.path.join(_out, f"counts.{os.getpid()}.json"), "w") as f:
            json.dump(_counts, f)
if _mode:
    atexit.register(_dump)
'''

WORKLOAD = r'''
import tomlx
doc = "\n".join(
    f'[section_{i}]\nname = "value number {i} {"with some longer text " * 12}"\nitems = ["a{i}", "b{i}", "c{i}"]\n'
    f'count = {i}\nnested = {{ key = "k{i}", flag = true }}\n'
    for i in range(150)
)
for _ in range(6):
    tomlx.loads(doc)
'''

SLOW_FROM = "        pos += 1\n\n\ndef parse_value("
SLOW_TO = "        pos += 1 + 0 * len(char.encode())\n\n\ndef parse_value("


def make_copies(work: Path, python: str) -> dict[str, Path]:
    source = Path(subprocess.run([python, "-c", "import tomllib, os; print(os.path.dirname(tomllib.__file__))"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    roots = {}
    for name in ("base", "slowed"):
        root = work / name
        shutil.copytree(source, root / "tomlx", ignore=shutil.ignore_patterns("__pycache__"))
        if name == "slowed":
            parser = root / "tomlx" / "_parser.py"
            text = parser.read_text()
            assert SLOW_FROM in text, "tomllib's parse_basic_str changed shape"
            parser.write_text(text.replace(SLOW_FROM, SLOW_TO, 1))
        (root / "sitecustomize.py").write_text(SITECUSTOMIZE)
        (root / "workload.py").write_text(WORKLOAD)
        roots[name] = root
    return roots


def run_python(python: str, root: Path, mode: str) -> tuple[float, dict[str, int]]:
    out = Path(tempfile.mkdtemp(dir=root))
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": "0", "COUNT_MODE": mode,
           "COUNT_DIR": str(out)}
    start = time.perf_counter()
    subprocess.run([python, "-B", str(root / "workload.py")], env=env, check=True, cwd=root)
    wall = time.perf_counter() - start
    counts: dict[str, int] = {}
    for f in out.glob("counts.*.json"):
        for k, v in json.loads(f.read_text()).items():
            counts[k] = counts.get(k, 0) + v
    shutil.rmtree(out)
    return wall, counts


def top_changes(base: dict[str, int], head: dict[str, int], n: int = 3) -> str:
    diff = diff_counts({("", k): v for k, v in base.items()}, {("", k): v for k, v in head.items()}, top=n)
    return "; ".join(f"{r.function} {r.change:+,} ({(r.share or 0) * 100:.0f}%)" for r in diff.rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", default=shutil.which("python3.12") or sys.executable)
    args = parser.parse_args()
    python = args.python
    work = Path(tempfile.mkdtemp(prefix="lanebench-attribution-"))
    try:
        roots = make_copies(work, python)
        plain = statistics.median(run_python(python, roots["base"], "")[0] for _ in range(3))
        slowed_plain = statistics.median(run_python(python, roots["slowed"], "")[0] for _ in range(3))
        print(f"python: {python}; plain run {plain:.3f} s, slowed copy {slowed_plain:.3f} s "
              f"({(slowed_plain / plain - 1) * 100:+.0f}%)\n")
        print("| counter | overhead (wall vs plain) | two runs count the same | total change | "
              "largest changes (share of the total change) |")
        print("| --- | ---: | --- | ---: | --- |")
        for mode in ("setprofile", "monitoring-calls", "monitoring-lines", "monitoring-instructions"):
            (w1, b1), (_, b2) = run_python(python, roots["base"], mode), run_python(python, roots["base"], mode)
            _, s1 = run_python(python, roots["slowed"], mode)
            total = (sum(s1.values()) - sum(b1.values())) / max(1, sum(b1.values())) * 100
            print(f"| {mode} | {w1 / plain:.1f}x | {'yes' if b1 == b2 else 'no'} | {total:+.1f}% | "
                  f"{top_changes(b1, s1)} |")
        env = {**os.environ, "PYTHONPATH": "", "PYTHONHASHSEED": "0"}
        runs = {}
        for name in ("base", "base-again", "slowed"):
            root = roots["slowed" if name == "slowed" else "base"]
            env["PYTHONPATH"] = str(root)
            runs[name] = run_counted([python, "-B", str(root / "workload.py")], work / f"cg-{name}",
                                     env=env, cwd=root)
        b, b2, s = runs["base"], runs["base-again"], runs["slowed"]
        same = b.reading.metrics["instructions"] == b2.reading.metrics["instructions"]
        diff = diff_counts(b.reading.profile.counts(), s.reading.profile.counts(), top=3)
        total = diff.change / diff.base_total * 100
        shown = "; ".join(f"{r.function} {r.change:+,} ({(r.share or 0) * 100:.0f}%)" for r in diff.rows)
        print(f"| cachegrind (instructions) | {b.wall / plain:.0f}x | {'yes' if same else 'no'} | "
              f"{total:+.1f}% | {shown} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
