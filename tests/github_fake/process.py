"""The fake GitHub in a subprocess, driven over its control API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .state import DEFAULT_TOKEN, Fault

ROOT = Path(__file__).resolve().parents[2]


class RemoteFakeGitHub:
    """Same seeding/reading methods as `FakeGitHub`, over HTTP (`/_fake/call`)."""

    token = DEFAULT_TOKEN

    def __init__(self, url: str, process: subprocess.Popen[str] | None = None) -> None:
        self.url = url
        self.process = process

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        args = tuple(asdict(a) if isinstance(a, Fault) else a for a in args)
        data = json.dumps({"method": method, "args": list(args), "kwargs": kwargs}).encode()
        req = urllib.request.Request(f"{self.url}/_fake/call", data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read())["result"]
        except urllib.error.HTTPError as exc:
            raise RuntimeError(json.loads(exc.read()).get("error", str(exc))) from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def state(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/_fake/state", timeout=30) as resp:
            return json.loads(resp.read())

    def reset(self) -> None:
        """Everything seeded and recorded forgotten, as if the process had just started."""
        req = urllib.request.Request(f"{self.url}/_fake/reset", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()

    def assert_no_violations(self) -> None:
        found = self.call("take_violations")
        assert not found, "requests broke GitHub's OpenAPI description:\n" + "\n".join(found)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_fake_github_process(port: int = 0, timeout: float = 30) -> RemoteFakeGitHub:
    """Start `python -m tests.github_fake` and wait for its listening line."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.github_fake", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the server prints or exits
    if "listening on " not in line:
        proc.kill()
        raise RuntimeError(f"fake GitHub did not start (exit {proc.wait()}): {line!r}")
    return RemoteFakeGitHub(line.rsplit(" ", 1)[1].strip(), proc)
