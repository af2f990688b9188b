#!/usr/bin/python3
"""A plain sequential read loop over the files named: 16 MiB reads into one buffer, the bytes discarded.
Prints the bytes, seconds and MB/s (MB = 2^20 bytes), the disk's own speed to compare a streamed epoch with.
--direct reads around the page cache (O_DIRECT, into a page-aligned buffer), as the streamed epoch reads a file larger
than half the memory; without it the reads go through the page cache, which on a file larger than memory also pays
for evicting older pages."""
import mmap, os, sys, time

direct = "--direct" in sys.argv[1:]
paths = [a for a in sys.argv[1:] if a != "--direct"]
size = 16 << 20
buffer = mmap.mmap(-1, size)  # anonymous, so page-aligned, as O_DIRECT needs
total = 0
start = time.perf_counter()
for path in paths:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECT if direct else 0))
    try:
        while True:
            n = os.readv(fd, [buffer])
            if not n:
                break
            total += n
    finally:
        os.close(fd)
seconds = time.perf_counter() - start
mode = "around the page cache (O_DIRECT)" if direct else "through the page cache"
print(f"read {total} bytes in {seconds:.2f} s: {total / (1 << 20) / seconds:.0f} MB/s, {mode}")
