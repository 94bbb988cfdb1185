#!/usr/bin/env python3
"""Network benchmarks of rl against podman, side by side in one run; prints one table.

usage: network.py [--runs N] [--size-mib M] [--reps R] RL_IMAGE PODMAN_IMAGE -- RL [ARGS...] -- PODMAN [ARGS...]

1. start-up: `run --rm --network MODE IMAGE true` for MODE none, slirp4netns and pasta, N times per
   engine and mode, interleaved (each round runs every engine x mode once, in a shuffled order);
   medians, and the cost each helper adds over `none` (difference of the medians).
2. host -> container: a detached `nc -ll -p 5000 -e wc -c` (busybox: a persistent server that
   runs `wc -c` on each connection, the socket as its stdin and stdout) published on
   127.0.0.1:PORT; the host sends M MiB, shuts its side down, and the clock stops when the count
   comes back, so it covers every byte reaching the container, not the host's socket buffer.
   A connection that sends nothing (and gets "0") tells when the server is up.
3. container -> host: a listener on the host's 127.0.0.1 counts bytes from
   `dd if=/dev/zero bs=1M count=M | nc HOST PORT` in the container, from accept to EOF.
   rl: HOST is host.containers.internal; podman: 10.0.2.2 with allow_host_loopback=true
   (slirp4netns) or the host's default gateway (pasta, which maps it to the host's loopback).

R repetitions of each transfer (interleaved across engines and helpers), median MiB/s. A helper an
engine does not support (podman < 4.4 has no pasta) is shown as n/a. The ratio column is "how much
better rl is" (podman/rl for times, rl/podman for throughput). No assertion: numbers are for people.
"""
import random, socket, statistics, subprocess, sys, time

args = sys.argv[1:]
opts = {"--runs": 20, "--size-mib": 256, "--reps": 3}
while args and args[0] in opts:
    opts[args[0]] = int(args[1])
    args = args[2:]
runs, size_mib, reps = opts["--runs"], opts["--size-mib"], opts["--reps"]
rl_image, pm_image = args[0], args[1]
rest = args[3:]  # args[2] is "--"
sep = rest.index("--")
ENGINES = {"rl": (rest[:sep], rl_image), "podman": (rest[sep + 1 :], pm_image)}
SIZE = size_mib << 20
TIMEOUT = 60 + size_mib  # seconds a transfer may take (>= 1 MiB/s)


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def engine_run(engine, *a, timeout=None):
    cmd, _ = ENGINES[engine]
    return subprocess.run(cmd + list(a), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def first_error(r):
    lines = [l for l in r.stderr.decode(errors="replace").splitlines() if "is not a shared mount" not in l]
    return (lines[-1] if lines else f"exit status {r.returncode}")[:600]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def default_gateway():
    with open("/proc/net/route") as f:
        for line in f.readlines()[1:]:
            fld = line.split()
            if fld[1] == "00000000" and int(fld[3], 16) & 2:
                return socket.inet_ntoa(int(fld[2], 16).to_bytes(4, "little"))
    return None


def med(v):
    return statistics.median(v) if v else None


# ---------------------------------------------------------------------------------------------
# 1. start-up cost of each network mode
MODES = ["none", "slirp4netns", "pasta"]
unsupported = {}  # (engine, mode) -> reason
combos = []
for e in ENGINES:
    for m in MODES:
        r = engine_run(e, "run", "--rm", "--network", m, ENGINES[e][1], "true", timeout=120)  # warm-up
        if r.returncode != 0:
            unsupported[(e, m)] = first_error(r)
            log(f"{e} --network {m}: {unsupported[(e, m)]} (shown as n/a)")
        else:
            combos.append((e, m))
log(f"start-up: {runs} rounds of {len(combos)} runs ...")
times = {c: [] for c in combos}
rng = random.Random(1)
for _ in range(runs):
    order = combos[:]
    rng.shuffle(order)
    for e, m in order:
        cmd, image = ENGINES[e]
        t0 = time.perf_counter()
        r = subprocess.run(cmd + ["run", "--rm", "--network", m, image, "true"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            sys.exit(f"{e} run --rm --network {m} {image} true: {first_error(r)}")
        times[(e, m)].append(dt * 1000)
start_med = {c: med(v) for c, v in times.items()}

# ---------------------------------------------------------------------------------------------
# 2. host -> container through a published port
# (label, engine, --network value)
H2C = [
    ("slirp4netns", "rl", "slirp4netns"),
    ("slirp4netns", "podman", "slirp4netns:port_handler=slirp4netns"),
    ("slirp4netns (podman: rootlessport)", "podman", "slirp4netns"),
    ("pasta", "rl", "pasta"),
    ("pasta", "podman", "pasta"),
]


def send_once(port, size):
    """Send size bytes, half-close, return (seconds, count the container reports)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    buf = memoryview(bytearray(1 << 20))
    t0 = time.perf_counter()
    left = size
    while left:
        n = min(left, len(buf))
        s.sendall(buf[:n])
        left -= n
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        d = s.recv(64)
        if not d:
            break
        out += d
    dt = time.perf_counter() - t0
    s.close()
    return dt, out.strip()


def wait_ready(port, deadline):
    while time.monotonic() < deadline:
        try:
            if send_once(port, 0)[1] == b"0":
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def stop(engine, cid):
    engine_run(engine, "stop", "-t", "0", cid, timeout=60)
    engine_run(engine, "rm", "-f", cid, timeout=60)


h2c = {}  # (label, engine) -> [MiB/s]
servers = []  # (label, engine, cid, port)
try:
    for label, e, net in H2C:
        if (e, "pasta") in unsupported and net.startswith("pasta"):
            continue
        port = free_port()
        for attempt in range(2):  # one retry: a helper that fails to start once is not a number
            r = engine_run(e, "run", "-d", "--network", net, "-p", f"127.0.0.1:{port}:5000", ENGINES[e][1],
                           "nc", "-ll", "-p", "5000", "-e", "wc", "-c", timeout=120)
            if r.returncode == 0:
                break
            log(f"{e} run -d --network {net} -p 127.0.0.1:{port}:5000 ... failed: {first_error(r)}")
            port = free_port()
        if r.returncode != 0:
            unsupported[(e, net)] = first_error(r)
            log(f"{e} run -d --network {net} -p ...: {unsupported[(e, net)]} (shown as n/a)")
            continue
        cid = r.stdout.decode().split()[-1]
        servers.append((label, e, cid, port))
        if not wait_ready(port, time.monotonic() + 30):
            sys.exit(f"{e} --network {net}: the published port 127.0.0.1:{port} never answered")
        send_once(port, min(SIZE, 16 << 20))  # warm-up
        h2c[(label, e)] = []
    log(f"host -> container: {reps} x {len(servers)} transfers of {size_mib} MiB ...")
    for _ in range(reps):
        for label, e, cid, port in servers:
            dt, got = send_once(port, SIZE)
            if got != str(SIZE).encode():
                sys.exit(f"{e} {label}: the container counted {got!r} bytes, not {SIZE}")
            h2c[(label, e)].append(size_mib / dt)
finally:
    for label, e, cid, port in servers:
        stop(e, cid)

# ---------------------------------------------------------------------------------------------
# 3. container -> host, to a listener on the host's loopback
gw = default_gateway()
C2H = [
    ("slirp4netns", "rl", "slirp4netns", "host.containers.internal"),
    ("slirp4netns", "podman", "slirp4netns:allow_host_loopback=true", "10.0.2.2"),
    ("pasta", "rl", "pasta", "host.containers.internal"),
    ("pasta", "podman", "pasta", gw),
]
C2H = [c for c in C2H if (c[1], c[2].split(":")[0]) not in unsupported and c[3]]
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(8)
lport = listener.getsockname()[1]
listener.settimeout(60)
c2h = {(label, e): [] for label, e, _, _ in C2H}
log(f"container -> host: {reps} x {len(C2H)} transfers of {size_mib} MiB ...")
for _ in range(reps):
    for label, e, net, host in C2H:
        cmd, image = ENGINES[e]
        p = subprocess.Popen(cmd + ["run", "--rm", "--network", net, image, "sh", "-c",
                                    f"dd if=/dev/zero bs=1M count={size_mib} 2>/dev/null | nc {host} {lport}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            c, _ = listener.accept()
        except socket.timeout:
            p.kill()
            sys.exit(f"{e} --network {net}: nothing connected to {host}:{lport}: "
                     f"{p.communicate()[1].decode(errors='replace').strip()[-300:]}")
        t0 = time.perf_counter()
        c.settimeout(TIMEOUT)
        n = 0
        while True:
            d = c.recv(1 << 20)
            if not d:
                break
            n += len(d)
        dt = time.perf_counter() - t0
        c.close()
        _, err = p.communicate(timeout=120)
        if n != SIZE:
            sys.exit(f"{e} --network {net}: the host got {n} bytes, not {SIZE}: {err.decode(errors='replace')[-300:]}")
        c2h[(label, e)].append(size_mib / dt)
listener.close()

# ---------------------------------------------------------------------------------------------
# The table: ratio = how much better rl is.


def cell(v, fmt):
    return "n/a" if v is None else format(v, fmt)


def row(name, r, p, higher_is_better, fmt=".1f"):
    ratio = ""
    if r is not None and p is not None and r > 0 and p > 0:
        ratio = f"{(r / p if higher_is_better else p / r):.2f}x"
    elif r is not None and p is not None:
        ratio = "-"
    print(f"{name:50} {cell(r, fmt):>10} {cell(p, fmt):>10} {ratio:>8}")


print(f"{'metric':50} {'rl':>10} {'podman':>10} {'ratio':>8}")
print(f"# start-up: run --rm --network MODE IMAGE true, median ms of {runs} (ratio podman/rl)")
for m in MODES:
    row(f"start {m} (ms)", start_med.get(("rl", m)), start_med.get(("podman", m)), False)
for m in MODES[1:]:
    add = {e: (start_med[(e, m)] - start_med[(e, "none")]
               if (e, m) in start_med and (e, "none") in start_med else None) for e in ENGINES}
    row(f"  {m} adds over none (ms)", add["rl"], add["podman"], False)
print(f"# throughput, median MiB/s of {reps} x {size_mib} MiB (ratio rl/podman)")
for label in dict.fromkeys(label for label, _, _ in H2C):
    # rl has one port handler, slirp4netns' own: the rootlessport row compares podman's with it.
    r = h2c.get(("slirp4netns" if label.startswith("slirp4netns (") else label, "rl"))
    row(f"host->container {label}", med(r), med(h2c.get((label, "podman"))), True)
for label in ["slirp4netns", "pasta"]:
    row(f"container->host {label}", med(c2h.get((label, "rl"))), med(c2h.get((label, "podman"))), True)
add = start_med.get(("rl", "slirp4netns")), start_med.get(("rl", "none"))
if None not in add:
    print(f"rl's default network (slirp4netns) adds {add[0] - add[1]:.1f} ms to run --rm (goal: < 10 ms)")
for (e, m), why in unsupported.items():
    print(f"n/a: {e} --network {m}: {why}")
