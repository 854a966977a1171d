"""The spawner process: small commands' maxrss no longer carries lanebench's size, the same
floor in every entry point, and the spawner's lifetime (restarts, fallback, lanebench dying)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lanebench.config import LaneSettings, config_from_dict
from lanebench.runner import IterationRecord, measure_once, run_benchmarks, spawn_server, spawner

pytestmark = pytest.mark.slow  # real commands and the spawner process

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
MiB = 1024 * 1024

# real peaks: /bin/sleep ~2 MiB, python -S ~9 MiB, python -S holding 20 MB ~29 MiB
SMALL = {
    "sleep": ["/bin/sleep", "0.05"],
    "python": [PY, "-S", "-c", "pass"],
    "python+20MB": [PY, "-S", "-c", "import time; b = b'x' * 20_000_000; time.sleep(0.02)"],
}


@pytest.fixture(autouse=True)
def fresh_spawner():
    spawner.use_spawner(True)
    yield
    spawner.use_spawner(True)
    spawner.stop()


def measure(tmp_path: Path, argv: list[str], *, env: dict | None = None) -> IterationRecord:
    env = env if env is not None else dict(os.environ)
    return measure_once(argv, tmp_path, env, 30.0, 0.02, tmp_path / "logs")


def gone(pid: int) -> bool:
    """The process has exited: no such pid, or only its zombie is left."""
    return spawn_server.is_zombie(pid)


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


LEAN_MEASURE = """
import json, os, sys
from pathlib import Path
from lanebench.runner import measure_once
commands, workdir = json.loads(sys.argv[1]), Path(sys.argv[2])
out = {"scipy loaded": "scipy" in sys.modules, "own peak": 0}
for name, argv in commands.items():
    record = measure_once(argv, workdir, dict(os.environ), 30.0, 0.02, workdir / "lean-logs")
    assert record.ok, record.message
    out[name] = [record.metrics["maxrss"], record.maxrss_floor]
out["own peak"] = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024
print(json.dumps(out))
"""


def test_small_commands_maxrss_is_theirs_not_the_big_callers_and_the_same_from_a_lean_caller(
    tmp_path: Path,
) -> None:
    import scipy.stats  # noqa: F401  (this process is now the size of `lanebench pr`)

    assert spawn_server.peak_rss() > 80 * MiB
    spawner.stop()  # a spawner started from this big process, to be sure
    heavy = {name: measure(tmp_path, argv) for name, argv in SMALL.items()}
    for name, record in heavy.items():
        assert record.ok, record.message
        assert record.maxrss_floor < 20 * MiB, name
    assert heavy["sleep"].metrics["maxrss"] < 20 * MiB
    assert heavy["python"].metrics["maxrss"] < 20 * MiB
    assert 25 * MiB < heavy["python+20MB"].metrics["maxrss"] < 40 * MiB

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [PY, "-c", LEAN_MEASURE, json.dumps(SMALL), str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lean = json.loads(proc.stdout)
    assert lean["scipy loaded"] is False
    assert lean["own peak"] < spawn_server.peak_rss() - 30 * MiB  # really a smaller caller
    for name, record in heavy.items():
        lean_maxrss, lean_floor = lean[name]
        assert abs(record.metrics["maxrss"] - lean_maxrss) <= 2 * MiB, name
        assert abs(record.maxrss_floor - lean_floor) <= 2 * MiB, name


def test_a_memory_regression_smaller_than_lanebench_is_visible(tmp_path: Path) -> None:
    import scipy.stats  # noqa: F401

    alloc = "import time; b = b'x' * {}; time.sleep(0.02)"
    small = measure(tmp_path, [PY, "-S", "-c", alloc.format(12_000_000)])
    larger = measure(tmp_path, [PY, "-S", "-c", alloc.format(20_000_000)])
    grown = larger.metrics["maxrss"] - small.metrics["maxrss"]
    assert 6 * MiB < grown < 10 * MiB  # 8 MB more


def test_direct_spawning_is_the_fallback_and_carries_the_callers_size(tmp_path: Path) -> None:
    import scipy.stats  # noqa: F401

    spawner.use_spawner(False)
    record = measure(tmp_path, SMALL["sleep"])
    assert record.ok
    assert record.maxrss_floor > 80 * MiB
    assert record.metrics["maxrss"] >= record.maxrss_floor - 1 * MiB
    assert spawner.describe().to_dict() == {"mode": "direct", "reason": "spawner disabled by the caller"}


def test_a_spawner_that_cannot_start_falls_back_to_direct_spawning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spawner.stop()
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python-here"))
    record = measure(tmp_path, ["/bin/sh", "-c", "echo fine"])
    assert record.ok
    assert record.stdout_path.read_text() == "fine\n"
    how = spawner.describe()
    assert how.mode == "direct"
    assert "the spawner process could not start" in (how.reason or "")


def test_the_run_records_how_commands_were_spawned(tmp_path: Path) -> None:
    config = config_from_dict({"benchmarks": [{"name": "tiny", "command": SMALL["sleep"]}]})
    lane = LaneSettings(warmup=0, min_iterations=2, max_iterations=2, sample_interval=0.02)
    doc = run_benchmarks(
        config, "standard", lane, list(config.benchmarks), output=tmp_path / "r.json"
    )
    assert doc.run.spawner is not None and doc.run.spawner.to_dict() == {"mode": "spawner"}
    assert doc.run.subreaper is True
    bench = doc.benchmark("tiny")
    assert bench is not None and bench.maxrss_floor is not None and bench.maxrss_floor < 20 * MiB
    # /bin/sleep is smaller than the spawner: the note says maxrss is only an upper bound
    assert any("maxrss is at the size of the process that spawned" in n for n in bench.notes)


def test_a_dead_spawner_is_replaced(tmp_path: Path) -> None:
    assert measure(tmp_path, ["true"]).ok
    first = spawner.get()
    assert first is not None
    restarts = spawner.describe().restarts or 0
    first.proc.kill()
    first.proc.wait()
    record = measure(tmp_path, ["true"])
    assert record.ok
    second = spawner.get()
    assert second is not None and second.pid != first.pid
    assert spawner.describe().restarts == restarts + 1


def test_spawner_lost_while_the_command_runs_kills_the_command(tmp_path: Path) -> None:
    pid_file = tmp_path / "sleeper.pid"
    # the command kills its parent, the spawner (once it has reported the pid), then lingers
    code = f"echo $$ > {pid_file}; sleep 0.1; kill -9 $PPID; exec sleep 60"
    started = time.monotonic()
    record = measure(tmp_path, ["/bin/sh", "-c", code])
    assert time.monotonic() - started < 20
    assert record.status == "error"
    assert "spawner process was lost" in record.message
    assert wait_until(lambda: gone(int(pid_file.read_text())))
    assert measure(tmp_path, ["true"]).ok  # a new spawner took over


KILLED_CALLER = """
import os, sys
from pathlib import Path
from lanebench.runner import measure_once, spawner
workdir = Path(sys.argv[1])
code = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)"
measure_once([sys.executable, "-c", code, str(workdir / "child.pid")], workdir,
             dict(os.environ), 120.0, 0.05, workdir / "logs")
"""


def test_when_lanebench_is_killed_the_spawner_kills_the_command(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    caller = subprocess.Popen([PY, "-c", KILLED_CALLER, str(tmp_path)], env=env)
    pid_file = tmp_path / "child.pid"
    assert wait_until(lambda: pid_file.exists() and pid_file.read_text() != "", timeout=30)
    child = int(pid_file.read_text())
    caller.kill()
    caller.wait()
    assert wait_until(lambda: gone(child)), "the command outlived lanebench"


def test_command_path_comes_from_the_commands_env_and_env_changes_arrive(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    tool = tools / "say-setting"
    tool.write_text("#!/bin/sh\necho \"setting=$SETTING\"\n")
    tool.chmod(0o755)
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}", "SETTING": "one"}
    assert measure(tmp_path, ["say-setting"], env=env).stdout_path.read_text() == "setting=one\n"
    env["SETTING"] = "two"  # the same dict, changed: it must not count as already sent
    assert measure(tmp_path, ["say-setting"], env=env).stdout_path.read_text() == "setting=two\n"
    record = measure(tmp_path, ["say-setting"])  # lanebench's own PATH has no such tool
    assert record.status == "error" and "command not found: say-setting" in record.message


def test_relative_cwd_is_lanebenchs_not_the_spawners(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    record = measure_once(["pwd"], Path("sub"), dict(os.environ), 30.0, 0.02, Path("logs"))
    assert record.ok
    assert record.stdout_path.read_text().strip() == str(tmp_path / "sub")
    assert (tmp_path / "logs" / "last.stdout").exists()


SIGNALS = textwrap.dedent(
    """
    import signal
    print(" ".join(str(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM)))
    print(open("/proc/self/status").read().split("SigIgn:")[1].split()[0])
    """
)


def signal_report(tmp_path: Path) -> list[str]:
    return measure(tmp_path, [PY, "-c", SIGNALS]).stdout_path.read_text().split("\n")[:2]


@pytest.mark.parametrize(
    ("parent", "expected"),
    [
        # lanebench started normally: the spawner's own SIG_IGN must not reach the command
        ((signal.default_int_handler, signal.SIG_DFL), (signal.default_int_handler, signal.SIG_DFL)),
        # lanebench started with SIGINT/SIGTERM ignored (`nohup`, a shell's `cmd &`): a
        # direct spawn passes that on, and so must the spawner
        ((signal.SIG_IGN, signal.SIG_IGN), (signal.SIG_IGN, signal.SIG_IGN)),
    ],
    ids=["handled", "ignored"],
)
def test_commands_get_the_signal_dispositions_a_direct_spawn_gives(
    tmp_path: Path, parent: tuple[Any, Any], expected: tuple[Any, Any]
) -> None:
    # Set here, not inherited from however pytest was started, and before the spawner starts.
    spawner.stop()
    before = signal.signal(signal.SIGINT, parent[0]), signal.signal(signal.SIGTERM, parent[1])
    try:
        handlers, ignored = signal_report(tmp_path)
        spawner.use_spawner(False)
        direct_handlers, direct_ignored = signal_report(tmp_path)
    finally:
        spawner.stop()
        signal.signal(signal.SIGINT, before[0])
        signal.signal(signal.SIGTERM, before[1])
    assert handlers == direct_handlers == " ".join(map(str, expected))  # as SIGNALS prints them
    # the standard signals 1-31; glibc's posix_spawn leaves its two internal real-time
    # signals (32, 33) ignored, which the new program's libc takes over when it uses them
    standard = (1 << 31) - 1
    assert int(ignored, 16) & standard == int(direct_ignored, 16) & standard


def test_spawner_stays_lean_after_many_commands(tmp_path: Path) -> None:
    for _ in range(100):
        record = measure(tmp_path, ["true"])
    assert record.maxrss_floor < 16 * MiB
    server = spawner.get()
    assert server is not None
    status = Path(f"/proc/{server.pid}/status").read_text()
    assert "scipy" not in Path(f"/proc/{server.pid}/maps").read_text()
    assert int(status.split("VmHWM:")[1].split()[0]) * 1024 == pytest.approx(
        record.maxrss_floor, abs=1 * MiB
    )


def test_a_deadline_before_the_first_sample_still_kills_the_command(tmp_path: Path) -> None:
    record = measure_once(["sleep", "5"], tmp_path, dict(os.environ), 0.005, 0.05, tmp_path / "l")
    assert record.status == "timeout"
    assert record.wall < 2


def test_an_exception_while_waiting_kills_the_command_and_keeps_the_spawner_in_step(
    tmp_path: Path,
) -> None:
    assert measure(tmp_path, ["true"]).ok
    server = spawner.get()
    assert server is not None

    class Stop(Exception):
        pass

    def stop(signum: int, frame: object) -> None:
        raise Stop()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 0.003)  # before the first sample: no pid read yet
    try:
        with pytest.raises(Stop):
            measure(tmp_path, ["sleep", "5"])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert spawn_server.children_of(server.pid) == set()  # killed and reaped
    record = measure(tmp_path, ["/bin/sh", "-c", "echo next"])
    assert record.ok and record.stdout_path.read_text() == "next\n"
    assert spawner.get() is server


def test_an_exception_before_the_request_is_sent_waits_for_no_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signal handler's exception that comes while the command is being sent (the machine
    was slow to get there) leaves no answer to wait for: the spawner, which may hold half a
    request, is replaced and the next command runs."""
    assert measure(tmp_path, ["true"]).ok
    server = spawner.get()
    assert server is not None

    class Stop(Exception):
        pass

    def send(*args: object) -> None:
        raise Stop()

    monkeypatch.setattr(server, "send", send)
    with pytest.raises(Stop):
        measure(tmp_path, ["sleep", "5"])
    monkeypatch.undo()
    record = measure(tmp_path, ["/bin/sh", "-c", "echo next"])
    assert record.ok and record.stdout_path.read_text() == "next\n"
    assert spawner.get() is not server


def test_the_started_answer_is_kept_for_a_second_ask(tmp_path: Path) -> None:
    """The pipe holds a command's start once; asked again, the spawner answers from memory."""
    server = spawner.get()
    assert server is not None
    with server.lock:
        server.send(["true"], tmp_path, dict(os.environ), tmp_path / "o", tmp_path / "e")
        first = server.read_started()
        assert isinstance(first, spawner.Started)
        assert server.read_started() is first
        assert server.read_outcome(None)[0] is first
