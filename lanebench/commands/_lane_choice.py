"""Which lane's settings a command uses, decided the same way by every command."""

from __future__ import annotations

from pathlib import Path

from lanebench.config import DEFAULT_CONFIG_PATH, Config, LaneSettings, LaneSpec, load_config
from lanebench.config.lane_specs import DEFAULT_LANES
from lanebench.errors import ConfigError
from lanebench.lane_decision import lane_named


def optional_config(path: Path | None) -> Config | None:
    """`--config PATH`, else `.github/lanebench.yml` in the current directory if present."""
    if path is not None:
        return load_config(path)
    default = Path.cwd() / DEFAULT_CONFIG_PATH
    return load_config(default) if default.is_file() else None


def lane_name_for(config: Config, requested: str | None, recorded: str | None = None) -> str:
    """The requested lane (an unknown name is an error), else the lane recorded in the
    results, else `standard`, else the config's last lane (its fallback)."""
    if requested is not None:
        return lane_named(config, requested)
    for name in (recorded, "standard"):
        if name is not None and name in config.lanes:
            return name
    if not config.lanes:
        raise ConfigError("the config defines no lanes")
    return list(config.lanes)[-1]


def lane_for(
    config: Config | None, requested: str | None, recorded: str | None = None
) -> tuple[str | None, LaneSettings]:
    """The lane name and settings; without a config, the built-in lane of that name."""
    if config is not None:
        name = lane_name_for(config, requested, recorded)
        return name, config.lanes[name]
    named = requested or recorded
    if named in DEFAULT_LANES:
        return named, LaneSpec.model_validate(DEFAULT_LANES[named])
    return named, LaneSettings()
