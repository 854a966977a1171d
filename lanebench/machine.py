"""What machine a run happened on: enough to tell two runs' machines apart."""

from __future__ import annotations

import hashlib
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


BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id"


def machine_id(boot_id_path: str = BOOT_ID_PATH) -> str | None:
    """This boot of this machine, as a digest: `boot:<16 hex digits>`, or None.

    Linux draws a random boot id each time the kernel starts, and every process on the
    machine, containers included, reads the same one. Two runs with the same id ran on
    one machine without a reboot between them; two CI jobs on two runner VMs never share
    one, even when their hardware is identical. Elsewhere the id is unknown (None), and
    two runs are not taken to be on one machine.
    """
    try:
        with open(boot_id_path, encoding="ascii", errors="replace") as fh:
            boot = fh.read().strip()
    except OSError:
        return None
    if not boot:
        return None
    return "boot:" + hashlib.sha256(boot.encode("ascii", "replace")).hexdigest()[:16]


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
        "machine_id": machine_id(),
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


def same_machine(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when two environments are one machine: the same hardware keys and the same
    recorded boot (`machine_id`). Unknown ids (older files, other systems) are not."""
    ident = a.get("machine_id")
    return bool(ident) and ident == b.get("machine_id") and not machine_differences(a, b)
