"""The `.github/lanebench.yml` that `lanebench init` writes: YAML with a comment per
benchmark saying what it was found from, checked by the project's own config loader."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import yaml

from lanebench.config import Config, config_from_dict
from lanebench.formatting import format_duration
from lanebench.init.model import Proposal, Trial
from lanebench.init.plan import Plan

HEADER = """\
# lanebench configuration, proposed by `lanebench init` (docs/init.md).
# Each benchmark says what it was found from; edit freely, then check with
#   lanebench validate {path}
# and measure a first baseline with `lanebench baseline`.
# Reference: docs/lanes.md (lanes and iterations), the JSON Schema from `lanebench schema`.
"""


@dataclass
class Choice:
    """A proposal, how its one run went, and whether it goes in the config."""

    proposal: Proposal
    trial: Trial
    include: bool

    @property
    def why_left_out(self) -> str:
        if self.proposal.duplicate_of is not None:
            return f"runs what {self.proposal.duplicate_of} runs"
        if self.trial.status in ("ok", "not-run"):
            return "left out when asked"
        return f"its trial run {self.trial.status}: {self.trial.message}"


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=None, width=100,
                          allow_unicode=True)


def _indented_item(entry: dict[str, Any]) -> list[str]:
    lines = _dump(entry).rstrip("\n").splitlines()
    return ["  - " + lines[0], *("    " + line for line in lines[1:])]


def _comment(choice: Choice) -> list[str]:
    proposal, trial = choice.proposal, choice.trial
    lines = [f"  # {proposal.found}", f"  # found in: {proposal.where_text}"]
    if trial.status == "ok" and trial.wall is not None:
        took = f"  # one run took {format_duration(trial.wall)} here"
        if trial.setup_wall is not None:
            took += f" (setup {format_duration(trial.setup_wall)})"
        lines.append(took)
    elif trial.status == "not-run":
        lines.append(f"  # not run here: {trial.message}")
    for note in proposal.notes:
        lines += [f"  # {line}" for line in textwrap.wrap(note, 94, subsequent_indent="  ", break_on_hyphens=False)]
    if proposal.harness is not None:
        lines.append(f"  # harness: {proposal.harness.format}")
    return lines


def render_config(choices: list[Choice], plan: Plan | None, path: str) -> str:
    """The config file's text. Left-out proposals stay as comments, with the reason."""
    out = [HEADER.format(path=path).rstrip("\n"), "version: 1", ""]
    setups = [c.proposal.setup for c in choices if c.include and c.proposal.setup]
    if setups:
        out.append("# Run once per tree before measuring (builds what the benchmarks run).")
        out += _dump({"setup": " && ".join(dict.fromkeys(s for s in setups if s))}).splitlines()
        out.append("")
    out.append("benchmarks:")
    for choice in (c for c in choices if c.include):
        out += _comment(choice)
        out += _indented_item(choice.proposal.config_entry())
        out.append("")
    left_out = [c for c in choices if not c.include]
    if left_out:
        out.append("  # Found but left out:")
        for choice in left_out:
            out += _comment(choice)
            out.append(f"  # left out: {choice.why_left_out}")
            out += ["  # " + line[2:] for line in _indented_item(choice.proposal.config_entry())]
            out.append("")
    if plan is not None and plan.defaults:
        for note in plan.notes:
            out += [f"# {line}" for line in textwrap.wrap(note, 96, break_on_hyphens=False)]
        out += _dump({"defaults": plan.defaults}).splitlines()
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def check_config(text: str, source: str) -> Config:
    """Validate the rendered text with the config loader's own rules (ConfigError if not)."""
    return config_from_dict(yaml.safe_load(text), source=source)
