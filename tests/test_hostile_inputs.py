"""Hostile inputs through every command that reads them: exit 2, one line, no traceback.

The corpus lives in tests/fixtures/hostile/ (see its README); inputs that are hostile by
their size are generated here. Commands run in-process through `lanebench.cli.main`, so
an exception that is not a refusal fails the test with its traceback. No test times
anything: where size could cost time, the test asserts the bound on the work instead
(refused before parsing past a size, a counted number of calls, a method that is linear).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lanebench.cli import main

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
GOOD = HOSTILE / "good-base.json"
RESULTS = sorted((HOSTILE / "results").glob("*.json"))
CONFIGS = sorted((HOSTILE / "configs").glob("*.yml"))
BUNDLES = sorted((HOSTILE / "bundles").glob("*.json"))
WEBHOOKS = Path(__file__).parent / "fixtures" / "github" / "webhooks"
REPO = "octo-org/octo-repo"
HEAD_SHA = "c" * 40

CONFIG = """\
benchmarks:
  - name: parse
    command: [python3, -c, "pass"]
  - name: render
    command: [python3, -c, "pass"]
"""


def refused(argv: list[Any], capsys: pytest.CaptureFixture[str]) -> str:
    """Run `lanebench ARGV`; it must refuse with exit 2 and exactly one error line."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert code == 2, f"lanebench {' '.join(map(str, argv))}: exit {code}\n{out}\n{err}"
    assert len(lines) == 1 and lines[0].startswith("lanebench: error: "), err
    assert len(lines[0]) < 1000, lines[0][:200]
    return lines[0]


def results_commands(path: Path, tmp: Path) -> list[list[Any]]:
    """Every way the CLI reads a results file, with `path` as head and as base."""
    config = tmp / "lanebench.yml"
    config.write_text(CONFIG, encoding="utf-8")
    return [
        ["show", path],
        ["validate", path],
        ["compare", GOOD, path, "-o", tmp / "c.json"],
        ["compare", path, GOOD, "-o", tmp / "c.json"],
        ["check", GOOD, path],
        ["check", path, GOOD],
        ["report", path],
        ["report", GOOD, path, "--format", "html", "--output", tmp / "r.html"],
        ["report", path, GOOD, "--format", "all", "--output", tmp / "all"],
        ["pr", "--config", config, "--results", path, "--baseline", GOOD, "-o", tmp / "pr"],
        ["pr", "--config", config, "--results", GOOD, "--baseline", path, "-o", tmp / "pr"],
        ["bundle", "--results", path, "--pr", "17", "--head-sha", HEAD_SHA, "--base-ref", "main",
         "--repository", REPO, "--output", tmp / "bundle"],
    ]


def workflow_run() -> dict[str, Any]:
    event = json.loads((WEBHOOKS / "workflow_run.completed.json").read_text(encoding="utf-8"))
    run = event["workflow_run"]
    run.update(event="pull_request", head_sha=HEAD_SHA, pull_requests=[{
        "number": 17, "base": {"repo": {"url": f"https://api.github.com/repos/{REPO}"}}}])
    return run


def forge_bundle(directory: Path, results: bytes) -> Path:
    """A bundle as a fork would forge it around `results`: every hash right."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "results.json").write_bytes(results)
    bundle = {
        "kind": "lanebench-bundle", "schema_version": "1.0.0", "pr_number": 17,
        "head_sha": HEAD_SHA, "base_ref": "main", "repository": REPO, "run_id": "42",
        "created_at": "2026-01-01T00:00:00+00:00", "results_file": "results.json",
        "results_sha256": hashlib.sha256(results).hexdigest(), "results_size": len(results),
    }
    (directory / "lanebench-bundle.json").write_text(json.dumps(bundle), encoding="utf-8")
    return directory


def bundle_refusal(directory: Path) -> str:
    """The action's report mode reads a bundle with read_untrusted_bundle: one line."""
    from lanebench.bundle import UntrustedArtifactError, read_untrusted_bundle

    with pytest.raises(UntrustedArtifactError) as info:
        read_untrusted_bundle(directory, expected_repository=REPO, workflow_run=workflow_run())
    text = str(info.value)
    assert "\n" not in text and len(text) < 1000, text[:200]
    return text


# --- the corpus -------------------------------------------------------------------------


def test_the_good_file_passes_every_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Each refusal below is about the one hostile thing in its file, not the rest of it.
    for argv in results_commands(GOOD, tmp_path):
        assert main([str(a) for a in argv]) == 0, argv
    from lanebench.bundle import read_untrusted_bundle

    read_untrusted_bundle(forge_bundle(tmp_path / "b", GOOD.read_bytes()),
                          expected_repository=REPO, workflow_run=workflow_run())


@pytest.mark.parametrize("path", RESULTS, ids=lambda p: p.stem)
def test_hostile_results_are_refused_by_every_command(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in results_commands(path, tmp_path):
        line = refused(argv, capsys)
        assert path.name in line, line
    bundle_refusal(forge_bundle(tmp_path / "bundle-in", path.read_bytes()))


@pytest.mark.parametrize("path", BUNDLES, ids=lambda p: p.stem)
def test_hostile_bundle_files_are_refused(path: Path, tmp_path: Path) -> None:
    directory = forge_bundle(tmp_path / "b", GOOD.read_bytes())
    shutil.copyfile(path, directory / "lanebench-bundle.json")
    text = bundle_refusal(directory)
    assert "(schema)" in text or "(not-json)" in text, text


def config_commands(config: Path, tmp: Path) -> list[list[Any]]:
    """Every command that reads a config."""
    files = tmp / "files.json"
    files.write_text('[{"filename": "a.py", "status": "modified"}]', encoding="utf-8")
    return [
        ["validate", config],
        ["run", "--config", config, "-o", tmp / "r.json"],
        ["pr", "--config", config, "-o", tmp / "pr"],
        ["baseline", "--config", config, "-o", tmp / "bl", "--store", tmp / "store"],
        ["detect", "--config", config, "--pr-files", files],
        ["compare", GOOD, GOOD, "--config", config, "-o", tmp / "c.json"],
        ["check", GOOD, GOOD, "--config", config],
        ["report", GOOD, GOOD, "--config", config],
    ]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_hostile_configs_are_refused_by_every_command(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in config_commands(path, tmp_path):
        line = refused(argv, capsys)
        assert path.name in line, line
    assert not (tmp_path / "r.json").exists() and not (tmp_path / "bl").exists()


# --- refusals that name what is wrong -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("wall-negative.json", "benchmarks[1].samples.wall[0]: -0.00442 is not a possible wall "
                               "measurement (it is always above 0)"),
        ("wall-zero.json", "benchmarks[1].samples.wall[0]: 0.0 is not a possible wall measurement"),
        ("sample-1e308.json", "benchmarks[0].samples.wall[0]: 1e+308 is out of range"),
        ("settings-string.json", "benchmarks[0].settings: expected an object, got str"),
        ("notes-int.json", "benchmarks[0].notes: expected a list of strings, got int"),
        ("run-lane-object.json", "run.lane: expected a lane name, got dict"),
        ("failure-status-list.json", "benchmarks[0].failures[0].status: expected one of failed, "
                                     "timeout, error, got list"),
        ("name-hangul-filler.json", "holds control or invisible formatting characters"),
        ("name-braille-blank.json", "holds control or invisible formatting characters"),
        ("number-infinity.json", "Infinity is not a JSON number"),
        ("number-5000-digits.json", "a number has too many digits"),
        ("nested-500.json", "nested more than 32 levels deep"),
    ],
)
def test_refusals_name_the_problem(name: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert message in refused(["validate", HOSTILE / "results" / name], capsys)


def test_zero_is_a_real_value_of_io_and_user_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The catalog says which metrics are always above 0; the others keep their zeros.
    doc = json.loads(GOOD.read_text(encoding="utf-8"))
    for bench in doc["benchmarks"]:
        n = len(bench["samples"]["wall"])
        bench["samples"].update(user=[0.0] * n, sys=[0.0] * n, read_bytes=[0.0] * n, write_bytes=[0.0] * n)
    path = tmp_path / "zeros.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["validate", str(path)]) == 0


def test_a_side_without_samples_is_insufficient_data_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `min_iterations: 0` writes a benchmark with status ok and empty sample lists.
    doc = json.loads(GOOD.read_text(encoding="utf-8"))
    doc["benchmarks"][0]["samples"] = {k: [] for k in doc["benchmarks"][0]["samples"]}
    head = tmp_path / "empty.json"
    head.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "c.json"
    assert main(["compare", str(GOOD), str(head), "-o", str(out)]) == 0
    verdicts = {(m["benchmark"], m["verdict"]) for m in json.loads(out.read_text())["metrics"]}
    assert ("parse", "insufficient data") in verdicts and ("parse", "unchanged") not in verdicts
    assert main(["check", str(GOOD), str(head)]) == 0
    assert main(["report", str(GOOD), str(head), "--format", "all", "--output", str(tmp_path / "r")]) == 0


# --- hostile by size: generated, with the bound on the work -------------------------------


def write_deep_json(path: Path, depth: int) -> Path:
    good = GOOD.read_text(encoding="utf-8").rstrip().rstrip("}")
    path.write_text(good + ', "deep": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    return path


def test_json_nested_100000_deep_is_refused_by_all_readers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 200 KB of brackets. Bound: json's own recursion limit stops the parse, and the
    # shape walk of any shallower file stops at level 33; nothing recurses over the file.
    path = write_deep_json(tmp_path / "deep.json", 100_000)
    for argv in results_commands(path, tmp_path):
        assert "nested more than 32 levels deep" in refused(argv, capsys)
    assert "nested more than 32 levels deep" in bundle_refusal(
        forge_bundle(tmp_path / "b", path.read_bytes()))


def test_40000_benchmarks_are_refused_before_any_is_validated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bound: the count is checked before per-benchmark work, so the work is one linear
    # JSON parse; no benchmark (let alone every pair of names) is ever looked at.
    import lanebench.results.files as results_module

    doc = json.loads(GOOD.read_text(encoding="utf-8"))
    doc["benchmarks"] = [{"name": f"b{i}", "samples": {"wall": [0.1]}} for i in range(40_000)]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    calls = 0
    real = results_module._benchmark

    def counting(b: Any, where: str, v: Any, *args: Any) -> Any:
        nonlocal calls
        calls += v.source.endswith("many.json")
        return real(b, where, v, *args)

    monkeypatch.setattr(results_module, "_benchmark", counting)
    for argv in results_commands(path, tmp_path):
        assert "40000 benchmarks (limit 1000)" in refused(argv, capsys)
    assert "(too-many-benchmarks)" in bundle_refusal(forge_bundle(tmp_path / "b", path.read_bytes()))
    assert calls == 0


def test_duplicate_names_are_found_in_linear_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 1000 benchmarks (the limit), the last a duplicate: found by a set, not names.count.
    doc = json.loads(GOOD.read_text(encoding="utf-8"))
    one = doc["benchmarks"][0]
    doc["benchmarks"] = [{**one, "name": f"b{i}"} for i in range(999)] + [{**one, "name": "b0"}]
    path = tmp_path / "dupes.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert "duplicate benchmark names: b0" in refused(["validate", path], capsys)


def test_a_10_mb_benchmark_name_is_refused_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Bound: the name's length is the first thing checked; nothing renders it.
    doc = json.loads(GOOD.read_text(encoding="utf-8"))
    doc["benchmarks"][0]["name"] = "x" * 10_000_000
    path = tmp_path / "long-name.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    for argv in results_commands(path, tmp_path):
        line = refused(argv, capsys)
        assert "characters long (limit" in line
    assert not (tmp_path / "r.html").exists()
    # The same name in a config: over the config's size limit before YAML parses it.
    config = tmp_path / "long-name.yml"
    config.write_text(f"benchmarks:\n  - name: {'x' * 10_000_000}\n    command: [python3]\n")
    assert "the config file is over 1048576 bytes" in refused(["validate", config], capsys)
    config.write_text(f"benchmarks:\n  - name: {'x' * 201}\n    command: [python3]\n")
    assert "at most 200 characters" in refused(["validate", config], capsys)


def test_a_results_file_over_the_size_limit_is_refused_before_parsing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import lanebench.results.json_input as results_module

    path = tmp_path / "huge.json"
    with open(path, "wb") as fh:  # sparse: 65 MiB of size, no bytes written
        fh.truncate(65 * 1024 * 1024)
    parsed: list[Any] = []
    monkeypatch.setattr(results_module, "parse_json", lambda text: parsed.append(text))
    assert "over the limit of 67108864 bytes" in refused(["show", path], capsys)
    assert parsed == []


def test_8_baseline_samples_against_100000_head_samples_use_the_normal_approximation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # scipy's exact U distribution costs ~90 s at 8 vs 100,000. Bound: every scipy
    # Mann-Whitney call in the whole compare/check/report gets the exact method only when
    # the larger sample has at most 1000 values.
    from scipy import stats as sps

    calls: list[tuple[int, int, str]] = []
    real = sps.mannwhitneyu

    def spy(x: Any, y: Any, *args: Any, **kwargs: Any) -> Any:
        method = kwargs.get("method", "auto")
        calls.append((len(x), len(y), method))
        exact = method == "exact" or method == "auto" and min(len(x), len(y)) <= 8
        assert not (exact and max(len(x), len(y)) > 1000), f"exact U at {len(x)} vs {len(y)}"
        return real(x, y, *args, **kwargs)

    monkeypatch.setattr(sps, "mannwhitneyu", spy)
    base = json.loads(GOOD.read_text(encoding="utf-8"))
    head = json.loads(GOOD.read_text(encoding="utf-8"))
    for b in base["benchmarks"]:
        b["samples"] = {"wall": [0.1 + i * 1e-3 for i in range(8)], "cpu": [0.09 + i * 1e-3 for i in range(8)]}
    for b in head["benchmarks"]:
        n = 100_000
        b["samples"] = {"wall": [0.1 + i * 1e-7 for i in range(n)], "cpu": [0.09 + i * 1e-7 for i in range(n)]}
    (tmp_path / "base.json").write_text(json.dumps(base), encoding="utf-8")
    (tmp_path / "head.json").write_text(json.dumps(head), encoding="utf-8")
    for argv in (["compare", "base.json", "head.json", "-o", "c.json"], ["check", "base.json", "head.json"]):
        assert main([str(tmp_path / a) if a.endswith(".json") else a for a in argv]) in (0, 1)
    capsys.readouterr()
    assert calls, "compare did not test anything"
    assert all(method != "auto" for _, _, method in calls)
    assert all(max(nx, ny) <= 1000 for nx, ny, method in calls if method == "exact")


def test_the_method_is_scipys_auto_for_every_size_up_to_1000() -> None:
    # Verdicts of ordinary runs must not move: below 1000 samples, the same p as scipy's
    # own "auto" choice, with and without ties.
    import numpy as np
    from scipy import stats as sps

    from lanebench.stats.twosample import mann_whitney_p

    rng = np.random.default_rng(3)
    for n1, n2 in ((3, 5), (8, 8), (8, 200), (5, 1000), (9, 9), (30, 30), (2, 999)):
        for ties in (False, True):
            x, y = rng.normal(1.0, 0.1, n1), rng.normal(1.05, 0.1, n2)
            if ties:
                x, y = np.round(x, 1), np.round(y, 1)
            auto = sps.mannwhitneyu(x, y, alternative="two-sided", method="auto").pvalue
            assert mann_whitney_p(x, y) == pytest.approx(float(auto), rel=1e-12), (n1, n2, ties)


def test_a_10_mb_config_is_refused_before_yaml_parses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    entry = "  - {name: x, comand: [true]}\n"  # a typo in every entry: 74,000+ errors once
    config = tmp_path / "big.yml"
    config.write_text("benchmarks:\n" + entry * (10_000_000 // len(entry)), encoding="utf-8")
    loads: list[Any] = []
    monkeypatch.setattr(yaml, "load", lambda *a, **k: loads.append(a))
    assert "the config file is over 1048576 bytes" in refused(["validate", config], capsys)
    assert loads == []


def test_many_config_errors_are_capped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 30,000 mistyped patterns: 30,000 errors. Bound: 20 lines are formatted and shown,
    # the rest counted, and deduplication is by set (linear).
    import lanebench.config as config_module

    config = tmp_path / "errors.yml"
    config.write_text(CONFIG + "docs_patterns: [" + ", ".join(["1"] * 30_000) + "]\n")
    formatted = 0
    real = config_module._error_line

    def counting(*args: Any) -> str:
        nonlocal formatted
        formatted += 1
        return real(*args)

    monkeypatch.setattr(config_module, "_error_line", counting)
    assert main(["validate", str(config)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 21 and formatted == 20
    assert lines[0].endswith("docs_patterns[0]: expected a valid string, got 1")
    assert lines[-1].endswith("… and 29980 more problems (fix these first)")


def test_yaml_nested_50000_deep_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "deep.yml"
    config.write_text(CONFIG + "docs_patterns: " + "[" * 50_000 + "]" * 50_000 + "\n")
    line = refused(["validate", config], capsys)
    assert "nested more than 32 levels deep" in line or "exceeded maximum nesting depth" in line
    config.write_text(CONFIG + "docs_patterns: " + "[" * 40 + "]" * 40 + "\n")
    assert "nested more than 32 levels deep" in refused(["validate", config], capsys)


def test_a_config_over_the_benchmark_limit_is_refused_before_validating_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "many.yml"
    config.write_text("benchmarks:\n" + "".join(
        f"  - {{name: b{i}, comand: [true]}}\n" for i in range(2000)), encoding="utf-8")
    # one line, not 2000 "unknown key" lines: the count is checked first
    assert "2000 benchmarks, more than the limit of 1000" in refused(["validate", config], capsys)


# --- config values that passed validation and crashed the run -------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("timeout-inf.yml", "defaults.timeout: expected a duration of at most a year, got inf"),
        ("timeout-1e400s.yml", 'defaults.timeout: expected a duration of at most a year, got "1e400s"'),
        ("sample-interval-inf.yml", "defaults.sample_interval: expected a duration of at most a year"),
        ("command-empty-program.yml", "benchmarks[0].command: the program (the first argument) is empty"),
    ],
)
def test_config_values_that_crashed_the_run_are_refused(
    name: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = refused(["run", "--config", HOSTILE / "configs" / name, "-o", tmp_path / "r.json"], capsys)
    assert message in line


@pytest.mark.parametrize("command", ["run", "pr", "baseline"])
def test_iterations_past_the_config_cap_are_refused(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "lanebench.yml"  # a failing command: a run that starts stops at once
    config.write_text("benchmarks:\n  - name: fails\n    command: [\"false\"]\n", encoding="utf-8")
    output = ["-o", tmp_path / ("r.json" if command == "run" else "out")]
    for n, expected in (("100001", "--iterations 100001: expected a number from 1 to 100000"),):
        assert expected in refused([command, "--config", config, "-n", n, *output], capsys)
    if command != "run":  # `run` refuses 0 and negatives in its argument parser
        assert "--iterations 0" in refused([command, "--config", config, "-n", "0", *output], capsys)
    assert not (tmp_path / "r.json").exists() and not (tmp_path / "out" / "lanebench-results.json").exists()


# --- smaller ----------------------------------------------------------------------------------


def test_check_and_compare_refuse_a_head_of_no_benchmarks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(GOOD.read_text(encoding="utf-8"))
    doc["benchmarks"] = []
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps(doc), encoding="utf-8")
    assert "hold no benchmarks" in refused(["check", GOOD, empty], capsys)
    assert "hold no benchmarks" in refused(["compare", GOOD, empty, "-o", tmp_path / "c.json"], capsys)


def test_run_refuses_an_output_that_is_a_directory_before_measuring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "measured"
    config = tmp_path / "lanebench.yml"
    config.write_text(
        "benchmarks:\n  - name: touch\n"
        f"    command: [python3, -c, \"open('{marker}', 'a').close()\"]\n", encoding="utf-8")
    (tmp_path / "out").mkdir()
    assert "--output" in refused(["run", "--config", config, "-n", "1", "-o", tmp_path / "out"], capsys)
    assert not marker.exists()
    (tmp_path / "file").write_text("x")
    line = refused(["pr", "--config", config, "-n", "1", "-o", tmp_path / "file"], capsys)
    assert "--output-dir" in line and not marker.exists()
    line = refused(["compare", GOOD, GOOD, "-o", tmp_path / "out"], capsys)
    assert "--output" in line and "is a directory" in line


def test_a_mistake_in_defaults_is_reported_once(capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(["validate", HOSTILE / "configs" / "defaults-timeout-typo.yml"], capsys)
    assert line.endswith('defaults.timeout: expected a duration like "90s", got "fast"')


def test_a_mistake_in_a_lane_of_its_own_is_still_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "lanebench.yml"
    config.write_text(CONFIG + "defaults:\n  timeout: fast\nlanes:\n  standard:\n    timeout: fast\n")
    assert main(["validate", str(config)]) == 2
    err = capsys.readouterr().err
    assert "defaults.timeout" in err and "lanes.standard.timeout" in err


@pytest.mark.parametrize(
    "name",
    ["\u3164", "\u115f\u1160", "\uffa0", "\u2800", "\u200b", "\u2060", "\ufe0f", "\u0301\u0301",
     "\U000e0041", "a\u200d", "\ue000"],
)
def test_names_without_a_visible_character_are_refused(name: str) -> None:
    from lanebench.names import name_problem

    assert name_problem(name) is not None, repr(name)


@pytest.mark.parametrize("name", ["parse", "bücher", "解析", "emoji 🔥\ufe0f", "a-b_c.d", "x" * 200])
def test_ordinary_names_pass(name: str) -> None:
    from lanebench.names import name_problem

    assert name_problem(name) is None
