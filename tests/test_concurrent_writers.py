"""Two things at once, and crashes: real `lanebench` processes sharing a checkpoint or a
baseline store, kill -9 in the middle of a run, and what `--resume` keeps afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lanebench.results import read_results
from tests.helpers import cli_env, lanebench
from tests.helpers import start_lanebench as start

PY = sys.executable

# Each iteration sleeps, so that a second process certainly starts while the first runs.
SLEEPY = """\
benchmarks:
  - name: nap
    command: [python3, -c, "import time; time.sleep(0.25)"]
defaults:
  warmup: 0
  calibration: {measure: false}
"""


def iteration_lines(checkpoint: Path) -> int:
    if not checkpoint.exists():
        return 0
    return checkpoint.read_bytes().count(b'"type":"iteration"')


def wait_for(condition: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "lanebench.yml").write_text(SLEEPY, encoding="utf-8")
    return tmp_path


def test_a_second_run_into_the_same_checkpoint_stops_and_names_the_first(project: Path) -> None:
    first = start("run", "-c", "lanebench.yml", "-n", "24", "-o", "same.json", cwd=project)
    checkpoint = project / "same.checkpoint.jsonl"
    wait_for(lambda: iteration_lines(checkpoint) >= 1, "the first run's first iteration")
    second = lanebench("run", "-c", "lanebench.yml", "-n", "4", "-o", "same.json", cwd=project)
    assert first.poll() is None, "the first run ended before the second started: no overlap"
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert second.returncode == 2, second.stderr
    (line,) = second.stderr.splitlines()
    assert f"the checkpoint {Path('same.checkpoint.jsonl')}" in line
    assert f"being written by another lanebench (pid {first.pid}, `lanebench run" in line
    assert "give this run another output (--output, --output-dir)" in line
    # The first run's results are whole: four samples, nothing from the second.
    doc = read_results(project / "same.json")
    assert doc.benchmarks[0].n == 24 and doc.run.status == "complete"
    assert not checkpoint.exists() and not (project / "same.checkpoint.jsonl.lock").exists()


def test_resume_after_kill_9_keeps_every_complete_sample(project: Path) -> None:
    run = start("run", "-c", "lanebench.yml", "-n", "8", "-o", "r.json", cwd=project)
    checkpoint = project / "r.checkpoint.jsonl"
    wait_for(lambda: iteration_lines(checkpoint) >= 3, "three iterations in the checkpoint")
    run.kill()  # SIGKILL: no handler runs, the lock dies with the process
    run.communicate(timeout=60)
    complete = iteration_lines(checkpoint)
    # What a crash can leave at the end: a line cut short, and blocks of NUL bytes.
    with open(checkpoint, "ab") as fh:
        fh.write(b"\0" * 64 + b"\n" + b'{"type":"iteration","benchmark":"na')
    resumed = lanebench("run", "-c", "lanebench.yml", "-n", "8", "-o", "r.json", "--resume", cwd=project)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{complete} iteration(s) already done; skipped 1 damaged line(s)" in resumed.stderr
    doc = read_results(project / "r.json")
    assert doc.benchmarks[0].n == 8 and doc.run.resumed_iterations == complete


def test_resume_refuses_a_record_that_is_json_but_not_a_record(project: Path) -> None:
    run = start("run", "-c", "lanebench.yml", "-n", "6", "-o", "r.json", cwd=project)
    checkpoint = project / "r.checkpoint.jsonl"
    wait_for(lambda: iteration_lines(checkpoint) >= 1, "an iteration in the checkpoint")
    run.kill()
    run.communicate(timeout=60)
    record = json.loads(checkpoint.read_text().splitlines()[1])
    del record["stage"]
    with open(checkpoint, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
    resumed = lanebench("run", "-c", "lanebench.yml", "-n", "6", "-o", "r.json", "--resume", cwd=project)
    assert resumed.returncode == 2
    (line,) = resumed.stderr.splitlines()
    assert "not a checkpoint record (no stage (1 or 2))" in line and "run without --resume" in line


def test_two_baselines_into_one_store_both_land_in_the_history(project: Path) -> None:
    store = project / "store"
    # Both read the (empty) store when they start; they finish seconds apart, since a
    # run's identity in the history is its commit and finish time (to the second).
    runs = [
        start("baseline", "-c", "lanebench.yml", "-n", n, "-o", name, "--store", str(store), cwd=project)
        for name, n in (("a", "2"), ("b", "10"))
    ]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert "baseline stored" in out
    history = read_results(store / "lanebench-results.json").history or []
    finished = {read_results(project / name / "lanebench-results.json").run.finished_at for name in "ab"}
    assert len(history) == 2 and {entry.finished_at for entry in history} == finished


def test_a_busy_store_is_waited_for_then_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lanebench.baseline as baseline_module
    from lanebench.locking import LockBusyError
    from lanebench.results import ResultsDocument, RunInfo

    store = baseline_module.LocalBaselineStore(tmp_path / "store")
    holder = subprocess.Popen(
        [PY, "-c", "import sys, time; from pathlib import Path; from lanebench.locking import FileLock;"
         f" FileLock(Path({str(store.path)!r}), 'x', hint='').acquire(); print('held', flush=True);"
         " time.sleep(60)"],
        env=cli_env(), stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        monkeypatch.setattr(baseline_module, "STORE_WAIT_SECONDS", 0.3)
        with pytest.raises(LockBusyError) as info:
            store.save(ResultsDocument(run=RunInfo(), environment={}, benchmarks=[]))
        assert f"the baseline store {store.path} is being written by another lanebench (pid {holder.pid}" in str(info.value)
        assert "(waited 0.3 s)" in str(info.value) and not store.path.exists()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    store.save(ResultsDocument(run=RunInfo(), environment={}, benchmarks=[]))  # free again
    assert store.path.exists() and not os.path.exists(f"{store.path}.lock")
