"""Run the fake GitHub as a process: `python -m tests.github_fake --port 8765`.

Prints one line, `fake GitHub listening on http://127.0.0.1:PORT`, then serves until
SIGTERM or SIGINT. Seed and inspect it over the control API (`/_fake/call`, `/_fake/state`).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import FakeGitHub
from .state import DEFAULT_REPO


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.github_fake", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--repo", default=DEFAULT_REPO, help="repository to create at start")
    args = parser.parse_args(argv)

    fake = FakeGitHub(host=args.host, port=args.port, repos=(args.repo,))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    fake.start()
    print(f"fake GitHub listening on {fake.url}", flush=True)
    stop.wait()
    fake.stop()
    violations = fake.state.violations
    for v in violations:
        print(f"violation: {v}", file=sys.stderr)
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
