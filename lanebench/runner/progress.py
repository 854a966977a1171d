"""What the user sees while benchmarks run, on stderr.

A rich progress bar on a terminal; plain per-iteration lines when stderr is not a
TTY (CI logs); inside GitHub Actions each benchmark's lines are folded into a
`::group::`. The bar is refreshed only when an iteration ends (no refresh thread
competing with the measured command for CPU).
"""

from __future__ import annotations

import os
import statistics
import sys
from typing import TYPE_CHECKING, TextIO

from lanebench.formatting import format_duration, format_size
from lanebench.runner.sample import Run

if TYPE_CHECKING:
    from rich.progress import TaskID

TAIL_LINES = 10


def _iteration_summary(record: Run) -> str:
    m = record.metrics
    shown = [(key, fmt(m[key])) for key, fmt in (("wall", format_duration), ("cpu", format_duration),
                                                   ("maxrss", format_size),
                                                   ("instructions", "{:,.0f}".format)) if key in m]
    text = ", ".join(f"{key} {value}" for key, value in shown) or f"wall {format_duration(record.seconds)}"
    if record.leftovers:
        text += f", killed {record.leftovers} leftover process(es)"
    return text


def _tail_lines(text: str, limit: int = TAIL_LINES) -> list[str]:
    return text.rstrip("\n").splitlines()[-limit:] if text.strip() else []


class Progress:
    """Silent progress; the base of the visible kinds."""

    def start(self, lane: str, names: list[str]) -> None:
        pass

    def benchmark_started(self, name: str, label: str, total: int) -> None:
        pass

    def iteration(self, name: str, phase: str, index: int, total: int, record: Run,
                  side: str | None = None) -> None:
        """One run ended: the `index`-th of `total` samples of its phase (`side` names
        which side of a pair it measured)."""

    def benchmark_finished(self, name: str, status: str, walls: list[float], notes: list[str]) -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def _finished_line(name: str, status: str, walls: list[float], notes: list[str]) -> str:
    line = f"[{name}] {status}: {len(walls)} samples"
    if walls:
        line += f", median wall {format_duration(statistics.median(walls))}"
    for note in notes:
        line += f"; {note}"
    return line


class PlainProgress(Progress):
    """One line per iteration, for logs."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start(self, lane: str, names: list[str]) -> None:
        self._print(f"lanebench: lane {lane}: {len(names)} benchmark(s): {', '.join(names)}")

    def iteration(self, name: str, phase: str, index: int, total: int, record: Run,
                  side: str | None = None) -> None:
        where = f"[{name}] {'warmup ' if phase == 'warmup' else ''}{index}/{total}"
        if side is not None:
            where += f" {side}"
        if record.ok:
            self._print(f"{where}: {_iteration_summary(record)}")
            return
        self._print(f"{where}: {record.status.upper()}: {record.message}")
        for line in _tail_lines(record.stderr_tail):
            self._print(f"    | {line}")

    def benchmark_finished(self, name: str, status: str, walls: list[float], notes: list[str]) -> None:
        self._print(_finished_line(name, status, walls, notes))

    def message(self, text: str) -> None:
        self._print(f"lanebench: {text}")


class GitHubProgress(PlainProgress):
    """Plain lines folded per benchmark with `::group::`; failures repeated outside the fold."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._failures: list[str] = []
        self._open = False

    def benchmark_started(self, name: str, label: str, total: int) -> None:
        self._failures = []
        self._print(f"::group::{label}")
        self._open = True

    def iteration(self, name: str, phase: str, index: int, total: int, record: Run,
                  side: str | None = None) -> None:
        super().iteration(name, phase, index, total, record, side)
        if not record.ok:
            where = f"iteration {index}" + (f" ({side})" if side else "")
            self._failures.append(f"[{name}] {where}: {record.status}: {record.message}")

    def benchmark_finished(self, name: str, status: str, walls: list[float], notes: list[str]) -> None:
        if self._open:
            self._print("::endgroup::")
            self._open = False
        for line in self._failures:
            self._print(line)
        self._failures = []
        super().benchmark_finished(name, status, walls, notes)


class RichProgress(Progress):
    """A progress bar per benchmark on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        self.console = Console(file=stream)
        self.bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[last]}"),
            console=self.console,
            auto_refresh=False,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.bar.start()

    def benchmark_started(self, name: str, label: str, total: int) -> None:
        self.tasks[name] = self.bar.add_task(label, total=total, last="")
        self.bar.refresh()

    def iteration(self, name: str, phase: str, index: int, total: int, record: Run,
                  side: str | None = None) -> None:
        task = self.tasks.get(name)
        if task is None:
            return
        if record.ok:
            last = ("warmup " if phase == "warmup" else "") + format_duration(record.seconds)
            # a pair advances the bar once, with its head run
            advance = 0 if phase == "warmup" or side not in (None, "head") else 1
            self.bar.update(task, advance=advance, total=total, last=last)
        else:
            self.bar.update(task, total=total, last=f"[red]{record.status}[/red]")
            self.console.print(f"[red]{name}[/red] iteration {index}: {record.status}: {record.message}",
                               markup=True, highlight=False)
            for line in _tail_lines(record.stderr_tail):
                self.console.print(f"    | {line}", markup=False, highlight=False)
        self.bar.refresh()

    def benchmark_finished(self, name: str, status: str, walls: list[float], notes: list[str]) -> None:
        task = self.tasks.get(name)
        if task is not None:
            self.bar.update(task, last=status if status != "ok" else "")
            self.bar.refresh()
        for note in notes:
            self.console.print(f"{name}: {note}", markup=False, highlight=False)

    def message(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def close(self) -> None:
        self.bar.stop()


def make_progress(stream: TextIO | None = None) -> Progress:
    """The right kind for where stderr goes: GitHub Actions, a terminal, or a plain log."""
    stream = stream or sys.stderr
    if os.environ.get("GITHUB_ACTIONS") == "true":
        return GitHubProgress(stream)
    if stream.isatty():
        return RichProgress(stream)
    return PlainProgress(stream)
