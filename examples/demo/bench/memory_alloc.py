"""Memory-heavy: allocate about 150 MiB in 10 MiB blocks, touching every page, then hold it."""

import os
import time

MIB = int(os.environ.get("DEMO_MEMORY_MIB", "150"))

blocks = []
for _ in range(MIB // 10):
    blocks.append(b"\x01" * (10 * 1024 * 1024))  # filled, so every page is resident
checksum = sum(block[-1] for block in blocks)
time.sleep(0.05)  # hold the peak long enough for tree sampling to see it
print(f"allocated {len(blocks) * 10} MiB ({checksum})")
