"""A benchmark that tries to steal the action's token: run by lanebench as a benchmark command.

    python proc_scan.py REPORT.json NEEDLES.json

NEEDLES.json: {"secrets": [values that must be found nowhere], "canary": value that must be
found (an ordinary variable of the action's environment: proof that the reads work)}.

What a benchmark can read of other processes, it reads: every /proc/*/environ and
/proc/*/cmdline on the machine, and the memory (/proc/<pid>/mem, region by region as
/proc/<pid>/maps lists them) of every process of the action's own tree: the entrypoint (the
ancestor whose command line runs entrypoint.py) and all its descendants, this scanner
excepted (it read the needles). Memory of processes outside that tree is not read: on
GitHub they are outside the container (the tests' own pytest process holds the token it
passed on, and is not the action's). Writes REPORT.json; always exits 0.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

CHUNK = 16 * 1024 * 1024


def pids() -> list[int]:
    return sorted(int(p) for p in os.listdir("/proc") if p.isdigit())


def read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def parent_of(pid: int) -> int | None:
    stat = read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    return int(stat[stat.rindex(b")") + 2:].split()[1])


def entrypoint_pid() -> int | None:
    pid = os.getppid()
    while pid and pid > 1:
        cmdline = read(f"/proc/{pid}/cmdline") or b""
        if any(arg.endswith(b"entrypoint.py") for arg in cmdline.split(b"\0")):
            return pid
        pid = parent_of(pid) or 0
    return None


def tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid in pids():
        parent = parent_of(pid)
        if parent is not None:
            children.setdefault(parent, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return sorted(out)


def memory_hits(pid: int, needles: dict[str, bytes]) -> tuple[str, list[str]]:
    """("read" | why not, names of the needles found in the process's memory)."""
    try:
        mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
    except OSError as exc:
        return exc.strerror or type(exc).__name__, []
    maps = read(f"/proc/{pid}/maps")
    if maps is None:
        mem.close()
        return "maps unreadable", []
    found: set[str] = set()
    longest = max(len(n) for n in needles.values())
    with mem:
        for line in maps.decode().splitlines():
            span, perms = line.split()[:2]
            if not perms.startswith("r") or line.endswith("[vvar]"):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            tail = b""
            for at in range(start, end, CHUNK):
                try:
                    mem.seek(at)
                    data = tail + mem.read(min(CHUNK, end - at))
                except (OSError, OverflowError, ValueError):
                    break
                found |= {name for name, needle in needles.items() if needle in data}
                tail = data[-(longest - 1):]
    return "read", sorted(found)


def main(report: str, needles_file: str) -> int:
    given = json.loads(Path(needles_file).read_text(encoding="utf-8"))
    needles = {f"secret{i}": s.encode() for i, s in enumerate(given["secrets"])}
    needles["canary"] = given["canary"].encode()
    me = os.getpid()
    hits: list[dict[str, object]] = []
    environ_read, environ_denied = 0, []
    for pid in pids():
        if pid == me:
            continue
        for what in ("environ", "cmdline"):
            data = read(f"/proc/{pid}/{what}")
            if data is None:
                if what == "environ":
                    environ_denied.append(pid)
                continue
            environ_read += what == "environ"
            hits += [{"pid": pid, "where": what, "needle": name}
                     for name, needle in needles.items() if needle in data]
    root = entrypoint_pid()
    memory: dict[int, str] = {}
    for pid in tree(root) if root else []:
        if pid == me:
            continue
        memory[pid], names = memory_hits(pid, needles)
        hits += [{"pid": pid, "where": "mem", "needle": name} for name in names]
    status = dict(line.split(":\t", 1) for line in (read("/proc/self/status") or b"").decode().splitlines()
                  if line.startswith("Cap"))
    Path(report).write_text(json.dumps({
        "me": me, "entrypoint": root, "capabilities": {k: v.strip() for k, v in status.items()},
        "environ_read": environ_read, "environ_denied": environ_denied,
        "memory": {str(pid): how for pid, how in memory.items()}, "hits": hits,
    }, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
