"""The action's fixed cost: process start to comment and check posted, with nothing measured.

Run by hand from the repository root:

    python benchmarks/action_cost.py [--runs 7]
    python benchmarks/action_cost.py --chroot MOUNTED_IMAGE [--runs 7]

Starts the fake GitHub API (tests/github_fake) as its own process and a pull request job
the way a runner starts the container: `python entrypoint.py` with INPUT_*/GITHUB_* set, a
`pull_request` event file, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY. Nothing is benchmarked:
the `results` input names a small results file made beforehand (two benchmarks, five
samples each), so what is timed is the action's own work: imports, inputs and event, the
PR's files from the API, finding, downloading and extracting the baseline artifact,
comparison and statistics, SLA, reports (Markdown, HTML, CSV, JSON), job summary, outputs,
the sticky comment (list + create) and the check run. Each run uses a new pull request, so
the comment is created, not edited. The first run is reported apart (cold file cache).

The fake answers on 127.0.0.1 within milliseconds, so real GitHub adds its own latency:
about ten requests, serial.

--chroot runs the entrypoint inside the built image instead (its Python, its byte-code):
build it with `CONTAINER_CHECK_BUILD_ONLY=1 ../shared/tools/container-check`, mount it with
`podman --storage-driver=vfs image mount localhost/container-check:latest`, bind /proc and
/dev into the mount point, and pass that directory (see docs/container.md). The script
writes the /etc/hosts line a container runtime would provide (`localhost`) while it runs.

Also timed, for scale: the interpreter alone (`python -c pass`) and the imports alone
(`python -c "import lanebench.action, lanebench.pipeline"`).
Target: a median of at most 1.5 s. Results go in docs/performance.md ("Action fixed cost").
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.github_fake import DEFAULT_REPO, DEFAULT_TOKEN, make_zip  # noqa: E402
from tests.github_fake.process import start_fake_github_process  # noqa: E402

TARGET_SECONDS = 1.5
WEBHOOK = ROOT / "tests" / "fixtures" / "github" / "webhooks" / "pull_request.synchronize.json"
HEAD_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
CONFIG = """\
benchmarks:
  - name: build
    command: ["true"]
  - name: test
    command: ["true"]
defaults:
  warmup: 0
  min_iterations: 5
  max_iterations: 5
"""


def pr_event(number: int, api: str) -> dict[str, Any]:
    event = json.loads(WEBHOOK.read_text(encoding="utf-8"))
    event["repository"].update(full_name=DEFAULT_REPO, default_branch="main",
                               url=f"{api}/repos/{DEFAULT_REPO}")
    event["number"] = number
    pr = event["pull_request"]
    pr["number"] = number
    pr["head"].update(sha=HEAD_SHA, ref="feature")
    pr["head"]["repo"]["full_name"] = DEFAULT_REPO
    pr["base"].update(ref="main")
    pr["base"]["repo"]["full_name"] = DEFAULT_REPO
    pr["labels"] = []
    return event


def make_results(workspace: Path) -> Path:
    """A results file from `lanebench run` (host Python), for head and baseline alike."""
    out = workspace / "measured" / "lanebench-results.json"
    subprocess.run([sys.executable, "-m", "lanebench", "run", "--output", str(out)], cwd=workspace,
                   check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return out


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="timed runs after the first (default 7)")
    parser.add_argument("--chroot", type=Path, default=None, metavar="DIR",
                        help="mounted image to run the entrypoint in (see the docstring)")
    args = parser.parse_args()

    parent = args.chroot / "tmp" if args.chroot else None
    inside = Path(tempfile.mkdtemp(prefix="lanebench-action-cost-", dir=parent))
    # paths as the entrypoint sees them (inside the chroot, when there is one)
    seen = Path("/tmp") / inside.name if args.chroot else inside
    if args.chroot:
        python, entrypoint = "/opt/lanebench/bin/python", "/entrypoint.py"
    else:
        python, entrypoint = sys.executable, str(ROOT / "entrypoint.py")

    def command(env: dict[str, str], *argv: str) -> list[str]:
        if not args.chroot:
            return list(argv)
        chroot = shutil.which("chroot") or "/usr/sbin/chroot"
        return [chroot, str(args.chroot), "/usr/bin/env", "-i", f"--chdir={seen / 'workspace'}",
                *[f"{k}={v}" for k, v in env.items()], *argv]
    hosts = args.chroot / "etc" / "hosts" if args.chroot else None
    hosts_before = hosts.read_bytes() if hosts is not None and hosts.exists() else None
    if hosts is not None and b"localhost" not in (hosts_before or b""):
        # a container runtime provides it; the fake's artifact storage is "localhost"
        hosts.write_text("127.0.0.1 localhost\n", encoding="utf-8")
    workspace = inside / "workspace"
    (workspace / ".github").mkdir(parents=True)
    (workspace / ".github" / "lanebench.yml").write_text(CONFIG, encoding="utf-8")
    results = make_results(workspace)

    fake = start_fake_github_process()
    try:
        zip_bytes = make_zip({"lanebench-results.json": results.read_bytes()})
        fake.add_artifact("lanebench-baseline", zip_base64=base64.b64encode(zip_bytes).decode(),
                          head_branch="main")
        base_env = {
            "PATH": "/opt/lanebench/bin:/usr/local/bin:/usr/bin:/bin" if args.chroot else os.environ["PATH"],
            "HOME": str(seen),
            "LANG": "C.UTF-8",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_REPOSITORY": DEFAULT_REPO,
            "GITHUB_SHA": "f" * 40,
            "GITHUB_REF": "refs/pull/1/merge",
            "GITHUB_API_URL": fake.url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "1",
            "GITHUB_WORKSPACE": str(seen / "workspace"),
            "INPUT_GITHUB-TOKEN": DEFAULT_TOKEN,
            "INPUT_RESULTS": "measured/lanebench-results.json",
        }
        if args.chroot:
            base_env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
        else:
            base_env["PYTHONPATH"] = str(ROOT)

        def env_for(number: int) -> dict[str, str]:
            home = inside / f"run-{number}"
            home.mkdir()
            (home / "event.json").write_text(json.dumps(pr_event(number, fake.url)), encoding="utf-8")
            fake.add_pull(number, files=["src/app.py"], head_sha=HEAD_SHA)
            inner = seen / f"run-{number}"
            return {**base_env, "GITHUB_EVENT_PATH": str(inner / "event.json"),
                    "GITHUB_OUTPUT": str(inner / "output"), "GITHUB_STEP_SUMMARY": str(inner / "summary.md")}

        times: list[float] = []
        for number in range(1, args.runs + 2):
            env = env_for(number)
            seconds, proc = timed(command(env, python, entrypoint), env, workspace)
            if proc.returncode != 0:
                print(proc.stdout, proc.stderr, sep="\n", file=sys.stderr)
                raise SystemExit(f"run {number}: exit {proc.returncode}")
            comments, checks = fake.comments_on(number), fake.check_runs_for(None)
            if len(comments) != 1 or len(checks) != number:
                raise SystemExit(f"run {number}: expected one comment and one new check run")
            times.append(seconds)
        requests = len(fake.state()["requests"]) // (args.runs + 1)

        interpreter, _ = timed(command(base_env, python, "-c", "pass"), base_env, workspace)
        imports, _ = timed(command(base_env, python, "-c", "import lanebench.action, lanebench.pipeline"),
                           base_env, workspace)
    finally:
        fake.stop()
        shutil.rmtree(inside, ignore_errors=True)
        if hosts is not None:
            if hosts_before is None:
                hosts.unlink(missing_ok=True)
            else:
                hosts.write_bytes(hosts_before)

    first, rest = times[0], times[1:]
    where = f"inside the image at {args.chroot}" if args.chroot else f"host Python {platform.python_version()}"
    print(f"action fixed cost ({where}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
          f"{requests} API requests per run)")
    print(f"  first run:        {first:.2f} s")
    print(f"  next {len(rest)} runs:     median {statistics.median(rest):.2f} s, "
          f"min {min(rest):.2f} s, max {max(rest):.2f} s   (target <= {TARGET_SECONDS} s)")
    print(f"  python -c pass:   {interpreter:.2f} s")
    print(f"  imports only:     {imports:.2f} s")
    return 0 if statistics.median(rest) <= TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
