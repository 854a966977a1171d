"""How long lane detection takes on a 3,000-file change. Run by hand:

    python benchmarks/detect_speed.py [--files 3000] [--repeat 20]

Builds a git repository in a temporary directory whose feature branch changes `--files`
files (modified and added code in many folders, docs, renames, deletions, binary files,
names with spaces and non-ASCII characters), then times:

- git:       change_set_from_git (ref checks, then one `git diff --raw --numstat -M -z` on
             the merge base) + decide_lane + plan_benchmarks;
- pr-files:  change_set_from_pr_files on the same change as GitHub diff-entry dicts
             + decide_lane + plan_benchmarks;
  each of the two again with benchmarks that no file touches ("none affected"): the slow
  case for the plan, where every benchmark's patterns meet every path;
- git diff alone: the one `git diff` call change_set_from_git makes, by itself;
- cli:       `python -m lanebench detect --base main` as a fresh process (interpreter start
             and imports included), for scale.

The first in-process round is reported apart (cold: patterns compiled for the first time).
Target: at most 0.3 s for the git and pr-files paths. Results go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lanebench.changes import change_set_from_git, change_set_from_pr_files  # noqa: E402
from lanebench.config import config_from_dict  # noqa: E402
from lanebench.lane_decision import decide_lane, plan_benchmarks  # noqa: E402

TARGET_SECONDS = 0.3
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}
CONFIG = {
    "benchmarks": [
        {"name": f"bench{i}", "command": ["true"], "paths": [f"pkg{i}/**", f"shared/common_{i}.py"]}
        for i in range(10)
    ]
    + [{"name": "e2e", "command": ["true"]}],
    "critical_paths": ["pkg0/security/**", "**/crypto_*.py"],
}
# The slow case for the plan: no benchmark is affected, so each one checks every file.
CONFIG_UNAFFECTED = {
    **CONFIG,
    "benchmarks": [
        {"name": f"bench{i}", "command": ["true"], "paths": [f"elsewhere{i}/**", f"tools/gen_{i}.py"]}
        for i in range(10)
    ],
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], env=GIT_ENV, check=True, capture_output=True)


def write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def build_repo(repo: Path, n_files: int) -> None:
    """main: the files to modify, rename and delete; feature: a change touching n_files."""
    git(repo, "init", "-q", "-b", "main")
    n_renamed, n_removed, n_binary, n_docs = n_files // 15, n_files // 30, n_files // 100, n_files // 10
    n_modified = n_files // 2
    n_added = n_files - n_renamed - n_removed - n_binary - n_docs - n_modified
    body = "".join(f"line_{k} = {k}\n" for k in range(30))
    for i in range(n_modified):
        write(repo / f"pkg{i % 40}/mod_{i}.py", body)
    for i in range(n_renamed):
        write(repo / f"old/sub {i % 7}/ren_{i}.py", body + f"# {i}\n")
    for i in range(n_removed):
        write(repo / f"gone/del_{i}.py", body)
    for i in range(n_binary):
        write(repo / f"assets/img_{i}.bin", bytes(range(256)) * 8)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    for i in range(n_modified):
        write(repo / f"pkg{i % 40}/mod_{i}.py", body + "line_new = 1\n")
    for i in range(n_renamed):
        src = repo / f"old/sub {i % 7}/ren_{i}.py"
        dst = repo / f"nouveau/ünïcode {i % 5}/ren_{i}.py"
        dst.parent.mkdir(parents=True, exist_ok=True)
        src.rename(dst)
    for i in range(n_removed):
        (repo / f"gone/del_{i}.py").unlink()
    for i in range(n_binary):
        write(repo / f"assets/img_{i}.bin", bytes(range(255, -1, -1)) * 8)
    for i in range(n_docs):
        write(repo / f"docs/page_{i}.md", f"# Page {i}\n\ntext\n")
    for i in range(n_added):
        write(repo / f"pkg{40 + i % 20}/new_{i}.py", "x = 1\ny = 2\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feature")


def as_diff_entries(change_set: Any) -> list[dict[str, Any]]:
    """The same change as the GitHub PR files API would list it."""
    entries = []
    for f in change_set.files:
        entry: dict[str, Any] = {
            "sha": "0" * 40,
            "filename": f.path,
            "status": f.status,
            "additions": f.additions or 0,
            "deletions": f.deletions or 0,
            "changes": (f.additions or 0) + (f.deletions or 0),
        }
        if f.previous_path:
            entry["previous_filename"] = f.previous_path
        entries.append(entry)
    return entries


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    start = time.perf_counter()
    result = fn()
    cold = time.perf_counter() - start
    warm: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        warm.append(time.perf_counter() - start)
    return cold, warm, result


def report(name: str, cold: float, warm: list[float], target: float | None) -> bool:
    median = statistics.median(warm)
    verdict = ""
    ok = True
    if target is not None:
        ok = max(cold, median) <= target
        verdict = "  within target" if ok else f"  OVER the {target:.1f} s target"
    print(
        f"{name:<24} cold {cold * 1000:7.1f} ms   warm median {median * 1000:7.1f} ms "
        f"(min {min(warm) * 1000:.1f}, max {max(warm) * 1000:.1f}, n={len(warm)}){verdict}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=3000, help="changed files (default 3000)")
    parser.add_argument("--repeat", type=int, default=20, help="warm rounds per path (default 20)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    configs = {"": config_from_dict(CONFIG), ", none affected": config_from_dict(CONFIG_UNAFFECTED)}

    with tempfile.TemporaryDirectory(prefix="lanebench-detect-") as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        start = time.perf_counter()
        build_repo(repo, args.files)
        print(f"built a repository with a {args.files}-file change in {time.perf_counter() - start:.1f} s")

        ok = True
        for label, cfg in configs.items():

            def via_git(cfg: Any = cfg) -> Any:
                cs = change_set_from_git(repo, "main", "feature")
                decision = decide_lane(cfg, cs)
                return cs, decision, plan_benchmarks(cfg, decision, cs)

            cold, warm, (cs, decision, plan) = timed(via_git, args.repeat)
            print(
                f"change: {len(cs.files)} files, lane {decision.lane} ({decision.reason}); "
                f"{sum(p.run for p in plan)} of {len(plan)} benchmarks run"
            )
            ok = report(f"git{label}", cold, warm, TARGET_SECONDS) and ok
            entries = as_diff_entries(cs)

            def via_pr_files(cfg: Any = cfg, entries: list[dict[str, Any]] = entries) -> Any:
                pr_cs = change_set_from_pr_files(entries, ["perf"], total_files=len(entries))
                decision = decide_lane(cfg, pr_cs)
                return decision, plan_benchmarks(cfg, decision, pr_cs)

            cold, warm, _ = timed(via_pr_files, args.repeat)
            ok = report(f"pr-files{label}", cold, warm, TARGET_SECONDS) and ok

        merge_base = subprocess.run(
            ["git", "-C", str(repo), "merge-base", "main", "feature"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        diff_argv = [
            "git", "-C", str(repo), "diff", "--no-color", "--no-ext-diff", "--no-textconv",
            "-M", "-z", "--raw", "--numstat", merge_base, "feature",
        ]
        cold, warm, _ = timed(lambda: subprocess.run(diff_argv, capture_output=True, check=True), args.repeat)
        report("git diff alone", cold, warm, None)

        config_path = repo / ".github" / "lanebench.yml"
        import yaml

        write(config_path, yaml.safe_dump(CONFIG))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        runs: list[float] = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "lanebench", "detect", "--base", "main", "--head", "feature"],
                cwd=repo, env=env, check=True, capture_output=True,
            )
            runs.append(time.perf_counter() - start)
        report("cli", runs[0], runs[1:], None)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}; "
        f"1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
