"""Soak: each tool runs under a stress-ng memory workload (--fault, --brk,
--mmap, --malloc) with default buffer sizes: no event may be lost, and the
tool's own RSS stays flat. SOAK_SECONDS sets the length (the suite runs a
short soak; `make soak` a long one)."""
import json
import os
import statistics
import subprocess
import time

import e2e

SECONDS = float(os.environ.get("SOAK_SECONDS", "20"))
# the runner's per-test timeout (tests/run.py): the soak plus start-up and checks
TEST_TIMEOUT_S = SECONDS + 300
SAMPLE_S = 1.0


def _rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _assert_flat(name, series):
    """After a warm-up quarter (tables and caches find their size), the last
    quarter may not sit above the second by more than 10% + 2 MiB: a leak
    keeps growing with the run, a cache doesn't."""
    print(f"    {name} RSS KiB over {SECONDS:.0f}s: {series}")
    q = max(1, len(series) // 4)
    second, last = statistics.median(series[q:2 * q]), statistics.median(series[-q:])
    assert last <= second * 1.10 + 2048, f"{name} RSS grew {second} -> {last} KiB: {series}"


# Bounded, so a long soak never drives the machine into the OOM killer (which
# would end the traced worker, and the tool with it): malloc keeps at most
# 16384 blocks of up to 16 KiB, brk calls don't touch their pages.
BOUNDS = {"malloc": ["--malloc-bytes", "16K", "--malloc-max", "16384"],
          "brk": ["--brk-notouch"], "mmap": ["--mmap-bytes", "64M"]}


class _live_heap_rss:
    """Under `make check-asan` the sanitizer's quarantine keeps freed memory
    (up to 256 MiB) on purpose, so RSS would grow without a leak: for the
    soak the tools run without quarantine, and RSS tracks the live heap
    again. (LeakSanitizer still checks for leaks at exit.)"""

    def __enter__(self):
        self.saved = os.environ.get("ASAN_OPTIONS")
        if os.environ.get("MMSCOPE_SANITIZER_LOGS"):
            os.environ["ASAN_OPTIONS"] = (self.saved or "") + \
                ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0"

    def __exit__(self, *exc):
        if self.saved is None:
            os.environ.pop("ASAN_OPTIONS", None)
        else:
            os.environ["ASAN_OPTIONS"] = self.saved


def _stress(*stressors):
    args = ["stress-ng", "--timeout", f"{int(SECONDS) + 30}s", "--quiet"]
    for s in stressors:
        args += [f"--{s}", "1", *BOUNDS.get(s, [])]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(p):
    p.terminate()
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def test_soak_faulttop_under_stress_ng():
    stress = _stress("fault", "brk", "mmap", "malloc")
    try:
        with _live_heap_rss(), e2e.FaultTopJSON("-d", "1") as ft:
            series, lost, faults = [], [], 0
            end = time.monotonic() + SECONDS
            while time.monotonic() < end:
                f = ft.next_frame(timeout=10)
                lost.append(f["system"]["lost_ringbuf"] + f["system"]["lost_map_full"])
                faults += f["system"]["faults"]
                series.append(_rss_kib(ft.proc.pid))
            assert faults > 10000, f"stress-ng made few faults ({faults}): not a soak"
            assert max(lost) == 0, f"lost events: {lost}"
            _assert_flat("faulttop", series)
    finally:
        _stop(stress)


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return int([l for l in f if l.startswith("PPid:")][0].split()[1])
    except OSError:
        return None


def _malloc_worker(stress):
    """The process that really mallocs: stress-ng's malloc worker runs the
    stressor in a child of its own (to survive the OOM killer)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        out = subprocess.run(["pgrep", "-f", "stress-ng-malloc"], capture_output=True,
                             text=True).stdout.split()
        workers = {int(p) for p in out} - {stress.pid}
        for pid in workers:
            if _ppid(pid) in workers:
                return pid
        time.sleep(0.1)
    raise AssertionError("no stress-ng malloc worker")


def test_soak_leaksnoop_under_stress_ng():
    stress = _stress("malloc", "brk", "mmap")
    try:
        pid = _malloc_worker(stress)
        with _live_heap_rss():
            t = e2e.Tool([e2e.tool("leaksnoop"), "--json", "-i", "2", "-p", str(pid)])
        series, reports = [], []
        end = time.monotonic() + SECONDS
        try:
            while time.monotonic() < end:
                r = json.loads(t.next_line(timeout=30))
                if r.get("type") == "report":
                    reports.append(r)
                    series.append(_rss_kib(t.proc.pid))
        finally:
            t.stop(timeout=30)
        assert len(reports) >= 3, f"only {len(reports)} reports"
        allocated = max(r["summary"].get("user", {}).get("allocated_blocks", 0) for r in reports)
        assert allocated > 1000, f"stress-ng malloc made few allocations: {reports[-1]['summary']}"
        for r in reports:
            h = r["health"]
            for k in ("alloc_table_full", "inflight_lost", "agg_table_full"):
                assert h[k] == 0, (k, h)
        _assert_flat("leaksnoop", series)
    finally:
        _stop(stress)
