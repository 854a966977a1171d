"""Lane definitions in the config file: `when:` conditions, `extend:` and the defaults.

A lane is a LaneSettings plus the conditions that select it. Lanes are evaluated in
file order (the defaults: docs, heavy, standard); the first whose `when` matches wins.
`defaults:` at the top level and `extend:` are merged at the dict level before
validation, so every resolved lane is a complete LaneSettings.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import Field

from lanebench.config.model import LaneSettings, StrictModel


class When(StrictModel):
    """One condition block: every key present must hold (AND)."""

    all_match: list[str] | None = Field(
        None, description="Every changed file matches one of these gitignore-style patterns."
    )
    any_match: list[str] | None = Field(
        None, description="At least one changed file matches one of these patterns."
    )
    min_files: int | None = Field(None, ge=0, description="At least this many code files changed.")
    min_lines: int | None = Field(None, ge=0, description="At least this many lines changed.")
    labels: list[str] | None = Field(None, description="The PR carries one of these labels.")


class LaneSpec(LaneSettings):
    """A named lane: settings plus the conditions that select it."""

    when: list[When] | None = Field(
        None, description="Condition blocks (OR of ANDs); no `when` means the lane always matches."
    )
    extend: str | None = Field(None, description="Name of a lane whose settings this lane inherits.")
    description: str | None = None


DOC_PATTERNS = [
    "**/*.md",
    "**/*.rst",
    "**/*.txt",
    "docs/**",
    "LICENSE*",
    ".github/ISSUE_TEMPLATE/**",
]
MANIFEST_PATTERNS = [
    "pyproject.toml",
    "**/pyproject.toml",
    "requirements*.txt",
    "**/requirements*.txt",
    "package.json",
    "**/package.json",
    "Cargo.toml",
    "**/Cargo.toml",
    "go.mod",
    "**/go.mod",
    "*.lock",
    "**/*.lock",
]

DEFAULT_LANES: dict[str, dict[str, Any]] = {
    "docs": {
        "description": "Documentation-only changes: nothing to measure.",
        "when": [{"all_match": DOC_PATTERNS}],
        "run": False,
        "budget": "5min",
    },
    "heavy": {
        "description": "Large or risky changes: more iterations, tighter thresholds.",
        "when": [{"min_files": 6}, {"min_lines": 501}, {"any_match": MANIFEST_PATTERNS}],
        "min_iterations": 15,
        "max_iterations": 60,
        "budget": "20min",
    },
    "standard": {
        "description": "Everything else.",
        "budget": "15min",
    },
}


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_lanes(raw_lanes: Any, defaults: dict[str, Any]) -> Any:
    """Merge `defaults` and `extend` chains into each lane's raw dict.

    Returns the input untouched when it is not a mapping of mappings, so that
    validation reports the type error at the right key path.
    """
    if raw_lanes is None:
        raw_lanes = DEFAULT_LANES
    if not isinstance(raw_lanes, dict) or not all(isinstance(v, dict) for v in raw_lanes.values()):
        return raw_lanes
    resolved: dict[str, Any] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> dict[str, Any]:
        if name in resolved:
            return resolved[name]
        lane = raw_lanes[name]
        parent = lane.get("extend")
        if parent is None:
            base = dict(defaults)
        elif not isinstance(parent, str) or parent not in raw_lanes:
            base = dict(defaults)  # validation below names the bad reference
        elif parent in chain:
            raise ValueError(f"lanes.{name}.extend: circular extend: {' -> '.join(chain + (parent,))}")
        else:
            base = {k: v for k, v in resolve(parent, chain + (parent,)).items() if k not in ("when", "description")}
        merged = _merge(base, lane)
        resolved[name] = merged
        return merged

    for name in raw_lanes:
        resolve(name, (name,))
    return {name: resolved[name] for name in raw_lanes}
