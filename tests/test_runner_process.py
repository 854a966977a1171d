"""measure_once with real processes: tree kills, failures, metrics, the benchmark environment.

Tests that take `spawn_mode` run twice: commands started by the spawner process (the
default) and spawned directly by this process (the fallback).
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lanebench.config import BenchmarkSpec
from lanebench.runner import benchmark_environment, measure_once, spawner
from lanebench.runner.process import STDERR_TAIL_BYTES

pytestmark = pytest.mark.slow  # real commands measured

MB = 1000 * 1000
PY = sys.executable


@pytest.fixture(params=["spawner", "direct"])
def spawn_mode(request: pytest.FixtureRequest):
    spawner.use_spawner(request.param == "spawner")
    yield request.param
    spawner.use_spawner(True)


def script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def measure(tmp_path: Path, argv: list[str], *, timeout: float | None = 30.0, env: dict | None = None):
    return measure_once(
        argv, tmp_path, env if env is not None else dict(os.environ), timeout, 0.02, tmp_path / "logs"
    )


def alive(pid: int) -> bool:
    """True while the pid names a process, zombies included (a zombie is a process not reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_lines(path: Path, count: int, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        lines = path.read_text().split() if path.exists() else []
        if len(lines) >= count:
            return [int(x) for x in lines]
        if time.monotonic() >= deadline:
            raise AssertionError(f"{path} has {lines}, expected {count} pids")
        time.sleep(0.02)


TREE_SCRIPT = """
    import os, subprocess, sys, time
    pids, marker = sys.argv[1], sys.argv[2]
    NOTE = "import os, sys\\nwith open(sys.argv[1], 'a') as fh: fh.write(f'{os.getpid()}\\\\n')\\n"

    def note(pid):
        with open(pids, "a") as fh:
            fh.write(f"{pid}\\n")

    note(os.getpid())
    # a grandchild that starts its own session: not in our process group
    subprocess.Popen(
        [sys.executable, "-c", NOTE + "import time; time.sleep(60)", pids, marker],
        start_new_session=True,
    )
    # a double fork: the grandchild is re-parented away from this tree
    if os.fork() == 0:
        if os.fork() == 0:
            os.setsid()
            note(os.getpid())
            time.sleep(60)
            os._exit(0)
        os._exit(0)
    os.wait()
    time.sleep(60)
"""


def test_timeout_kills_whole_tree_including_new_session_and_double_fork(
    spawn_mode: str, tmp_path: Path
) -> None:
    import psutil

    pids_file = tmp_path / "pids"
    code = script(tmp_path, "tree.py", TREE_SCRIPT)
    marker = f"lanebench-test-{os.getpid()}-{time.monotonic_ns()}"
    record = measure(tmp_path, [PY, str(code), str(pids_file), marker], timeout=2.0)
    assert record.status == "timeout"
    assert "timed out after 2 s" in record.message
    assert record.signal == 9
    assert 2.0 <= record.wall < 10
    pids = wait_for_lines(pids_file, 3, timeout=0)
    for pid in pids:
        assert not alive(pid), f"process {pid} survived the timeout"
    # nothing that carries the test's marker is left anywhere on the machine
    survivors = [
        p.info["pid"]
        for p in psutil.process_iter(["pid", "cmdline"])
        if marker in (p.info["cmdline"] or [])
    ]
    assert survivors == []
    # the sampler saw the whole tree: script, its session-leader child, and the daemon
    assert record.metrics["peak_processes"] >= 3


def test_leftover_daemon_is_killed_after_normal_exit(spawn_mode: str, tmp_path: Path) -> None:
    pids_file = tmp_path / "pids"
    code = script(
        tmp_path,
        "daemon.py",
        """
        import os, sys, time
        if os.fork() == 0:
            if os.fork() == 0:
                os.setsid()
                with open(sys.argv[1], "w") as fh:
                    fh.write(str(os.getpid()))
                time.sleep(60)
            os._exit(0)
        os.wait()
        while not os.path.exists(sys.argv[1]):
            time.sleep(0.01)
        """,
    )
    record = measure(tmp_path, [PY, str(code), str(pids_file)])
    assert record.status == "ok"
    assert record.leftovers == 1
    (daemon,) = wait_for_lines(pids_file, 1, timeout=0)
    assert not alive(daemon)


def test_failed_iteration_keeps_exit_code_and_stderr_tail(spawn_mode: str, tmp_path: Path) -> None:
    code = script(
        tmp_path,
        "fail.py",
        """
        import sys
        for i in range(500):
            print(f"noise line {i:04d} " + "x" * 20, file=sys.stderr)
        print("the real reason: config missing", file=sys.stderr)
        sys.exit(3)
        """,
    )
    record = measure(tmp_path, [PY, str(code)])
    assert record.status == "failed"
    assert record.exit_code == 3
    assert record.signal is None
    assert record.message == "exited with code 3"
    assert len(record.stderr_tail.encode()) <= STDERR_TAIL_BYTES
    assert len(record.stderr_tail) > 1000
    assert record.stderr_tail.endswith("the real reason: config missing\n")
    assert "noise line 0000" not in record.stderr_tail
    # the full output stays in the log file
    assert "noise line 0000" in record.stderr_path.read_text()


def test_killed_by_signal_is_a_failure_with_the_signal(spawn_mode: str, tmp_path: Path) -> None:
    record = measure(tmp_path, ["/bin/sh", "-c", "kill -SEGV $$"])
    assert record.status == "failed"
    assert record.signal == 11
    assert record.exit_code is None
    assert "SIGSEGV" in record.message


def test_command_not_found_is_one_line_naming_command_and_cwd(
    spawn_mode: str, tmp_path: Path
) -> None:
    record = measure(tmp_path, ["no-such-command-lanebench", "--flag"])
    assert record.status == "error"
    assert record.metrics == {}
    assert "no-such-command-lanebench" in record.message
    assert str(tmp_path) in record.message
    assert "\n" not in record.message


def test_not_executable_and_missing_cwd_are_errors(spawn_mode: str, tmp_path: Path) -> None:
    plain = tmp_path / "not-executable.sh"
    plain.write_text("#!/bin/sh\necho hi\n")
    plain.chmod(0o644)
    record = measure(tmp_path, [str(plain)])
    assert record.status == "error"
    assert "permission denied" in record.message
    missing = tmp_path / "missing-dir"
    record = measure_once(["true"], missing, dict(os.environ), 5, 0.05, tmp_path / "logs")
    assert record.status == "error"
    assert str(missing) in record.message and "does not exist" in record.message


def test_output_goes_to_log_files_not_the_terminal(
    spawn_mode: str, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    record = measure(tmp_path, ["/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2"])
    assert record.status == "ok"
    out, err = capfd.readouterr()
    assert "to-stdout" not in out and "to-stderr" not in err
    assert record.stdout_path.read_text() == "to-stdout\n"
    assert record.stderr_path.read_text() == "to-stderr\n"


# --- metrics --------------------------------------------------------------------------------

ALLOC = """
    import sys, time
    block = b"\\x01" * int(float(sys.argv[1]) * 1000 * 1000)  # filled: every page resident
    time.sleep(float(sys.argv[2]))
"""


def test_memory_of_a_100mb_allocation(tmp_path: Path) -> None:
    code = script(tmp_path, "alloc.py", ALLOC)
    record = measure(tmp_path, [PY, str(code), "100", "0.4"])
    assert record.status == "ok"
    assert record.samples >= 1
    assert record.metrics["maxrss"] >= 90 * MB
    assert record.metrics["tree_rss"] >= 90 * MB
    small = measure(tmp_path, [PY, str(code), "1", "0.2"])
    assert small.metrics["tree_rss"] < 60 * MB  # the sampled size is the command's, not ours


def test_tree_rss_sums_concurrent_processes(tmp_path: Path) -> None:
    code = script(tmp_path, "alloc.py", ALLOC)
    parent = script(
        tmp_path,
        "two.py",
        f"""
        import subprocess, sys
        kids = [subprocess.Popen([sys.executable, {str(code)!r}, "60", "0.6"]) for _ in range(2)]
        for kid in kids:
            kid.wait()
        """,
    )
    record = measure(tmp_path, [PY, str(parent)])
    assert record.status == "ok"
    assert record.metrics["tree_rss"] >= 110 * MB
    assert record.metrics["peak_processes"] >= 3


WRITE = """
    import os, sys
    with open(sys.argv[1], "wb") as fh:
        for _ in range(int(sys.argv[2])):
            fh.write(b"\\0" * 1000 * 1000)
        fh.flush()
        os.fsync(fh.fileno())
"""


def test_write_chars_of_a_20mb_fsynced_write(spawn_mode: str, tmp_path: Path) -> None:
    code = script(tmp_path, "write.py", WRITE)
    record = measure(tmp_path, [PY, str(code), str(tmp_path / "out.bin"), "20"])
    assert record.status == "ok"
    assert record.metrics["write_chars"] >= 20 * MB
    # through a shell: the child's I/O is folded into the shell's counters when reaped
    record = measure(tmp_path, ["/bin/sh", "-c", f"{PY} {code} {tmp_path / 'out2.bin'} 20"])
    assert record.metrics["write_chars"] >= 20 * MB


def test_io_and_cpu_of_an_orphan_are_counted(spawn_mode: str, tmp_path: Path) -> None:
    """A double-forked worker is re-parented to lanebench, which reaps it and adds its usage."""
    code = script(
        tmp_path,
        "orphan.py",
        f"""
        import os, time
        if os.fork() == 0:
            if os.fork() == 0:
                with open({str(tmp_path / "orphan.bin")!r}, "wb") as fh:
                    fh.write(b"\\0" * 8 * 1000 * 1000)
                end = time.process_time() + 0.3
                while time.process_time() < end:
                    pass
                os._exit(0)
            os._exit(0)
        os.wait()
        time.sleep(1.0)  # the orphan finishes meanwhile; nothing of it is left to kill
        """,
    )
    record = measure(tmp_path, [PY, str(code)])
    assert record.status == "ok"
    assert record.leftovers == 0
    assert record.metrics["write_chars"] >= 8 * MB
    assert record.metrics["cpu"] >= 0.25


BUSY = """
    import sys, time
    end = time.process_time() + float(sys.argv[1])  # CPU seconds, whatever else runs meanwhile
    while time.process_time() < end:
        for _ in range(100_000):  # user-space work between the clock's syscalls
            pass
"""


def test_cpu_close_to_wall_for_a_busy_loop(tmp_path: Path) -> None:
    code = script(tmp_path, "busy.py", BUSY)
    record = measure(tmp_path, [PY, str(code), "0.4"])
    m = record.metrics
    assert record.status == "ok"
    assert 0.4 <= m["cpu"] <= m["wall"] * 1.02 + 0.005  # one thread cannot use more than the wall
    assert m["cpu"] >= 0.25 * m["wall"]  # loose: other processes may share the CPU
    assert m["cpu"] == pytest.approx(m["user"] + m["sys"])
    assert m["user"] > m["sys"]


def test_cpu_of_a_child_process_is_included(spawn_mode: str, tmp_path: Path) -> None:
    code = script(tmp_path, "busy.py", BUSY)
    # the shell itself does nothing; the CPU is its child's
    record = measure(tmp_path, ["/bin/sh", "-c", f"{PY} {code} 0.3; sleep 0.1"])
    assert record.status == "ok"
    assert record.metrics["cpu"] >= 0.25
    sleeper = measure(tmp_path, ["sleep", "0.3"])
    assert sleeper.metrics["cpu"] < 0.1
    assert sleeper.metrics["wall"] >= 0.3


def test_sampling_thread_fallback_without_pidfd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kernels without pidfd_open: a background thread samples and enforces the timeout."""
    from lanebench.runner import process

    monkeypatch.setattr(spawner, "_enabled", False)  # the thread serves direct spawns only
    monkeypatch.setattr(process, "_pidfd_supported", False)
    code = script(tmp_path, "alloc.py", ALLOC)
    record = measure(tmp_path, [PY, str(code), "100", "0.4"])
    assert record.status == "ok"
    assert record.samples >= 3
    assert record.metrics["tree_rss"] >= 90 * MB
    record = measure(tmp_path, ["sleep", "30"], timeout=0.5)
    assert record.status == "timeout"
    assert 0.5 <= record.wall < 5


# --- the environment ------------------------------------------------------------------------

SECRETS = {
    "GITHUB_TOKEN": "ghs_secret1",
    "INPUT_GITHUB-TOKEN": "ghs_secret2",
    "INPUT_GITHUB_TOKEN": "ghs_secret3",
    "ACTIONS_RUNTIME_TOKEN": "secret4",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "secret5",
}


def test_benchmark_environment_strips_secrets_and_adds_spec_env() -> None:
    spec = BenchmarkSpec(name="b", command=["true"], env={"MY_SETTING": "1", "GITHUB_TOKEN": "x"})
    base = {"PATH": "/usr/bin", "HOME": "/root", **SECRETS}
    env = benchmark_environment(spec, base)
    for name in SECRETS:
        assert name not in env
    assert env["MY_SETTING"] == "1"
    assert env["PATH"] == "/usr/bin" and env["HOME"] == "/root"
    assert base["GITHUB_TOKEN"] == "ghs_secret1"  # the caller's mapping is untouched


def test_benchmarked_command_cannot_see_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    spec = BenchmarkSpec(name="env", command=["env"])
    record = measure(tmp_path, ["env"], env=benchmark_environment(spec))
    assert record.status == "ok"
    printed = record.stdout_path.read_text()
    assert "PATH=" in printed
    for value in SECRETS.values():
        assert value not in printed
