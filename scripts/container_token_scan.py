#!/usr/bin/env python3
"""Run the token-stealing benchmark (tests/proc_scan.py) in the action's built image.

The image is built from this project's Dockerfile by a `container-check` tool (podman,
chroot isolation: see its own header) and its entrypoint is run with the environment GitHub
gives a container action: INPUT_GITHUB-TOKEN, GITHUB_TOKEN, ACTIONS_RUNTIME_TOKEN,
ACTIONS_ID_TOKEN_REQUEST_TOKEN and the rest, a pull_request event, /github/workspace.
GitHub is the tests' fake (tests/github_fake) on 127.0.0.1. The config's one benchmark is
the scanner: every /proc/*/environ and cmdline it can read, the memory of the action's
process tree. The tool starts the entrypoint with `chroot`; a `chroot` of this script's,
first on PATH, adds the tokens to the environment and executes the real one, so that only
the entrypoint is started with them, as on GitHub: the tool's own shell, which plays
GitHub's runner (outside the container there, invisible to it), never holds them.

    python scripts/container_token_scan.py --container-check ../shared/tools/container-check

Run from the project root, as root (podman, chroot). Prints the scan's summary; exit 0
when no token was found anywhere and the canary was (the reads work), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.github_fake import DEFAULT_REPO, start_fake_github_process  # noqa: E402

PODMAN = ["podman", "--storage-driver=vfs"]
TAG = "localhost/container-check:latest"
CONFIG = """\
benchmarks:
  - name: proc-scan
    command: [/usr/bin/python3, /github/workspace/proc_scan.py, /github/workspace/scan.json, /github/needles.json]
defaults:
  warmup: 0
  min_iterations: 2
  max_iterations: 2
"""


def mount() -> Path:
    return Path(subprocess.run([*PODMAN, "image", "mount", TAG], check=True, capture_output=True,
                               text=True).stdout.strip())


def unmount() -> None:
    subprocess.run([*PODMAN, "image", "unmount", TAG], check=False, capture_output=True)


def pull_request_event(api: str, head_sha: str) -> dict:
    owner, name = DEFAULT_REPO.split("/")
    hooks = ROOT / "tests" / "fixtures" / "github" / "webhooks"
    event = json.loads((hooks / "pull_request.synchronize.json").read_text(encoding="utf-8"))
    event["repository"].update(full_name=DEFAULT_REPO, name=name, default_branch="main",
                               url=f"{api}/repos/{DEFAULT_REPO}")
    event["repository"]["owner"]["login"] = owner
    pr = event["pull_request"]
    event["number"] = pr["number"] = 7
    pr["head"].update(sha=head_sha, ref="feature")
    pr["head"]["repo"]["full_name"] = pr["base"]["repo"]["full_name"] = DEFAULT_REPO
    pr["base"].update(ref="main")
    pr["labels"] = []
    return event


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--container-check", default="../shared/tools/container-check")
    args = parser.parse_args()
    tool = str(Path(args.container_check).resolve())

    subprocess.run([tool], check=True, env=os.environ | {"CONTAINER_CHECK_BUILD_ONLY": "1"})
    token, runtime, oidc = (p + secrets.token_hex(20) for p in ("ghs_", "rt_", "oidc_"))
    canary = "canary-" + secrets.token_hex(8)
    head_sha = secrets.token_hex(20)
    rootfs = mount()
    try:
        if "take_credentials" not in (rootfs / "entrypoint.py").read_text(encoding="utf-8"):
            raise SystemExit(f"{TAG} is not this checkout's image (another build replaced it?)")
        github = rootfs / "github"
        shutil.rmtree(github, ignore_errors=True)
        for d in ("workspace/.github", "workflow", "home", "file_commands"):
            (github / d).mkdir(parents=True)
        (github / "workspace" / ".github" / "lanebench.yml").write_text(CONFIG, encoding="utf-8")
        shutil.copy(ROOT / "tests" / "proc_scan.py", github / "workspace" / "proc_scan.py")
        (github / "needles.json").write_text(json.dumps({"secrets": [token, runtime, oidc],
                                                         "canary": canary}), encoding="utf-8")
    finally:
        unmount()

    fake = start_fake_github_process()
    try:
        fake.add_token(token)
        event = pull_request_event(fake.url, head_sha)
        fake.add_pull_from_event(event, ["src/app.py"])
        rootfs = mount()
        try:
            (rootfs / "github" / "workflow" / "event.json").write_text(json.dumps(event), encoding="utf-8")
        finally:
            unmount()
        with tempfile.TemporaryDirectory() as tmp:
            held = Path(tmp)
            for name, value in (("token", token), ("runtime", runtime), ("oidc", oidc)):
                (held / name).write_text(value, encoding="utf-8")
            real = shutil.which("chroot") or "/usr/sbin/chroot"
            wrapper = held / "chroot"
            wrapper.write_text(
                "#!/bin/sh\n# GitHub's runner starting the container: the tokens go to the entrypoint only.\n"
                f'exec /usr/bin/env "INPUT_GITHUB-TOKEN=$(cat {held}/token)" "GITHUB_TOKEN=$(cat {held}/token)" '
                f'"ACTIONS_RUNTIME_TOKEN=$(cat {held}/runtime)" '
                f'"ACTIONS_ID_TOKEN_REQUEST_TOKEN=$(cat {held}/oidc)" {real} "$@"\n', encoding="utf-8")
            wrapper.chmod(0o700)
            env = {
                "PATH": f"{held}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": "/github/home", "LANG": "C.UTF-8",
                "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_EVENT_NAME": "pull_request",
                "GITHUB_EVENT_PATH": "/github/workflow/event.json", "GITHUB_REPOSITORY": DEFAULT_REPO,
                "GITHUB_SHA": head_sha, "GITHUB_REF": "refs/pull/7/merge", "GITHUB_API_URL": fake.url,
                "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "4242",
                "GITHUB_WORKSPACE": "/github/workspace",
                "GITHUB_OUTPUT": "/github/file_commands/set_output",
                "GITHUB_STEP_SUMMARY": "/github/file_commands/step_summary",
                "ACTIONS_RUNTIME_URL": "https://pipelines.actions.githubusercontent.com/x/",
                "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.githubusercontent.com/x",
                "LANEBENCH_SCAN_CANARY": canary,
                "INPUT_CONFIG": ".github/lanebench.yml", "INPUT_MODE": "auto",
                "INPUT_BASELINE-ARTIFACT": "lanebench-baseline", "INPUT_RESULTS-PATH": "lanebench-results",
                "INPUT_COMMENT": "always", "INPUT_CHECK-NAME": "lanebench", "INPUT_FAIL-ON": "critical",
                "INPUT_WORKING-DIRECTORY": ".", "INPUT_COMPARISON": "artifact",
            }
            run = subprocess.run([tool], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        print(run.stdout.replace(token, "***"), run.stderr.replace(token, "***"), sep="", end="")
        comments = fake.comments_on(7)
    finally:
        fake.stop()

    rootfs = mount()
    try:
        scan = json.loads((rootfs / "github" / "workspace" / "scan.json").read_text(encoding="utf-8"))
        shutil.rmtree(rootfs / "github", ignore_errors=True)
    finally:
        unmount()
    stolen = [h for h in scan["hits"] if h["needle"] != "canary"]
    canary_seen = sorted({f"{h['where']} of {h['pid']}" for h in scan["hits"] if h["needle"] == "canary"})
    print(f"scan: entrypoint pid {scan['entrypoint']}, scanner capabilities {scan['capabilities']}")
    print(f"scan: environ read of {scan['environ_read']} processes, refused for "
          f"{len(scan['environ_denied'])}; memory: {scan['memory']}")
    print(f"scan: canary found in {', '.join(canary_seen) or 'nothing'}")
    print(f"scan: tokens found: {stolen or 'none'}; comments posted with the token: {len(comments)}")
    return 0 if run.returncode == 0 and not stolen and canary_seen and comments else 1


if __name__ == "__main__":
    sys.exit(main())
