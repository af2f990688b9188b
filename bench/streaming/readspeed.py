#!/usr/bin/python3
"""A plain sequential read loop over the files named: 16 MiB reads into one buffer, the bytes discarded.
Prints the bytes, seconds and MB/s (MB = 2^20 bytes), the disk's own speed to compare a streamed epoch with."""
import os, sys, time

buffer = bytearray(16 << 20)
view = memoryview(buffer)
total = 0
start = time.perf_counter()
for path in sys.argv[1:]:
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(view)
            if not n:
                break
            total += n
seconds = time.perf_counter() - start
print(f"read {total} bytes in {seconds:.2f} s: {total / (1 << 20) / seconds:.0f} MB/s")
