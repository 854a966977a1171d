"""What `lanebench init` proposes: one benchmark per thing it found, saying what and where.

A proposal keeps both ways to run what it found: the plain command lanebench measures
as a whole process today, and, for a benchmark harness, the harness's format name and
the command that writes its own results file (`{output}`), for the config entry
`harness: <format>` (docs/harnesses.md). `HARNESS_ENTRIES` picks which one is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# The config has no `harness:` entries yet: every proposal is written as a plain command.
# Once the config accepts them, True makes each harness proposal a `harness:` entry.
HARNESS_ENTRIES = False

TrialStatus = Literal["ok", "failed", "timeout", "error", "not-run"]


@dataclass(frozen=True)
class Location:
    """Where something was found: a file relative to the project root, and a line in it."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class HarnessRun:
    """How the harness writes its own results: the command with `{output}` where the file
    goes (`output="file"`), or reading the command's stdout (`output="stdout"`)."""

    format: str
    command: list[str] | None = None
    output: Literal["file", "stdout"] = "file"


@dataclass
class Proposal:
    """One benchmark to propose, and what it was found from."""

    name: str
    found: str  # what was found, e.g. "pytest-benchmark suite (12 tests using `benchmark`)"
    where: list[Location]
    command: list[str] | str
    detector: str  # which detector found it, e.g. "pytest-benchmark"
    shell: bool = False
    cwd: str = "."
    env: dict[str, str] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    harness: HarnessRun | None = None
    setup: str | None = None  # a command the benchmark needs run once first (a build)
    needs: list[str] = field(default_factory=list)  # programs it runs, e.g. ["go"]
    pip: list[str] = field(default_factory=list)  # Python packages its command imports
    notes: list[str] = field(default_factory=list)
    # True for a benchmark lanebench made up because the project had none
    fallback: bool = False
    timeout: float | None = None
    # another proposal that runs the same script (a Makefile target running a pyperf
    # script): left out by default, so one round does not run the work twice
    duplicate_of: str | None = None

    @property
    def where_text(self) -> str:
        return ", ".join(str(w) for w in self.where) or "(project)"

    @property
    def command_text(self) -> str:
        if isinstance(self.command, str):
            return self.command
        import shlex

        return shlex.join(self.command)

    def config_entry(self, harness_entries: bool | None = None) -> dict[str, Any]:
        """The benchmark's entry in `.github/lanebench.yml`, keys in the order people read."""
        use_harness = HARNESS_ENTRIES if harness_entries is None else harness_entries
        entry: dict[str, Any] = {"name": self.name}
        if use_harness and self.harness is not None and self.harness.command is not None:
            entry["harness"] = self.harness.format
            entry["command"] = list(self.harness.command)
            entry["output"] = self.harness.output
        else:
            entry["command"] = self.command if isinstance(self.command, str) else list(self.command)
            if self.shell:
                entry["shell"] = True
        if self.cwd != ".":
            entry["cwd"] = self.cwd
        if self.env:
            entry["env"] = dict(self.env)
        if self.paths:
            entry["paths"] = list(self.paths)
        if self.timeout is not None:
            entry["timeout"] = f"{int(self.timeout)}s"
        return entry


@dataclass(frozen=True)
class Trial:
    """One run of a proposal before writing it: did it work, and how long did it take."""

    status: TrialStatus
    wall: float | None = None
    message: str = ""
    setup_wall: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class Finding:
    """Something that looks like a benchmark but cannot be proposed as one, and why."""

    found: str
    where: list[Location]
    reason: str

    @property
    def where_text(self) -> str:
        return ", ".join(str(w) for w in self.where)
