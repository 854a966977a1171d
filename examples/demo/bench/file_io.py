"""I/O-bound: write files with fsync, then read them back, in a temporary directory."""

import os
import tempfile

MIB = int(os.environ.get("DEMO_IO_MIB", "40"))
FILES = 4
block = os.urandom(1024 * 1024)

with tempfile.TemporaryDirectory(prefix="lanebench-demo-") as folder:
    paths = [os.path.join(folder, f"data-{i}.bin") for i in range(FILES)]
    for path in paths:
        with open(path, "wb") as fh:
            for _ in range(MIB // FILES):
                fh.write(block)
            fh.flush()
            os.fsync(fh.fileno())
    read = 0
    for path in paths:
        with open(path, "rb") as fh:
            while chunk := fh.read(1024 * 1024):
                read += len(chunk)
print(f"wrote and read {read // (1024 * 1024)} MiB")
