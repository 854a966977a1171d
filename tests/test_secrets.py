"""The hand-over of the action's token: a real re-execution, a real pipe, a real /proc."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lanebench.secrets import SECRET_VARIABLES, TOKEN_FD_VARIABLE, held_secrets, without_secrets

ROOT = Path(__file__).resolve().parents[1]
# What the entrypoint does first, then what the re-executed process looks like from /proc.
PROGRAM = """\
import ctypes, json, os, stat, sys
from lanebench.action_runtime import take_credentials
token = take_credentials(sys.orig_argv)
started = dict(v.split("=", 1) for v in open("/proc/self/environ").read().split(chr(0)) if v)

def is_open_pipe(fd):
    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode)
    except OSError:
        return False

print(json.dumps({
    "token": token, "pid": os.getpid(), "argv": sys.orig_argv[1:],
    "environ": open("/proc/self/environ", "rb").read().decode(),
    "dumpable": ctypes.CDLL(None).prctl(3, 0, 0, 0, 0),
    "pipe_still_open": "LANEBENCH_TOKEN_FD" in started and is_open_pipe(int(started["LANEBENCH_TOKEN_FD"])),
    "os_environ_has_fd_variable": "LANEBENCH_TOKEN_FD" in os.environ,
}))
"""
TOKEN = "ghs_handOverThisToken0000000000000000"


def start(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str, str]:
    program = tmp_path / "program.py"
    program.write_text(PROGRAM, encoding="utf-8")
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}
    proc = subprocess.Popen([sys.executable, "-X", "utf8", str(program), "an argument"],
                            env=base | env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=60)
    return proc, out, err


def test_the_token_crosses_a_pipe_into_a_clean_non_dumpable_process(tmp_path: Path) -> None:
    secrets = {name: f"value-of-{name}" for name in SECRET_VARIABLES}
    secrets["INPUT_GITHUB-TOKEN"] = TOKEN
    proc, out, err = start(tmp_path, secrets | {"INPUT_MODE": "auto"})
    assert proc.returncode == 0, err
    seen = json.loads(out)
    assert seen["token"] == TOKEN
    assert seen["pid"] == proc.pid  # re-executed in place: the same process, a new program
    assert seen["argv"] == ["-X", "utf8", str(tmp_path / "program.py"), "an argument"]
    environ = dict(v.split("=", 1) for v in seen["environ"].split("\0") if v)
    assert set(environ) & SECRET_VARIABLES == set()
    assert not [v for v in secrets.values() if v in seen["environ"]]
    assert environ["INPUT_MODE"] == "auto"  # everything else stays
    assert environ[TOKEN_FD_VARIABLE].isdigit()  # only the number of a pipe, read and closed
    assert not seen["os_environ_has_fd_variable"]
    assert seen["pipe_still_open"] is False
    assert seen["dumpable"] == 0


def test_without_a_secret_in_the_environment_nothing_is_re_executed(tmp_path: Path) -> None:
    proc, out, err = start(tmp_path, {})
    assert proc.returncode == 0, err
    seen = json.loads(out)
    assert seen["token"] == "" and seen["pid"] == proc.pid
    assert TOKEN_FD_VARIABLE not in seen["environ"]
    assert seen["dumpable"] == 0  # made non-dumpable all the same


def test_a_token_too_long_for_the_pipe_stops_everything_in_one_line(tmp_path: Path) -> None:
    long_token = "ghs_" + "x" * 5000
    proc, out, err = start(tmp_path, {"GITHUB_TOKEN": long_token})
    assert proc.returncode == 3, err
    assert out.splitlines() == [
        f"::add-mask::{long_token}",
        "::error::lanebench: the token is 5004 bytes long; at most 4096 are handed over; "
        "nothing was run, so no benchmark could read the token"]


def test_environment_helpers() -> None:
    env = {"GITHUB_TOKEN": "t", "PATH": "/bin", "ACTIONS_RUNTIME_TOKEN": "r"}
    assert without_secrets(env) == {"PATH": "/bin"}
    assert held_secrets(env) == ["ACTIONS_RUNTIME_TOKEN", "GITHUB_TOKEN"]


def test_the_command_line_warns_when_a_measuring_step_holds_a_token(tmp_path: Path) -> None:
    """On a runner the step's shell and lanebench itself were started with whatever the step's
    `env:` gives them; the benchmarks do not inherit a token, but could read theirs."""
    dump = tmp_path / "seen.json"
    (tmp_path / "lanebench.yml").write_text(
        f"benchmarks:\n  - name: env\n    command: [{json.dumps(sys.executable)}, -c, "
        f"\"import json, os; json.dump(dict(os.environ), open({str(dump)!r}, 'w'))\"]\n"
        "defaults:\n  warmup: 0\n  min_iterations: 2\n  max_iterations: 2\n", encoding="utf-8")
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "GITHUB_TOKEN": TOKEN}
    run = subprocess.run([sys.executable, "-m", "lanebench", "run", "--config", "lanebench.yml",
                          "-o", "out.json"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    (warning,) = [ln for ln in run.stderr.splitlines() if "warning" in ln]
    assert warning.startswith("lanebench: warning: GITHUB_TOKEN set in the environment: the "
                              "benchmarks do not inherit it, but can read it from /proc/<pid>/environ")
    assert TOKEN not in dump.read_text(encoding="utf-8")
    quiet = subprocess.run([sys.executable, "-m", "lanebench", "show", "out.json"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=60, check=False)
    assert quiet.returncode == 0 and "warning" not in quiet.stderr
