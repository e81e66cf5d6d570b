#!/usr/bin/env python3
"""leaksnoop on real allocators (not a test), printed side by side, interleaved,
min/median/max over ROUNDS:

1. Cost per malloc/free pair on the bench loop (build/tests/leak_churn malloc N,
   timed in-process): untraced; the peer — bpftrace with empty uprobes at
   malloc's entry, malloc's return and free's entry; leaksnoop (default
   options). Cost = ns per pair minus untraced; target: leaksnoop <= 0.35x the
   peer's cost. Then leaksnoop's own programs' ns per run (bpf_stats) and
   the share of stack walks its walk cache reused, in runs of their own.
2. Debian's redis-server (jemalloc) under redis-benchmark: untraced, under
   `leaksnoop -p` (default options) and under heaptrack (launch mode); target:
   leaksnoop >= 40% of untraced throughput.
3. `leaksnoop -- /bin/true` wall time; target <= 0.5 s.

usage: bench_leaksnoop_allocators.py [BUILD] [--rounds N]"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

from bench_leaksnoop import BPFTRACE_USER_FLOOR, LIBC, cpu_ns_per_op
import benchlib

PEER = "peer: bpftrace, empty uprobes"


def figures(v):
    return benchlib.mmm(v, "{:.3g}")


def pair_cost(build, rounds, iters):
    """The workload's own CPU time per malloc/free pair; the cost is what a
    tracer adds to untraced, the ratio taken per round (interleaved)."""
    ls = os.path.join(build, "leaksnoop")
    w = [os.path.join(build, "tests", "leak_churn"), "malloc", str(iters)]
    peer = ["bpftrace", "-e", BPFTRACE_USER_FLOOR % {"libc": LIBC}, "-c", " ".join(w)]
    configs = [("untraced", w), (PEER, peer), ("leaksnoop", [ls, "--", *w])]
    res = benchlib.interleaved(configs, cpu_ns_per_op, rounds, "pairs")
    ratios = [(l - u) / (p - u) for u, p, l in zip(res["untraced"], res[PEER], res["leaksnoop"])]
    benchlib.table(f"1. malloc/free pair on the bench loop ({iters} pairs a run)", "CPU ns per pair",
                   res, ["untraced", PEER])
    benchlib.figures("leaksnoop's cost / the peer's, each minus untraced, per round",
                     ["min / median / max", "target"], [[figures(ratios), "<= 0.35"]])


STATS = "/proc/sys/kernel/bpf_stats_enabled"


def prog_costs(build, rounds, iters):
    """Where a pair's cost goes inside leaksnoop: each program's own ns per
    run (kernel.bpf_stats_enabled, which -v prints), on the same loop, in
    runs of their own (the counting adds ~20-40 ns a run, kept out of part
    1), and how many walks the walk cache reused."""
    ls = os.path.join(build, "leaksnoop")
    w = [os.path.join(build, "tests", "leak_churn"), "malloc", str(iters)]
    res = {"return (malloc & co.)": [], "entry (malloc & co., free)": [], "walks reused, %": []}
    with open(STATS) as f:
        saved = f.read().strip()
    try:
        with open(STATS, "w") as f:
            f.write("1")
        for _ in range(rounds):
            p = subprocess.run([ls, "-v", "--", *w], capture_output=True, text=True, timeout=600)
            got = {k: re.search(r"program uprobe(?:_multi)?_%s: \d+ runs, (\d+) ns" % k, p.stderr)
                   for k in ("return", "entry")}
            walks = re.search(r"stack walks: (\d+) reused from the walk cache, (\d+) walked", p.stderr)
            if not all(got.values()) or not walks:
                raise RuntimeError(f"no program figures (rc={p.returncode}): {p.stderr[-600:]}")
            res["return (malloc & co.)"].append(float(got["return"].group(1)))
            res["entry (malloc & co., free)"].append(float(got["entry"].group(1)))
            reused, full = int(walks.group(1)), int(walks.group(2))
            res["walks reused, %"].append(100.0 * reused / max(1, reused + full))
    finally:
        with open(STATS, "w") as f:
            f.write(saved)
    benchlib.figures(f"leaksnoop's programs, ns per run (bpf_stats, {rounds} runs of their own)",
                     ["program", "min / median / max"], [[k, figures(v)] for k, v in res.items()])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"redis did not listen on {port}")


def holds_uprobe_links(pid):
    """Whether the process holds a uprobe link (fdinfo's link_type): the
    heap probes are in."""
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                if any(l.startswith("link_type:") and "uprobe" in l for l in f):
                    return True
        except OSError:
            pass
    return False


def wait_attached(tracer, timeout=60):
    """Until leaksnoop -p has its uprobes in (tables built, programs loaded
    and attached: seconds on a loaded machine), so that the benchmark runs
    traced from its first request."""
    end = time.time() + timeout
    while not holds_uprobe_links(tracer.pid):
        if tracer.poll() is not None:
            raise RuntimeError(f"leaksnoop: {tracer.stderr.read()[-800:]}")
        if time.time() > end:
            raise RuntimeError("leaksnoop -p did not attach")
        time.sleep(0.05)
    time.sleep(0.2)     # the other uprobe links of the same attach


def redis_rps(port, requests):
    p = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set,get", "-n", str(requests),
                        "-c", "20", "-q"], capture_output=True, text=True, timeout=600)
    rps = [float(x) for x in re.findall(r"([\d.]+) requests per second", p.stdout)]
    if len(rps) != 2:
        raise RuntimeError(f"redis-benchmark: {p.stdout[-500:]} {p.stderr[-500:]}")
    return sum(rps) / len(rps)


def redis_round(build, mode, requests):
    port = free_port()
    server = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
              "--daemonize", "no"]
    if mode == "heaptrack":
        server = ["heaptrack", "-o", f"/tmp/bench-heaptrack-{port}", *server]
    srv = subprocess.Popen(server, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    tracer = None
    try:
        wait_port(port)
        if mode == "leaksnoop":
            pid = srv.pid
            tracer = subprocess.Popen([os.path.join(build, "leaksnoop"), "-p", str(pid)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            wait_attached(tracer)
        return redis_rps(port, requests)
    finally:
        if tracer:
            tracer.send_signal(signal.SIGINT)
            tracer.wait(60)
        os.killpg(srv.pid, signal.SIGTERM)
        srv.wait(60)
        for f in os.listdir("/tmp"):
            if f.startswith(f"bench-heaptrack-{port}"):
                os.unlink(os.path.join("/tmp", f))


def redis(build, rounds, requests):
    modes = ["untraced", "leaksnoop", "heaptrack"]
    if not shutil.which("heaptrack"):
        modes.remove("heaptrack")
    res = {m: [] for m in modes}
    for r in range(rounds):
        for m in modes:
            res[m].append(redis_round(build, m, requests))
        print(f"  redis: round {r + 1}/{rounds}", file=sys.stderr)
    rows = [[m, figures(res[m]), figures([v / u for v, u in zip(res[m], res["untraced"])])]
            for m in modes]
    benchlib.figures(f"2. redis-server (jemalloc) under redis-benchmark set+get, {requests} "
                     f"requests, {rounds} interleaved rounds", ["mode", "requests/s", "of untraced"],
                     rows, f"target: leaksnoop >= 0.40 of untraced; load average "
                     f"{os.getloadavg()[0]:.1f}")


PHASES = re.compile(r"wall time by phase \(ms\): (.*); total (\d+)")
VERIFIED = re.compile(r"prog '(\w+)': -- BEGIN PROG LOAD LOG --\s*\n(?:libbpf: )?verification time (\d+) usec")


def true_wall(build, rounds):
    """Plain runs for the wall time; -v runs in the same rounds for where it
    goes, phase by phase (-v adds libbpf's log, so they are not the wall)."""
    ls = os.path.join(build, "leaksnoop")
    res = {"/bin/true": [], "leaksnoop -- /bin/true": []}
    phases, verified, loads = {}, {}, []
    for _ in range(rounds):
        for n, cmd in (("/bin/true", ["/bin/true"]), ("leaksnoop -- /bin/true", [ls, "--", "/bin/true"])):
            t = time.monotonic()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
            res[n].append(time.monotonic() - t)
        p = subprocess.run([ls, "-v", "--", "/bin/true"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, timeout=60, errors="replace")
        m = PHASES.search(p.stderr)
        for name, ms in re.findall(r"(\w+) (\d+)", m.group(1)) if m else ():
            phases.setdefault(name, []).append(int(ms))
        # the verifier's time per program (log level 4), in a run of its own
        p = subprocess.run([ls, "-v", "--", "/bin/true"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, timeout=60, errors="replace",
                           env=dict(os.environ, MMSCOPE_VERIFIER_STATS="1"))
        for name, us in VERIFIED.findall(p.stderr):
            verified.setdefault(name, []).append(int(us) / 1000)
        loads.append(os.getloadavg()[0])
    top = sorted(verified, key=lambda k: -statistics.median(verified[k]))
    rest = sum(statistics.median(verified[k]) for k in top[2:])
    note = ("leaksnoop -v -- /bin/true, median ms by phase: " +
            " ".join(f"{k} {statistics.median(v):.0f}" for k, v in phases.items()) +
            "; the verifier's time in the load phase, median ms: " +
            " ".join(f"{k} {statistics.median(verified[k]):.0f}" for k in top[:2]) +
            f", the {len(top[2:])} other programs {rest:.0f} together; load average (1 min) "
            f"{min(loads):.2f}-{max(loads):.2f}; target: leaksnoop -- /bin/true <= 0.5 s")
    benchlib.figures(f"3. wall time, {rounds} rounds", ["command", "s, min / median / max"],
                     [[n, figures(v)] for n, v in res.items()], note)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--malloc-iters", type=int, default=100000)
    ap.add_argument("--redis-requests", type=int, default=100000)
    ap.add_argument("--only", choices=["pairs", "redis", "true"])
    a = ap.parse_args()
    print(f"leaksnoop on real allocators: {a.rounds} interleaved rounds, min/median/max; load "
          f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if a.only in (None, "pairs") and shutil.which("bpftrace"):
        pair_cost(a.build, a.rounds, a.malloc_iters)
        prog_costs(a.build, a.rounds, a.malloc_iters)
    if a.only in (None, "redis") and shutil.which("redis-server") and shutil.which("redis-benchmark"):
        redis(a.build, a.rounds, a.redis_requests)
    if a.only in (None, "true"):
        true_wall(a.build, a.rounds * 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
