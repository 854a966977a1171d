"""What `lanebench init` finds in a tree, and what it makes of it, without running anything:
detectors per ecosystem on small trees, iteration plans, the config and workflow texts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from lanebench.config import builtin_config, config_from_dict
from lanebench.init import detect, scan
from lanebench.init.configfile import Choice, check_config, render_config
from lanebench.init.model import Trial
from lanebench.init.plan import HEADROOM, MIN_USEFUL_ITERATIONS, plan_iterations, timeout_for
from lanebench.init.workflows import KINDS, ActionPin, render
from tests.helpers import REPO
from tests.init_helpers import FIXTURES


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def found(root: Path) -> dict[str, object]:
    return {p.name: p for p in detect(scan(root)).proposals}


def test_go_benchmarks_are_run_with_a_fixed_iteration_count(tmp_path: Path) -> None:
    tree(tmp_path, {
        "go.mod": "module example.com/demo\n\ngo 1.19\n",
        "split/split.go": "package split\n",
        "split/split_test.go": "package split\n\nimport \"testing\"\n\nfunc BenchmarkSplit(b *testing.B) {}\n",
        "other/nested/go.mod": "module example.com/nested\n",
        "other/nested/x_test.go": "func BenchmarkNested(b *testing.B) {}\n",
    })
    proposals = found(tmp_path)
    go = proposals["go-bench"]
    assert go.command == ["go", "test", "-run", "^$", "-bench", ".", "-benchtime", "100x",
                          "-count", "1", "-vet=off", "./split"]
    assert [str(w) for w in go.where] == ["split/split_test.go:5"]
    assert go.paths == ["**/*.go", "go.mod", "go.sum"]
    assert go.harness.format == "go" and go.harness.output == "stdout"
    # the nested module is a module of its own, proposed from its folder
    nested = proposals["go-bench-other-nested"]
    assert nested.cwd == "other/nested" and nested.command[-1] == "."


def test_cargo_benches_google_benchmark_and_its_unbuilt_sources(tmp_path: Path) -> None:
    tree(tmp_path, {
        "Cargo.toml": "[package]\nname = \"demo\"\n\n[[bench]]\nname = \"parse\"\nharness = false\n",
        "benches/parse.rs": "fn main() {}\n",
        "cpp/CMakeLists.txt": "add_executable(bench_sort bench_sort.cc)\n"
                              "target_link_libraries(bench_sort PRIVATE benchmark::benchmark)\n",
        "cpp/bench_sort.cc": "#include <benchmark/benchmark.h>\nBENCHMARK(BM_Sort);\n",
        "loose/bench_copy.cc": "BENCHMARK(BM_Copy)->Arg(8);\n",
    })
    detection = detect(scan(tmp_path))
    proposals = {p.name: p for p in detection.proposals}
    cargo = proposals["cargo-bench-demo"]
    assert cargo.command == ["cargo", "bench", "--quiet"]
    assert "src/**" in cargo.paths and "benches/**" in cargo.paths
    gbench = proposals["gbench-bench-sort"]
    assert gbench.cwd == "cpp" and gbench.command == ["build/lanebench/bench_sort"]
    assert gbench.setup == ("cmake -S cpp -B cpp/build/lanebench -DCMAKE_BUILD_TYPE=Release "
                            "&& cmake --build cpp/build/lanebench --target bench_sort")
    assert gbench.harness.command[-2:] == ["--benchmark_out={output}", "--benchmark_out_format=json"]
    (finding,) = detection.findings
    assert str(finding.where[0]) == "loose/bench_copy.cc:1"
    assert "no CMake target links it with benchmark::benchmark" in finding.reason


def test_task_runners_hyperfine_and_scripts(tmp_path: Path) -> None:
    tree(tmp_path, {
        "package.json": '{"scripts": {"bench": "node bench.js", "bench:io": "node io.js", "test": "x"}}',
        "src/index.js": "",
        "tox.ini": "[tox]\nenvlist = py\n\n[testenv:bench]\ncommands = python perf/run.py\n",
        "noxfile.py": "import nox\n\n@nox.session\ndef benchmarks(session):\n    pass\n\n"
                      "@nox.session\ndef tests(session):\n    pass\n",
        "scripts/compare.sh": "#!/bin/sh\nhyperfine 'sort a' 'sort b'\n",
        "Makefile": ".PHONY: bench\nCC := cc\nbench: build\n\t@python3 perf/run.py\n\nbuild:\n\tcc x.c\n",
        "perf/run.py": "if __name__ == \"__main__\":\n    pass\n",
    })
    proposals = found(tmp_path)
    assert proposals["npm-bench"].command == ["npm", "run", "--silent", "bench"]
    assert proposals["npm-bench-io"].paths == ["src/**", "package.json"]
    assert proposals["tox-bench"].command == ["tox", "-q", "-e", "bench"]
    assert proposals["nox-benchmarks"].command[:3] == ["nox", "-s", "benchmarks"]
    assert "nox-tests" not in proposals
    assert proposals["hyperfine-compare"].command == ["sh", "scripts/compare.sh"]
    assert proposals["hyperfine-compare"].harness.format == "hyperfine"
    make = proposals["make-bench"]
    assert make.command == ["make", "bench"] and str(make.where[0]) == "Makefile:3"
    assert make.paths == ["Makefile", "perf/run.py"]
    assert "make-build" not in proposals
    # the script the Makefile and tox run is proposed itself: they are marked as its duplicates
    assert proposals["script-run"].command == ["python3", "perf/run.py"]
    assert make.duplicate_of == "script-run" and proposals["tox-bench"].duplicate_of is None


def test_third_party_projects_as_found() -> None:
    cattrs = detect(scan(FIXTURES / "cattrs"))
    assert cattrs.package.packages == ["cattrs", "cattr"] and cattrs.package.src_layout
    (suite,) = cattrs.proposals
    assert suite.found == "pytest-benchmark suite: 12 test functions using the `benchmark` fixture"
    assert suite.harness.format == "pytest-benchmark"
    assert "--benchmark-json={output}" in suite.harness.command
    psutil = detect(scan(FIXTURES / "psutil"))
    assert psutil.package.compiled  # setup.py builds C extensions
    assert [p.name for p in psutil.proposals] == [
        "pyperf-bench-oneshot-2", "make-bench-oneshot", "make-bench-oneshot-2"]
    tomli = detect(scan(FIXTURES / "tomli"))
    (fallback,) = tomli.proposals
    assert fallback.fallback and fallback.command == ["python3", "-c", "import tomli"]


def test_a_harness_proposal_becomes_a_harness_entry_with_one_switch() -> None:
    (suite,) = detect(scan(FIXTURES / "cattrs")).proposals
    plain = suite.config_entry(harness_entries=False)
    assert "harness" not in plain and "--benchmark-max-time=0" in plain["command"]
    entry = suite.config_entry(harness_entries=True)
    assert entry["harness"] == "pytest-benchmark" and entry["output"] == "file"
    assert "--benchmark-json={output}" in entry["command"]
    assert entry["paths"] == plain["paths"] and entry["env"] == plain["env"]


def test_iterations_stay_the_built_in_lanes_when_they_fit(tmp_path: Path) -> None:
    plan = plan_iterations([0.5, 1.0], tmp_path)
    assert plan.defaults == {}
    assert {lane.name for lane in plan.lanes} == {"heavy", "standard"}  # docs runs nothing


def test_iterations_shrink_to_fit_the_budgets_and_the_baseline(tmp_path: Path) -> None:
    lanes = builtin_config(tmp_path).lanes
    plan = plan_iterations([40.0], tmp_path)
    low, high = plan.defaults["min_iterations"], plan.defaults["max_iterations"]
    assert MIN_USEFUL_ITERATIONS <= low <= high < lanes["heavy"].max_iterations
    # the baseline's fixed `high` rounds, and each lane's minimum, fit HEADROOM of the budget
    assert (high + lanes["heavy"].warmup) * 40.0 <= HEADROOM * lanes["heavy"].budget
    assert (low + lanes["standard"].warmup) * 40.0 <= HEADROOM * lanes["standard"].budget
    config_from_dict({"benchmarks": [{"name": "x", "command": ["true"]}], "defaults": plan.defaults})


def test_a_benchmark_too_slow_for_any_budget_raises_it_and_says_so(tmp_path: Path) -> None:
    plan = plan_iterations([300.0], tmp_path)
    assert plan.defaults["min_iterations"] == plan.defaults["max_iterations"] == MIN_USEFUL_ITERATIONS
    assert plan.defaults["budget"] == "51min"  # (0.3 + 6 × 300 s) / 0.6, whole minutes up
    assert "raised" in plan.notes[0]
    assert timeout_for(300.0) == 900.0 and timeout_for(10.0) is None


def test_the_config_text_validates_and_keeps_left_out_proposals_as_comments(tmp_path: Path) -> None:
    proposals = detect(scan(FIXTURES / "psutil")).proposals
    choices = [Choice(proposals[0], Trial("ok", wall=0.5), True),
               Choice(proposals[1], Trial("failed", message="exited with code 2: boom"), False)]
    text = render_config(choices, plan_iterations([60.0], tmp_path), ".github/lanebench.yml")
    config = check_config(text, "x")
    assert [b.name for b in config.benchmarks] == ["pyperf-bench-oneshot-2"]
    assert "  # left out: its trial run failed: exited with code 2: boom" in text
    assert "  # - name: make-bench-oneshot" in text
    data = yaml.safe_load(text)
    assert set(data) == {"version", "benchmarks", "defaults"}


@pytest.mark.parametrize("kind", ["same-repo", "fork-safe"])
def test_workflows_are_the_linted_examples_with_the_pin_filled_in(kind: str) -> None:
    proposals = detect(scan(FIXTURES / "tomli")).proposals
    for name, text in render(KINDS[kind], proposals, ActionPin()).items():
        assert text == (REPO / "examples" / "workflows" / name).read_text(encoding="utf-8")
    pin = ActionPin("me/lanebench@" + "ab" * 20, "v1.2.3")
    for text in render(KINDS[kind], proposals, pin).values():
        assert "0" * 40 not in text
        assert (f"uses: me/lanebench@{'ab' * 20} # v1.2.3" in text
                or f'"lanebench @ git+https://github.com/me/lanebench@{"ab" * 20}"' in text)


def test_runner_toolchain_for_go_is_the_example() -> None:
    """The example measures a Go module: rendered for one, it is the example exactly."""
    root = FIXTURES.parent / "harness" / "go" / "demo"
    proposals = [p for p in detect(scan(root)).proposals if p.detector == "go"]
    assert proposals
    (text,) = render(KINDS["runner-toolchain"], proposals, ActionPin()).values()
    assert text == (REPO / "examples" / "workflows" / "runner-toolchain.yml").read_text(encoding="utf-8")


def test_sharded_is_listed_with_the_reason_it_cannot_be_written() -> None:
    assert "lanebench shard" in (KINDS["sharded"].unavailable() or "")
    for key in ("same-repo", "fork-safe", "runner-toolchain"):
        assert KINDS[key].unavailable() is None


def test_a_benchmark_script_without_a_main_guard_is_a_program_and_a_helper_module_is_not(
    tmp_path: Path,
) -> None:
    tree(tmp_path, {
        "bench/cpu_loop.py": '"""A loop."""\n\ntotal = 0\nfor i in range(10):\n    total += i\nprint(total)\n',
        "bench/guarded.py": "def main():\n    pass\n\nif __name__ == '__main__':\n    main()\n",
        "bench/helpers.py": '"""Shared helpers."""\n\nimport os\n\nN = 3\n\ndef work():\n    return N\n',
    })
    proposals = found(tmp_path)
    assert {"script-cpu-loop", "script-guarded"} <= set(proposals)
    assert "script-helpers" not in proposals
    assert proposals["script-cpu-loop"].command[-1] == "bench/cpu_loop.py"
