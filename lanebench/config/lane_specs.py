"""Lane definitions in the config file: `when:` conditions, `extend:` and the built-in lanes.

A lane is a LaneSettings plus the conditions that select it. Lanes are evaluated in
file order (the built-ins: docs, heavy, standard); the first whose `when` matches wins,
and the last lane, which has no `when`, is the fallback. A `lanes:` key replaces the
built-ins entirely. `defaults:` at the top level and `extend:` are merged at the dict
level before validation, so every resolved lane is a complete LaneSettings. What the
user wrote wins over what lanebench suggests: `defaults:` over a built-in lane's values,
a lane's own keys over `defaults:` and `extend:`.
"""

from __future__ import annotations

import copy
import re
from typing import Annotated, Any

import pathspec
from pydantic import AfterValidator, Field, field_validator, model_validator

from lanebench.config.model import LaneSettings, StrictModel

# What counts as documentation. Files matching none of these are "code files": the ones
# `min_files` and `min_lines` count. Later patterns win, so the `!` lines take back
# text files that are build inputs, not prose.
DOC_PATTERNS: list[str] = [
    "**/*.md",
    "**/*.rst",
    "**/*.txt",
    "docs/**",
    "LICENSE*",
    ".github/ISSUE_TEMPLATE/**",
    "!requirements*.txt",
    "!constraints*.txt",
    "!CMakeLists.txt",
]

# Dependency manifests and lock files: a change here can move every benchmark.
MANIFEST_PATTERNS: list[str] = [
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "requirements*.txt",
    "constraints*.txt",
    "Pipfile",
    "package.json",
    "package-lock.json",
    "pnpm-lock.yaml",
    "Cargo.toml",
    "go.mod",
    "go.sum",
    "Gemfile",
    "*.lock",
]

HEAVY_MIN_FILES = 6  # more than 5 code files
HEAVY_MIN_LINES = 501  # more than 500 changed code lines

DEFAULT_LANES: dict[str, dict[str, Any]] = {
    "docs": {
        "description": "Documentation-only changes: nothing to measure.",
        "when": [{"all_match": DOC_PATTERNS}],
        "run": False,
        "budget": "5min",
    },
    "heavy": {
        "description": "Large or risky changes: more iterations, a bigger budget.",
        "when": [
            {"min_files": HEAVY_MIN_FILES},
            {"min_lines": HEAVY_MIN_LINES},
            {"any_match": MANIFEST_PATTERNS},
        ],
        "min_iterations": 15,
        "max_iterations": 60,
        "budget": "20min",
    },
    "standard": {
        "description": "Everything else, and the fallback when nothing else matches.",
        "budget": "15min",
    },
}

LANE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_NOT_INHERITED = ("when", "description", "extend")


def check_patterns(patterns: list[str]) -> list[str]:
    """Reject patterns that gitignore syntax cannot parse, naming the bad one."""
    for pattern in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except Exception as exc:  # pathspec raises its own error types per pattern syntax
            raise ValueError(f"invalid gitignore-style pattern {pattern!r} ({exc})") from None
    return patterns


# A list of gitignore-style patterns, checked when the config is loaded.
PatternList = Annotated[list[str], AfterValidator(check_patterns)]


class When(StrictModel):
    """One condition block: every key present must hold (AND). Blocks are OR-ed."""

    all_match: list[str] | None = Field(
        None,
        description="Every changed file matches these gitignore-style patterns "
        "(needs at least one file and a complete file list).",
    )
    any_match: list[str] | None = Field(
        None, description="At least one changed file matches these patterns."
    )
    min_files: int | None = Field(
        None, ge=0, description="At least this many code files (files not matching docs_patterns)."
    )
    min_lines: int | None = Field(
        None, ge=0, description="At least this many changed lines (added + deleted) in code files."
    )
    labels: list[str] | None = Field(
        None, description="The pull request carries one of these labels (case-insensitive)."
    )

    @field_validator("all_match", "any_match")
    @classmethod
    def _valid_patterns(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("expected at least one pattern")
        return None if value is None else check_patterns(value)

    @model_validator(mode="after")
    def _not_empty(self) -> When:
        if all(getattr(self, key) is None for key in type(self).model_fields):
            raise ValueError(
                "an empty condition block would match every change; use all_match, "
                "any_match, min_files, min_lines or labels (omit `when` for the fallback lane)"
            )
        return self


def _when_schema(schema: dict[str, Any]) -> None:
    # `when:` also accepts a single block; say so in the schema editors read.
    array = next(branch for branch in schema["anyOf"] if branch.get("type") == "array")
    schema["anyOf"].insert(1, copy.deepcopy(array["items"]))


class LaneSpec(LaneSettings):
    """A named lane: settings plus the conditions that select it."""

    when: list[When] | None = Field(
        None,
        description="A condition block, or a list of blocks of which any may match (OR of ANDs); "
        "no `when` makes this the fallback lane, which must come last.",
        json_schema_extra=_when_schema,
    )
    extend: str | None = Field(
        None,
        description="A lane whose settings (not conditions) this lane inherits: one of yours, "
        "or a built-in (docs, heavy, standard) that your lanes do not redefine.",
    )
    description: str | None = None

    @field_validator("when", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return [value]
        if isinstance(value, list) and not value:
            raise ValueError("expected at least one condition block; omit `when` for the fallback lane")
        return value


def default_lanes(
    docs_patterns: list[str] | None = None, critical_paths: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """The built-in lanes as raw config dicts, shaped by the top-level pattern keys."""
    lanes = copy.deepcopy(DEFAULT_LANES)
    if docs_patterns is not None:
        lanes["docs"]["when"] = [{"all_match": list(docs_patterns)}]
    if critical_paths:
        lanes["heavy"]["when"].append({"any_match": list(critical_paths)})
    return lanes


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _string_list(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _under_defaults(lane: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """A built-in lane with what the user wrote under `defaults:` over its own values.

    The built-in values are suggestions: `defaults: {max_iterations: 20}` means 20 in every
    lane, heavy included. Only `run` stays the lane's (a docs lane that ran would not be
    one). A built-in iteration bound that would contradict the user's other bound moves to
    it. Asking for the built-in values anyway: define `lanes:` with `extend: heavy`.
    """
    mine = {k: v for k, v in defaults.items() if k != "run"}
    merged = _merge(_merge(defaults, lane), mine)
    low, high = merged.get("min_iterations"), merged.get("max_iterations")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        if "max_iterations" in mine and "min_iterations" not in mine:
            merged["min_iterations"] = high
        elif "min_iterations" in mine and "max_iterations" not in mine and "max_iterations" in lane:
            merged["max_iterations"] = low
    return merged


def resolve_lanes(
    raw_lanes: Any,
    defaults: dict[str, Any],
    *,
    docs_patterns: Any = None,
    critical_paths: Any = None,
) -> Any:
    """Merge `defaults` and `extend` chains into each lane's raw dict.

    `raw_lanes` None means the built-in lanes. Returns the input untouched when it is
    not a mapping of mappings, so that validation reports the type error at the right
    key path.
    """
    if raw_lanes is not None and critical_paths:
        raise ValueError(
            "critical_paths: only the built-in heavy lane reads it; with your own `lanes:`, "
            "put the patterns in a lane's `when: {any_match: [...]}`"
        )
    if raw_lanes is None:
        builtin = default_lanes(_string_list(docs_patterns), _string_list(critical_paths))
        return {name: _under_defaults(lane, defaults) for name, lane in builtin.items()}
    if not isinstance(raw_lanes, dict) or not all(isinstance(v, dict) for v in raw_lanes.values()):
        return raw_lanes
    builtins = default_lanes()
    resolved: dict[str, Any] = {}

    def settings_of(raw: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in raw.items() if k not in _NOT_INHERITED}

    def resolve(name: str, chain: tuple[str, ...]) -> dict[str, Any]:
        if name in resolved:
            return resolved[name]
        lane = raw_lanes[name]
        parent = lane.get("extend")
        if parent is None or not isinstance(parent, str):
            base = dict(defaults)
        elif parent == name and parent in builtins:
            # `heavy: {extend: heavy}` can only mean the built-in lane of that name
            base = _merge(defaults, settings_of(builtins[parent]))
        elif parent not in raw_lanes:
            if parent in builtins:
                base = _merge(defaults, settings_of(builtins[parent]))
            else:
                base = dict(defaults)  # validation names the bad reference
        elif parent in chain:
            raise ValueError(
                f"lanes.{name}.extend: circular extend: {' -> '.join(chain + (parent,))}"
            )
        else:
            base = settings_of(resolve(parent, chain + (parent,)))
        merged = _merge(base, lane)
        resolved[name] = merged
        return merged

    for name in raw_lanes:
        resolve(name, (name,))
    return {name: resolved[name] for name in raw_lanes}


def known_extend_targets(lanes: dict[str, Any]) -> list[str]:
    """Names `extend:` may use: the configured lanes, then built-ins they do not shadow."""
    return list(lanes) + [n for n in DEFAULT_LANES if n not in lanes]


def check_lane_order(lanes: dict[str, LaneSpec]) -> None:
    """Every lane must be reachable and exactly the last one is the fallback."""
    if not lanes:
        raise ValueError(
            "lanes: no lanes defined; omit `lanes:` for the built-in docs, heavy and standard "
            "lanes, or define at least one"
        )
    names = list(lanes)
    for name in names:
        if not LANE_NAME.match(name):
            raise ValueError(
                f'lanes: lane name "{name}" must start with a letter or digit and use only '
                "letters, digits, '_', '.' and '-' (it appears in labels and outputs)"
            )
    folded: dict[str, str] = {}
    for name in names:
        other = folded.setdefault(name.casefold(), name)
        if other != name:
            raise ValueError(f'lanes: lane names "{other}" and "{name}" differ only in case')
    for index, name in enumerate(names[:-1]):
        if lanes[name].when is None:
            later = ", ".join(names[index + 1 :])
            raise ValueError(
                f"lanes.{name}: a lane without `when` matches every change, so the lanes after "
                f"it ({later}) could never be chosen; move it last or give it a `when`"
            )
    last = names[-1]
    if lanes[last].when is not None:
        raise ValueError(
            f"lanes.{last}: the last lane is the fallback and must have no `when` "
            f"(add a final lane without `when`, e.g. `standard: {{}}`)"
        )
