#!/usr/bin/env python3
"""Run a command N times; print "<median s> <min s>"."""
import statistics, subprocess, sys, time

n = int(sys.argv[1])
cmd = sys.argv[2:]
times = []
for _ in range(n):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    times.append(time.perf_counter() - t0)
    if r.returncode != 0:
        sys.stderr.write(r.stderr.decode(errors="replace"))
        sys.exit(r.returncode)
print(f"{statistics.median(times):.4f} {min(times):.4f}")
