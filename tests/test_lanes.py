"""Lane decisions: the default rules at their boundaries, overrides, custom lanes, the plan."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lanebench.changes import ChangedFile, ChangeSet
from lanebench.config import ConfigError, config_from_dict
from lanebench.lane_decision import MAX_LISTED, decide_lane, plan_benchmarks

BENCH = [{"name": "bench", "command": ["true"]}]


def config(**extra: Any) -> Any:
    return config_from_dict({"benchmarks": BENCH, **extra}, source="cfg.yml")


def errors_of(**extra: Any) -> str:
    with pytest.raises(ConfigError) as exc:
        config(**extra)
    return str(exc.value)


def code(n: int, lines: int = 1, prefix: str = "src") -> list[ChangedFile]:
    return [ChangedFile(f"{prefix}/m{i}.py", "modified", None, lines, 0) for i in range(n)]


def changes(files: list[ChangedFile], labels: tuple[str, ...] = (), complete: bool = True) -> ChangeSet:
    return ChangeSet(tuple(files), labels, "test", complete, "")


def lane_of(files: list[ChangedFile], **kwargs: Any) -> str:
    return decide_lane(config(), changes(files), **kwargs).lane


# ---------------------------------------------------------------- default lanes


def test_default_lanes_and_budgets() -> None:
    cfg = config()
    assert list(cfg.lanes) == ["docs", "heavy", "standard"]
    assert [cfg.lanes[n].budget for n in cfg.lanes] == [300.0, 1200.0, 900.0]
    assert cfg.lanes["docs"].run is False
    assert cfg.lanes["heavy"].min_iterations > cfg.lanes["standard"].min_iterations


def test_docs_only_change_is_the_docs_lane_and_runs_nothing() -> None:
    files = [
        ChangedFile("README.md"),
        ChangedFile("docs/guide/setup.rst"),
        ChangedFile("docs/img/flow.png", binary=True, additions=None, deletions=None),
        ChangedFile("LICENSE"),
        ChangedFile(".github/ISSUE_TEMPLATE/bug.yml"),
        ChangedFile("notes/todo.txt"),
    ]
    cfg = config()
    decision = decide_lane(cfg, changes(files))
    assert decision.lane == "docs"
    assert decision.reason.startswith("all 6 changed files match (")
    plan = plan_benchmarks(cfg, decision, changes(files))
    assert [(p.run, p.status) for p in plan] == [(False, "skipped")]
    assert plan[0].reason == "the docs lane runs no benchmarks"  # said after "skipped: "


def test_one_code_file_among_docs_leaves_the_docs_lane() -> None:
    files = [ChangedFile(f"docs/p{i}.md", additions=400) for i in range(10)] + code(1)
    decision = decide_lane(config(), changes(files))
    assert decision.lane == "standard"  # docs lines and files do not count toward heavy
    docs_trace = decision.trace[0]
    assert docs_trace.status == "no match"
    assert docs_trace.blocks[0].checks[0].files == ["src/m0.py"]
    assert decision.stats is not None
    assert (decision.stats.code_files, decision.stats.docs_files, decision.stats.code_lines) == (1, 10, 1)


@pytest.mark.parametrize(("n", "lane"), [(5, "standard"), (6, "heavy")])
def test_code_file_boundary(n: int, lane: str) -> None:
    decision = decide_lane(config(), changes(code(n)))
    assert decision.lane == lane
    if lane == "heavy":
        assert decision.reason == "6 code files changed (threshold: 6 or more)"
    else:
        heavy = decision.trace[1]
        assert heavy.blocks[0].checks[0].detail == "5 code files changed (needs 6 or more)"


@pytest.mark.parametrize(("lines", "lane"), [(500, "standard"), (501, "heavy")])
def test_changed_lines_boundary(lines: int, lane: str) -> None:
    files = [
        ChangedFile("src/a.py", "modified", None, lines - 100, 50),
        ChangedFile("src/b.py", "removed", None, 0, 50),
        ChangedFile("src/c.png", binary=True, additions=None, deletions=None),
    ]
    decision = decide_lane(config(), changes(files))
    assert decision.lane == lane
    heavy_lines = decision.trace[1].blocks[1].checks[0]
    assert heavy_lines.detail.startswith(f"{lines} changed lines in code files")
    assert "1 binary file of unknown size not counted" in heavy_lines.detail


def test_dependency_manifests_are_heavy_and_not_docs() -> None:
    for path in ("requirements-dev.txt", "pyproject.toml", "web/package.json", "Cargo.lock", "go.mod"):
        decision = decide_lane(config(), changes([ChangedFile(path)]))
        assert decision.lane == "heavy", path
        assert decision.reason.startswith(f"1 changed file matches: {path} ("), decision.reason
    # CMakeLists.txt is a build input, not prose
    assert lane_of([ChangedFile("CMakeLists.txt")]) == "standard"


def test_rename_out_of_code_is_not_docs_only() -> None:
    moved = ChangedFile("docs/old_impl.py", "renamed", "src/impl.py", 0, 0)
    assert lane_of([moved]) == "standard"
    into_docs = ChangedFile("docs/guide.md", "renamed", "README.md", 0, 0)
    assert lane_of([into_docs]) == "docs"


def test_empty_change_set_is_standard() -> None:
    decision = decide_lane(config(), changes([]))
    assert decision.lane == "standard"
    assert decision.reason == "the change set is empty"
    assert decision.trace[0].blocks[0].checks[0].detail == "no changed files"


def test_unknown_change_set_is_standard_and_runs_everything() -> None:
    unknown = ChangeSet((), (), "unknown", False, "")
    cfg = config_from_dict({"benchmarks": PATH_BENCHES})
    decision = decide_lane(cfg, unknown)
    assert (decision.lane, decision.reason) == ("standard", "no changed files are known")
    assert all(p.run for p in plan_benchmarks(cfg, decision, unknown))


def test_incomplete_list_never_proves_docs_only() -> None:
    files = [ChangedFile(f"docs/p{i}.md") for i in range(3000)]
    cs = ChangeSet(tuple(files), (), "github", False, "GitHub listed 3000 files, the API's limit")
    decision = decide_lane(config(), cs)
    assert decision.lane == "standard"
    assert "incomplete" in decision.trace[0].summary


def test_critical_paths_send_a_change_to_heavy() -> None:
    cfg = config(critical_paths=["src/auth/**", "**/crypto_*.py"])
    assert decide_lane(cfg, changes([ChangedFile("src/auth/token.py")])).lane == "heavy"
    decision = decide_lane(cfg, changes([ChangedFile("lib/x/crypto_aes.py")]))
    assert decision.reason == "1 changed file matches: lib/x/crypto_aes.py (**/crypto_*.py)"
    assert decide_lane(cfg, changes([ChangedFile("src/other.py")])).lane == "standard"


def test_docs_patterns_are_configurable() -> None:
    cfg = config(docs_patterns=["docs/**", "*.md", "examples/**"])
    assert decide_lane(cfg, changes([ChangedFile("examples/demo.py")])).lane == "docs"
    # the files that are docs do not count as code files either
    many = [ChangedFile(f"examples/e{i}.py") for i in range(9)] + code(1)
    assert decide_lane(cfg, changes(many)).lane == "standard"


def test_trace_lists_at_most_ten_files_and_counts_the_rest() -> None:
    decision = decide_lane(config(), changes(code(25)))
    check = decision.trace[1].blocks[0].checks[0]
    assert len(check.files) == MAX_LISTED and check.more_files == 25 - MAX_LISTED
    assert decision.trace[2].status == "not evaluated"
    assert decision.trace[2].summary == "an earlier lane (heavy) matched"
    json.dumps(decision.to_dict())  # reports embed it


# ---------------------------------------------------------------- overrides


def test_label_forces_a_lane_case_insensitively() -> None:
    cs = changes(code(1), labels=("bug", "LaneBench:Heavy"))
    decision = decide_lane(config(), cs)
    assert decision.lane == "heavy" and decision.rule_lane == "standard"
    assert decision.forced_by == 'label "LaneBench:Heavy"'
    assert decision.reasons == [
        'forced by the label "LaneBench:Heavy"',
        "the rules alone choose standard: no other lane's conditions matched",
    ]
    assert decision.settings.budget == 1200.0


def test_custom_label_prefix() -> None:
    cfg = config(label_prefix="bench/")
    assert decide_lane(cfg, changes(code(1), labels=("bench/docs",))).lane == "docs"
    assert decide_lane(cfg, changes(code(1), labels=("lanebench:docs",))).lane == "standard"


def test_lane_input_forces_a_lane_and_beats_labels() -> None:
    cs = changes(code(10), labels=("lanebench:docs",))
    decision = decide_lane(config(), cs, forced="standard")
    assert decision.lane == "standard" and decision.forced_by == 'lane input "standard"'
    assert decision.reasons[1].startswith("the rules alone choose heavy: 10 code files")
    assert decide_lane(config(), cs, forced="  ").lane == "docs"  # an empty input is no input


def test_unknown_lane_is_an_error_listing_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r'unknown lane "fast" \(known lanes: docs, heavy, standard\)'):
        decide_lane(config(), changes(code(1)), forced="fast")
    with pytest.raises(ConfigError, match=r'label "lanebench:fast" names no lane \(known lanes: docs, heavy, standard\)'):
        decide_lane(config(), changes(code(1), labels=("lanebench:fast",)))


def test_labels_forcing_two_lanes_are_an_error() -> None:
    with pytest.raises(ConfigError, match="force different lanes"):
        decide_lane(config(), changes([], labels=("lanebench:docs", "lanebench:heavy")))


# ---------------------------------------------------------------- custom lanes

CUSTOM = {
    "defaults": {"warmup": 2},
    "lanes": {
        "skip": {"when": {"labels": ["no-bench"]}, "run": False},
        "engine": {
            "extend": "heavy",
            "when": [
                {"any_match": ["engine/**"], "min_lines": 50},
                {"any_match": ["engine/core.py"]},
            ],
            "max_iterations": 100,
        },
        "quick": {"when": {"all_match": ["tests/**"]}, "min_iterations": 3, "max_iterations": 5},
        "normal": {"extend": "quick", "min_iterations": 4},
    },
}


def test_custom_lanes_replace_the_defaults_and_extend_inherits_settings() -> None:
    cfg = config(**CUSTOM)
    assert list(cfg.lanes) == ["skip", "engine", "quick", "normal"]
    engine = cfg.lanes["engine"]
    # from the built-in heavy lane, then its own keys, on top of `defaults`
    assert (engine.min_iterations, engine.max_iterations, engine.budget, engine.warmup) == (15, 100, 1200.0, 2)
    normal = cfg.lanes["normal"]
    assert (normal.min_iterations, normal.max_iterations, normal.warmup) == (4, 5, 2)  # max from quick
    assert normal.when is None  # conditions are never inherited: normal stays the fallback


def test_custom_lane_conditions_or_of_ands() -> None:
    cfg = config(**CUSTOM)

    def lane(files: list[ChangedFile], labels: tuple[str, ...] = ()) -> str:
        return decide_lane(cfg, changes(files, labels)).lane

    small_engine = [ChangedFile("engine/util.py", "modified", None, 10, 0)]
    big_engine = [ChangedFile("engine/util.py", "modified", None, 40, 10)]
    assert lane(small_engine) == "normal"  # block 0 needs 50 lines too
    assert lane(big_engine) == "engine"  # block 0: both conditions hold
    assert lane([ChangedFile("engine/core.py")]) == "engine"  # block 1
    assert lane([ChangedFile("tests/test_x.py"), ChangedFile("tests/data/a.json")]) == "quick"
    assert lane(big_engine, labels=("No-Bench",)) == "skip"  # first match wins
    decision = decide_lane(cfg, changes(small_engine))
    engine_trace = decision.trace[1]
    assert [b.matched for b in engine_trace.blocks] == [False, False]
    assert [c.passed for c in engine_trace.blocks[0].checks] == [True, False]


def test_redefining_a_builtin_lane_may_extend_it() -> None:
    cfg = config(
        lanes={
            "heavy": {"extend": "heavy", "when": {"min_files": 20}, "budget": "30min"},
            "standard": {"extend": "standard"},
        }
    )
    assert cfg.lanes["heavy"].min_iterations == 15 and cfg.lanes["heavy"].budget == 1800.0
    assert cfg.lanes["standard"].budget == 900.0
    assert decide_lane(cfg, changes(code(10))).lane == "standard"
    assert decide_lane(cfg, changes(code(20))).lane == "heavy"


@pytest.mark.parametrize(
    ("lanes", "expected"),
    [
        (
            {"all": {}, "docs": {"when": {"all_match": ["*.md"]}}},
            "cfg.yml: lanes.all: a lane without `when` matches every change, so the lanes after it (docs)",
        ),
        (
            {"docs": {"when": {"all_match": ["*.md"]}}},
            "cfg.yml: lanes.docs: the last lane is the fallback and must have no `when`",
        ),
        (
            {"x": {"when": [{}]}, "y": {}},
            "cfg.yml: lanes.x.when[0]: an empty condition block would match every change",
        ),
        ({"x": {"when": []}, "y": {}}, "cfg.yml: lanes.x.when: expected at least one condition block"),
        (
            {"x": {"when": {"any_match": ["src\\"]}}, "y": {}},
            "cfg.yml: lanes.x.when[0].any_match: invalid gitignore-style pattern 'src\\\\'",
        ),
        (
            {"x": {"when": {"min_files": -1}}, "y": {}},
            "cfg.yml: lanes.x.when[0].min_files: expected greater than or equal to 0, got -1",
        ),
        (
            {"x": {"when": {"min_file": 3}}, "y": {}},
            'cfg.yml: lanes.x.when[0].min_file: unknown key; did you mean "min_files"?',
        ),
        ({"x": {"extend": "nope"}}, 'cfg.yml: lanes.x.extend: unknown lane "nope" (known: x, docs, heavy, standard)'),
        (
            {"a": {"extend": "b", "when": {"labels": ["a"]}}, "b": {"extend": "a"}},
            "cfg.yml: lanes.b.extend: circular extend: a -> b -> a",
        ),
        ({"my lane": {}}, 'cfg.yml: lanes: lane name "my lane" must start with a letter or digit'),
        ({}, "cfg.yml: lanes: no lanes defined"),
        (
            {"perf-critical": {"when": {"labels": ["p"]}}, "Perf-Critical": {}},
            'cfg.yml: lanes: lane names "perf-critical" and "Perf-Critical" differ only in case',
        ),
    ],
)
def test_bad_lane_config_names_the_key_path(lanes: dict[str, Any], expected: str) -> None:
    message = errors_of(lanes=lanes)
    assert expected in message, message
    assert "Traceback" not in message


def test_bad_top_level_pattern_keys() -> None:
    assert 'cfg.yml: docs_patterns: expected a valid list, got "*.md"' in errors_of(docs_patterns="*.md")
    assert "critical_paths: only the built-in heavy lane reads it" in errors_of(
        critical_paths=["src/**"], lanes={"all": {}}
    )


def test_single_when_mapping_equals_a_one_block_list() -> None:
    a = config(lanes={"x": {"when": {"min_files": 2}}, "y": {}})
    b = config(lanes={"x": {"when": [{"min_files": 2}]}, "y": {}})
    assert a.lanes["x"].when == b.lanes["x"].when


# ---------------------------------------------------------------- benchmark plan

PATH_BENCHES = [
    {"name": "parser", "command": ["true"], "paths": ["src/parser/**", "grammar/*.y"]},
    {"name": "renderer", "command": ["true"], "paths": ["src/render/**"]},
    {"name": "e2e", "command": ["true"]},
]


def plan_for(files: list[ChangedFile], complete: bool = True, **extra: Any) -> dict[str, Any]:
    cfg = config_from_dict({"benchmarks": PATH_BENCHES, **extra})
    cs = changes(files, complete=complete)
    return {p.spec.name: p for p in plan_benchmarks(cfg, decide_lane(cfg, cs), cs)}


def test_benchmarks_whose_paths_are_untouched_are_carried_over() -> None:
    plan = plan_for([ChangedFile("src/parser/lexer.py")])
    assert plan["parser"].run and plan["parser"].reason == "affected: src/parser/lexer.py matches src/parser/**"
    assert not plan["renderer"].run and plan["renderer"].carried_over
    assert plan["renderer"].reason == "no changed file matches its paths; baseline carried over"
    assert plan["e2e"].run and plan["e2e"].reason == "runs on every change (no `paths`)"


def test_touching_a_benchmarks_paths_runs_it() -> None:
    plan = plan_for([ChangedFile("grammar/expr.y"), ChangedFile("src/render/svg.py")])
    assert all(p.run for p in plan.values())
    # a rename out of a benchmark's paths still affects it
    moved = plan_for([ChangedFile("lib/svg.py", "renamed", "src/render/svg.py", 0, 0)])
    assert moved["renderer"].run and not moved["parser"].run


def test_incomplete_change_set_runs_everything() -> None:
    plan = plan_for([ChangedFile("other.py")], complete=False)
    assert all(p.run for p in plan.values())
    assert plan["parser"].reason == "the file list is incomplete, so it may be affected"


def test_lane_benchmark_list_limits_what_runs() -> None:
    plan = plan_for(
        [ChangedFile("src/parser/a.py")],
        lanes={"main": {"benchmarks": ["parser"]}},
    )
    assert plan["parser"].run
    assert (plan["e2e"].run, plan["e2e"].status) == (False, "not in lane")


def test_a_changed_config_file_runs_every_benchmark(tmp_path: Any) -> None:
    from lanebench.config import load_config

    path = tmp_path / ".github" / "lanebench.yml"
    path.parent.mkdir()
    path.write_text(json.dumps({"benchmarks": PATH_BENCHES}))  # JSON is YAML
    cfg = load_config(path)
    cs = changes([ChangedFile(".github/lanebench.yml")])
    plan = {p.spec.name: p for p in plan_benchmarks(cfg, decide_lane(cfg, cs), cs)}
    assert plan["parser"].run and plan["parser"].reason == "the config file changed (.github/lanebench.yml)"
    other = changes([ChangedFile(".github/workflows/ci.yml")])
    plan = {p.spec.name: p for p in plan_benchmarks(cfg, decide_lane(cfg, other), other)}
    assert not plan["parser"].run


def test_gitignore_pattern_semantics() -> None:
    cfg = config(lanes={"hit": {"when": {"any_match": ["build/", "/top/*.c", "!build/keep.txt"]}}, "miss": {}})

    def lane(path: str) -> str:
        return decide_lane(cfg, changes([ChangedFile(path)])).lane

    assert lane("build/x.o") == "hit" and lane("sub/build/x.o") == "hit"  # no leading slash: any depth
    assert lane("top/a.c") == "hit" and lane("sub/top/a.c") == "miss"  # anchored
    assert lane("top/deeper/a.c") == "miss"  # `*` stays within one folder
    assert lane("build/keep.txt") == "miss"  # the last matching pattern wins


def test_empty_label_prefix_turns_label_overrides_off() -> None:
    cfg = config(label_prefix="")
    assert decide_lane(cfg, changes(code(1), labels=("heavy", "lanebench:heavy"))).lane == "standard"
