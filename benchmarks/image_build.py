"""What a fresh runner pays before the first benchmark: the action image's cold build.

Run by hand from the repository root (root, podman installed; no other podman build may run):

    python benchmarks/image_build.py --rounds 3     # cold builds through container-check
    python benchmarks/image_build.py --steps        # one cold build, timed per step and command
    python benchmarks/image_build.py --rounds 3 --project OTHER_CHECKOUT --project .   # alternating

Both start from a cold cache: every image but container-check's stand-in base is removed
first (the built image, the build stage, podman's intermediate layers), and so are the
directories podman keeps `RUN --mount=type=cache` mounts in, so each build downloads,
installs and commits everything again from the same base.

--rounds times `CONTAINER_CHECK_BUILD_ONLY=1 ../shared/tools/container-check` as a whole
and prints the size it reports. --steps builds the same Dockerfile (its FROM images replaced
by the stand-in, as container-check does) with podman's step output, each line time-stamped,
and every shell command of a RUN traced with its start time (`set -x` with a time in PS4),
then prints where the time went: per step (commit included) and per command.

The stand-in base is Debian bookworm with its own Python 3.11 and pip 23; the real base,
python:3.12.8-slim-bookworm, is neither pulled nor measured here (docs/container.md says
what differs). Results go in docs/container.md ("Build time").
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ../shared/tools/container-check from the project root; from a worktree one level deeper
CONTAINER_CHECK = next(
    (p / "shared" / "tools" / "container-check" for p in ROOT.parents
     if (p / "shared" / "tools" / "container-check").exists()),
    ROOT.parent / "shared" / "tools" / "container-check",
)
PODMAN = ["podman", "--storage-driver=vfs"]
BASE = "localhost/container-check-base:bookworm"
PROBE_TAG = "localhost/lanebench-build-probe:latest"
# where podman 4 (buildah) keeps the contents of `RUN --mount=type=cache` between builds
CACHE_MOUNT_DIRS = [Path("/var/tmp/buildah-cache"), Path("/var/tmp/buildah-cache-0")]
# dash fails to expand PS4 for the first traced command, hence the `:` that takes it
TRACE = "export PS4='+ $(date +%s.%N) '; set -x; :; "


def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PODMAN, *args], capture_output=True, text=True, check=check)


def other_podman_running() -> bool:
    out = subprocess.run(["pgrep", "-x", "podman"], capture_output=True, text=True).stdout
    return bool(out.split())


def clear_cache() -> None:
    """Remove every image but the stand-in base, and the cache mounts' contents."""
    if other_podman_running():
        sys.exit("image_build: another podman process is running; measure when it is done")
    if podman("image", "mount").stdout.strip():
        sys.exit("image_build: an image is mounted (someone is using it); measure when it is done")
    base_id = podman("image", "inspect", BASE, "--format", "{{.Id}}").stdout.strip()
    ids = set(podman("images", "-a", "-q", "--no-trunc").stdout.split())
    for image_id in ids:
        if image_id.removeprefix("sha256:") != base_id.removeprefix("sha256:"):
            podman("rmi", "-f", image_id, check=False)
    podman("image", "prune", "-f", check=False)
    for path in CACHE_MOUNT_DIRS:
        shutil.rmtree(path, ignore_errors=True)
    left = set(podman("images", "-a", "-q").stdout.split())
    if len(left) != 1:
        sys.exit(f"image_build: could not clear podman's images: {sorted(left)}")


def timed_round(project: Path) -> tuple[float, str]:
    clear_cache()
    start = time.perf_counter()
    proc = subprocess.run(
        [str(CONTAINER_CHECK)],
        cwd=project,
        env={**os.environ, "CONTAINER_CHECK_BUILD_ONLY": "1"},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"container-check failed:\n{proc.stdout}{proc.stderr}")
    size = next((ln for ln in proc.stdout.splitlines() if ln.startswith("image:")), "")
    return seconds, size


def stand_in_dockerfile(text: str) -> str:
    """The Dockerfile with every FROM that names an image (not a stage) on the stand-in,
    and each shell-form RUN traced."""
    stages = {m.lower() for m in re.findall(r"(?im)^FROM\s.*\sAS\s+(\S+)", text)}
    out = []
    for line in text.splitlines():
        words = line.split()
        if words and words[0].upper() == "FROM":
            i = 1
            while words[i].startswith("--"):
                i += 1
            if words[i].lower() not in stages:
                words[i] = BASE
            line = " ".join(words)
        elif words and words[0].upper() == "RUN":
            i = 1
            while i < len(words) and words[i].startswith("--"):
                i += 1
            if i < len(words) and not words[i].startswith("["):
                head = " ".join(words[:i])
                line = f"{head} {TRACE}" + line.split(None, i)[i]
        out.append(line)
    return "\n".join(out) + "\n"


def traced_build(project: Path) -> list[tuple[float, str]]:
    clear_cache()
    with tempfile.TemporaryDirectory() as tmp:
        dockerfile = Path(tmp) / "Dockerfile"
        dockerfile.write_text(stand_in_dockerfile((project / "Dockerfile").read_text()))
        argv = [*PODMAN, "build", "--isolation", "chroot", "-f", str(dockerfile), "-t", PROBE_TAG, str(project)]
        start = time.perf_counter()
        lines: list[tuple[float, str]] = []
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append((time.perf_counter() - start, line.rstrip("\n")))
        lines.append((time.perf_counter() - start, f"exit {proc.returncode}"))
    podman("rmi", PROBE_TAG, check=False)
    return lines


def summarise(lines: list[tuple[float, str]]) -> None:
    """Per step: the work and the layer commit (STEP line to podman's `-->` line), then the
    next working container (`-->` to the next STEP: with vfs, a full copy of the file
    system); inside RUN steps, each traced command from its start to the next output
    that is not its own (the next command, or the step's commit)."""
    step_at = [i for i, (_, ln) in enumerate(lines) if re.match(r"(\[\d+/\d+\] )?STEP ", ln)]
    print("per step: work + commit | next working container")
    for n, i in enumerate(step_at):
        end = step_at[n + 1] if n + 1 < len(step_at) else len(lines) - 1
        arrow = next((j for j in range(i, end) if lines[j][1].startswith("-->")), end)
        t0, t_arrow, t_next = lines[i][0], lines[arrow][0], lines[end][0]
        print(f"  {t_arrow - t0:6.1f} s | {t_next - t_arrow:5.1f} s  {lines[i][1][:100]}")
    tagged = next((t for t, ln in lines if ln.startswith("Successfully tagged")), None)
    if tagged is not None:
        print(f"  after the last step, until podman exits: {lines[-1][0] - tagged:.1f} s")
    print(f"  total {lines[-1][0]:.1f} s, {lines[-1][1]}")
    print("inside RUN steps:")
    for k, (t, ln) in enumerate(lines):
        m = re.match(r"\+ (\d+\.\d+) (.*)", ln)
        if not m or m.group(2) == ":":
            continue
        nxt = next((u for u, other in lines[k + 1:] if re.match(r"\+ \d|-->", other)), t)
        if nxt - t >= 0.05:
            print(f"  {nxt - t:6.1f} s  {m.group(2)[:100]}")
    for t, ln in lines:
        if re.match(r"(Successfully installed|Installing collected|Collecting |Get:1 |Fetched |Setting up )", ln):
            print(f"  at {t:6.1f} s: {ln[:100]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=0, help="cold builds through container-check")
    parser.add_argument("--steps", action="store_true", help="one traced cold build, per step")
    parser.add_argument("--log", type=Path, help="write the traced build's time-stamped output here")
    parser.add_argument("--project", type=Path, action="append",
                        help="checkout whose Dockerfile to build (default: this one); repeat to "
                        "alternate between checkouts in every round")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("image_build: run as root (podman with vfs storage, as container-check)")
    projects = [p.resolve() for p in args.project or [ROOT]]
    for n in range(args.rounds):
        for project in projects:
            seconds, size = timed_round(project)
            load = os.getloadavg()[0]
            print(f"round {n + 1} {project}: {seconds:.1f} s (1-min load {load:.1f} at the end); {size}",
                  flush=True)
    if args.steps:
        lines = traced_build(projects[0])
        if args.log:
            args.log.write_text("".join(f"{t:8.2f} {ln}\n" for t, ln in lines))
        summarise(lines)
    if not args.rounds and not args.steps:
        parser.error("give --rounds N and/or --steps")


if __name__ == "__main__":
    main()
