"""Load and validate the config file; every problem becomes one line with its key path."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lanebench.config.lane_specs import LaneSpec, When, resolve_lanes
from lanebench.config.model import BenchmarkSpec, LaneSettings, StatsSettings, Thresholds
from lanebench.config.root import Config
from lanebench.errors import ConfigError

DEFAULT_CONFIG_PATH = Path(".github") / "lanebench.yml"
# A config is written by hand: 1 MiB holds 1000 benchmarks of 1 KiB each. Larger files
# are refused before YAML parses them.
MAX_CONFIG_BYTES = 1024 * 1024
# Deeper than any key path the schema has (lanes.x.sla[0].benchmarks[0] is 5 levels).
MAX_CONFIG_DEPTH = 32
# YAML aliases can repeat one node many times over ("billion laughs"); validation walks
# every repetition, so the walk is bounded by this many values.
MAX_CONFIG_VALUES = 1_000_000
# libyaml's parser when PyYAML was built with it: 10-20x faster than the pure-Python
# one, and it refuses nesting beyond 1000 levels itself.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Problems listed at most; the rest are counted. One mistake repeated across 70,000
# entries is one fix, not 70,000 lines.
MAX_ERROR_LINES = 20

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "BenchmarkSpec",
    "Config",
    "ConfigError",
    "LaneSettings",
    "LaneSpec",
    "StatsSettings",
    "Thresholds",
    "When",
    "builtin_config",
    "config_from_dict",
    "json_schema",
    "load_config",
    "project_root_for",
]


def project_root_for(config_path: Path) -> Path:
    """The project root: the parent of `.github/` when the config lives there, else its folder."""
    folder = config_path.resolve().parent
    return folder.parent if folder.name == ".github" else folder


def load_config(path: Path | str | None = None, *, root: Path | None = None) -> Config:
    """Read, parse and validate a config file. Raises ConfigError with one line per problem."""
    config_path = Path(path) if path is not None else (root or Path.cwd()) / DEFAULT_CONFIG_PATH
    text = _read_config_text(config_path)
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{config_path}{where}: invalid YAML: {problem}") from None
    except RecursionError:
        raise ConfigError(
            f"{config_path}: nested more than {MAX_CONFIG_DEPTH} levels deep"
        ) from None
    _check_shape(data, str(config_path))
    config = config_from_dict(data, source=str(config_path))
    config._path = config_path
    config._root = root.resolve() if root is not None else project_root_for(config_path)
    return config


def _read_config_text(config_path: Path) -> str:
    try:
        with open(config_path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            f"{config_path}: config file not found",
            hint="create it (see examples/demo/.github/lanebench.yml) or pass --config PATH",
        ) from None
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read config file: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{config_path}: the config file is over {MAX_CONFIG_BYTES} bytes",
            hint="a config lists at most 1000 benchmarks; is this the right file?",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{config_path}: cannot read config file: {exc}") from None


def _check_shape(data: Any, source: str) -> None:
    """Refuse nesting deeper than MAX_CONFIG_DEPTH and more than MAX_CONFIG_VALUES values
    (counting every repetition of an aliased node), before validation walks them."""
    if not isinstance(data, (dict, list)):
        return
    stack: list[tuple[Any, int]] = [(data, 1)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        if depth > MAX_CONFIG_DEPTH:
            raise ConfigError(f"{source}: nested more than {MAX_CONFIG_DEPTH} levels deep")
        values = list(node.keys()) + list(node.values()) if isinstance(node, dict) else node
        seen += len(values)
        if seen > MAX_CONFIG_VALUES:
            raise ConfigError(
                f"{source}: more than {MAX_CONFIG_VALUES} values (YAML aliases repeat a node "
                "each time they are used)"
            )
        stack.extend((v, depth + 1) for v in values if isinstance(v, (dict, list)))


def builtin_config(root: Path) -> Config:
    """The built-in lanes, patterns and settings, with no benchmarks: what deciding a lane
    needs in a project without a config file. Not a config a run could use (a config file
    names at least one benchmark), so it is built here rather than loaded."""
    lanes = {name: LaneSpec.model_validate(raw) for name, raw in resolve_lanes(None, {}).items()}
    config = Config.model_construct(benchmarks=[], lanes=lanes)
    config._root = root.resolve()
    return config


def config_from_dict(data: Any, *, source: str = "<config>") -> Config:
    """Validate an already-parsed document."""
    if data is None:
        raise ConfigError(f"{source}: the config file is empty", hint="it needs at least `benchmarks:`")
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {line}" for line in format_validation_errors(exc, data)]
        raise ConfigError("\n".join(lines)) from None
    except RecursionError:  # a mapping key can be a nested structure too
        raise ConfigError(f"{source}: nested more than {MAX_CONFIG_DEPTH} levels deep") from None
    except ValueError as exc:  # raised by lane resolution before field validation
        raise ConfigError(f"{source}: {exc}") from None


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _shown(value: Any, limit: int = 60) -> str:
    if isinstance(value, str):
        text = json.dumps(value[:limit], ensure_ascii=False)
        return text if len(value) <= limit else f"{text[:-1]}…\" ({len(value)} characters)"
    if isinstance(value, (dict, list)):
        return type(value).__name__
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _known_keys() -> set[str]:
    keys: set[str] = set()
    for model in (Config, BenchmarkSpec, LaneSettings, LaneSpec, Thresholds, StatsSettings, When):
        keys.update(model.model_fields)
    return keys


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # pydantic inserts the union member or validator name into the location; users never wrote those
    noise = {"function-before[_check_command(), any]", "list[str]", "literal['all']", "list[When]"}
    return tuple(p for p in loc if not (isinstance(p, str) and (p in noise or p.startswith("function-"))))


def _inherited_from_defaults(errors: list[Any], data: Any) -> Callable[[tuple[Any, ...], Any], bool]:
    """A test for errors at `lanes.NAME...` that repeat an error of `defaults` the lane
    inherited (every built-in lane starts from `defaults`): reported once, at defaults."""
    in_defaults = {
        (loc[1:], e["type"], e["msg"])
        for e in errors
        if (loc := _clean_loc(tuple(e["loc"])))[:1] == ("defaults",)
    }
    raw_lanes = data.get("lanes") if isinstance(data, dict) else None

    def inherited(loc: tuple[Any, ...], err: Any) -> bool:
        if len(loc) < 2 or loc[0] != "lanes" or (loc[2:], err["type"], err["msg"]) not in in_defaults:
            return False
        own = raw_lanes.get(loc[1]) if isinstance(raw_lanes, dict) else None
        return not (len(loc) > 2 and isinstance(own, dict) and loc[2] in own)

    return inherited


def format_validation_errors(
    exc: ValidationError, data: Any, limit: int = MAX_ERROR_LINES
) -> list[str]:
    """One `key.path: expected ..., got ...` line per problem, deduplicated, at most
    `limit` of them and then a line counting the rest."""
    errors = exc.errors(include_url=False)
    inherited = _inherited_from_defaults(errors, data)
    lines: list[str] = []
    seen: set[str] = set()
    more = 0
    for err in errors:
        loc = _clean_loc(tuple(err["loc"]))
        if inherited(loc, err):
            continue
        if len(lines) >= limit:
            more += 1
            continue
        line = _error_line(loc, err)
        if line not in seen:
            seen.add(line)
            lines.append(line)
    if more:
        lines.append(f"… and {more} more problem{'s' if more != 1 else ''} (fix these first)")
    return lines


def _error_line(loc: tuple[Any, ...], err: Any) -> str:
    path = _key_path(loc) or "(top level)"
    kind = err["type"]
    if kind == "value_error":
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        if ":" in msg and re.fullmatch(r"[\w.\-\[\]]+", msg.split(":", 1)[0].strip()):
            # a model-level message that already names its key relative to this location
            first, rest = msg.split(":", 1)
            if first.startswith("lanes.") or not loc:
                return msg
            return f"{path}.{first}:{rest}"
        return f"{path}: {msg}"
    if kind == "missing":
        return f"{path}: required key is missing"
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        close = difflib.get_close_matches(key[:100], _known_keys(), n=1)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        return f"{path}: unknown key{hint}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{path}: expected one of {expected}, got {_shown(err.get('input'))}"
    msg = err["msg"].replace("Input should be ", "expected ")
    return f"{path}: {msg}, got {_shown(err.get('input'))}"


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to complete and check the config file."""
    schema = Config.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://lanebench.dev/schema/lanebench.schema.json"
    schema["title"] = "lanebench configuration"
    return schema

