#!/usr/bin/env python3
"""leaksnoop over several processes (not a test): does -f on a pre-fork
server keep each worker's cost where -p on one worker is? And what does an
untraced process calling the same allocator pay while a set is traced (the
set's probes are on the allocator's file for every process, see
docs/process-models.md)?

build/tests/prefork_churn: a master forks W workers, each times its own
malloc/free loop by its own CPU time (start-up, attach and detach don't
count). Per round, interleaved: untraced; leaksnoop -p on one running
worker (today's one-process figure: that worker's cost); a -p list of every
worker; leaksnoop -f -- prefork_churn (every worker traced from its fork);
and a bystander: leak_churn's loop alone, untraced, while nothing is traced,
while a -p list is (its probes are per process) and while a -f set is (its
probes are on the allocator's file for every process). Figures are
ns per malloc/free pair, min / median / max over rounds; a set's figure is
the median of its workers in that round.

usage: bench_leaksnoop_procs.py [BUILD] [--rounds N] [--workers W] [--iters N]"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time

import benchlib


def worker_costs(stderr):
    return {int(i): float(v) for i, v in re.findall(r"worker (\d+) cpu_ns_per_op=([\d.]+)", stderr)}


class Bench:
    def __init__(self, build, workers, iters):
        self.ls = os.path.join(build, "leaksnoop")
        self.churn = os.path.join(build, "tests", "prefork_churn")
        self.single = os.path.join(build, "tests", "leak_churn")
        self.w, self.n = workers, iters

    def tracer(self, args):
        t = subprocess.Popen([self.ls, "--user", "--json", "-T", "1", "-i", "0.3", *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if not t.stdout.readline():     # attached: its first interval report
            raise RuntimeError(f"leaksnoop {args}: {t.communicate()[1][-800:]}")
        return t

    @staticmethod
    def stop(t):
        t.send_signal(signal.SIGINT)
        t.communicate(timeout=120)

    def live(self, pids_to_args, pick):
        """prefork_churn with its workers waiting; leaksnoop attached to the
        pids pids_to_args chooses; pick(costs) is the round's figure."""
        p = subprocess.Popen([self.churn, str(self.w), str(self.n), "go"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        pids = [int(p.stdout.readline().split()[2]) for _ in range(self.w)]
        t = None
        try:
            if pids_to_args:
                t = self.tracer(pids_to_args(pids))
            _, err = p.communicate("go\n", timeout=600)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            if t:
                self.stop(t)
        return pick(worker_costs(err))

    def follow(self):
        p = subprocess.run([self.ls, "--user", "--json", "-T", "1", "-f", "--", self.churn,
                            str(self.w), str(self.n)], capture_output=True, text=True, timeout=600)
        return statistics.median(worker_costs(p.stderr).values())

    def bystander(self, how):
        """leak_churn alone, untraced, while an idle prefork_churn (master and
        one worker) is traced as a set (how: "-f" or "list"), or nothing is."""
        idle = t = None
        if how:
            idle = subprocess.Popen([self.churn, "1", "1", "go"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            worker = int(idle.stdout.readline().split()[2])
            t = self.tracer(["-f", "-p", str(idle.pid)] if how == "-f" else
                            ["-p", f"{idle.pid},{worker}"])
        try:
            p = subprocess.run([self.single, "malloc", str(self.n)], capture_output=True,
                               text=True, timeout=600)
        finally:
            if t:
                self.stop(t)
            if idle:
                idle.communicate("go\n", timeout=60)
        return float(re.search(r"cpu_ns_per_op=([\d.]+)", p.stderr).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--rounds", type=int, default=benchlib.ROUNDS)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--iters", type=int, default=100000)
    a = ap.parse_args()
    b = Bench(a.build, a.workers, a.iters)
    med = lambda costs: statistics.median(costs.values())  # noqa: E731
    configs = [
        ("untraced (per worker)", lambda: b.live(None, med)),
        ("-p one worker (today)", lambda: b.live(lambda pids: ["-p", str(pids[0])],
                                                  lambda c: c[0])),
        ("-p list of all workers", lambda: b.live(lambda pids: ["-p", ",".join(map(str, pids))],
                                                   med)),
        ("-f -- prefork (per worker)", b.follow),
        ("bystander, nothing traced", lambda: b.bystander(None)),
        ("bystander, -p list traced", lambda: b.bystander("list")),
        ("bystander, -f set traced", lambda: b.bystander("-f")),
    ]
    res = benchlib.interleaved(configs, lambda f: f(), a.rounds, "processes")
    print(f"leaksnoop over several processes: {a.workers} workers, the workload's own CPU "
          f"time per malloc/free pair ({a.iters} per worker and run)")
    workers = {k: v for k, v in res.items() if not k.startswith("bystander")}
    benchlib.table("pre-fork workers", "ns per pair", workers,
                   ["untraced (per worker)", "-p one worker (today)"])
    benchlib.table("an untraced process calling the same allocator", "ns per pair",
                   {k: v for k, v in res.items() if k.startswith("bystander")},
                   ["bystander, nothing traced"])
    print("\ntarget: -f and a -p list cost each worker what -p on one worker costs (~1x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
