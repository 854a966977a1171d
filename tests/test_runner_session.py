"""run_benchmarks with real commands: samples, logs, failures, timeouts, checkpoint and resume,
progress. The loop's counting (stopping, budget, fair shares, pairs) is in test_runner_stages."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from lanebench.config import Config, LaneSettings, load_config
from lanebench.errors import ConfigError
from lanebench.metrics import METRICS
from lanebench.pipeline import record
from lanebench.results import RunInfo, read_results
from lanebench.runner import run_benchmarks
from lanebench.runner.progress import GitHubProgress, PlainProgress, RichProgress, make_progress
from tests.helpers import Rule

pytestmark = pytest.mark.slow  # real commands measured

PY = sys.executable


def make_config(tmp_path: Path, benchmarks: str) -> Config:
    path = tmp_path / ".github" / "lanebench.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("benchmarks:\n" + benchmarks, encoding="utf-8")
    return load_config(path)


def quick(name: str, code: str = "pass", extra: str = "") -> str:
    return f"  - name: {name}\n    command: [{PY}, -c, {json.dumps(code)}]\n{extra}"


def lane(**settings) -> LaneSettings:
    base = {"warmup": 0, "min_iterations": 3, "max_iterations": 3, "sample_interval": 0.02}
    base.update(settings)
    return LaneSettings(**base)


def run(config: Config, settings: LaneSettings, tmp_path: Path, *, should_stop=None, **kwargs):
    """`run_benchmarks` as a job runs it: its results written to out/results.json."""
    output = tmp_path / "out" / "results.json"
    if should_stop is not None:
        kwargs["stop_rule"] = Rule(should_stop)
    doc = record(output, lambda: run_benchmarks(
        config, "standard", settings, list(config.benchmarks), output=output, **kwargs
    ))
    return doc, output


def test_exact_iterations_without_callback(tmp_path: Path) -> None:
    config = make_config(tmp_path, quick("a") + quick("b"))
    doc, output = run(config, lane(warmup=1, min_iterations=4, max_iterations=20), tmp_path)
    assert [b.n for b in doc.benchmarks] == [4, 4]
    for bench in doc.benchmarks:
        assert bench.status == "ok"
        assert set(bench.samples) == set(METRICS)
        assert bench.settings.to_dict() == {
            "iterations": 4,
            "min_iterations": 4,
            "max_iterations": 20,
            "adaptive": False,
            "warmup": 1,
            "timeout": 300.0,
            "sample_interval": 0.02,
            "max_failures": 1,
        }
    assert doc.run.status == "complete" and doc.run.lane == "standard"
    assert doc.run.started_at.endswith("Z") and doc.run.finished_at.endswith("Z")
    assert doc.environment["cpu_count"] >= 1
    # written, readable, checkpoint removed, logs beside the output
    assert read_results(output).benchmark("a").n == 4
    assert not (output.parent / "results.checkpoint.jsonl").exists()
    assert (output.parent / ".lanebench" / "logs" / "a" / "last.stdout").exists()


def test_failures_stop_after_max_failures(tmp_path: Path) -> None:
    code = "import sys; print('broken input', file=sys.stderr); sys.exit(2)"
    config = make_config(tmp_path, quick("bad", code) + quick("good"))
    doc, output = run(config, lane(min_iterations=5, max_iterations=5, max_failures=2), tmp_path)
    bad = doc.benchmark("bad")
    assert bad.status == "failed"
    assert bad.n == 0
    assert [f.exit_code for f in bad.failures] == [2, 2]
    assert bad.failures[0].stderr_tail == "broken input\n"
    assert "stopped after 2 failed iterations (max_failures 2)" in bad.notes
    assert doc.benchmark("good").n == 5  # one broken benchmark does not stop the others
    logs = output.parent / ".lanebench" / "logs" / "bad"
    assert (logs / "iteration-1.stderr").read_text() == "broken input\n"


def test_timeout_status(tmp_path: Path) -> None:
    config = make_config(
        tmp_path, quick("hang", "import time; time.sleep(30)", "    timeout: 0.3s\n")
    )
    doc, _ = run(config, lane(), tmp_path)
    bench = doc.benchmark("hang")
    assert bench.status == "timeout"
    assert bench.failures[0].status == "timeout"
    assert bench.settings.timeout == 0.3


def test_leftover_processes_are_noted(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        "  - name: bg\n    shell: true\n    command: \"sleep 30 & echo started\"\n",
    )
    doc, _ = run(config, lane(min_iterations=2, max_iterations=2), tmp_path)
    notes = doc.benchmark("bg").notes
    assert any("killed processes left running after 2 of 2 iterations" in n for n in notes), notes


def test_cwd_and_env_come_from_the_spec(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    code = "import os; open('where.txt', 'w').write(os.getcwd() + ' ' + os.environ['DEMO'])"
    config = make_config(tmp_path, quick("c", code, "    cwd: sub\n    env: {DEMO: hello}\n"))
    run(config, lane(min_iterations=1, max_iterations=1), tmp_path)
    assert (tmp_path / "sub" / "where.txt").read_text() == f"{tmp_path / 'sub'} hello"


def test_lane_that_does_not_run(tmp_path: Path) -> None:
    config = make_config(tmp_path, quick("a"))
    doc, output = run(config, lane(run=False), tmp_path)
    assert doc.benchmark("a").status == "skipped"
    assert doc.benchmark("a").n == 0
    assert output.exists()


class Boom(Exception):
    pass


def test_resume_replays_the_checkpoint(tmp_path: Path) -> None:
    config = make_config(tmp_path, quick("a") + quick("b"))
    settings = lane(warmup=1, min_iterations=4, max_iterations=9)
    seen: list[str] = []

    def crash_in_b(name: str, samples: dict[str, list[float]]) -> bool:
        seen.append(name)
        if name == "b" and len(samples["wall"]) == 5:
            raise Boom()
        return name == "a" and len(samples["wall"]) >= 6

    with pytest.raises(Boom):
        run(config, settings, tmp_path, should_stop=crash_in_b)
    checkpoint = tmp_path / "out" / "results.checkpoint.jsonl"
    lines = [json.loads(x) for x in checkpoint.read_text().splitlines()]
    assert lines[0]["type"] == "header"
    # each: warmup + 4, then a warmup again before the extra iterations; a reached 6 samples,
    # b 5 (the crash came after b's 5th sample was checkpointed)
    assert sum(1 for x in lines if x["type"] == "iteration") == (1 + 4 + 1 + 2) + (1 + 4 + 1 + 1)

    # a different lane setting must not continue this checkpoint
    with pytest.raises(ConfigError, match="different run"):
        run(config, lane(warmup=1, min_iterations=4, max_iterations=10), tmp_path,
            should_stop=crash_in_b, resume=True)

    doc, _ = run(
        config, settings, tmp_path, resume=True,
        should_stop=lambda name, s: name == "a" and len(s["wall"]) >= 6 or len(s["wall"]) >= 7,
    )
    assert doc.benchmark("a").n == 6  # finished before the crash: not re-run
    assert doc.benchmark("b").n == 7
    assert doc.run.resumed_iterations == 15
    assert not checkpoint.exists()


def test_resume_refuses_another_commit(tmp_path: Path) -> None:
    config = make_config(tmp_path, quick("a"))

    def crash(name: str, samples: dict[str, list[float]]) -> bool:
        raise Boom()

    with pytest.raises(Boom):
        run(config, lane(min_iterations=1, max_iterations=3), tmp_path, should_stop=crash,
            run_info=RunInfo(commit="a" * 40))
    with pytest.raises(ConfigError, match="written at commit aaaaaaaaaaaa"):
        run(config, lane(min_iterations=1, max_iterations=3), tmp_path, should_stop=crash,
            run_info=RunInfo(commit="b" * 40), resume=True)


def test_truncated_last_checkpoint_line_is_ignored(tmp_path: Path) -> None:
    config = make_config(tmp_path, quick("a"))
    settings = lane(min_iterations=2, max_iterations=5)

    def crash(name: str, samples: dict[str, list[float]]) -> bool:
        raise Boom()

    with pytest.raises(Boom):
        run(config, settings, tmp_path, should_stop=crash)
    checkpoint = tmp_path / "out" / "results.checkpoint.jsonl"
    with open(checkpoint, "a") as fh:
        fh.write('{"type": "iteration", "benchmark": "a", "sta')  # killed mid-write
    doc, _ = run(config, settings, tmp_path, resume=True, should_stop=lambda n, s: len(s["wall"]) >= 3)
    assert doc.benchmark("a").n == 3


# --- progress ---------------------------------------------------------------------------------


def test_plain_progress_prints_a_line_per_iteration(tmp_path: Path) -> None:
    config = make_config(tmp_path, quick("a", "import sys; sys.exit(4)") + quick("b"))
    stream = io.StringIO()
    run(config, lane(warmup=1, min_iterations=2, max_iterations=2), tmp_path,
        progress=PlainProgress(stream))
    text = stream.getvalue()
    assert "[a] warmup 1/1: FAILED: exited with code 4" in text
    assert "[b] warmup 1/1: wall " in text
    assert "[b] 1/2: wall " in text and "[b] 2/2: wall " in text
    assert "[b] ok: 2 samples, median wall" in text
    assert "::group::" not in text


def test_github_progress_groups_each_benchmark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    stream = io.StringIO()
    progress = make_progress(stream)
    assert isinstance(progress, GitHubProgress)
    config = make_config(tmp_path, quick("a") + quick("b"))
    run(config, lane(min_iterations=1, max_iterations=1), tmp_path, progress=progress)
    lines = stream.getvalue().splitlines()
    assert lines.index("::group::a") < lines.index("::endgroup::") < lines.index("::group::b")
    assert lines.count("::endgroup::") == 2


def test_github_groups_stay_balanced_in_adaptive_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    stream = io.StringIO()
    config = make_config(tmp_path, quick("a") + quick("b"))
    # a is satisfied right after its minimum (no second group), b needs two more
    run(config, lane(min_iterations=2, max_iterations=6), tmp_path, progress=make_progress(stream),
        should_stop=lambda name, s: name == "a" or len(s["wall"]) >= 4)
    groups = [x for x in stream.getvalue().splitlines() if x.startswith("::")]
    assert groups == [
        "::group::a", "::endgroup::", "::group::b", "::endgroup::",
        "::group::b (more iterations)", "::endgroup::",
    ]


def test_plain_progress_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert type(make_progress(io.StringIO())) is PlainProgress


def test_rich_progress_shows_bars_and_failures(tmp_path: Path) -> None:
    config = make_config(tmp_path, quick("a", "import sys; sys.exit('no input file')") + quick("b"))
    stream = io.StringIO()
    run(config, lane(min_iterations=2, max_iterations=2), tmp_path, progress=RichProgress(stream))
    text = stream.getvalue()
    assert "a iteration 1: failed: exited with code 1" in text
    assert "| no input file" in text
    assert "2/2" in text  # b's bar completed
