#!/usr/bin/env python3
"""faulttop's benchmark (not a test): what it adds to a fault storm's own
CPU time (the workload's CLOCK_PROCESS_CPUTIME_ID: the kernel's fault
handling and any probe on it are charged there), against an untraced run
and a bpftrace one-liner, interleaved rounds, min/median/max (benchlib.py);
and its own CPU use with ~500 processes."""
import os
import re
import signal
import subprocess
import sys
import time

import benchlib

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
FT = os.path.join(BUILD, "faulttop")
STORM = [os.path.join(BUILD, "tests", "fault_storm"), "256", "8"]
REPS = int(os.environ.get("BENCH_REPS", str(benchlib.ROUNDS)))
BPFTRACE = "tracepoint:exceptions:page_fault_user { @[pid] = count(); }"


def start(cmd, ready, env=None):
    """Starts a tracer (with env added to ours) and waits until it says it
    is attached."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         env={**os.environ, **(env or {})})
    deadline = time.monotonic() + 30
    for line in p.stdout:
        if ready in line:
            break
        if time.monotonic() > deadline:
            break
    # keep draining so the tracer never blocks on a full pipe
    subprocess.Popen(["cat"], stdin=p.stdout, stdout=subprocess.DEVNULL)
    return p


def stop(p):
    if p:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# --maps -p PID: the storm watched itself (every fault shipped and binned) or
# another process watched (the storm's faults only run the perf event's filter)
ARM64_HOOK = {"MMSCOPE_NO_PAGE_FAULT_TP": "1"}
MAPS = [FT, "--maps", "-b", "-d", "0.5", "--precise", "-p"]
MODES = {
    "untraced": None,
    "faulttop default": ([FT, "-b", "-d", "0.5"], "faulttop - "),
    "faulttop --precise": ([FT, "-b", "-d", "0.5", "--precise"], "faulttop - "),
    # arm64's hook, the perf fault events, as x86 runs it when told to
    "faulttop default, perf-event hook": ([FT, "-b", "-d", "0.5"], "faulttop - ", ARM64_HOOK),
    "faulttop --precise, perf-event hook": ([FT, "-b", "-d", "0.5", "--precise"], "faulttop - ",
                                            ARM64_HOOK),
    "--precise --maps -p (another)": ("maps", "other"),
    "--precise --maps -p (the storm)": ("maps", "self"),
    "bpftrace one-liner": (["bpftrace", "-e", BPFTRACE], "Attaching"),
}


def storm_cpu_seconds():
    p = subprocess.run(STORM, capture_output=True, text=True, check=True)
    return float(re.search(r"cpu_s=([\d.]+)", p.stderr).group(1))


def watched_storm(whom):
    """The storm under faulttop --maps: of a sleeper, or of the storm itself
    (a shell that stops itself, then becomes the storm: same pid)."""
    sleeper = subprocess.Popen(["sleep", "120"]) if whom == "other" else None
    storm = subprocess.Popen(["sh", "-c", 'kill -STOP $$; exec "$@"', "sh", *STORM],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while open(f"/proc/{storm.pid}/stat").read().rsplit(")", 1)[1].split()[0] != "T":
        time.sleep(0.01)
    pid = sleeper.pid if sleeper else storm.pid
    tracer = start(MAPS + [str(pid)], "faulttop --maps")
    try:
        os.kill(storm.pid, signal.SIGCONT)
        err = storm.communicate()[1]
        return float(re.search(r"cpu_s=([\d.]+)", err).group(1))
    finally:
        stop(tracer)
        if sleeper:
            sleeper.kill()
            sleeper.wait()


def traced_storm(spec):
    if spec and spec[0] == "maps":
        return watched_storm(spec[1])
    tracer = start(*spec) if spec else None
    try:
        return storm_cpu_seconds()
    finally:
        stop(tracer)


def fault_storm():
    subprocess.run(["mount", "-t", "tracefs", "tracefs", "/sys/kernel/tracing"],
                   stderr=subprocess.DEVNULL)
    times = benchlib.interleaved(list(MODES.items()), traced_storm, REPS, "fault storm")
    benchlib.table("fault storm (256 MiB x 8 rounds of fresh pages, ~524k faults), "
                   "the workload's CPU time", "s", times,
                   ["untraced", "bpftrace one-liner"], fmt="{:.3f}")


def own_cpu():
    """faulttop's CPU at a 1 s refresh with ~500 processes alive."""
    sleepers = [subprocess.Popen(["sleep", "60"]) for _ in range(500)]
    try:
        ft = subprocess.Popen([FT, "-b", "-d", "1", "--all"], stdout=subprocess.DEVNULL)
        time.sleep(3)              # loaded and past its first frames
        t0, c0 = time.monotonic(), cpu_seconds(ft.pid)
        time.sleep(10)
        t1, c1 = time.monotonic(), cpu_seconds(ft.pid)
        stop(ft)
        n = len(os.listdir("/proc"))
        benchlib.figures("faulttop's own CPU", ["setting", "% of a core"],
                         [[f"-d 1 --all, {n} /proc entries", f"{100 * (c1 - c0) / (t1 - t0):.2f}"]])
    finally:
        for s in sleepers:
            s.kill()
            s.wait()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    fault_storm()
    own_cpu()
