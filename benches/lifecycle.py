#!/usr/bin/env python3
"""Time a container engine's lifecycle commands; print one "<name> <median ms>" line each.

usage: lifecycle.py N ENGINE [ENGINE ARGS...] -- IMAGE
Runs, for the engine given: `run -d IMAGE sleep 1000` N times (median), `ps -a` with 100
containers, `exec C true`, `stop -t 0 C` and `rm C` (medians over N containers), then removes
what it made. No assertion: numbers are for people (scripts/bench-lifecycle prints both engines).
"""
import statistics, subprocess, sys, time

n = int(sys.argv[1])
sep = sys.argv.index("--")
engine = sys.argv[2:sep]
image = sys.argv[sep + 1]


def run(*args):
    t0 = time.perf_counter()
    r = subprocess.run(engine + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.stderr.write(r.stderr.decode(errors="replace"))
        sys.exit(f"{' '.join(engine + list(args))} failed")
    return dt, r.stdout.decode().strip()


def med(v):
    return statistics.median(v) * 1000


ids, t_run = [], []
for _ in range(n):
    dt, out = run("run", "-d", image, "sleep", "1000")
    t_run.append(dt)
    ids.append(out.splitlines()[-1])
print(f"run-d {med(t_run):.1f}")
t_exec = [run("exec", c, "true")[0] for c in ids]
print(f"exec {med(t_exec):.1f}")
# ps -a over 100 containers (created, not started, to keep the machine quiet).
extra = [run("create", image, "true")[1].splitlines()[-1] for _ in range(max(0, 100 - n))]
t_ps = [run("ps", "-a")[0] for _ in range(10)]
print(f"ps-a-100 {med(t_ps):.1f}")
t_stop = [run("stop", "-t", "0", c)[0] for c in ids]
print(f"stop {med(t_stop):.1f}")
t_rm = [run("rm", c)[0] for c in ids]
print(f"rm {med(t_rm):.1f}")
for c in extra:
    run("rm", c)
