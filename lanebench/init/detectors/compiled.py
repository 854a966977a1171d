"""Compiled-language suites: `go test -bench`, `cargo bench`, Google Benchmark targets."""

from __future__ import annotations

import posixpath
import re

from lanebench.init.detectors._common import slug
from lanebench.init.model import Finding, HarnessRun, Location, Proposal
from lanebench.init.project import Project, PythonPackage

GO_BENCH = re.compile(r"^func\s+(Benchmark\w*)\s*\(\s*\w+\s+\*testing\.B\s*\)", re.M)
GO_MODULE = re.compile(r"^module\s+(\S+)", re.M)
# A fixed count of iterations per benchmark function, so the process's time follows the
# code's speed (by default `go test -bench` runs each for about a second, whatever its speed).
GO_BENCHTIME = "100x"
GBENCH_MACRO = re.compile(r"^\s*BENCHMARK(_F|_DEFINE_F|_TEMPLATE)?\s*\(", re.M)
CMAKE_EXECUTABLE = re.compile(r"add_executable\s*\(\s*([A-Za-z0-9_.+-]+)([^)]*)\)", re.S)
CPP_SOURCES = ["**/*.c", "**/*.cc", "**/*.cpp", "**/*.cxx", "**/*.h", "**/*.hh", "**/*.hpp"]
CMAKE_LINK = re.compile(r"target_link_libraries\s*\(\s*([A-Za-z0-9_.+-]+)([^)]*)\)", re.S)


def detect_go(project: Project, package: PythonPackage | None) -> tuple[list[Proposal], list[Finding]]:
    proposals = []
    for gomod in project.matching(r"(^|/)go\.mod$"):
        module_dir = posixpath.dirname(gomod) or "."
        prefix = "" if module_dir == "." else module_dir + "/"
        files = {}
        for rel in project.matching(r"_test\.go$"):
            if not rel.startswith(prefix) or _in_nested_module(project, rel, module_dir):
                continue
            names = GO_BENCH.findall(project.text(rel) or "")
            if names:
                files[rel] = names
        if not files:
            continue
        packages = sorted({posixpath.dirname(r[len(prefix):]) or "." for r in files})
        targets = ["./..."] if len(packages) > 3 else [f"./{p}" if p != "." else "." for p in packages]
        count = sum(len(v) for v in files.values())
        module = GO_MODULE.search(project.text(gomod) or "")
        proposals.append(Proposal(
            name=slug(f"go-bench-{module_dir}" if module_dir != "." else "go-bench"),
            found=f"Go benchmarks: {count} `func Benchmark…` in {len(files)} file"
            f"{'s' if len(files) != 1 else ''}" + (f" of module {module.group(1)}" if module else ""),
            where=[Location(r, project.line_of(r, f"func {v[0]}")) for r, v in sorted(files.items())[:5]],
            command=["go", "test", "-run", "^$", "-bench", ".", "-benchtime", GO_BENCHTIME,
                     "-count", "1", "-vet=off", *targets],
            cwd=module_dir,
            detector="go",
            # Go has no per-file import graph to hand: every Go file of the module, and its deps
            paths=[f"{prefix}**/*.go", f"{prefix}go.mod", f"{prefix}go.sum"],
            harness=HarnessRun("go", ["go", "test", "-run", "^$", "-bench", ".", "-count", "1",
                                      "-vet=off", *targets], "stdout"),
            needs=["go"],
            notes=[f"measured as one process: each benchmark runs {GO_BENCHTIME.rstrip('x')} "
                   "iterations (-benchtime), compile time counts in the first (warm-up) run; "
                   "comparing each benchmark on its own comes with `harness: go`"],
        ))
    return proposals, []


def _in_nested_module(project: Project, rel: str, module_dir: str) -> bool:
    folder = posixpath.dirname(rel)
    while folder and folder != module_dir and folder != ".":
        if project.exists(f"{folder}/go.mod"):
            return True
        folder = posixpath.dirname(folder)
    return False


def detect_cargo(project: Project, package: PythonPackage | None) -> tuple[list[Proposal], list[Finding]]:
    proposals = []
    for manifest in project.matching(r"(^|/)Cargo\.toml$"):
        crate_dir = posixpath.dirname(manifest) or "."
        prefix = "" if crate_dir == "." else crate_dir + "/"
        data = project.toml(manifest) or {}
        benches = data.get("bench") if isinstance(data.get("bench"), list) else []
        assert isinstance(benches, list)
        bench_files = [f for f in project.files if f.startswith(f"{prefix}benches/") and f.endswith(".rs")]
        if not benches and not bench_files:
            continue
        pkg = data.get("package") if isinstance(data.get("package"), dict) else {}
        assert isinstance(pkg, dict)
        name = str(pkg.get("name", crate_dir))
        where = [Location(manifest, project.line_of(manifest, "[[bench]]"))] if benches else []
        where += [Location(f) for f in bench_files[:5]]
        proposals.append(Proposal(
            name=slug(f"cargo-bench-{name}"),
            found=f"cargo benches of crate {name}"
            + (f" ({len(benches)} [[bench]] targets)" if benches else f" ({len(bench_files)} files in benches/)"),
            where=where,
            command=["cargo", "bench", "--quiet"],
            cwd=crate_dir,
            detector="cargo",
            paths=[f"{prefix}src/**", f"{prefix}benches/**", manifest, f"{prefix}Cargo.lock",
                   f"{prefix}build.rs"],
            needs=["cargo"],
            notes=["compile time counts in the first (warm-up) run; the bench harness "
                   "(libtest or criterion) decides how long each benchmark runs"],
        ))
    return proposals, []


def detect_google_benchmark(
    project: Project, package: PythonPackage | None
) -> tuple[list[Proposal], list[Finding]]:
    sources = [f for f in project.matching(r"\.(cc|cpp|cxx|c\+\+)$")
               if GBENCH_MACRO.search(project.text(f) or "")]
    proposals: list[Proposal] = []
    findings: list[Finding] = []
    linked: set[str] = set()
    for cmake in project.matching(r"(^|/)CMakeLists\.txt$"):
        text = project.text(cmake) or ""
        folder = posixpath.dirname(cmake) or "."
        executables = {m.group(1): m.group(2) for m in CMAKE_EXECUTABLE.finditer(text)}
        for match in CMAKE_LINK.finditer(text):
            target, libs = match.group(1), match.group(2)
            if "benchmark::benchmark" not in libs or target not in executables:
                continue
            own = [posixpath.normpath(posixpath.join(folder, w))
                   for w in executables[target].split() if w.endswith((".cc", ".cpp", ".cxx"))]
            linked.update(own)
            build = "build/lanebench"
            proposals.append(Proposal(
                name=slug(f"gbench-{target}"),
                found=f"Google Benchmark target `{target}` (linked with benchmark::benchmark)",
                where=[Location(cmake, project.line_of(cmake, "benchmark::benchmark")),
                       *[Location(s) for s in own if project.exists(s)]],
                command=[f"{build}/{target}"],
                cwd=folder,
                detector="google-benchmark",
                paths=[f"{folder}/**"] if folder != "." else [*CPP_SOURCES, cmake],
                harness=HarnessRun("google-benchmark",
                                   [f"{build}/{target}", "--benchmark_out={output}",
                                    "--benchmark_out_format=json"], "file"),
                setup=f"cmake -S {folder} -B {folder}/{build} -DCMAKE_BUILD_TYPE=Release "
                f"&& cmake --build {folder}/{build} --target {target}",
                needs=["cmake", "c++"],
                notes=["built once per tree by `setup:` (CMake, Release); Google Benchmark "
                       "decides how long each case runs (about 0.5 s each by default)"],
            ))
    for source in sources:
        if source not in linked:
            findings.append(Finding(
                found="Google Benchmark cases (BENCHMARK(...))",
                where=[Location(source, project.line_of(source, GBENCH_MACRO))],
                reason="no CMake target links it with benchmark::benchmark: add one "
                "(add_executable + target_link_libraries(... benchmark::benchmark)), "
                "or list the built binary under benchmarks: yourself",
            ))
    return proposals, findings
