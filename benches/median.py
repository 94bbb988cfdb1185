#!/usr/bin/env python3
"""Run a command N times; print its median wall time in milliseconds.

usage: median.py N COMMAND...   (the command's output is discarded; a failure stops with its stderr)
"""
import statistics, subprocess, sys, time

n = int(sys.argv[1])
times = []
for _ in range(n):
    t0 = time.perf_counter()
    r = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    times.append((time.perf_counter() - t0) * 1000)
    if r.returncode != 0:
        sys.stderr.write(r.stderr.decode(errors="replace"))
        sys.exit(r.returncode)
print(f"{statistics.median(times):.1f}")
