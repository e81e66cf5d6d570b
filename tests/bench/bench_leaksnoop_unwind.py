#!/usr/bin/env python3
"""leaksnoop's CFI unwinder benchmark (not a test).

1. Cost per allocation with a 20-frame stack: build/tests/leak_churn deep N
   (a malloc/free loop 20 frames above _start, built with frame pointers so
   both walks see all 20 frames), traced by leaksnoop with the CFI unwinder
   (default: its walk cache reuses the loop's repeated walk), with every walk
   in full (--no-walk-cache) and with --frame-pointers, interleaved. The
   number that matters is the allocation return program's own run time
   (kernel.bpf_stats_enabled, leaksnoop -v prints it per program): a full
   CFI walk minus frame pointers is what the unwinder adds where no walk
   repeats (target: <= 2 us). The workload's ns per malloc/free pair
   is printed too; it is dominated by the uprobe traps and noisy here.
2. Attach time: build/tests/many_objects 300 (dlopens Debian's libraries
   until 300 objects are mapped), then leaksnoop -v -p PID: the time to
   build (or read from the table cache) and load the unwind tables for
   every mapping (target: <= 2 s), with the rows and pool memory; cold (an
   empty cache) and warm, interleaved.

usage: bench_leaksnoop_unwind.py [BUILD] [--rounds N]"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import benchlib

STATS = "/proc/sys/kernel/bpf_stats_enabled"


def spread(v):
    return benchlib.mmm(v, "{:,.0f}")


MODES = {"cfi": [], "cfi-full": ["--no-walk-cache"], "fp": ["--frame-pointers"]}


def churn_run(ls, churn, iters, mode):
    cmd = [ls, "-v", "--user", "--no-mmap", *MODES[mode], "--", churn, "deep", str(iters)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    prog = re.search(r"program uprobe(?:_multi)?_return: (\d+) runs, (\d+) ns per run", p.stderr)
    op = re.search(r"ns_per_op=([\d.]+)", p.stderr)
    if not prog or not op:
        raise RuntimeError(f"no figures (rc={p.returncode}): {p.stderr[-600:]}")
    return float(prog.group(2)), float(op.group(1))


def unwind_cost(build, rounds, iters):
    ls = os.path.join(build, "leaksnoop")
    churn = os.path.join(build, "tests", "leak_churn")
    res = {m: ([], []) for m in MODES}
    diffs = []
    for r in range(rounds):
        got = {}
        for name in MODES:      # interleaved: drift hits them alike
            prog, op = churn_run(ls, churn, iters, name)
            res[name][0].append(prog)
            res[name][1].append(op)
            got[name] = prog
        diffs.append(got["cfi-full"] - got["fp"])
        print(f"  unwind cost: round {r + 1}/{rounds} done", file=sys.stderr)
    names = {"cfi": "CFI, walk cache (default)", "cfi-full": "CFI, --no-walk-cache",
             "fp": "--frame-pointers"}
    benchlib.figures(f"the allocation return program, 20-frame stacks ({iters} allocations a "
                     f"run, {rounds} interleaved rounds), ns, min / median / max",
                     ["mode", "return program per allocation", "workload's malloc/free pair"],
                     [[names[m], spread(res[m][0]), spread(res[m][1])] for m in MODES] +
                     [["full CFI walk minus --frame-pointers (target <= 2,000)", spread(diffs), ""]])
    return statistics.median(diffs)


def attach_once(ls, pid, cache):
    """leaksnoop -v -p pid for 0.5 s with the table cache at cache: (ms to
    build/read and load every table, their CPU ms, leaksnoop's whole CPU ms,
    its whole wall ms, the tables' -v line)."""
    with tempfile.TemporaryFile("w+") as ls_err:
        before, t0 = os.times(), time.monotonic()
        subprocess.run([ls, "-v", "--user", "--no-mmap", "-p", str(pid), "0.5"],
                       stdout=subprocess.DEVNULL, stderr=ls_err, timeout=300,
                       env=dict(os.environ, MMSCOPE_UNWIND_CACHE=cache))
        wall, after = (time.monotonic() - t0) * 1e3, os.times()
        ls_err.seek(0)
        err = ls_err.read()
    m = re.search(r"unwind tables for (\d+) mappings in (\d+) ms \((\d+) ms CPU\)", err)
    if not m:
        raise RuntimeError(f"no attach figures: {err[-600:]}")
    cpu = (after.children_user + after.children_system -
           before.children_user - before.children_system) * 1e3
    last = next((l for l in err.splitlines() if "unwind tables:" in l), "")
    return float(m.group(2)), float(m.group(3)), cpu, wall, last


def start_many_objects(build, objects):
    with tempfile.TemporaryFile("w+") as wl_err:
        w = subprocess.Popen([os.path.join(build, "tests", "many_objects"), str(objects)],
                             stderr=wl_err)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            wl_err.seek(0)
            have = re.search(r"objects=(\d+)", wl_err.read())
            if have:
                return w, int(have.group(1))
            time.sleep(0.1)
    w.kill()
    raise RuntimeError("many_objects did not get ready")


def attach_time(build, objects, rounds):
    """Cold (an empty table cache: every table built) and warm (the tables
    read back from the cache a cold run filled), interleaved."""
    ls = os.path.join(build, "leaksnoop")
    res = {"cold": [], "warm": []}
    last = {}
    w, have = start_many_objects(build, objects)
    try:
        with tempfile.TemporaryDirectory() as warm:
            attach_once(ls, w.pid, warm)            # fills the warm cache
            for r in range(rounds):
                for name in ("cold", "warm"):
                    with tempfile.TemporaryDirectory() as cold:
                        got = attach_once(ls, w.pid, cold if name == "cold" else warm)
                    res[name].append(got[:4])
                    last[name] = got[4]
                print(f"  attach: round {r + 1}/{rounds} done ({have} objects)", file=sys.stderr)
    finally:
        w.send_signal(signal.SIGKILL)
        w.wait()
    rows = []
    for name, what in (("cold", "tables built (empty cache)"), ("warm", "tables read from the cache")):
        col = list(zip(*res[name]))
        rows.append([what, *(spread(c) for c in col)])
    benchlib.figures(f"attach (-p) to a process with {have} mapped objects (Debian's libraries), "
                     f"{rounds} interleaved rounds, ms, min / median / max",
                     ["", "tables in, wall (target <= 2,000)", "tables in, CPU",
                      "leaksnoop CPU, whole run", "leaksnoop wall, whole run (0.5 s tracing)"], rows,
                     f"{last['cold'].replace('leaksnoop: ', '')}; load average "
                     f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return statistics.median(c[0] for c in res["cold"]), statistics.median(c[0] for c in res["warm"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--iters", type=int, default=20000)
    ap.add_argument("--objects", type=int, default=300)
    a = ap.parse_args()
    with open(STATS) as f:
        saved = f.read().strip()
    try:
        with open(STATS, "w") as f:
            f.write("1")
        cost = unwind_cost(a.build, a.rounds, a.iters)
    finally:
        with open(STATS, "w") as f:
            f.write(saved)
    cold, warm = attach_time(a.build, a.objects, max(3, a.rounds // 2))
    print(f"\nunwinder: {cost:+.0f} ns per 20-frame allocation walked in full (median), attach "
          f"{cold:.0f} ms for {a.objects} objects building the tables, {warm:.0f} ms reading "
          "them from the cache (medians)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
