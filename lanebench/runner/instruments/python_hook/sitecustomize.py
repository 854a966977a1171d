"""Counts the bytecodes each Python function executes, for lanebench's instructions
instrument (`lanebench.runner.instruments.python_functions`). Imported by every Python
process of the command's tree through PYTHONPATH; writes one cachegrind-format file per
process (event `Bc`) to $LANEBENCH_BYTECODE_DIR at exit. Then the project's own
sitecustomize, if any, is imported as it would have been."""

import os
import sys

_OUT = os.environ.get("LANEBENCH_BYTECODE_DIR")


def _install(out: str) -> None:
    import atexit
    import threading

    counts: dict = {}

    def local(frame, event, arg):
        if event == "opcode":
            code = frame.f_code
            counts[code] = counts.get(code, 0) + 1
        return local

    def start(frame, event, arg):
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return local

    def write() -> None:
        sys.settrace(None)
        by_function: dict = {}
        for code, n in counts.items():
            key = (code.co_filename, getattr(code, "co_qualname", code.co_name))
            by_function[key] = by_function.get(key, 0) + n
        lines = ["desc: Python bytecodes executed per function", f"cmd: {sys.executable}",
                 "events: Bc"]
        for (file, function), n in sorted(by_function.items()):
            lines += [f"fl={file}", f"fn={function}", f"0 {n}"]
        lines.append(f"summary: {sum(by_function.values())}")
        path = os.path.join(out, f"bc.out.{os.getpid()}")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")

    atexit.register(write)
    threading.settrace(start)
    sys.settrace(start)


def _chain() -> None:
    """Import the sitecustomize this one shadows (the project's or the environment's)."""
    here = os.path.dirname(os.path.abspath(__file__))
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    module = sys.modules.pop("sitecustomize", None)
    try:
        import sitecustomize  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        if module is not None:
            sys.modules["sitecustomize"] = module
    finally:
        sys.path[:] = saved


if _OUT:
    _install(_OUT)
_chain()
