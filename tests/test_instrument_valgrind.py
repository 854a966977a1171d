"""The instructions instrument, on real valgrind: commands really run under cachegrind.

Small workloads only (valgrind runs Python 20-50x slower). Skipped, with the reason, where
valgrind is not installed; `.ci/run` installs it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from lanebench.runner.instruments import valgrind as vg
from lanebench.runner.instruments.valgrind import (
    InstrumentError,
    ValgrindSettings,
    environment_additions,
    estimated_cycles,
    find_valgrind,
    instrument_environment,
    run_counted,
    wrap_command,
)

needs_valgrind = pytest.mark.skipif(
    shutil.which("valgrind") is None, reason="valgrind is not installed (apt-get install valgrind)"
)
LOOP = "s=0\nfor i in range({n}): s+=i*i\n"


def python_loop(n: int) -> list[str]:
    return [sys.executable, "-S", "-c", LOOP.format(n=n)]


@needs_valgrind
def test_repeats_count_the_same_and_more_work_counts_more(tmp_path: Path) -> None:
    first = run_counted(python_loop(20_000), tmp_path / "a", cwd=tmp_path)
    again = run_counted(python_loop(20_000), tmp_path / "b", cwd=tmp_path)
    more = run_counted(python_loop(24_000), tmp_path / "c", cwd=tmp_path)
    assert first.returncode == 0
    assert first.reading.metrics["instructions"] == again.reading.metrics["instructions"]
    assert more.reading.metrics["instructions"] > first.reading.metrics["instructions"]
    assert set(first.reading.metrics) == {"instructions"}
    assert first.fingerprint == again.fingerprint
    assert first.fingerprint["hash_seed"]["PYTHONHASHSEED"] == "0"
    assert first.fingerprint["valgrind"] == vg.valgrind_version(find_valgrind())


@needs_valgrind
def test_children_are_counted(tmp_path: Path) -> None:
    code = f"import subprocess, sys\nsubprocess.run([sys.executable, '-S', '-c', {LOOP.format(n=30_000)!r}])\n"
    alone = run_counted(python_loop(30_000), tmp_path / "alone", cwd=tmp_path)
    parent = run_counted([sys.executable, "-S", "-c", code], tmp_path / "parent", cwd=tmp_path)
    assert parent.reading.profile.processes == 2
    # the parent's tree holds the child's loop: more than the loop alone
    assert parent.reading.metrics["instructions"] > alone.reading.metrics["instructions"]


@needs_valgrind
def test_cache_simulation_adds_its_metrics(tmp_path: Path) -> None:
    run = run_counted(python_loop(5_000), tmp_path / "sim", cwd=tmp_path,
                      settings=ValgrindSettings(cache_sim=True))
    metrics, profile = run.reading.metrics, run.reading.profile
    totals = dict(zip(profile.events, profile.totals, strict=True))
    assert metrics["l1_misses"] == totals["I1mr"] + totals["D1mr"] + totals["D1mw"]
    assert metrics["ll_misses"] == totals["ILmr"] + totals["DLmr"] + totals["DLmw"]
    assert metrics["instructions"] < metrics["estimated_cycles"]
    # the geometry is pinned, not taken from the host
    assert "LL cache:         8388608 B, 64 B, 16-way associative" in profile.desc
    assert run.fingerprint["cache"] == "I1 32768,8,64 D1 32768,8,64 LL 8388608,16,64"


@needs_valgrind
def test_the_command_s_stderr_is_its_own_and_its_exit_status_comes_through(tmp_path: Path) -> None:
    code = "import sys; sys.stderr.write('boom\\n'); sys.exit(3)"
    out = tmp_path / "out"
    out.mkdir()
    argv = wrap_command([sys.executable, "-S", "-c", code], shell=False, out_dir=out,
                        settings=ValgrindSettings(), valgrind=find_valgrind(), aslr=vg.probe_aslr())
    import subprocess

    done = subprocess.run(argv, capture_output=True, text=True, env=instrument_environment({"PATH": "/usr/bin:/bin"}))
    assert done.returncode == 3
    assert done.stderr == "boom\n"  # valgrind's own messages went to its log files
    assert list(out.glob("valgrind.*.log"))


@needs_valgrind
def test_a_command_that_cannot_start_says_what_valgrind_said(tmp_path: Path) -> None:
    with pytest.raises(vg.ProfileError, match="no cachegrind output.*exit status 127.*no-such-program"):
        run_counted([str(tmp_path / "no-such-program")], tmp_path / "out", cwd=tmp_path)


@needs_valgrind
def test_the_toolchain_is_fingerprinted_but_not_the_code_under_test(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    script = project / "tool.py"
    script.write_text("print(1)\n")
    local_python = project / "python-copy"
    shutil.copy(sys.executable, local_python)
    run = run_counted([str(local_python), "-S", str(script)], tmp_path / "out", cwd=project)
    assert run.returncode == 0
    assert run.fingerprint["executables"] == {}  # the project's own binary is the code under test
    outside = run_counted([sys.executable, "-S", str(script)], tmp_path / "out2", cwd=project)
    name = Path(sys.executable).name
    assert outside.fingerprint["executables"][name].startswith("sha256:")


def test_a_missing_valgrind_is_one_line_naming_the_fix() -> None:
    with pytest.raises(InstrumentError) as caught:
        find_valgrind("valgrind-that-is-not-installed")
    message = str(caught.value)
    assert "\n" not in message
    assert "not on PATH" in message and "apt-get install valgrind" in message


def test_the_wrapped_command_traces_children_and_writes_one_file_per_process(tmp_path: Path) -> None:
    off = vg.AslrProbe(True, "/usr/bin/setarch")
    argv = wrap_command(["python3", "bench.py"], shell=False, out_dir=tmp_path,
                        settings=ValgrindSettings(), valgrind="/usr/bin/valgrind", aslr=off)
    assert argv[:3] == ["/usr/bin/setarch", vg.platform.machine(), "-R"]
    assert argv[3] == "/usr/bin/valgrind"
    assert "--tool=cachegrind" in argv and "--trace-children=yes" in argv
    assert f"--cachegrind-out-file={tmp_path}/cg.out.%p" in argv
    assert "--cache-sim=no" in argv
    assert argv[-2:] == ["python3", "bench.py"]
    refused = vg.AslrProbe(False, None, "the kernel or sandbox refused it")
    shell = wrap_command("make bench", shell=True, out_dir=tmp_path,
                         settings=ValgrindSettings(cache_sim=True), valgrind="valgrind", aslr=refused)
    assert shell[0] == "valgrind"
    assert shell[-3:] == ["/bin/sh", "-c", "make bench"]
    assert "--LL=8388608,16,64" in shell


def test_the_hash_seeds_are_pinned_unless_the_benchmark_sets_them() -> None:
    assert environment_additions({}) == {"PYTHONHASHSEED": "0", "PERL_HASH_SEED": "0", "PERL_PERTURB_KEYS": "0"}
    assert "PYTHONHASHSEED" not in environment_additions({"PYTHONHASHSEED": "123"})
    env = instrument_environment({"ZED": "1", "PATH": "/bin", "PYTHONHASHSEED": "5"})
    assert list(env) == sorted(env) and env["PYTHONHASHSEED"] == "5"


def test_estimated_cycles_is_iai_callgrinds_formula() -> None:
    # the example of iai-callgrind's own test (callgrind/mod.rs: derived_when_regression_mixed):
    # Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw = 96 24 18 6 0 2 6 0 2 -> 410 estimated cycles
    totals = dict(zip(("Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw"),
                      (96, 24, 18, 6, 0, 2, 6, 0, 2), strict=True))
    assert estimated_cycles(totals) == 410


def test_a_distribution_wrapper_script_is_bypassed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wrapper = tmp_path / "valgrind"
    wrapper.write_text('#!/bin/sh\nexport GLIBCXX_FORCE_NEW=1\nexec "$0.bin" "$@"\n')
    wrapper.chmod(0o755)
    launcher = tmp_path / "valgrind.bin"
    launcher.write_bytes(b"\x7fELF")
    launcher.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_valgrind() == str(launcher)
    wrapper.write_bytes(b"\x7fELF")  # a real binary named valgrind is used as it is
    assert find_valgrind() == str(wrapper)
