"""SLA rule syntax in the config: typed limits, key-path errors, built-in rules per lane."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanebench.config import ConfigError, LaneSettings, config_from_dict, json_schema, load_config
from lanebench.config.sla import SlaRule, parse_rule
from lanebench.sla import lane_rules

BENCH = [{"name": "build", "command": ["true"]}, {"name": "test", "command": ["true"]}]


def lanes_with(sla: list[object]) -> dict[str, object]:
    return {"benchmarks": BENCH, "lanes": {"heavy": {"when": {"min_files": 3}, "sla": sla}, "standard": {}}}


def error_of(sla: list[object]) -> str:
    with pytest.raises(ConfigError) as exc:
        config_from_dict(lanes_with(sla), source="cfg.yml")
    return str(exc.value)


@pytest.mark.parametrize(
    ("text", "kind", "metric", "stat", "limit", "unit"),
    [
        ("wall.p95 <= 2s", "absolute", "wall", "p95", 2.0, "seconds"),
        ("cpu.median <= 1.5min", "absolute", "cpu", "median", 90.0, "seconds"),
        ("wall.mean < 250ms", "absolute", "wall", "mean", 0.25, "seconds"),
        ("wall.max <= 3", "absolute", "wall", "max", 3.0, "seconds"),
        ("maxrss.max <= 512MiB", "absolute", "maxrss", "max", 512 * 1024**2, "bytes"),
        ("write_bytes.median <= 1GB", "absolute", "write_bytes", "median", 1e9, "bytes"),
        ("peak_processes.max <= 4", "absolute", "peak_processes", "max", 4.0, "count"),
        ("wall.cv <= 10%", "absolute", "wall", "cv", 0.10, "fraction"),
        ("wall.median: regression <= 5%", "relative", "wall", "median", 0.05, "fraction"),
        ("maxrss: regression <= 20%", "relative", "maxrss", "median", 0.20, "fraction"),
        ("failures <= 0", "failures", None, None, 0.0, "count"),
        ("failures <= 5%", "failures", None, None, 0.05, "fraction"),
        ("budget < 80%", "budget", None, None, 0.80, "fraction"),
        ("budget <= 10min", "budget", None, None, 600.0, "seconds"),
        ("budget", "budget", None, None, 0.80, "fraction"),
        ("any regression", "any-regression", None, None, None, ""),
        ("noise", "noise", None, None, None, ""),
    ],
)
def test_rule_strings_parse_to_typed_limits(
    text: str, kind: str, metric: str | None, stat: str | None, limit: float | None, unit: str
) -> None:
    rule = parse_rule(text)
    assert (rule.kind, rule.metric, rule.stat, rule.limit_unit) == (kind, metric, stat, unit)
    if limit is None:
        assert rule.limit is None
    else:
        assert rule.limit == pytest.approx(limit)


def test_config_accepts_strings_and_mappings() -> None:
    cfg = config_from_dict(
        lanes_with(["wall.p95 <= 2s", {"rule": "maxrss.max <= 512MiB", "benchmarks": ["build"], "severity": "warning"}])
    )
    rules = cfg.lanes["heavy"].sla
    assert rules is not None and len(rules) == 2
    assert rules[0].effective_severity == "critical"
    assert rules[1].effective_severity == "warning"
    assert rules[1].applies_to("build") and not rules[1].applies_to("test")
    assert cfg.lanes["heavy"].fail_on == "critical"


def test_benchmark_patterns_are_shell_wildcards() -> None:
    rule = SlaRule.model_validate({"rule": "wall.p95 <= 2s", "benchmarks": ["unit-*"]})
    assert rule.applies_to("unit-fast") and not rule.applies_to("integration")


def test_unparseable_rule_names_the_key_path() -> None:
    msg = error_of(["wall.p95 <= 2s", "wall is fast"])
    assert 'cfg.yml: lanes.heavy.sla[1]: expected a rule like "wall.p95 <= 2s", got "wall is fast"' in msg


def test_bad_duration_says_the_metric_is_in_seconds() -> None:
    msg = error_of(["wall.p95 <= fast"])
    assert "lanes.heavy.sla[0]:" in msg
    assert 'expected a duration like "90s", got "fast"' in msg


def test_size_limit_on_a_memory_metric_must_be_a_size() -> None:
    msg = error_of(["maxrss.max <= 2s"])
    assert 'lanes.heavy.sla[0]: expected a rule like "wall.p95 <= 2s", got "maxrss.max <= 2s"' in msg
    assert 'expected a size like "512MiB"' in msg


def test_unknown_metric_gets_a_suggestion() -> None:
    assert 'unknown metric "wal"; did you mean "wall"?' in error_of(["wal.p95 <= 2s"])


def test_unknown_or_missing_statistic() -> None:
    assert 'unknown statistic "p90"' in error_of(["wall.p90 <= 2s"])
    assert "name a statistic" in error_of(["wall <= 2s"])


def test_relative_rule_on_a_tail_statistic_is_refused_with_the_fix() -> None:
    msg = error_of(["wall.p95: regression <= 5%"])
    assert "write wall.median: regression <= 5%" in msg


def test_mapping_errors_point_inside_the_mapping() -> None:
    assert "lanes.heavy.sla[0].severity: expected one of" in error_of([{"rule": "noise", "severity": "high"}])
    assert "lanes.heavy.sla[0]:" in error_of([{"rule": "wall.p95 <= soon"}])
    assert "lanes.heavy.sla[0].rule: required key is missing" in error_of([{"severity": "warning"}])
    assert "lanes.heavy.sla[0]: expected a rule like" in error_of([42])


def test_failures_and_budget_limits_are_checked() -> None:
    assert 'failures takes a count like "0"' in error_of(["failures <= 1.5"])
    assert "budget takes an upper limit" in error_of(["budget >= 50%"])


def test_yaml_bare_off_disables_a_rule(tmp_path: Path) -> None:
    path = tmp_path / "lanebench.yml"
    path.write_text(
        "benchmarks: [{name: a, command: [\"true\"]}]\n"
        "defaults:\n  fail_on: warning\n  sla:\n    - {rule: noise, severity: off}\n    - failures <= 0\n",
        encoding="utf-8",
    )
    cfg = load_config(path)
    std = cfg.lanes["standard"]
    assert std.fail_on == "warning"
    kinds = [r.parsed.kind for r in lane_rules(std, "standard")]
    assert "noise" not in kinds  # switched off
    assert kinds == ["failures", "any-regression"]  # any regression is still implicit


def test_fail_on_is_validated() -> None:
    with pytest.raises(ConfigError) as exc:
        config_from_dict({"benchmarks": BENCH, "defaults": {"fail_on": "sometimes"}}, source="cfg.yml")
    assert "defaults.fail_on: expected one of 'critical', 'warning' or 'never'" in str(exc.value)


def test_built_in_rules_per_lane() -> None:
    cfg = config_from_dict({"benchmarks": BENCH})
    by_lane = {
        name: {(r.rule, r.effective_severity) for r in lane_rules(lane, name)}
        for name, lane in cfg.lanes.items()
    }
    assert cfg.lanes["standard"].sla is None
    assert by_lane["standard"] == {
        ("failures <= 0", "critical"),
        ("budget < 80%", "warning"),
        ("any regression", "critical"),
        ("noise", "warning"),
    }
    assert by_lane["heavy"] == by_lane["standard"]
    # a docs-only change cannot slow code down: a regression there is the runner's noise
    assert ("any regression", "warning") in by_lane["docs"]
    assert ("any regression", "critical") not in by_lane["docs"]


def test_lanes_extending_a_built_in_get_its_rules_and_others_get_standard() -> None:
    cfg = config_from_dict(
        {
            "benchmarks": BENCH,
            "lanes": {
                "notes": {"extend": "docs", "when": {"labels": ["notes"]}},
                "perf": {"when": {"labels": ["perf"]}},
                "standard": {},
            },
        }
    )
    notes = {(r.rule, r.effective_severity) for r in lane_rules(cfg.lanes["notes"], "notes")}
    perf = {(r.rule, r.effective_severity) for r in lane_rules(cfg.lanes["perf"], "perf")}
    assert ("any regression", "warning") in notes
    assert ("any regression", "critical") in perf and ("failures <= 0", "critical") in perf


def test_an_empty_list_keeps_only_the_implicit_rules() -> None:
    lane = LaneSettings.model_validate({"sla": []})
    assert [r.rule for r in lane_rules(lane, "standard")] == ["any regression", "noise"]


def test_schema_offers_string_or_mapping_rules() -> None:
    schema = json_schema()
    rule = schema["$defs"]["SlaRule"]
    kinds = [alt.get("type") for alt in rule["anyOf"]]
    assert kinds == ["string", "object"]
    assert set(rule["anyOf"][1]["properties"]) == {"rule", "benchmarks", "severity"}
