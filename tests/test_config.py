"""Config loading: defaults, lanes resolution, and errors that name the key path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lanebench.config import (
    ConfigError,
    builtin_config,
    config_from_dict,
    json_schema,
    load_config,
    project_root_for,
)

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / ".github" / "lanebench.yml"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def errors_of(data: object) -> str:
    with pytest.raises(ConfigError) as exc:
        config_from_dict(data, source="cfg.yml")
    return str(exc.value)


def test_minimal_config_gets_default_lanes(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "benchmarks:\n  - name: a\n    command: [python3, -c, pass]\n"))
    assert list(cfg.lanes) == ["docs", "heavy", "standard"]
    assert cfg.lanes["docs"].run is False
    assert cfg.lanes["heavy"].budget == 1200.0
    assert cfg.lanes["standard"].budget == 900.0
    assert cfg.root == tmp_path.resolve()


def test_defaults_win_over_the_built_in_lanes_values() -> None:
    from lanebench.pipeline import baseline_lane

    one = [{"name": "a", "command": ["true"]}]
    cfg = config_from_dict({"benchmarks": one, "defaults": {"max_iterations": 20, "budget": "8min"}})
    assert {n: (lane.max_iterations, lane.budget) for n, lane in cfg.lanes.items()} == {
        "docs": (20, 480.0), "heavy": (20, 480.0), "standard": (20, 480.0)
    }
    assert cfg.lanes["heavy"].min_iterations == 15  # not written by the user: still heavy's
    assert cfg.lanes["docs"].run is False  # a lane's `run` is what makes it the docs lane
    name, lane = baseline_lane(cfg)  # `lanebench baseline` and the action's baseline job
    assert (name, lane.min_iterations, lane.max_iterations) == ("baseline", 20, 20)
    # a built-in bound never contradicts the user's other one
    low = config_from_dict({"benchmarks": one, "defaults": {"max_iterations": 12}})
    assert (low.lanes["heavy"].min_iterations, low.lanes["heavy"].max_iterations) == (12, 12)
    # asking for the built-in heavy lane's values anyway: `extend: heavy`
    own = config_from_dict({
        "benchmarks": one, "defaults": {"max_iterations": 20},
        "lanes": {"heavy": {"extend": "heavy", "when": {"min_files": 6}}, "standard": {}},
    })
    assert (own.lanes["heavy"].max_iterations, own.lanes["standard"].max_iterations) == (60, 20)


def test_durations_sizes_percentages_are_typed(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path,
            """
benchmarks:
  - {name: a, command: "echo hi", shell: true, timeout: 1.5min}
defaults:
  timeout: 250ms
  thresholds: {time: 3%, memory: 0.2}
""",
        )
    )
    assert cfg.benchmarks[0].timeout == 90.0
    assert cfg.benchmarks[0].argv == ["/bin/sh", "-c", "echo hi"]
    std = cfg.lanes["standard"]
    assert std.timeout == 0.25
    assert std.thresholds.time == pytest.approx(0.03)
    assert std.thresholds.memory == pytest.approx(0.2)


def test_error_names_file_key_path_and_expectation() -> None:
    msg = errors_of(
        {
            "benchmarks": [
                {"name": "a", "command": ["true"]},
                {"name": "b", "command": ["true"]},
                {"name": "c", "command": ["true"], "timeout": "fast"},
            ]
        }
    )
    assert 'cfg.yml: benchmarks[2].timeout: expected a duration like "90s", got "fast"' in msg


def test_string_command_without_shell_is_rejected() -> None:
    msg = errors_of({"benchmarks": [{"name": "a", "command": "make bench"}]})
    assert "benchmarks[0].command: a string command needs shell: true" in msg


def test_unknown_key_suggests_the_right_one() -> None:
    msg = errors_of({"benchmarks": [{"name": "a", "command": ["true"], "timout": "1s"}]})
    assert 'benchmarks[0].timout: unknown key; did you mean "timeout"?' in msg


def test_every_problem_is_reported_one_per_line() -> None:
    msg = errors_of(
        {
            "benchmarks": [{"name": "a", "command": []}, {"name": "a", "command": ["x"], "shell": "maybe"}],
        }
    )
    lines = msg.splitlines()
    assert any(line.startswith("cfg.yml: benchmarks[0].command: expected an argument list") for line in lines)
    assert any(line.startswith("cfg.yml: benchmarks[1].shell: expected a valid boolean") for line in lines)


def test_missing_benchmarks_and_empty_file(tmp_path: Path) -> None:
    assert "benchmarks: required key is missing" in errors_of({"lanes": {}})
    with pytest.raises(ConfigError, match="config file is empty"):
        load_config(write(tmp_path, ""))


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"lanebench.yml:3:1: invalid YAML: found (character '\\t'|a tab character)"):
        load_config(write(tmp_path, "benchmarks:\n  - name: a\n\tx: 1\n"))


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found.*--config"):
        load_config(tmp_path / "nope.yml")


def test_iteration_bounds_checked() -> None:
    msg = errors_of(
        {"benchmarks": [{"name": "a", "command": ["true"]}], "defaults": {"min_iterations": 20, "max_iterations": 5}}
    )
    assert "max_iterations (5) must be >= min_iterations (20)" in msg


def test_project_root_rule(tmp_path: Path) -> None:
    assert project_root_for(tmp_path / ".github" / "lanebench.yml") == tmp_path.resolve()
    assert project_root_for(tmp_path / "bench" / "lanebench.yml") == (tmp_path / "bench").resolve()


def test_shipped_schema_is_current() -> None:
    shipped = json.loads((REPO / "lanebench" / "schema" / "lanebench.schema.json").read_text())
    assert shipped == json_schema(), "regenerate with: lanebench schema > lanebench/schema/lanebench.schema.json"


def test_cli_validate_exit_code_2_on_bad_config(tmp_path: Path) -> None:
    path = write(tmp_path, "benchmarks:\n  - name: a\n    command: [true]\n    timeout: fast\n")
    proc = subprocess.run(
        [sys.executable, "-m", "lanebench", "validate", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert 'benchmarks[0].timeout: expected a duration like "90s", got "fast"' in proc.stderr
    assert "Traceback" not in proc.stderr


def test_builtin_config_has_the_lanes_a_config_without_lanes_gets(tmp_path: Path) -> None:
    loaded = config_from_dict({"benchmarks": [{"name": "a", "command": ["true"]}]})
    builtin = builtin_config(tmp_path)
    assert builtin.lanes == loaded.lanes
    assert (builtin.docs_patterns, builtin.label_prefix) == (loaded.docs_patterns, loaded.label_prefix)
    assert builtin.benchmarks == [] and builtin.path is None and builtin.root == tmp_path.resolve()
