"""Read cachegrind output files into per-function totals, merged over a process tree.

The format (valgrind's manual, "Cachegrind output file format"; unchanged in substance
from 3.x to the Python rewrite of cg_annotate in 3.21):

    desc: <text>                 zero or more; the simulated cache geometry, when simulated
    cmd: <command line>          the profiled command; an argument holding a newline
                                 continues on the following lines, up to `events:`
    events: Ir [I1mr ILmr ...]   the column names
    fl=<source file>             sets the current file (and, in cg_annotate 3.21+, resets
                                 the function to "<unspecified>")
    fn=<function>                sets the current function
    <line> <count> <count> ...   counts of the current (file, function); fewer counts than
                                 events means zeros; "." is a zero (older writers)
    summary: <count> ...         the totals, checked against the sum of the count lines

One file is written per process (`--cachegrind-out-file=<dir>/cg.out.%p`), so a command's
profile is the merge of every file its process tree left.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lanebench.errors import ResultsError

UNSPECIFIED = "<unspecified>"

FunctionKey = tuple[str, str]  # (source file, function)


class ProfileError(ResultsError):
    """A cachegrind output file is missing, truncated or not in cachegrind's format."""


@dataclass
class Profile:
    """Counts per (source file, function) for each event, plus the run's description.

    `processes` counts the output files merged into it; `commands` holds each process's
    command line, `desc` the distinct `desc:` lines (the simulated caches).
    """

    events: tuple[str, ...]
    functions: dict[FunctionKey, list[int]] = field(default_factory=dict)
    totals: list[int] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    desc: list[str] = field(default_factory=list)
    processes: int = 0

    def total(self, event: str = "Ir") -> int:
        """The sum of one event over every function; 0 when the event was not collected."""
        if event not in self.events:
            return 0
        return self.totals[self.events.index(event)]

    def counts(self, event: str = "Ir") -> dict[FunctionKey, int]:
        """One event's count per function (functions with a zero count left out)."""
        if event not in self.events:
            return {}
        i = self.events.index(event)
        return {key: c[i] for key, c in self.functions.items() if c[i]}


def _counts(fields: Sequence[str], n_events: int, where: str) -> list[int]:
    if len(fields) > n_events:
        raise ProfileError(f"{where}: {len(fields)} counts for {n_events} events")
    try:
        values = [0 if f == "." else int(f) for f in fields]
    except ValueError:
        raise ProfileError(f"{where}: a count is not a number: {' '.join(fields)[:80]}") from None
    values.extend([0] * (n_events - len(values)))
    return values


def parse_cachegrind(text: str, source: str = "<cachegrind output>") -> Profile:
    """Parse one cachegrind output file's text. Raises ProfileError naming file and line."""
    lines = text.splitlines()
    desc: list[str] = []
    cmd_parts: list[str] = []
    events: tuple[str, ...] | None = None
    i = 0
    while i < len(lines) and events is None:
        line = lines[i]
        if line.startswith("desc:") and not cmd_parts:
            desc.append(line[5:].strip())
        elif line.startswith("cmd:") and not cmd_parts:
            cmd_parts.append(line[4:].strip())
        elif line.startswith("events:"):
            events = tuple(line[7:].split())
        elif cmd_parts:
            cmd_parts.append(line)  # an argument with a newline in it
        elif line.strip() and not line.startswith("#"):
            raise ProfileError(f"{source}:{i + 1}: expected desc:, cmd: or events:, got {line[:60]!r}")
        i += 1
    if events is None or not events:
        raise ProfileError(f"{source}: no `events:` line; not a cachegrind output file")
    n = len(events)
    functions: dict[FunctionKey, list[int]] = {}
    current_file = ""
    current: list[int] | None = None
    current_key: FunctionKey = ("", UNSPECIFIED)
    summary: list[int] | None = None
    for j in range(i, len(lines)):
        line = lines[j]
        if not line or line.startswith("#"):
            continue
        first = line[0]
        if first.isdigit():
            fields = line.split()
            counts = _counts(fields[1:], n, f"{source}:{j + 1}")
            if current is None:
                current = functions.setdefault(current_key, [0] * n)
            for k, value in enumerate(counts):
                current[k] += value
        elif line.startswith("fn="):
            current_key = (current_file, line[3:])
            current = None
        elif line.startswith("fl="):
            current_file = line[3:]
            current_key = (current_file, UNSPECIFIED)
            current = None
        elif line.startswith("summary:"):
            summary = _counts(line[8:].split(), n, f"{source}:{j + 1}")
        else:
            raise ProfileError(f"{source}:{j + 1}: not a cachegrind line: {line[:60]!r}")
    totals = [sum(c[k] for c in functions.values()) for k in range(n)]
    if summary is None:
        raise ProfileError(
            f"{source}: no `summary:` line; the file is truncated (did the process get killed "
            "before valgrind wrote it?)"
        )
    if summary != totals:
        raise ProfileError(
            f"{source}: the `summary:` line ({summary}) does not match the sum of the counts "
            f"({totals}); the file is damaged"
        )
    return Profile(
        events=events,
        functions=functions,
        totals=totals,
        commands=["\n".join(cmd_parts)],
        desc=desc,
        processes=1,
    )


def read_cachegrind(path: Path | str) -> Profile:
    """Read one cachegrind output file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise ProfileError(f"cannot read {p}: {err.strerror or err}") from None
    return parse_cachegrind(text, str(p))


def merge(profiles: Iterable[Profile]) -> Profile:
    """One profile holding the sums of several (the processes of one command's tree)."""
    merged: Profile | None = None
    for p in profiles:
        if merged is None:
            merged = Profile(events=p.events, totals=[0] * len(p.events))
        if p.events != merged.events:
            raise ProfileError(
                f"cannot merge profiles with different events ({' '.join(merged.events)} vs "
                f"{' '.join(p.events)}): they were made with different cachegrind options"
            )
        for key, counts in p.functions.items():
            into = merged.functions.setdefault(key, [0] * len(counts))
            for k, value in enumerate(counts):
                into[k] += value
        merged.totals = [a + b for a, b in zip(merged.totals, p.totals, strict=True)]
        merged.commands.extend(p.commands)
        merged.desc.extend(d for d in p.desc if d not in merged.desc)
        merged.processes += p.processes
    if merged is None:
        raise ProfileError("no cachegrind output files to merge")
    return merged


def read_tree(directory: Path | str, pattern: str = "cg.out.*") -> Profile:
    """Merge every cachegrind output file of one run's process tree (one file per process)."""
    files = sorted(Path(directory).glob(pattern))
    if not files:
        raise ProfileError(
            f"no cachegrind output ({pattern}) in {directory}: the command did not start under "
            "valgrind, or every process of it was killed before valgrind could write its counts"
        )
    return merge(read_cachegrind(f) for f in files)
