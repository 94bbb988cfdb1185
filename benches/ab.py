#!/usr/bin/env python3
"""Before/after timing of two rl binaries (or two environments) on the same command.

usage: benches/ab.py [--blocks N] [--per N] [--gap SECONDS] [--phases] A B -- ARGS...

A and B are each a binary path, optionally preceded by VAR=VALUE settings joined with commas
(e.g. `RL_PAUSE=0,/tmp/rl`). Runs alternate in blocks of --per back-to-back runs per variant
(the order flips each block), so that drift in the machine's state and the after-effects of
one run on the next (a background deletion, a network namespace's cleanup) are charged to the
variant that caused them. --gap sleeps between runs (interactive use). Prints each variant's
median and mean (and with --phases, the median of each phase rl's RL_TIMING=1 reports); no
assertion.
"""
import argparse, os, statistics, subprocess, time

p = argparse.ArgumentParser()
p.add_argument("--blocks", type=int, default=6)
p.add_argument("--per", type=int, default=50)
p.add_argument("--gap", type=float, default=0.0)
p.add_argument("--phases", action="store_true", help="also print the median of each RL_TIMING phase")
p.add_argument("a")
p.add_argument("b")
p.add_argument("args", nargs=argparse.REMAINDER)
o = p.parse_args()
args = o.args[1:] if o.args[:1] == ["--"] else o.args


def variant(spec):
    *settings, binary = spec.split(",")
    env = dict(os.environ)
    for s in settings:
        k, _, v = s.partition("=")
        env[k] = v
    return spec, [binary] + args, env


variants = [variant(o.a), variant(o.b)]
times = {v[0]: [] for v in variants}
# --phases: rl's own breakdown (RL_TIMING=1 lines on stderr), each phase as the difference from
# the mark before it, per variant.
phases = {v[0]: {} for v in variants}
if o.phases:
    for _, _, env in variants:
        env["RL_TIMING"] = "1"
for block in range(o.blocks):
    for name, cmd, env in variants if block % 2 == 0 else variants[::-1]:
        for _ in range(o.per):
            if o.gap:
                time.sleep(o.gap)
            t0 = time.perf_counter()
            p = subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE if o.phases else None, text=True)
            times[name].append(time.perf_counter() - t0)
            prev = 0.0
            for line in (p.stderr or "").splitlines():
                parts = line.split(None, 3)
                if len(parts) == 4 and parts[0] == "rl-timing" and parts[2] == "ms":
                    at = float(parts[1])
                    phases[name].setdefault(parts[3], []).append(at - prev)
                    prev = at
for name, v in times.items():
    print(f"{name}: median {statistics.median(v) * 1000:.2f} ms, mean {statistics.mean(v) * 1000:.2f} ms ({len(v)} runs)")
if o.phases:
    names = [v[0] for v in variants]
    print("phase medians, ms (each: time since the mark before):")
    for phase in phases[names[0]]:
        cols = "  ".join(f"{statistics.median(phases[n].get(phase) or [float('nan')]):7.3f}" for n in names)
        print(f"  {cols}  {phase}")
