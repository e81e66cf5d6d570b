#!/usr/bin/env python3
"""leaksnoop's leak-kinds scan (not a test): how long the target is stopped
per 100 MiB scanned, on a process with a multi-GiB heap
(build/tests/leak_bigheap MIB: 64 KiB blocks of a random pointer graph,
every block traced), beside
- the floor: only copying the same bytes out of the process
  (process_vm_readv of its writable present pages, no scan, not stopped);
- a peer: LeakSanitizer's own leak check of the same heap, timed inside
  an AddressSanitizer build of the workload (leak_bigheap_lsan).
and on real processes, each `leaksnoop --user --json -p PID` for a few
seconds then its final scan: Debian's node growing its heap to 150 MiB
(tests/e2e/workloads/js/grow_heap.js), redis-server holding 200,000 keys,
PostgreSQL 15's postmaster of a temp cluster after a 1,000,000-row table
went through its shared buffers.
Target: <= 50 ms stopped per 100 MiB scanned. Rounds interleave the sizes
and the servers; spread is min/median/max.

usage: bench_leaksnoop_scan.py [BUILD] [--rounds N] [--sizes MIB,MIB] [--servers-only]"""
import argparse
import ctypes
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from test_leaksnoop_kinds import wait_ready  # noqa: E402  (the workload's "ready" line)
import benchlib  # noqa: E402
import servers  # noqa: E402  (node, redis, PostgreSQL for the scan)

libc = ctypes.CDLL(None, use_errno=True)


class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def copy_only_ms(pid):
    """Copies every writable mapping of pid in 1 MiB reads; ms and bytes."""
    buf = ctypes.create_string_buffer(1 << 20)
    total = 0
    t0 = time.monotonic()
    with open(f"/proc/{pid}/maps") as f:
        maps = [l.split() for l in f]
    for m in maps:
        if "rw" not in m[1][:2]:
            continue
        lo, hi = (int(x, 16) for x in m[0].split("-"))
        for a in range(lo, hi, 1 << 20):
            n = min(1 << 20, hi - a)
            local, remote = Iovec(ctypes.addressof(buf), n), Iovec(a, n)
            r = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
            total += max(r, 0)
    return (time.monotonic() - t0) * 1e3, total


def leaksnoop_round(build, mib):
    """leaksnoop -- leak_bigheap MIB, interrupted at ready: its scan figures."""
    p = subprocess.Popen([os.path.join(build, "leaksnoop"), "--json", "--user", "-o", "0",
                          "--", os.path.join(build, "tests", "leak_bigheap"), str(mib)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(p.stderr, timeout=600)
        child = int(open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()[0])
        copy_ms, copied = copy_only_ms(child)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=600)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    rep = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
    scan = rep["scan"]
    if not scan or not scan["done"]:
        raise RuntimeError(f"no scan: {scan} {err[-500:]}")
    blocks = sum(v["blocks"] for v in rep["leak_summary"].values())
    return scan["stopped_ms"], scan["bytes_scanned"], copy_ms, copied, blocks


def lsan_round(build, mib):
    exe = os.path.join(build, "tests", "leak_bigheap_lsan")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:quarantine_size_mb=0")
    p = subprocess.Popen([exe, str(mib)], stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = wait_ready(p.stderr, timeout=600)
    finally:
        p.kill()
        p.wait()
    for line in lines:
        m = re.match(r"lsan_ms ([\d.]+)", line)
        if m:
            return float(m.group(1))
    raise RuntimeError("no lsan_ms: " + "".join(lines)[-500:])


def server_round(build, pid):
    """leaksnoop -p PID for 3 s: its final scan's stop, bytes and phases."""
    p = subprocess.run([os.path.join(build, "leaksnoop"), "--json", "--user", "-p", str(pid), "3"],
                       capture_output=True, text=True, timeout=600)
    rep = json.loads([l for l in p.stdout.splitlines() if l.startswith("{")][-1])
    scan = rep["scan"]
    if not scan or not scan["done"] or not rep["complete"]:
        raise RuntimeError(f"no whole scan of {pid}: {scan} {p.stderr[-500:]}")
    return scan


def bench_servers(build, rounds):
    """node, redis and PostgreSQL, one scan each per round, interleaved."""
    res = {}
    with servers.node_heap(150) as node, servers.redis(keys=200000) as rd, \
            servers.postgres(rows=1000000) as pg:
        procs = {"node": node, "redis": rd, "postgres": pg}
        for r in range(rounds):
            for name, pid in procs.items():
                res.setdefault(name, []).append(server_round(build, pid))
            print(f"  scan: servers round {r + 1}/{rounds} done", file=sys.stderr)
    rows = []
    for name, scans in res.items():
        per100 = [s["stopped_ms"] / (s["bytes_scanned"] / (100 << 20)) for s in scans]
        work100 = [(s["stopped_ms"] - s["stop_phases_ms"]["freeze"]) / (s["bytes_scanned"] / (100 << 20))
                   for s in scans]
        mib = statistics.median([s["bytes_scanned"] for s in scans]) / (1 << 20)
        rows.append([f"{name} ({mib:,.0f} MiB scanned, {scans[0]['threads']} threads)",
                     spread([s["stopped_ms"] for s in scans]), spread(per100), spread(work100),
                     spread([s["after_tables_ms"] for s in scans]),
                     spread([s["after_marking_ms"] for s in scans])])
    benchlib.figures(f"leaksnoop's final scan of real processes (`leaksnoop --user -p PID 3`), {rounds} "
                     "interleaved rounds, ms, min / median / max",
                     ["process", "stopped", "stopped per 100 MiB (target <= 50)",
                      "the same without the freeze (threads reaching their stop)",
                      "tables, after the resume", "marking, after the resume"], rows)


def spread(v):
    return benchlib.mmm(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sizes", default="1024,4096")
    ap.add_argument("--servers-only", action="store_true")
    a = ap.parse_args()
    bench_servers(a.build, a.rounds)
    if a.servers_only:
        return
    sizes = [int(s) for s in a.sizes.split(",")]
    res = {s: {"stop": [], "bytes": [], "copy": [], "copied": [], "lsan": []} for s in sizes}
    for r in range(a.rounds):
        for s in sizes:                 # interleaved
            stop, nbytes, copy, copied, blocks = leaksnoop_round(a.build, s)
            want = s * 1024 // 64
            if blocks < want:
                raise RuntimeError(f"{blocks} blocks classified, want >= {want}")
            res[s]["stop"].append(stop)
            res[s]["bytes"].append(nbytes)
            res[s]["copy"].append(copy)
            res[s]["copied"].append(copied)
            res[s]["lsan"].append(lsan_round(a.build, s))
        print(f"  scan: round {r + 1}/{a.rounds} done", file=sys.stderr)
    rows = []
    for s in sizes:
        x = res[s]
        per100 = [t / (b / (100 << 20)) for t, b in zip(x["stop"], x["bytes"])]
        copy100 = [t / (b / (100 << 20)) for t, b in zip(x["copy"], x["copied"])]
        rows.append([f"{s} MiB ({statistics.median(x['bytes']) / (1 << 20):,.0f} MiB scanned)",
                     spread(x["stop"]), spread(per100), spread(copy100), spread(x["lsan"])])
    benchlib.figures(f"leaksnoop's leak-kinds scan of leak_bigheap (64 KiB blocks), {a.rounds} "
                     "interleaved rounds, ms, min / median / max",
                     ["heap", "stopped", "stopped per 100 MiB (target <= 50)",
                      "floor: copy only, per 100 MiB", "peer: LeakSanitizer's check"], rows)


if __name__ == "__main__":
    main()
