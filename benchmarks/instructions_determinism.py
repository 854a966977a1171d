"""How deterministic are cachegrind's instruction counts here, and what do they cost?

Run by hand (about 6 minutes of one core, 40 s of them beside two busy loops; the
figures go into docs/instructions.md, "Determinism, measured"):

    python benchmarks/instructions_determinism.py --runs 10 > /tmp/determinism.md

Workloads (each run through `lanebench.runner.instruments.valgrind.run_counted`, i.e.
`valgrind --tool=cachegrind --trace-children=yes --cache-sim=no`, ASLR off with
`setarch -R` unless a row says otherwise):

- py-loop:   /usr/bin/python3 -c "s=0; for i in range(1_000_000): s+=i*i" (~0.1 s plain);
- c-program: a small C program (qsort of 200,000 pseudo-random ints, a hash table of
             them), gcc -O2;
- py-child:  a python that runs py-loop as a child process and then the loop itself
             (two processes: the counts of both trees' files summed);
- perl-hash: perl building and iterating a 20,000-key hash;
- go-map:    a Go program filling and iterating a 20,000-key map.

Conditions: PYTHONHASHSEED=0 with and without ASLR off; a random hash seed; beside two
busy-loop processes; cache simulation on; and the inputs a process's stack holds: the
working directory's path length, one more environment variable, the environment's
order, one more argv entry. Every row prints the distinct counts seen.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import noise_neighbour  # noqa: E402

from lanebench.runner.instruments.valgrind import ValgrindSettings, run_counted  # noqa: E402

PY = "/usr/bin/python3"
LOOP = "s=0\nfor i in range(1_000_000): s+=i*i\n"
CHILD = (
    "import subprocess, sys\n"
    f"subprocess.run([sys.executable, '-c', {LOOP!r}], check=True)\n" + LOOP
)
C_SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
static int cmp(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }
int main(void) {
    enum { N = 200000, M = 1 << 18 };
    unsigned s = 12345; int *v = malloc(N * sizeof *v); int *table = calloc(M, sizeof *table);
    for (int i = 0; i < N; i++) { s = s * 1103515245u + 12345u; v[i] = (int)(s >> 1); }
    qsort(v, N, sizeof *v, cmp);
    long hits = 0;
    for (int i = 0; i < N; i++) { unsigned h = ((unsigned)v[i] * 2654435761u) & (M - 1); hits += table[h]++; }
    printf("%d %ld\n", v[N / 2], hits);
    free(v); free(table); return 0;
}
"""
PERL = "my %h; $h{\"k$_\"} = $_ for 1..20000; my $t = 0; $t += $h{$_} for keys %h; print \"$t\\n\";"
GO_SOURCE = """package main
import "fmt"
func main() {
	m := map[string]int{}
	for i := 0; i < 20000; i++ { m[fmt.Sprint("k", i)] = i }
	t := 0
	for k, v := range m { t += v + len(k) }
	fmt.Println(t)
}
"""


def counts(
    argv: Sequence[str], runs: int, work: Path, *, env: Mapping[str, str] | None = None,
    cwd: Path | None = None, settings: ValgrindSettings | None = None,
) -> tuple[list[int], list[float]]:
    values, walls = [], []
    for _ in range(runs):
        out = Path(tempfile.mkdtemp(dir=work))
        run = run_counted(argv, out, settings=settings, env=env, cwd=cwd or work)
        if run.returncode != 0:
            raise SystemExit(f"{argv[0]} exited {run.returncode} under valgrind")
        values.append(int(run.reading.metrics["instructions"]))
        walls.append(run.wall)
        shutil.rmtree(out)
    return values, walls


def plain_wall(argv: Sequence[str], runs: int, cwd: Path) -> float:
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def row(label: str, values: list[int], reference: int | None = None) -> str:
    distinct = sorted(set(values))
    spread = (max(values) - min(values)) / min(values) * 100
    shown = ", ".join(f"{v:,}" for v in distinct[:3]) + (f" … {distinct[-1]:,}" if len(distinct) > 3 else "")
    delta = "" if reference is None else f"{values[0] - reference:+,}"
    return f"| {label} | {len(values)} | {len(distinct)} | {shown} | {spread:.2g}% | {delta} |"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cost(label: str, argv: Sequence[str], runs: int, work: Path, settings: ValgrindSettings | None = None) -> str:
    """Median wall and CPU (user+sys of the tree) of plain runs and of runs under cachegrind."""
    plain_wall, plain_cpu, vg_wall, vg_cpu = [], [], [], []
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for _ in range(runs):
        before, start = cpu_seconds(), time.perf_counter()
        subprocess.run(argv, cwd=work, env=env, check=True, stdout=subprocess.DEVNULL)
        plain_wall.append(time.perf_counter() - start)
        plain_cpu.append(cpu_seconds() - before)
        out = Path(tempfile.mkdtemp(dir=work))
        before = cpu_seconds()
        run = run_counted(argv, out, settings=settings, env=env, cwd=work)
        vg_cpu.append(cpu_seconds() - before)
        vg_wall.append(run.wall)
        shutil.rmtree(out)
    pw, pc = statistics.median(plain_wall), statistics.median(plain_cpu)
    vw, vc = statistics.median(vg_wall), statistics.median(vg_cpu)
    return (f"| {label} | {pw:.3f} s / {pc:.3f} s | {vw:.2f} s / {vc:.2f} s | "
            f"{vw / pw:.0f}x / {vc / pc:.0f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--probe-runs", type=int, default=2, help="runs per stack-input probe")
    parser.add_argument("--only", default="", help="run only the rows whose label contains this")
    parser.add_argument("--cost-only", action="store_true", help="only the cost table")
    parser.add_argument("--cost-runs", type=int, default=3, help="alternating plain/cachegrind runs for the cost table")
    args = parser.parse_args()
    n, k = args.runs, args.probe_runs
    work = Path(tempfile.mkdtemp(prefix="lanebench-determinism-"))
    try:
        subprocess.run(["gcc", "-O2", "-o", str(work / "cprog"), "-x", "c", "-"], input=C_SOURCE,
                       text=True, check=True)
        (work / "main.go").write_text(GO_SOURCE)
        go_env = {**os.environ, "GOCACHE": str(work / "gocache"), "GOPATH": str(work / "gopath")}
        subprocess.run(["go", "build", "-o", str(work / "gomap"), str(work / "main.go")], cwd=work,
                       env=go_env, check=True)
        env0 = {**os.environ, "PYTHONHASHSEED": "0"}
        aslr_on = ValgrindSettings(aslr_off=False)
        sim = ValgrindSettings(cache_sim=True)
        py, c, child, perl = [PY, "-c", LOOP], [str(work / "cprog")], [PY, "-c", CHILD], ["perl", "-e", PERL]
        go = [str(work / "gomap")]
        long_dir = work / ("a-much-longer-working-directory-name-" + "x" * 40)
        long_dir.mkdir()
        probe = {**env0, "LANEBENCH_PROBE": "x" * 100}
        reversed_env = dict(reversed(list(env0.items())))
        perl_seeded = {**env0, "PERL_HASH_SEED": "0", "PERL_PERTURB_KEYS": "0"}

        def busy() -> list[int]:
            noise_neighbour.HOGS = 2
            with noise_neighbour.neighbour(True, seconds=300):
                return counts(py, n, work, env=env0)[0]

        rows = [  # label, thunk, reference row (its first count is the "vs" column's zero)
            ("py-loop, PYTHONHASHSEED=0, ASLR off", lambda: counts(py, n, work, env=env0)[0], None),
            ("py-loop, PYTHONHASHSEED=0, ASLR on", lambda: counts(py, n, work, env=env0, settings=aslr_on)[0], "py-loop, PYTHONHASHSEED=0, ASLR off"),
            ("py-loop, random hash seed, ASLR off", lambda: counts(py, n, work, env={**os.environ, "PYTHONHASHSEED": "random"})[0], None),
            ("py-loop, PYTHONHASHSEED=0, ASLR off, beside 2 busy loops", busy, "py-loop, PYTHONHASHSEED=0, ASLR off"),
            ("py-loop, as the first row, --cache-sim=yes", lambda: counts(py, max(3, n // 3), work, env=env0, settings=sim)[0], "py-loop, PYTHONHASHSEED=0, ASLR off"),
            ("py-loop, working directory path +80 characters", lambda: counts(py, k, work, env=env0, cwd=long_dir)[0], "py-loop, PYTHONHASHSEED=0, ASLR off"),
            ("py-loop, one more environment variable (100 bytes)", lambda: counts(py, k, work, env=probe)[0], "py-loop, PYTHONHASHSEED=0, ASLR off"),
            ("py-loop, same variables, reversed order", lambda: counts(py, k, work, env=reversed_env)[0], "py-loop, PYTHONHASHSEED=0, ASLR off"),
            ("py-loop, one more argv entry", lambda: counts([*py, "extra"], k, work, env=env0)[0], "py-loop, PYTHONHASHSEED=0, ASLR off"),
            ("py-child (a python that runs a python), PYTHONHASHSEED=0, ASLR off", lambda: counts(child, n, work, env=env0)[0], None),
            ("c-program, ASLR off", lambda: counts(c, n, work, env=env0)[0], None),
            ("c-program, ASLR on", lambda: counts(c, n, work, env=env0, settings=aslr_on)[0], "c-program, ASLR off"),
            ("c-program, working directory path +80 characters", lambda: counts(c, k, work, env=env0, cwd=long_dir)[0], "c-program, ASLR off"),
            ("c-program, one more environment variable (100 bytes)", lambda: counts(c, k, work, env=probe)[0], "c-program, ASLR off"),
            ("c-program, one more argv entry", lambda: counts([*c, "extra"], k, work, env=env0)[0], "c-program, ASLR off"),
            ("perl-hash, random hash seed", lambda: counts(perl, 3, work, env=env0)[0], None),
            ("perl-hash, PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0", lambda: counts(perl, 3, work, env=perl_seeded)[0], None),
            ("go-map (go 1.19), GOMAXPROCS unset", lambda: counts(go, 3, work, env=env0)[0], None),
            ("go-map, GOMAXPROCS=1", lambda: counts(go, 3, work, env={**env0, "GOMAXPROCS": "1"})[0], None),
        ]
        seen: dict[str, list[int]] = {}
        print("| workload, condition | runs | distinct | counts | spread | vs its reference row |")
        print("| --- | ---: | ---: | --- | ---: | ---: |")
        for label, thunk, reference in [] if args.cost_only else rows:
            if args.only and args.only not in label and (reference is None or args.only not in label):
                continue
            if reference is not None and reference not in seen:
                seen[reference] = dict((lbl, t) for lbl, t, _ in rows)[reference]()
            seen[label] = thunk()
            print(row(label, seen[label], seen[reference][0] if reference else None), flush=True)
        if args.cost_runs:
            print()
            print("| workload | plain: wall / CPU | under cachegrind: wall / CPU | ratio: wall / CPU |")
            print("| --- | ---: | ---: | ---: |")
            for label, argv, settings in (("py-loop", py, None), ("py-child", child, None), ("c-program", c, None),
                                          ("py-loop, --cache-sim=yes", py, sim)):
                if not args.only or args.only in label:
                    print(cost(label, argv, args.cost_runs, work, settings), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
