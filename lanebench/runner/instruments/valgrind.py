"""The instructions instrument: a command's process tree run under valgrind's cachegrind.

Instruction counts do not depend on the machine's load or speed, so a baseline measured
on any runner compares with a pull request measured on any other, as long as the
instrument's fingerprint matches (see docs/instructions.md, "Determinism, measured").

One run, in order:
1. `find_valgrind` (once): the binary, or one line naming the fix;
2. `wrap_command`: `[setarch <arch> -R] valgrind --tool=cachegrind --trace-children=yes
   --cachegrind-out-file=<dir>/cg.out.%p --log-file=<dir>/valgrind.%p.log ... <command>`,
   in `instrument_environment` (PYTHONHASHSEED=0 and Perl's seeds unless the benchmark
   sets them, variables sorted);
3. the command runs (the runner spawns the wrapped command like any other);
4. `collect(<dir>)`: every process's cg.out file merged into one profile, and the metrics
   (`instructions`, with cache simulation `l1_misses`, `ll_misses`, `estimated_cycles`);
5. `fingerprint`: what must match for two runs' counts to be comparable.

Valgrind's own messages go to the log files, not to the command's stderr, so a failing
command's stderr tail is its own.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lanebench.errors import LanebenchError
from lanebench.profile.cachegrind import Profile, ProfileError, read_tree

INSTALL_HINT = (
    "install valgrind: `apt-get install valgrind` (Debian/Ubuntu), `dnf install valgrind` "
    "(Fedora), or measure this benchmark with `instrument: time`"
)
OUTPUT_PATTERN = "cg.out.%p"
LOG_PATTERN = "valgrind.%p.log"
DETERMINISM_VARIABLES = {"PYTHONHASHSEED": "0", "PERL_HASH_SEED": "0", "PERL_PERTURB_KEYS": "0"}


class InstrumentError(LanebenchError):
    """The instrument cannot run here (valgrind missing or broken)."""


@dataclass(frozen=True)
class CacheGeometry:
    """Simulated caches as valgrind's `--I1/--D1/--LL=size,associativity,line_size`.

    Pinned rather than detected: cachegrind otherwise copies the host's caches (here a
    VM reports a 256 MiB direct-mapped LL), so miss counts would change with the runner.
    The default is a common x86-64 desktop part: 32 KiB 8-way L1s, 8 MiB 16-way LL.
    """

    i1: tuple[int, int, int] = (32768, 8, 64)
    d1: tuple[int, int, int] = (32768, 8, 64)
    ll: tuple[int, int, int] = (8388608, 16, 64)

    def options(self) -> list[str]:
        return [f"--{name}={','.join(map(str, spec))}" for name, spec in self.items()]

    def items(self) -> list[tuple[str, tuple[int, int, int]]]:
        return [("I1", self.i1), ("D1", self.d1), ("LL", self.ll)]

    def describe(self) -> str:
        return " ".join(f"{name} {','.join(map(str, spec))}" for name, spec in self.items())


@dataclass(frozen=True)
class ValgrindSettings:
    """How the instrument runs valgrind. `cache_sim` adds the L1/LL miss metrics (and
    costs about 1.5x the time of counting instructions alone, see the docs)."""

    cache_sim: bool = False
    geometry: CacheGeometry = field(default_factory=CacheGeometry)
    valgrind: str = "valgrind"
    aslr_off: bool = True


@dataclass(frozen=True)
class AslrProbe:
    """Whether `setarch -R` (personality ADDR_NO_RANDOMIZE) works here, and if not why.

    Docker's default seccomp profile refuses the personality call; the run then goes on
    with ASLR as it is, and the fingerprint says so.
    """

    available: bool
    setarch: str | None
    reason: str = ""

    def describe(self) -> str:
        return "off (setarch -R)" if self.available else f"not disabled: {self.reason}"


def find_valgrind(name: str = "valgrind") -> str:
    """The valgrind launcher's path, or an InstrumentError naming the fix.

    Debian's and Ubuntu's `valgrind` is a shell script that sets LD_LIBRARY_PATH and
    GLIBCXX_FORCE_NEW=1 in the measured program's environment before running
    `valgrind.bin`; the instrument runs `valgrind.bin` itself, so a program counts the same
    under a distribution's valgrind as under the image's or a source build's.
    """
    path = shutil.which(name)
    if path is None:
        raise InstrumentError(f"`instrument: instructions` needs valgrind, and {name!r} is not on PATH",
                              hint=INSTALL_HINT)
    launcher = Path(os.path.realpath(path)).with_name("valgrind.bin")
    if launcher.is_file() and os.access(launcher, os.X_OK) and _is_script(path):
        return str(launcher)
    return path


def _is_script(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return False


@functools.lru_cache(maxsize=8)
def valgrind_version(valgrind: str) -> str:
    """`3.19.0` from `valgrind --tool=cachegrind --version` (the tool named: the launcher
    starts its default tool, memcheck, even for --version, and the image has only
    cachegrind); InstrumentError when it does not run."""
    try:
        done = subprocess.run([valgrind, "--tool=cachegrind", "--version"], capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise InstrumentError(f"{valgrind} --version failed: {err}", hint=INSTALL_HINT) from None
    match = re.search(r"(\d+\.\d+(?:\.\d+)?)", done.stdout)
    if done.returncode != 0 or match is None:
        raise InstrumentError(
            f"{valgrind} --version printed {done.stdout.strip()[:80]!r} (exit {done.returncode})",
            hint=INSTALL_HINT,
        )
    return match.group(1)


@functools.lru_cache(maxsize=1)
def probe_aslr(setarch: str = "setarch") -> AslrProbe:
    """Run `setarch <arch> -R true` once: does this kernel and sandbox let us disable ASLR?"""
    path = shutil.which(setarch)
    true = shutil.which("true") or "/bin/true"
    if path is None:
        return AslrProbe(False, None, "setarch (util-linux) is not installed")
    try:
        done = subprocess.run([path, platform.machine(), "-R", true], capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return AslrProbe(False, None, f"setarch failed to run: {err}")
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return AslrProbe(False, None, f"the kernel or sandbox refused it ({why})")
    return AslrProbe(True, path)


def environment_additions(user_env: Mapping[str, str]) -> dict[str, str]:
    """Variables the instrument sets for determinism, unless the benchmark sets them.

    PYTHONHASHSEED=0: with a random seed, one Python loop's counts scattered over a 2.8-9.5%
    range; pinned, every run counted the same. PERL_HASH_SEED=0 with PERL_PERTURB_KEYS=0 do
    the same for Perl (0.17% spread without). Measured in docs/instructions.md.
    """
    return {k: v for k, v in DETERMINISM_VARIABLES.items() if k not in user_env}


def instrument_environment(env: Mapping[str, str]) -> dict[str, str]:
    """`env` plus `environment_additions`, in sorted order: the environment sits on the
    new process's stack, and its order alone changed a Python start-up by 83 instructions."""
    merged = {**env, **environment_additions(env)}
    return dict(sorted(merged.items()))


def wrap_command(
    command: Sequence[str] | str,
    *,
    shell: bool,
    out_dir: Path,
    settings: ValgrindSettings,
    valgrind: str,
    aslr: AslrProbe,
) -> list[str]:
    """The argv that runs `command` under cachegrind, writing one file per process to
    `out_dir`. A shell command runs as `/bin/sh -c` under valgrind (the shell's own few
    instructions are counted, the same in every run)."""
    prefix = [aslr.setarch, platform.machine(), "-R"] if settings.aslr_off and aslr.available else []
    options = [
        "--tool=cachegrind",
        "--trace-children=yes",
        f"--cachegrind-out-file={out_dir / OUTPUT_PATTERN}",
        f"--log-file={out_dir / LOG_PATTERN}",
        f"--cache-sim={'yes' if settings.cache_sim else 'no'}",
        "--branch-sim=no",
    ]
    if settings.cache_sim:
        options += settings.geometry.options()
    if shell:
        argv = ["/bin/sh", "-c", command if isinstance(command, str) else shlex.join(command)]
    else:
        argv = shlex.split(command) if isinstance(command, str) else list(command)
    return [*(p for p in prefix if p), valgrind, *options, *argv]


# --- after the run ---------------------------------------------------------------------

L1_MISS_EVENTS = ("I1mr", "D1mr", "D1mw")
LL_MISS_EVENTS = ("ILmr", "DLmr", "DLmw")


def estimated_cycles(totals: Mapping[str, int]) -> int:
    """iai-callgrind's "Estimated Cycles" (Itamar Turner-Trauring's formula), from the
    cache simulation's totals:

        RAM hits = ILmr + DLmr + DLmw                    (last-level misses)
        LL hits  = I1mr + D1mr + D1mw - RAM hits         (first-level misses served by LL)
        L1 hits  = Ir + Dr + Dw - LL hits - RAM hits     (every access, instruction and data)
        cycles   = L1 hits + 5 * LL hits + 35 * RAM hits

    as in iai-callgrind-runner/src/runner/callgrind/mod.rs (`CacheSummary`). Not the
    "Ir + 10 * L1 misses + 100 * LL misses" sometimes quoted for it, which leaves out data
    accesses and weighs misses differently (docs/instructions.md).
    """
    ram = sum(totals[e] for e in LL_MISS_EVENTS)
    ll_hits = sum(totals[e] for e in L1_MISS_EVENTS) - ram
    l1_hits = totals["Ir"] + totals["Dr"] + totals["Dw"] - ll_hits - ram
    return l1_hits + 5 * ll_hits + 35 * ram


def profile_metrics(profile: Profile) -> dict[str, float]:
    """The instrument's metrics from a merged profile: `instructions` always; with the cache
    simulation also `l1_misses`, `ll_misses` and `estimated_cycles`."""
    totals = dict(zip(profile.events, profile.totals, strict=True))
    if "Ir" not in totals:
        raise ProfileError(f"cachegrind counted {' '.join(profile.events)}, not instructions (Ir)")
    out: dict[str, float] = {"instructions": float(totals["Ir"])}
    if all(e in totals for e in (*L1_MISS_EVENTS, *LL_MISS_EVENTS, "Dr", "Dw")):
        out["l1_misses"] = float(sum(totals[e] for e in L1_MISS_EVENTS))
        out["ll_misses"] = float(sum(totals[e] for e in LL_MISS_EVENTS))
        out["estimated_cycles"] = float(estimated_cycles(totals))
    return out


def valgrind_messages(out_dir: Path, limit: int = 20) -> list[str]:
    """Valgrind's own messages from the run's log files, without its banner and the
    cache-detection warnings, for an error message."""
    lines: list[str] = []
    for log in sorted(out_dir.glob("valgrind.*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            text = re.sub(r"^(==|--)\d+(==|--) ?", "", line).strip()
            if text and "warning: L3 cache" not in text and "LL cache:" not in text:
                lines.append(text)
    return lines[-limit:]


@dataclass
class Reading:
    """What one run under the instrument measured."""

    metrics: dict[str, float]
    profile: Profile


def collect(out_dir: Path) -> Reading:
    """Merge the cg.out files of one run's process tree into its metrics and profile."""
    try:
        profile = read_tree(out_dir, "cg.out.*")
    except ProfileError as err:
        said = valgrind_messages(out_dir, 3)
        raise ProfileError(err.message + (f"; valgrind said: {' | '.join(said)}" if said else "")) from None
    return Reading(profile_metrics(profile), profile)


# --- the fingerprint -------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _file_identity(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()[:16]


def executable_identity(path: str) -> str | None:
    """A short content hash of an executable (its build, not just its version)."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError:
        return None
    return _file_identity(real, st.st_size, st.st_mtime_ns)


def toolchain(
    profile: Profile, project_roots: Sequence[Path], *, cwd: Path, path: str | None = None
) -> dict[str, str]:
    """The executables the process tree ran, by name, each with its content hash, except
    those inside the project (the code under test is expected to differ). Valgrind writes
    each process's argv[0] as given: relative names are resolved from the command's `cwd`,
    bare names on `path` (the run's PATH)."""
    roots = [os.path.realpath(r) for r in project_roots]
    seen: dict[str, str] = {}
    for cmd in profile.commands:
        exe = cmd.split(" ", 1)[0].split("\n", 1)[0]
        if "/" not in exe:
            exe = shutil.which(exe, path=path) or exe
        real = os.path.realpath(cwd / exe)
        if any(real == r or real.startswith(r.rstrip("/") + "/") for r in roots):
            continue
        identity = executable_identity(real)
        if identity is not None:
            seen[os.path.basename(exe)] = identity
    return dict(sorted(seen.items()))


def fingerprint(
    settings: ValgrindSettings,
    *,
    valgrind: str,
    aslr: AslrProbe,
    env: Mapping[str, str],
    profile: Profile | None = None,
    project_roots: Sequence[Path] = (),
    cwd: Path | None = None,
) -> dict[str, Any]:
    """What two runs' counts depend on besides the code: if any of it differs, their
    counts are not comparable (lanebench.stats.deterministic.fingerprint_differences)."""
    libc = " ".join(platform.libc_ver()) if platform.libc_ver()[0] else None
    out: dict[str, Any] = {
        "tool": "cachegrind",
        "valgrind": valgrind_version(valgrind),
        "arch": platform.machine(),
        "libc": libc,
        "cache_sim": settings.cache_sim,
        "cache": settings.geometry.describe() if settings.cache_sim else None,
        "hash_seed": {v: env.get(v, "unset") for v in DETERMINISM_VARIABLES},
        "aslr": aslr.describe() if settings.aslr_off else "not disabled (aslr_off: false)",
    }
    if profile is not None:
        out["executables"] = toolchain(profile, project_roots, cwd=cwd or Path.cwd(),
                                       path=env.get("PATH"))
    return out


# --- one standalone run ----------------------------------------------------------------


@dataclass
class CountedRun:
    """One standalone run under the instrument (benchmarks/ and tests; the runner spawns
    the wrapped command itself, with its timeouts and tree clean-up)."""

    reading: Reading
    returncode: int
    wall: float
    fingerprint: dict[str, Any]


def run_counted(
    command: Sequence[str],
    out_dir: Path,
    *,
    settings: ValgrindSettings | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
) -> CountedRun:
    """Run `command` once under cachegrind and read what it counted."""
    import time

    settings = settings or ValgrindSettings()
    valgrind = find_valgrind(settings.valgrind)
    aslr = probe_aslr()
    run_env = instrument_environment(os.environ if env is None else env)
    out_dir.mkdir(parents=True, exist_ok=True)
    argv = wrap_command(command, shell=False, out_dir=out_dir, settings=settings,
                        valgrind=valgrind, aslr=aslr)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=run_env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
    wall = time.perf_counter() - start
    try:
        reading = collect(out_dir)
    except ProfileError as err:
        said = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        tail = f"; stderr: {' | '.join(said)}" if said else ""
        raise ProfileError(f"{err.message} (exit status {done.returncode}{tail})") from None
    where = cwd or Path.cwd()
    return CountedRun(
        reading,
        done.returncode,
        wall,
        fingerprint(settings, valgrind=valgrind, aslr=aslr, env=run_env, profile=reading.profile,
                    project_roots=[where], cwd=where),
    )
