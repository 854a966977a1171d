"""CPU-bound: a pure-Python integer loop (about 0.2 s on a typical CI core)."""

import os

N = int(os.environ.get("DEMO_CPU_N", "1000000"))

total = 0
for i in range(N):
    total += (i * i) % 7
print(total)
