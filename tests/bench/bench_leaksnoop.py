#!/usr/bin/env python3
"""leaksnoop's benchmark (not a test): what tracing adds to the workload's
own CPU time, interleaved rounds, min/median/max (see benchlib.py).

User heap: a tight malloc/free loop (build/tests/leak_churn malloc N) —
untraced; the floor (bpftrace with empty probes on malloc entry and return
and free entry: what any uprobe-based tracer pays before doing anything);
leaksnoop; bpftrace tracking malloc/free with ustack (a peer doing the same
job). Kernel: eventfd create/close churn — untraced; the floor (empty tp_btf
programs on the four kmem tracepoints leaksnoop uses: tests/bench/floor.bpf.c,
run by build/bench/bench_floor, not part of the tools); leaksnoop --kernel (call
sites); leaksnoop --kernel -K (kernel stacks); bpftrace tracking
kmalloc/kmem_cache addresses. The workload times its own loop (CPU time of
its process), so start-up, attach and detach don't count.

usage: bench_leaksnoop.py [BUILD] [--rounds N]"""
import argparse
import os
import re
import shutil
import subprocess
import sys

import benchlib

LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"

# The floors: the probes a tracer needs, with nothing in them.
BPFTRACE_USER_FLOOR = r"""
uprobe:%(libc)s:malloc /pid == cpid/ { }
uretprobe:%(libc)s:malloc /pid == cpid/ { }
uprobe:%(libc)s:free /pid == cpid/ { }
"""

BPFTRACE_USER = r"""
uprobe:%(libc)s:malloc /pid == cpid/ { @size[tid] = arg0; }
uretprobe:%(libc)s:malloc /pid == cpid/ {
    @live[retval] = @size[tid]; @stk[retval] = ustack; delete(@size[tid]);
}
uprobe:%(libc)s:free /pid == cpid/ { delete(@live[arg0]); delete(@stk[arg0]); }
END { clear(@live); clear(@stk); clear(@size); }
"""

BPFTRACE_KERNEL = r"""
tracepoint:kmem:kmalloc /pid == cpid/ { @live[args->ptr] = args->bytes_alloc; }
tracepoint:kmem:kmem_cache_alloc /pid == cpid/ { @live[args->ptr] = args->bytes_alloc; }
tracepoint:kmem:kfree { delete(@live[args->ptr]); }
tracepoint:kmem:kmem_cache_free { delete(@live[args->ptr]); }
END { clear(@live); }
"""


def cpu_ns_per_op(cmd):
    """Runs cmd (the workload, alone or under a tracer); the workload's own
    CPU time per operation, as it printed it."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    m = re.search(r"cpu_ns_per_op=([\d.]+)", p.stderr)
    if not m:
        raise RuntimeError(f"{cmd[0]}: no timing (rc={p.returncode}): {p.stderr[-800:]}")
    return float(m.group(1))


def bpftrace(script, workload):
    return ["bpftrace", "-e", script, "-c", " ".join(workload)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--rounds", type=int, default=benchlib.ROUNDS)
    ap.add_argument("--malloc-iters", type=int, default=100000)
    ap.add_argument("--eventfd-iters", type=int, default=200000)
    a = ap.parse_args()
    ls = os.path.join(a.build, "leaksnoop")
    churn = os.path.join(a.build, "tests", "leak_churn")
    floor = os.path.join(a.build, "bench", "bench_floor")
    if not shutil.which("bpftrace"):
        print("bench_leaksnoop: bpftrace (the floor and the peer) is not installed",
              file=sys.stderr)
        return 1
    libc = {"libc": LIBC}

    w = [churn, "malloc", str(a.malloc_iters)]
    configs = [("untraced", w),
               ("floor (bpftrace, empty uprobes)", bpftrace(BPFTRACE_USER_FLOOR % libc, w)),
               ("leaksnoop", [ls, "--", *w]),
               ("bpftrace malloc/free+ustack", bpftrace(BPFTRACE_USER % libc, w))]
    user = benchlib.interleaved(configs, cpu_ns_per_op, a.rounds, "malloc/free")

    w = [churn, "eventfd", str(a.eventfd_iters)]
    configs = [("untraced", w),
               ("floor (empty kmem tp_btf)", [floor, "--", *w]),
               ("leaksnoop --kernel", [ls, "--kernel", "--", *w]),
               ("leaksnoop --kernel -K", [ls, "--kernel", "-K", "--", *w]),
               ("bpftrace kmalloc/kmem_cache", bpftrace(BPFTRACE_KERNEL, w))]
    kern = benchlib.interleaved(configs, cpu_ns_per_op, a.rounds, "eventfd")

    print("leaksnoop benchmark: the workload's own CPU time per operation")
    benchlib.table(f"malloc/free loop ({a.malloc_iters} pairs per run)", "ns per pair", user,
                   ["untraced", "floor (bpftrace, empty uprobes)", "bpftrace malloc/free+ustack"])
    benchlib.table(f"eventfd create/close churn ({a.eventfd_iters} per run)", "ns per op", kern,
                   ["untraced", "floor (empty kmem tp_btf)", "bpftrace kmalloc/kmem_cache"])
    print("\ntargets: user <= 1.3x floor; kernel <= 1.25x untraced, with stacks (-K) <= 2x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
