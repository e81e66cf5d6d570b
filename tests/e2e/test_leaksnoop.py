"""leaksnoop end to end: the real BPF programs on the real kernel, checked
against what the workloads are known to leak and against valgrind."""
import json
import os
import re
import signal
import subprocess
import time

import e2e
from e2e import by_stack, describe, eventfd_blocks, kind_blocks, leaksnoop, records_at, source_line  # noqa: F401



def trace_command(*cmd, extra=()):
    rc, reports, err = leaksnoop("--json", "--user", "-T", "0", *extra, "--",
                                 e2e.workload(cmd[0]), *cmd[1:])
    assert reports, f"no report (rc={rc}): {err}"
    final = reports[-1]
    assert final["final"] and final["exited"], final
    return rc, final


def records_in(report, fname):
    """Stacks (e2e.by_stack) allocated from fname."""
    return [r for r in by_stack(report["records"]) if r["source"] == "user" and any(
        f.get("file") and os.path.basename(f["file"]) == fname for f in r["frames"][:1])]


def assert_dropped_pointers_lost(stack, n, per=1):
    """A loop that drops each block's pointer: every block is definitely
    lost but for at most the last of each of per threads, whose pointer can
    stay behind in a register, in an unused slot of a live stack frame, or
    in the stack of an exited thread that glibc keeps mapped for the next
    one: still reachable (or possibly lost) then. valgrind does not count
    such stale stack words (memcheck knows them to be undefined); a
    conservative scan from outside, like LeakSanitizer's, cannot tell. None
    is indirectly lost (the blocks hold no pointers), and the kinds add up
    to the stack's n blocks."""
    kinds = stack["kinds"]
    assert None not in kinds, f"not classified: {kinds}"
    assert sum(b for _, b in kinds.values()) == n == stack["blocks"], kinds
    assert kind_blocks(stack, "definite") >= n - per, kinds
    assert kind_blocks(stack, "indirect") == 0, kinds


def valgrind_definitely_lost(*cmd):
    p = subprocess.run(["valgrind", "--leak-check=full", *cmd], capture_output=True,
                       text=True, timeout=300)
    m = re.search(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks", p.stderr)
    assert m, f"no valgrind leak summary:\n{p.stderr[-2000:]}"
    return int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))


def test_leaksnoop_built():
    assert os.access(e2e.tool("leaksnoop"), os.X_OK), "leaksnoop not built"


def test_leaksnoop_loop_matches_valgrind():
    n = 200
    leak, freed = source_line("leak_loop.c", "leak"), source_line("leak_loop.c", "freed")
    rc, rep = trace_command("leak_loop", n)
    assert rc == 0, rc
    at = records_at(rep, "leak_loop.c", leak)
    assert len(at) == 1, describe(rep)
    assert at[0]["blocks"] == n and at[0]["bytes"] == n * 12288, describe(rep)
    assert at[0]["frames"][0]["func"] == "iteration"
    assert not records_at(rep, "leak_loop.c", freed), describe(rep)
    assert len(records_in(rep, "leak_loop.c")) == 1, describe(rep)
    assert at[0]["allocated_blocks"] == n and at[0]["freed_blocks"] == 0
    vg_bytes, vg_blocks = valgrind_definitely_lost(e2e.workload("leak_loop"), str(n))
    assert (at[0]["bytes"], at[0]["blocks"]) == (vg_bytes, vg_blocks), \
        f"leaksnoop {at[0]['bytes']} bytes in {at[0]['blocks']} blocks, valgrind {vg_bytes} in {vg_blocks}"
    # and it is of valgrind's kind: every block definitely lost (p1 = NULL)
    assert at[0]["kinds"] == {"definite": [vg_bytes, vg_blocks]}, at[0]["kinds"]


def test_leaksnoop_text_and_folded():
    """--no-scan: today's "outstanding" records; scanned (the default): the
    same blocks as valgrind's "definitely lost" (test_leaksnoop_loop_matches_valgrind
    checks valgrind says so of every block of leak_loop)."""
    n = 30
    leak = source_line("leak_loop.c", "leak")
    total = f"{n * 12288:,} bytes in {n} blocks"
    for scanned, words in ((False, "are outstanding in record"),
                           (True, "are definitely lost in loss record")):
        opts = () if scanned else ("--no-scan",)
        p = subprocess.run([e2e.tool("leaksnoop"), "--user", *opts, "--", e2e.workload("leak_loop"),
                            str(n)], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert f"{total} {words}" in p.stdout, p.stdout
        assert re.search(r"at 0x[0-9a-f]+: iteration \(leak_loop\.c:%d\)" % leak, p.stdout), p.stdout
        assert "SUMMARY" in p.stdout
        assert ("LEAK SUMMARY" in p.stdout) == scanned, p.stdout
        if scanned:
            assert f"definitely lost: {total}\n" in p.stdout, p.stdout
            assert "still reachable: 0 bytes in 0 blocks" in p.stdout, p.stdout
    for opts, tag in ((("--no-scan",), "[user]"), ((), "[user:definite]")):
        p = subprocess.run([e2e.tool("leaksnoop"), "--user", "--folded", *opts, "--",
                            e2e.workload("leak_loop"), str(n)], capture_output=True, text=True,
                           timeout=60)
        lines = [l for l in p.stdout.splitlines() if l.endswith(f" {n * 12288}")]
        assert lines and "main;iteration" in lines[0] and lines[0].startswith(tag + ";"), p.stdout


def test_leaksnoop_allocator_semantics():
    rc, rep = trace_command("leak_kinds", 3)
    assert rc == 3, f"exit status not passed through: {rc}"
    want = {"realloc_chain": 3000, "realloc_null": 3100, "calloc": 3400, "posix_memalign": 3500,
            "aligned_alloc": 3584, "memalign": 3700, "valloc": 3800, "reallocarray": 3900}
    for marker, size in want.items():
        at = records_at(rep, "leak_kinds.c", source_line("leak_kinds.c", marker))
        assert len(at) == 1 and at[0]["blocks"] == 1 and at[0]["bytes"] == size, \
            f"{marker}: {describe(rep)}"
    # the freed ones (realloc(p, 0), a failed realloc's old block) and the
    # failed allocations are not leaks
    assert len(records_in(rep, "leak_kinds.c")) == len(want), describe(rep)
    assert rep["health"]["failed_allocations"] >= 2, rep["health"]


def test_leaksnoop_threads():
    threads, per = 8, 150
    rc, rep = trace_command("leak_threads", threads, per)
    assert rc == 0
    at = records_at(rep, "leak_threads.c", source_line("leak_threads.c", "thread_leak"))
    assert len(at) == 1, describe(rep)
    assert at[0]["blocks"] == threads * per and at[0]["bytes"] == threads * per * 2000, describe(rep)
    assert len(records_in(rep, "leak_threads.c")) == 1, describe(rep)
    # each worker drops each block's pointer; its last can stay in its
    # exited stack, which glibc keeps mapped for the next thread
    assert_dropped_pointers_lost(at[0], threads * per, per=threads)
    assert rep["health"]["alloc_table_full"] == 0 and rep["health"]["inflight_lost"] == 0


def test_leaksnoop_shared_library():
    n = 5
    rc, rep = trace_command("leak_lib", n)
    assert rc == 0
    at = records_at(rep, "leak_shlib.c", source_line("leak_shlib.c", "shlib_leak"))
    assert len(at) == 1 and at[0]["blocks"] == n and at[0]["bytes"] == n * 4321, describe(rep)
    assert_dropped_pointers_lost(at[0], n)        # main drops what the library returns
    frames = at[0]["frames"]
    assert "libleak_shlib.so" in (frames[0]["module"] or ""), frames[0]
    assert frames[0]["func"] == "shlib_make_record"
    assert os.path.basename(frames[1]["file"] or "") == "leak_lib.c" and \
        frames[1]["line"] == source_line("leak_lib.c", "shlib_call"), frames[1]


def test_leaksnoop_kernel_eventfd():
    n = 40
    w = e2e.start_workload("leak_eventfd", n)
    try:
        e2e.wait_stopped(w)
        with e2e.Tool([e2e.tool("leaksnoop"), "-p", str(w.pid), "--kernel", "-o", "0", "-i", "0.3",
                       "--json", "-T", "0"]) as t:
            json.loads(t.next_line(30))                 # attached
            os.kill(w.pid, signal.SIGCONT)              # opens n eventfds
            e2e.wait_stopped(w)
            t.next_line()
            held = json.loads(t.next_line())            # a report that began after
            assert eventfd_blocks(held) == n, json.dumps(held["records"])[:3000]
            os.kill(w.pid, signal.SIGCONT)              # closes them
            e2e.wait_stopped(w)
            t.next_line()
            closed = json.loads(t.next_line())
            assert eventfd_blocks(closed) == 0, json.dumps(closed["records"])[:3000]
    finally:
        w.kill()
        w.wait()


def test_leaksnoop_pid_exits_mid_trace():
    n, start_ms = 40, 2500
    leak = source_line("leak_loop.c", "leak")
    t0 = time.monotonic()
    w = subprocess.Popen([e2e.workload("leak_loop"), str(n), str(start_ms), "20000"])
    try:
        t = e2e.Tool([e2e.tool("leaksnoop"), "-p", str(w.pid), "--user", "--json", "-i", "0.2",
                      "-T", "0", "30"])
        json.loads(t.next_line(30))
        attached_in_time = time.monotonic() - t0 < start_ms / 1000
        final = None
        while final is None:
            r = json.loads(t.next_line(20))
            if r["final"]:
                final = r
        assert t.proc.wait(timeout=10) == 0
        assert time.monotonic() - t0 < 25, "leaksnoop did not notice the exit"
        assert final["exited"], final
        at = records_at(final, "leak_loop.c", leak)
        assert len(at) == 1, describe(final)
        if attached_in_time:
            assert at[0]["blocks"] == n, describe(final)
    finally:
        w.kill()
        w.wait()


def test_leaksnoop_exit_status_and_bad_command():
    rc, reports, err = leaksnoop("--user", "--json", "--", "sh", "-c", "exit 7")
    assert rc == 7, (rc, err)
    rc, reports, err = leaksnoop("--user", "--", "/nonexistent/command")
    assert rc == 127 and "cannot run" in err, (rc, err)


def test_leaksnoop_error_exitcode():
    rc, _, err = leaksnoop("--user", "--json", "--error-exitcode", "42", "--",
                           e2e.workload("leak_loop"), 3)
    assert rc == 42, (rc, err)


def test_leaksnoop_bad_input():
    rc, _, err = leaksnoop("--no-such-flag")
    assert rc == 2 and "leaksnoop" in err and "usage" in err.lower(), (rc, err)
    rc, _, err = leaksnoop("-p", "abc")
    assert rc == 2, (rc, err)
    pid = 4194000
    while os.path.exists(f"/proc/{pid}"):
        pid -= 1
    rc, _, err = leaksnoop("-p", pid, "1")
    assert rc != 0 and f"no process with PID {pid}" in err and len(err.strip().splitlines()) == 1, (rc, err)
    rc, _, err = leaksnoop("--user", "1")
    assert rc == 2, (rc, err)


def test_leaksnoop_help_names_no_bug_address():
    """--help ends with the options, not with an address nobody reads; the
    benchmark-only --bench-empty-probes is gone from the tool."""
    p = subprocess.run([e2e.tool("leaksnoop"), "--help"], capture_output=True, text=True,
                       timeout=20)
    assert p.returncode == 0 and "--error-exitcode" in p.stdout, (p.returncode, p.stdout)
    assert "Report bugs" not in p.stdout and "http" not in p.stdout, p.stdout[-400:]
    rc, _, err = leaksnoop("--bench-empty-probes", "--", e2e.workload("leak_loop"))
    assert rc == 2 and "bench-empty-probes" in err, (rc, err)


def _first_frame_in(record, fname):
    for f in record["frames"]:
        if os.path.basename(f.get("file") or "") == fname:
            return f
    return None


def test_leaksnoop_mmap_regions_and_brk():
    """Regions mapped and never unmapped are reported with their stack; the
    one that was unmapped isn't; brk growth is counted. (The stack starts in
    libc's mmap wrapper, which keeps no frame pointer, so its direct caller
    can be missing: the program's frames are matched anywhere in it.)"""
    n = 7
    rc, reports, err = leaksnoop("--json", "--user", "-T", "0", "--", e2e.workload("leak_mmap"), n)
    assert rc == 0 and reports, (rc, err)
    rep = reports[-1]
    ours = [r for r in rep["records"] if r["source"] == "mmap" and _first_frame_in(r, "leak_mmap.c")]
    assert len(ours) == 1, describe(rep)
    assert ours[0]["blocks"] == n and ours[0]["bytes"] == n * 65536, describe(rep)
    assert rep["summary"]["mmap"]["freed_blocks"] >= 1, rep["summary"]
    assert rep["health"]["brk_grow_bytes"] >= n * 4096, rep["health"]


def test_leaksnoop_whole_system_kernel_mode():
    """Neither -p nor a command: every kernel allocation, by call site."""
    n = 40
    w = e2e.start_workload("leak_eventfd", n)
    try:
        e2e.wait_stopped(w)
        with e2e.Tool([e2e.tool("leaksnoop"), "--json", "-o", "0", "-i", "0.3", "-T", "0"]) as t:
            first = json.loads(t.next_line(30))
            assert first["pid"] is None, first
            before = eventfd_blocks(first)
            os.kill(w.pid, signal.SIGCONT)              # opens n eventfds and holds them
            e2e.wait_stopped(w)
            t.next_line()
            held = json.loads(t.next_line())
            assert eventfd_blocks(held) >= before + n, json.dumps(held["records"])[:3000]
            os.kill(w.pid, signal.SIGCONT)              # closes them
            e2e.wait_stopped(w)
            t.next_line()
            closed = json.loads(t.next_line())
            assert eventfd_blocks(closed) <= eventfd_blocks(held) - n, \
                json.dumps(closed["records"])[:3000]
    finally:
        w.kill()
        w.wait()
