"""lanebench's reference workload: fixed, CPU-bound, pure Python, about 0.1 s.

Run as a script (`python -I -S workload.py`): it times itself and prints one JSON line,
`{"version": 1, "wall": s, "cpu": s, "checksum": n}`. No commit of the measured project
can change it, so the ratio of its times in two runs says how fast the two runners were.

Its loop mixes the interpreter's everyday work: integer arithmetic, list and dict
churn, string building and sorting. Change nothing here without bumping VERSION:
runs with different versions are never compared.
"""

from __future__ import annotations

import json
import time

VERSION = 1
ROUNDS = 700


def work(rounds: int) -> int:
    checksum = 0
    for r in range(rounds):
        table: dict[int, int] = {}
        items = []
        for i in range(600):
            key = (i * 7919 + r) % 1009
            table[key] = table.get(key, 0) + i
            items.append((i * i + r) % 257)
        items.sort()
        text = "".join(str(x) for x in items[:200])
        checksum = (checksum + sum(table.values()) + len(text) + items[len(items) // 2]) % 1_000_003
    return checksum


def main() -> None:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    checksum = work(ROUNDS)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(json.dumps({"version": VERSION, "wall": wall, "cpu": cpu, "checksum": checksum}))


if __name__ == "__main__":
    main()
