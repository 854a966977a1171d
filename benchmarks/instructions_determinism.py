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
    shown = ", ".join(f"{v:,}" for v in distinct[:4]) + (" …" if len(distinct) > 4 else "")
    delta = "" if reference is None else f"{values[0] - reference:+,}"
    return f"| {label} | {len(values)} | {len(distinct)} | {shown} | {spread:.3f}% | {delta} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--probe-runs", type=int, default=2, help="runs per stack-input probe")
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
        py = [PY, "-c", LOOP]
        c = [str(work / "cprog")]
        lines = ["| workload, condition | runs | distinct | counts | spread | vs first row |",
                 "| --- | ---: | ---: | --- | ---: | ---: |"]
        py_ref, py_walls = counts(py, n, work, env=env0)
        lines.append(row("py-loop, PYTHONHASHSEED=0, ASLR off", py_ref))
        lines.append(row("py-loop, PYTHONHASHSEED=0, ASLR on", counts(py, n, work, env=env0, settings=aslr_on)[0], py_ref[0]))
        lines.append(row("py-loop, random hash seed, ASLR off",
                         counts(py, n, work, env={**os.environ, "PYTHONHASHSEED": "random"})[0]))
        noise_neighbour.HOGS = 2
        with noise_neighbour.neighbour(True, seconds=300):
            busy = counts(py, n, work, env=env0)[0]
        lines.append(row("py-loop, PYTHONHASHSEED=0, ASLR off, beside 2 busy loops", busy, py_ref[0]))
        sim, sim_walls = counts(py, max(3, n // 3), work, env=env0, settings=ValgrindSettings(cache_sim=True))
        lines.append(row("py-loop, as the first row, --cache-sim=yes", sim, py_ref[0]))
        long_dir = work / ("a-much-longer-working-directory-name-" + "x" * 40)
        long_dir.mkdir()
        lines.append(row("py-loop, working directory path +80 characters", counts(py, k, work, env=env0, cwd=long_dir)[0], py_ref[0]))
        lines.append(row("py-loop, one more environment variable (100 bytes)",
                         counts(py, k, work, env={**env0, "LANEBENCH_PROBE": "x" * 100})[0], py_ref[0]))
        lines.append(row("py-loop, same variables, reversed order",
                         counts(py, k, work, env=dict(reversed(list(env0.items()))))[0], py_ref[0]))
        lines.append(row("py-loop, one more argv entry", counts([*py, "extra"], k, work, env=env0)[0], py_ref[0]))
        child, child_walls = counts([PY, "-c", CHILD], n, work, env=env0)
        lines.append(row("py-child (a python that runs a python), PYTHONHASHSEED=0, ASLR off", child))
        c_ref, c_walls = counts(c, n, work, env=env0)
        lines.append(row("c-program, ASLR off", c_ref))
        lines.append(row("c-program, ASLR on", counts(c, n, work, env=env0, settings=aslr_on)[0], c_ref[0]))
        lines.append(row("c-program, working directory path +80 characters", counts(c, k, work, env=env0, cwd=long_dir)[0], c_ref[0]))
        lines.append(row("c-program, one more environment variable (100 bytes)",
                         counts(c, k, work, env={**env0, "LANEBENCH_PROBE": "x" * 100})[0], c_ref[0]))
        lines.append(row("c-program, one more argv entry", counts([*c, "extra"], k, work, env=env0)[0], c_ref[0]))
        perl = ["perl", "-e", PERL]
        lines.append(row("perl-hash, random hash seed", counts(perl, 3, work, env=env0)[0]))
        lines.append(row("perl-hash, PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0",
                         counts(perl, 3, work, env={**env0, "PERL_HASH_SEED": "0", "PERL_PERTURB_KEYS": "0"})[0]))
        lines.append(row("go-map (go 1.19), GOMAXPROCS unset", counts([str(work / "gomap")], 3, work, env=env0)[0]))
        lines.append(row("go-map, GOMAXPROCS=1", counts([str(work / "gomap")], 3, work, env={**env0, "GOMAXPROCS": "1"})[0]))
        print("\n".join(lines))
        print()
        print("| workload | plain wall (median of 3) | under cachegrind, --cache-sim=no | ratio |")
        print("| --- | ---: | ---: | ---: |")
        for label, argv, walls in (("py-loop", py, py_walls), ("py-child", [PY, "-c", CHILD], child_walls),
                                   ("c-program", c, c_walls), ("py-loop, --cache-sim=yes", py, sim_walls)):
            plain = plain_wall(argv, 3, work)
            under = statistics.median(walls)
            print(f"| {label} | {plain:.3f} s | {under:.2f} s | {under / plain:.0f}x |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
