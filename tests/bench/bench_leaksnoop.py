#!/usr/bin/env python3
"""leaksnoop's benchmark (not a test): the cost of tracing, measured side by
side with the floor and a bpftrace peer, interleaved, medians of ROUNDS.

User heap: a tight malloc/free loop (build/tests/leak_churn malloc N) —
untraced; the floor (the same uprobes with empty BPF programs,
--bench-empty-probes); leaksnoop; bpftrace tracking malloc/free with ustack.
Kernel: eventfd create/close churn — untraced; the floor (empty tp_btf
programs on kmalloc/kfree/kmem_cache_alloc/kmem_cache_free, --kernel
--bench-empty-probes: what any tracer of these events pays before doing
anything); leaksnoop --kernel (call sites); leaksnoop --kernel -K (kernel
stacks); bpftrace tracking kmalloc/kmem_cache addresses. The workload times its own loop, so attach and
detach don't count.

usage: bench_leaksnoop.py [BUILD] [--rounds N]"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys

LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"

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


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    m = re.search(r"ns_per_op=([\d.]+)", p.stderr)
    if not m:
        raise RuntimeError(f"{cmd[0]}: no timing (rc={p.returncode}): {p.stderr[-800:]}")
    return float(m.group(1))


def bpftrace(script, workload):
    return ["bpftrace", "-e", script, "-c", " ".join(workload)]


def suite(build, title, configs, rounds):
    results = {name: [] for name, _ in configs}
    for r in range(rounds):
        for name, cmd in configs:       # interleaved: drift hits every config alike
            results[name].append(run(cmd))
        print(f"  {title}: round {r + 1}/{rounds} done", file=sys.stderr)
    med = {n: statistics.median(v) for n, v in results.items()}
    return med


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--malloc-iters", type=int, default=100000)
    ap.add_argument("--eventfd-iters", type=int, default=200000)
    a = ap.parse_args()
    ls = os.path.join(a.build, "leaksnoop")
    churn = os.path.join(a.build, "tests", "leak_churn")
    have_bt = shutil.which("bpftrace") is not None

    w = [churn, "malloc", str(a.malloc_iters)]
    configs = [("untraced", w),
               ("floor (empty uprobes)", [ls, "--bench-empty-probes", "--", *w]),
               ("leaksnoop", [ls, "--", *w])]
    if have_bt:
        configs.append(("bpftrace malloc/free+ustack",
                        bpftrace(BPFTRACE_USER % {"libc": LIBC}, w)))
    user = suite(a.build, "malloc/free", configs, a.rounds)

    w = [churn, "eventfd", str(a.eventfd_iters)]
    configs = [("untraced", w),
               ("floor (empty kmem tracepoints)", [ls, "--kernel", "--bench-empty-probes", "--", *w]),
               ("leaksnoop --kernel", [ls, "--kernel", "--", *w]),
               ("leaksnoop --kernel -K", [ls, "--kernel", "-K", "--", *w])]
    if have_bt:
        configs.append(("bpftrace kmalloc/kmem_cache", bpftrace(BPFTRACE_KERNEL, w)))
    kern = suite(a.build, "eventfd", configs, a.rounds)

    print(f"leaksnoop benchmark, medians of {a.rounds} interleaved rounds")
    print(f"\nmalloc/free loop ({a.malloc_iters} pairs per run), ns per pair:")
    base, floor = user["untraced"], user["floor (empty uprobes)"]
    for n, v in user.items():
        print(f"  {n:32s} {v:10.1f} ns   {v / base:8.1f}x untraced   {v / floor:6.2f}x floor")
    print(f"\neventfd create/close churn ({a.eventfd_iters} per run), ns per op:")
    base, kfloor = kern["untraced"], kern["floor (empty kmem tracepoints)"]
    for n, v in kern.items():
        print(f"  {n:32s} {v:10.1f} ns   {v / base:6.2f}x untraced   {v / kfloor:6.2f}x floor")
    print(f"\nratios: user {user['leaksnoop'] / floor:.2f}x floor (target <= 1.3); "
          f"kernel {kern['leaksnoop --kernel'] / base:.2f}x (target <= 1.25; the floor alone is "
          f"{kfloor / base:.2f}x, leaksnoop {kern['leaksnoop --kernel'] / kfloor:.2f}x floor), "
          f"with stacks {kern['leaksnoop --kernel -K'] / base:.2f}x (target <= 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
