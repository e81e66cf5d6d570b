"""leaksnoop's final scan on real servers: how long it stops them, measured
by leaksnoop (-v / JSON stop_phases_ms) and, independently, by sampling
the process's state in /proc (a ptrace-stopped thread reads 't'); and the
allocation table sized so that a server with a million live blocks is
traced whole, with a report that says so at its top when a table does
overflow. Target: a stop of at most 50 ms per 100 MiB scanned."""
import json
import os
import re
import subprocess
import sys
import threading
import time

import e2e
import servers

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from bench_leaksnoop_allocators import wait_attached  # noqa: E402  (its uprobe links are in)

TEST_TIMEOUT_S = 900
MIB = 1 << 20
TARGET_MS_PER_100MIB = 50.0
# a loaded 2-core machine (seven other builds) stretches any one stop: the
# best scan of a run must meet the target, every scan three times it
LOADED_FACTOR = 3.0


class StopSampler:
    """Samples the state of the process's threads in /proc, every 0.2 ms;
    each run of samples with a thread in 't' (ptrace stop) is a stop. Each sample is timed before and after its read
    (this thread may be preempted between them on a loaded machine): lower,
    what a stop lasted at least (first 't' read's end to last one's start);
    upper, what it can't have exceeded (the reads either side of it)."""

    def __init__(self, pid):
        self.pid, self.stops, self.samples = pid, [], 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _state(self):
        """b"t" while any thread is in a ptrace stop (threads stop and
        resume one by one: the stop is from the first to the last)."""
        for tid in os.listdir(f"/proc/{self.pid}/task"):
            try:
                with open(f"/proc/{self.pid}/task/{tid}/stat", "rb") as f:
                    text = f.read()
            except OSError:
                continue
            if text[text.rindex(b")") + 2:text.rindex(b")") + 3] == b"t":
                return b"t"
        return b"R"

    def _run(self):
        # nice -20 as leaksnoop is during the stop: on a loaded machine a
        # sampler at nice 0 can sleep through a whole stop. It sleeps 0.2 ms
        # between samples: spinning at nice -20 would starve the rest
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), -20)
        except OSError:
            pass
        in_stop, first_end, last_start, before_start = False, 0.0, 0.0, time.monotonic()
        while not self.done.is_set():
            start = time.monotonic()
            try:
                s = self._state()
            except OSError:
                return
            end = time.monotonic()
            self.samples += 1
            time.sleep(0.0002)
            if s == b"t":
                if not in_stop:
                    first_end = end
                last_start = start
                in_stop = True
                continue
            if in_stop:
                self.stops.append((max(0.0, last_start - first_end) * 1e3,
                                   (end - before_start) * 1e3))
            in_stop = False
            before_start = start

    def stop(self):
        self.done.set()
        self.thread.join(5)
        return self.stops


def scans_of(reports):
    return [r["scan"] for r in reports if r.get("scan") and r["scan"]["done"]]


def per_100mib(scan):
    return scan["stopped_ms"] / (scan["bytes_scanned"] / (100 * MIB))


def check_stops(what, scans, sampled):
    """leaksnoop's own figures against the target, and against the
    sampler's: leaksnoop's stop must not be shorter than what /proc saw."""
    assert scans, f"{what}: no scan done"
    per = [per_100mib(s) for s in scans]
    print(f"{what}: stops {[round(s['stopped_ms'], 1) for s in scans]} ms for "
          f"{[round(s['bytes_scanned'] / MIB) for s in scans]} MiB = "
          f"{[round(p, 1) for p in per]} ms per 100 MiB; phases: "
          f"{[{k: round(v, 1) for k, v in s['stop_phases_ms'].items()} for s in scans]}; "
          f"/proc saw stops (lower, upper ms) {[(round(a, 1), round(b, 1)) for a, b in sampled]}")
    for s in scans:
        phases = sum(s["stop_phases_ms"].values())
        assert abs(phases - s["stopped_ms"]) < 1.0 + 0.01 * s["stopped_ms"], s
        assert not s["tables_in_stop"], s
    # the work inside the stop (all but waiting for the threads to reach it)
    work = [(s["stopped_ms"] - s["stop_phases_ms"]["freeze"]) / (s["bytes_scanned"] / (100 * MIB))
            for s in scans]
    assert min(work) <= TARGET_MS_PER_100MIB, work
    assert max(work) <= TARGET_MS_PER_100MIB * LOADED_FACTOR, work
    # the whole stop: the target on a quiet machine. Under load the freeze
    # (the target's threads each waiting for a CPU to enter their stop) is
    # the machine's, not leaksnoop's: 700 ms for redis at 8 runnable tasks
    # per CPU, with 5 ms of work. Printed, asserted only when quiet.
    load = os.getloadavg()[0] / os.cpu_count()
    print(f"{what}: work in the stop {[round(w, 1) for w in work]} ms per 100 MiB; load per CPU "
          f"{load:.1f}{'' if load <= 1.5 else ': the whole stop is not asserted'}")
    if load <= 1.5:
        assert min(per) <= TARGET_MS_PER_100MIB, (per, load)
    # every scan stopped the process once, as long as leaksnoop says or less
    big = [a for a, _ in sampled if a > 1.0]
    assert sampled or max(s["stopped_ms"] for s in scans) < 5.0, (sampled, scans)
    assert len(big) <= len(scans), (sampled, len(scans))
    for lower in big:
        assert lower <= max(s["stopped_ms"] for s in scans) * 1.02 + 2.0, (sampled, scans)


def test_leaksnoop_scan_stop_node():
    # Debian's node growing its heap to ~150 MiB: three scans (--scan -i)
    gaps = []
    with servers.node_heap(150, gaps) as pid:
        sampler = StopSampler(pid)
        rc, reports, err = e2e.leaksnoop("--user", "--json", "-v", "--scan", "-i", "3", "-p",
                                         pid, "10", timeout=300)
        sampled = sampler.stop()
    assert rc == 0, err[-2000:]
    scans = scans_of(reports)
    assert len(scans) >= 2, [r["scan"] for r in reports]
    assert "leaksnoop: scan: stopped" in err, err[-2000:]
    gap = max((float(g.split()[1]) for g in gaps if g.startswith("gap_ms")), default=0)
    print(f"node's own longest timer gap while traced: {gap:.1f} ms")
    check_stops("node", scans, sampled)
    assert reports[-1]["complete"], reports[-1]["incomplete"]


def test_leaksnoop_scan_redis_whole_table():
    # 400,000 SETs of random keys: over a million live blocks, every one
    # recorded by default (the table sized from MemAvailable), and the stop
    # within the target
    with servers.redis() as pid:
        t = e2e.Tool([e2e.tool("leaksnoop"), "--user", "--json", "-p", str(pid)])
        try:
            wait_attached(t.proc, timeout=120)
            servers.redis_sets(servers.redis.port, 400000)
            keys = servers.redis_keys(servers.redis.port)
            sampler = StopSampler(pid)
            assert t.stop(timeout=600) == 0
            sampled = sampler.stop()
        finally:
            t.stop()
        reports = [json.loads(l) for l in t.all_lines + list(iter(t.lines.get, None))
                   if l.startswith("{")]
    rep = reports[-1]
    health = rep["health"]
    user = rep["summary"]["user"]
    print(f"redis: {keys} keys, {user['outstanding_blocks']} user blocks outstanding, "
          f"{user['allocated_blocks']} allocations, health {health}")
    assert health["alloc_table_full"] == 0 and health["scan_log_lost"] == 0, health
    assert rep["complete"] and rep["incomplete"] is None, rep["incomplete"]
    # a key is at least its dict entry and its key string: more blocks than
    # a preallocated default table of 262,144 could hold
    assert keys > 350000 and user["outstanding_blocks"] >= 2 * keys, (keys, user)
    check_stops("redis", scans_of([rep]), sampled)


def test_leaksnoop_scan_table_overflow_header():
    # a table of 1,024 entries for 5,000 leaked blocks: the report says it is
    # incomplete at its top (text: before any record; JSON: top-level fields)
    args = ["--user", "--max-allocs", "1024", "--", e2e.workload("leak_loop"), "5000"]
    rc, reports, err = e2e.leaksnoop("--json", *args)
    rep = reports[-1]
    assert not rep["complete"], rep
    inc = rep["incomplete"]
    assert inc["allocations_not_recorded"] >= 5000 - 1024 and inc["alloc_table_entries"] == 1024, inc
    assert inc["allocations_not_recorded"] == rep["health"]["alloc_table_full"], inc
    assert inc["kinds_are_lower_bounds"] == rep["scan"]["done"], inc
    p = subprocess.run([e2e.tool("leaksnoop"), *args], capture_output=True, text=True, timeout=60)
    lines = p.stdout.splitlines()
    top = next(i for i, l in enumerate(lines) if "INCOMPLETE REPORT" in l)
    first_record = next((i for i, l in enumerate(lines) if re.search(r"bytes in [\d,]+ blocks", l)),
                        len(lines))
    assert top < first_record and top <= 3, p.stdout[:2000]
    assert re.search(r"[\d,]+ allocations were not recorded \(the allocation table of 1,024", lines[top])
    assert any(l.startswith("LEAK SUMMARY (INCOMPLETE") for l in lines), p.stdout[-2000:]
    # the same run with the default table: whole, 5,000 lost
    rc, reports, err = e2e.leaksnoop("--json", "--user", "--", e2e.workload("leak_loop"), "5000")
    rep = reports[-1]
    assert rep["complete"] and rep["health"]["alloc_table_full"] == 0, rep["health"]
    assert rep["leak_summary"]["definite"]["blocks"] == 5000, rep["leak_summary"]
