"""JSON from files lanebench did not write itself: bounded, and as RFC 8259 defines it.

A results file may come from anywhere (a fork's pull request, a hand edit), so reading
checks limits before work that grows with them: the file's size before it is read, the
nesting depth and string lengths before anything walks the values.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from lanebench.errors import ResultsError

MAX_RESULTS_BYTES = 64 * 1024 * 1024  # the baseline artifact's per-file limit (baseline.py)
MAX_JSON_DEPTH = 32  # lanebench writes 5 levels; newer minor versions get room to grow
MAX_STRING_LENGTH = 64 * 1024  # any string: notes, stderr tails, environment values


class ResultsLimitError(ResultsError):
    """A results file over a limit or with an unfit name; `reason` names which:
    too-large, too-many-benchmarks, bad-benchmark-name or bad-metric-name."""

    def __init__(self, reason: str, message: str, *, hint: str | None = None) -> None:
        self.reason = reason
        super().__init__(message, hint=hint)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large for a float")
    return value


def parse_json(text: str | bytes) -> Any:
    """JSON as RFC 8259 defines it, nested at most MAX_JSON_DEPTH deep.

    Python's json module also reads NaN, Infinity and numbers that overflow to infinity,
    none of which a results file may hold. Raises json.JSONDecodeError for syntax errors
    and ValueError, with a message for a person, for everything else.
    """
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        message = str(exc)
        if "integer string conversion" in message:  # Python's limit on int digits
            message = "a number has too many digits"
        raise ValueError(message) from None
    check_json_shape(data)
    return data


def check_json_shape(data: Any) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH and strings longer than MAX_STRING_LENGTH.

    Iterative, so that depth costs no stack; linear in the number of values.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if isinstance(key, str) and len(key) > MAX_STRING_LENGTH:
                raise ValueError(f"a key is {len(key)} characters long (limit {MAX_STRING_LENGTH})")
            if isinstance(value, str):
                if len(value) > MAX_STRING_LENGTH:
                    raise ValueError(
                        f"a string is {len(value)} characters long (limit {MAX_STRING_LENGTH})"
                    )
            elif isinstance(value, (dict, list)):
                stack.append((value, depth + 1))


def _read_bounded(p: Path, what: str, max_bytes: int) -> bytes:
    try:
        with open(p, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise ResultsLimitError(
                    "too-large",
                    f"{p}: {what} is {size} bytes, over the limit of {max_bytes} bytes",
                    hint="results files hold at most 1000 benchmarks; run fewer iterations",
                )
            raw = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise ResultsError(f"{p}: {what} not found") from None
    except IsADirectoryError:
        raise ResultsError(f"{p}: {what} is a directory, not a file") from None
    except OSError as exc:
        raise ResultsError(f"{p}: cannot read {what}: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:  # a file that grows while it is read, or not a regular file
        raise ResultsLimitError("too-large", f"{p}: {what} is over the limit of {max_bytes} bytes")
    return raw


def load_json_file(
    path: Path | str, what: str = "results file", *, max_bytes: int = MAX_RESULTS_BYTES
) -> Any:
    """Read JSON with errors that distinguish missing, oversized, truncated and malformed files."""
    p = Path(path)
    raw = _read_bounded(p, what, max_bytes)
    if not raw.strip():
        raise ResultsError(f"{p}: {what} is empty", hint="the run that wrote it did not finish")
    try:
        return parse_json(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ResultsError(f"{p}: {what} is not UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        end = len(raw.rstrip())
        if exc.pos >= end - 1 or "Unterminated" in exc.msg or "Expecting" in exc.msg and exc.pos >= end - 2:
            raise ResultsError(
                f"{p}: {what} is truncated (JSON ends early at byte {exc.pos} of {len(raw)})",
                hint="the run that wrote it was cut short; re-run it, or use `lanebench run --resume`",
            ) from None
        raise ResultsError(
            f"{p}: {what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise ResultsError(f"{p}: {what} is not valid: {exc}") from None
