"""Load and validate the config file; every problem becomes one line with its key path."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from lanebench.config.lanes import LaneSpec, When, resolve_lanes
from lanebench.config.model import BenchmarkSpec, LaneSettings, StatsSettings, Thresholds
from lanebench.config.root import Config
from lanebench.errors import ConfigError

DEFAULT_CONFIG_PATH = Path(".github") / "lanebench.yml"

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
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{config_path}: config file not found",
            hint="create it (see examples/demo/.github/lanebench.yml) or pass --config PATH",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_path}: cannot read config file: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{config_path}{where}: invalid YAML: {problem}") from None
    config = config_from_dict(data, source=str(config_path))
    config._path = config_path
    config._root = root.resolve() if root is not None else project_root_for(config_path)
    return config


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


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (dict, list)):
        return type(value).__name__
    return repr(value)


def _known_keys() -> set[str]:
    keys: set[str] = set()
    for model in (Config, BenchmarkSpec, LaneSettings, LaneSpec, Thresholds, StatsSettings, When):
        keys.update(model.model_fields)
    return keys


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # pydantic inserts the union member or validator name into the location; users never wrote those
    noise = {"function-before[_check_command(), any]", "list[str]", "literal['all']", "list[When]"}
    return tuple(p for p in loc if not (isinstance(p, str) and (p in noise or p.startswith("function-"))))


def format_validation_errors(exc: ValidationError, data: Any) -> list[str]:
    """One `key.path: expected ..., got ...` line per problem, deduplicated."""
    lines: list[str] = []
    for err in exc.errors(include_url=False):
        loc = _clean_loc(tuple(err["loc"]))
        path = _key_path(loc) or "(top level)"
        kind = err["type"]
        if kind == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
            if ":" in msg and re.fullmatch(r"[\w.\-\[\]]+", msg.split(":", 1)[0].strip()):
                # a model-level message that already names its key relative to this location
                first, rest = msg.split(":", 1)
                if first.startswith("lanes.") or not loc:
                    line = msg
                else:
                    line = f"{path}.{first}:{rest}"
            else:
                line = f"{path}: {msg}"
        elif kind == "missing":
            line = f"{path}: required key is missing"
        elif kind == "extra_forbidden":
            key = str(loc[-1]) if loc else "?"
            close = difflib.get_close_matches(key, _known_keys(), n=1)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            line = f"{path}: unknown key{hint}"
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            line = f"{path}: expected one of {expected}, got {_shown(err.get('input'))}"
        else:
            msg = err["msg"].replace("Input should be ", "expected ")
            line = f"{path}: {msg}, got {_shown(err.get('input'))}"
        if line not in lines:
            lines.append(line)
    return lines


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to complete and check the config file."""
    schema = Config.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://lanebench.dev/schema/lanebench.schema.json"
    schema["title"] = "lanebench configuration"
    return schema


def _model_names() -> list[type[BaseModel]]:
    return [Config]
