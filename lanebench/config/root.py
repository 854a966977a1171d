"""The whole config document."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from lanebench.config.lane_specs import (
    DOC_PATTERNS,
    LaneSpec,
    PatternList,
    check_lane_order,
    known_extend_targets,
    resolve_lanes,
)
from lanebench.config.model import BenchmarkSpec, Command, LaneSettings, StrictModel
from lanebench.limits import MAX_BENCHMARKS
from lanebench.names import shown_names


class Config(StrictModel):
    """Root of `.github/lanebench.yml`."""

    version: Literal[1] = Field(1, description="Config format version.")
    benchmarks: list[BenchmarkSpec] = Field(min_length=1, max_length=MAX_BENCHMARKS)
    defaults: LaneSettings = Field(
        default_factory=LaneSettings, description="Settings every lane starts from."
    )
    lanes: dict[str, LaneSpec] = Field(
        default_factory=dict,
        description="Lanes in evaluation order; first match wins. Omit for docs/heavy/standard.",
    )
    label_prefix: str = Field("lanebench:", description="PR label prefix that forces a lane.")
    docs_patterns: PatternList = Field(
        default_factory=lambda: list(DOC_PATTERNS),
        description="Gitignore-style patterns of documentation; every other file is a code file.",
    )
    critical_paths: PatternList = Field(
        default_factory=list,
        description="Patterns that send a change to the built-in heavy lane when any file matches.",
    )
    setup: Command | None = Field(None, description="Command run once per tree before measuring.")

    _path: Path | None = PrivateAttr(None)
    _root: Path | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _resolve_lanes(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        benchmarks = data.get("benchmarks")
        if isinstance(benchmarks, list) and len(benchmarks) > MAX_BENCHMARKS:
            # before validating each one: the limit bounds the work, not only the result
            raise ValueError(
                f"benchmarks: {len(benchmarks)} benchmarks, more than the limit of {MAX_BENCHMARKS}"
            )
        defaults = data.get("defaults") or {}
        if not isinstance(defaults, dict):
            return data
        data = dict(data)
        data["lanes"] = resolve_lanes(
            data.get("lanes"),
            defaults,
            docs_patterns=data.get("docs_patterns"),
            critical_paths=data.get("critical_paths"),
        )
        return data

    @field_validator("benchmarks")
    @classmethod
    def _unique_names(cls, value: list[BenchmarkSpec]) -> list[BenchmarkSpec]:
        seen: set[str] = set()
        for bench in value:
            if bench.name in seen:
                raise ValueError(f'duplicate benchmark name "{bench.name}"')
            seen.add(bench.name)
        return value

    @model_validator(mode="after")
    def _lane_references(self) -> Config:
        names = {b.name for b in self.benchmarks}
        check_lane_order(self.lanes)
        extendable = known_extend_targets(self.lanes)
        for lane_name, lane in self.lanes.items():
            if lane.extend is not None and lane.extend not in extendable:
                raise ValueError(
                    f'lanes.{lane_name}.extend: unknown lane "{lane.extend}" '
                    f"(known: {shown_names(extendable)})"
                )
            if lane.benchmarks != "all":
                for b in lane.benchmarks:
                    if b not in names:
                        raise ValueError(
                            f'lanes.{lane_name}.benchmarks: unknown benchmark "{b}" '
                            f"(known: {shown_names(sorted(names))})"
                        )
        return self

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def root(self) -> Path:
        """Directory that benchmark `cwd` and change-set paths are relative to."""
        return self._root or Path.cwd()

    def benchmark(self, name: str) -> BenchmarkSpec:
        for b in self.benchmarks:
            if b.name == name:
                return b
        raise KeyError(name)
