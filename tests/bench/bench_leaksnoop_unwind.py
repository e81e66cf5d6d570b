#!/usr/bin/env python3
"""leaksnoop's CFI unwinder benchmark (not a test).

1. Cost per allocation with a 20-frame stack: build/tests/leak_churn deep N
   (a malloc/free loop 20 frames above _start, built with frame pointers so
   both walks see all 20 frames), traced by leaksnoop with the CFI unwinder
   and with --frame-pointers, interleaved. The number that matters is the
   allocation return program's own run time (kernel.bpf_stats_enabled,
   leaksnoop -v prints it per program): CFI minus frame pointers is what the
   unwinder adds (target: <= 2 us). The workload's ns per malloc/free pair
   is printed too; it is dominated by the uprobe traps and noisy here.
2. Attach time: build/tests/many_objects 300 (dlopens Debian's libraries
   until 300 objects are mapped), then leaksnoop -v -p PID: the time to
   build and load the unwind tables for every mapping (target: <= 2 s),
   with the rows and pool memory.

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

STATS = "/proc/sys/kernel/bpf_stats_enabled"


def spread(v):
    return f"min {min(v):8.0f}  median {statistics.median(v):8.0f}  max {max(v):8.0f}"


def churn_run(ls, churn, iters, fp):
    cmd = [ls, "-v", "--user", "--no-mmap", *(["--frame-pointers"] if fp else []),
           "--", churn, "deep", str(iters)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    prog = re.search(r"program uprobe(?:_multi)?_return: (\d+) runs, (\d+) ns per run", p.stderr)
    op = re.search(r"ns_per_op=([\d.]+)", p.stderr)
    if not prog or not op:
        raise RuntimeError(f"no figures (rc={p.returncode}): {p.stderr[-600:]}")
    return float(prog.group(2)), float(op.group(1))


def unwind_cost(build, rounds, iters):
    ls = os.path.join(build, "leaksnoop")
    churn = os.path.join(build, "tests", "leak_churn")
    res = {"cfi": ([], []), "fp": ([], [])}
    diffs = []
    for r in range(rounds):
        got = {}
        for name in ("cfi", "fp"):      # interleaved: drift hits both alike
            prog, op = churn_run(ls, churn, iters, name == "fp")
            res[name][0].append(prog)
            res[name][1].append(op)
            got[name] = prog
        diffs.append(got["cfi"] - got["fp"])
        print(f"  unwind cost: round {r + 1}/{rounds} done", file=sys.stderr)
    print(f"\nallocation return program, 20-frame stacks ({iters} allocations per run, "
          f"{rounds} interleaved rounds), ns per allocation:")
    print(f"  CFI unwinder               {spread(res['cfi'][0])}")
    print(f"  --frame-pointers           {spread(res['fp'][0])}")
    print(f"  added by the unwinder      {spread(diffs)}   (target <= 2000)")
    print("workload malloc/free pair, ns (uprobe traps included):")
    print(f"  CFI unwinder               {spread(res['cfi'][1])}")
    print(f"  --frame-pointers           {spread(res['fp'][1])}")
    return statistics.median(diffs)


def attach_time(build, objects, rounds):
    ls = os.path.join(build, "leaksnoop")
    times, cpu, whole = [], [], []
    last = ""
    for r in range(rounds):
        with tempfile.TemporaryFile("w+") as wl_err, tempfile.TemporaryFile("w+") as ls_err:
            w = subprocess.Popen([os.path.join(build, "tests", "many_objects"), str(objects)],
                                 stderr=wl_err)
            try:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    wl_err.seek(0)
                    if "objects=" in wl_err.read():
                        break
                    time.sleep(0.1)
                wl_err.seek(0)
                have = re.search(r"objects=(\d+)", wl_err.read())
                before = os.times()
                subprocess.run([ls, "-v", "--user", "--no-mmap", "-p", str(w.pid), "0.5"],
                               stdout=subprocess.DEVNULL, stderr=ls_err, timeout=300)
                after = os.times()
            finally:
                w.send_signal(signal.SIGKILL)
                w.wait()
            ls_err.seek(0)
            err = ls_err.read()
        m = re.search(r"unwind tables for (\d+) mappings in (\d+) ms \((\d+) ms CPU\)", err)
        if not m or not have:
            raise RuntimeError(f"no attach figures: {err[-600:]}")
        times.append(float(m.group(2)))
        cpu.append(float(m.group(3)))
        whole.append((after.children_user + after.children_system -
                      before.children_user - before.children_system) * 1e3)
        last = next((l for l in err.splitlines() if "unwind tables:" in l), "")
        print(f"  attach: round {r + 1}/{rounds} done ({have.group(1)} objects)", file=sys.stderr)
    print(f"\nattach to a process with {objects} mapped objects (Debian's libraries, "
          f"{rounds} rounds), ms to build and load every table:")
    print(f"  wall                       {spread(times)}   (target <= 2000)")
    print(f"  CPU (all build threads)    {spread(cpu)}   (wall/CPU: the VM's other load)")
    print(f"  leaksnoop CPU, whole run   {spread(whole)}")
    print(f"  load average               {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  {last.replace('leaksnoop: ', '')}")
    return statistics.median(times)


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
    attach = attach_time(a.build, a.objects, max(3, a.rounds // 2))
    print(f"\nunwinder: +{cost:.0f} ns per 20-frame allocation (median), attach "
          f"{attach:.0f} ms for {a.objects} objects (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
