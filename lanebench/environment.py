"""What machine a run happened on: enough to tell two runs' machines apart."""

from __future__ import annotations

import os
import platform
from typing import Any

import psutil

from lanebench import __version__


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def capture_environment() -> dict[str, Any]:
    """The environment block of a results document."""
    env: dict[str, Any] = {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_count_physical": psutil.cpu_count(logical=False),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_bytes": psutil.virtual_memory().total,
        "os": platform.system(),
        "os_release": platform.release(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "lanebench": __version__,
        "hostname": platform.node(),
    }
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for key in ("RUNNER_NAME", "RUNNER_OS", "RUNNER_ARCH", "RUNNER_ENVIRONMENT", "ImageOS", "ImageVersion"):
            if os.environ.get(key):
                env[key.lower()] = os.environ[key]
    return env


MACHINE_KEYS = ("cpu_model", "cpu_count", "machine")


def machine_differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Human-readable differences in the keys that change speed (CPU model, cores, arch)."""
    diffs = []
    for key in MACHINE_KEYS:
        if a.get(key) != b.get(key):
            diffs.append(f"{key}: {a.get(key)!r} vs {b.get(key)!r}")
    return diffs
