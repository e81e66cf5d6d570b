"""faulttop end to end: the real BPF programs against workloads whose
faults the kernel itself counts (/proc/PID/stat, wait4's rusage)."""
import json
import os
import re
import signal
import subprocess
import time

import e2e


def _exact_minflt(*extra):
    with e2e.FaultTopJSON("-C", "touch_pages", "-a", *extra) as ft:
        w = e2e.start_workload("touch_pages", 5000)
        e2e.wait_stopped(w)
        kernel = e2e.proc_stat(w.pid)
        r = ft.wait_row(w.pid, lambda r: r["total"]["minflt"] == kernel["minflt"],
                        what=f"minflt == kernel's {kernel['minflt']}")
        assert r["total"]["majflt"] == kernel["majflt"], (r["total"], kernel)
        assert kernel["minflt"] >= 5000, kernel
        e2e.finish(w)
        return r


def test_minor_faults_equal_kernel_minflt():
    _exact_minflt()


def test_minor_faults_equal_kernel_minflt_precise_and_anon_region():
    r = _exact_minflt("--precise")
    regions = r["total"]["regions"]
    # all 5000 touches land in one anonymous mapping
    assert regions["anon"] >= 5000, regions


def test_major_faults_equal_kernel_majflt():
    path = os.path.join(e2e.BUILD, "tests", "major-faults.data")
    with e2e.FaultTopJSON("-C", "major_faults", "-a") as ft:
        w = e2e.start_workload("major_faults", path, 256)
        e2e.wait_stopped(w)
        kernel = e2e.proc_stat(w.pid)
        assert kernel["majflt"] >= 128, f"workload made too few major faults: {kernel}"
        ft.wait_row(w.pid, lambda r: r["total"]["majflt"] == kernel["majflt"] and
                    r["total"]["minflt"] == kernel["minflt"],
                    what=f"majflt/minflt == kernel's {kernel}")
        e2e.finish(w)


def _segv(kind, code):
    with e2e.FaultTopJSON("-C", "segv", "-a") as ft:
        w = e2e.start_workload("segv", kind)
        out, _ = w.communicate(timeout=10)
        assert w.returncode == -11, f"segv {kind} exited {w.returncode}"
        addr = int(re.search(r"addr (0x[0-9a-f]+)", out).group(1), 16)
        key = "segv_" + kind
        r = ft.wait_row(w.pid, lambda r: r["total"][key] == 1, what=key)
        sig = r["last_signal"]
        assert sig["signal"] == "SIGSEGV" and sig["code"] == code, sig
        assert sig["addr"] == addr, (hex(sig["addr"]), hex(addr))
        assert sig["ip"] != 0, sig
        other = "segv_accerr" if kind == "maperr" else "segv_maperr"
        assert r["total"][other] == 0, r["total"]


def test_segv_maperr_with_address():
    _segv("maperr", "SEGV_MAPERR")


def test_segv_accerr_with_address():
    _segv("accerr", "SEGV_ACCERR")


def _region(kind, region, pages=2000):
    with e2e.FaultTopJSON("-C", "regions", "-a", "--precise") as ft:
        w = e2e.start_workload("regions", kind, pages)
        e2e.wait_stopped(w)
        kernel = e2e.proc_stat(w.pid)
        r = ft.wait_row(w.pid, lambda r: r["total"]["minflt"] == kernel["minflt"],
                        what="minflt")
        regions = r["total"]["regions"]
        e2e.finish(w)
        assert regions[region] >= pages * 0.95, (kind, regions)
        # the page touches dominate everything else the process faulted
        assert regions[region] > 0.6 * sum(regions.values()), (kind, regions)


def test_heap_faults_land_in_heap():
    _region("heap", "heap")


def test_stack_faults_land_in_stack():
    _region("stack", "stack", pages=1000)


def test_file_mmap_faults_land_in_file():
    _region("file", "file")


def test_anon_mmap_faults_land_in_anon():
    _region("anon", "anon")


def test_address_space_syscalls_counted_exactly():
    """Between two stops the workload makes a known number of mmap, munmap,
    mremap and brk calls of known sizes: the row's counters move by exactly
    that (what ld.so and libc did before the first stop is subtracted)."""
    n, region, ps = 64, 64 << 10, os.sysconf("SC_PAGESIZE")
    keys = ("mmap", "munmap", "mremap", "brk", "bytes_mapped", "bytes_unmapped")
    with e2e.FaultTopJSON("-C", "addr_space_call", "-a") as ft:
        w = e2e.start_workload("addr_space_calls", n)
        e2e.wait_stopped(w)
        t = time.monotonic()
        before = ft.row(ft.frame_after(t), w.pid)
        assert before is not None, "no row for the stopped workload"
        os.kill(w.pid, signal.SIGCONT)
        e2e.wait_stopped(w)
        t = time.monotonic()
        after = ft.row(ft.frame_after(t), w.pid)
        e2e.finish(w)
    got = {k: after["total"][k] - before["total"][k] for k in keys}
    want = {"mmap": n, "munmap": n // 2, "mremap": n // 4, "brk": n // 4,
            "bytes_mapped": n * region + (n // 4) * region + (n // 4) * ps,
            "bytes_unmapped": (n // 2) * region}
    assert got == want, (got, want)


def test_process_that_exits_within_an_interval_is_counted():
    with e2e.FaultTopJSON("-C", "touch_pages", "-a") as ft:
        w = e2e.start_workload("touch_pages", 3000, "fork")
        e2e.wait_stopped(w)
        line = w.stdout.readline()
        m = re.match(r"child (\d+) minflt (\d+) majflt (\d+)", line)
        assert m, line
        child, minflt, majflt = map(int, m.groups())
        r = ft.wait_row(child, lambda r: r["exited"], what="exited child")
        assert r["total"]["minflt"] == minflt, (r["total"]["minflt"], minflt)
        assert r["total"]["majflt"] == majflt, (r["total"]["majflt"], majflt)
        e2e.finish(w)


def test_watched_process_that_exits_is_marked_and_tool_goes_on():
    w = e2e.start_workload("touch_pages", 100)
    e2e.wait_stopped(w)
    with e2e.FaultTopJSON("-p", str(w.pid)) as ft:
        assert ft.row(ft.first, w.pid) is not None
        e2e.finish(w)
        ft.wait_row(w.pid, lambda r: r["exited"], what="exited")
        f = ft.next_frame()            # still running afterwards
        assert ft.proc.poll() is None and "rows" in f


def _batch_minflt(text, pid):
    for line in text.splitlines():
        cols = line.split()
        if cols and cols[0] == str(pid):
            return int(cols[4])        # PID COMM MINFLT/s MAJFLT/s MINFLT
    return None


def test_json_parses_and_matches_batch_text():
    """Both outputs, side by side on the same workload, agree with each other
    and with the kernel."""
    batch = e2e.Tool([e2e.tool("faulttop"), "-b", "-d", "0.3", "-C", "touch_pages", "-a"])
    try:
        batch.next_line(timeout=30)                  # first frame: attached
        with e2e.FaultTopJSON("-C", "touch_pages", "-a") as ft:
            w = e2e.start_workload("touch_pages", 2500)
            e2e.wait_stopped(w)
            kernel = e2e.proc_stat(w.pid)["minflt"]
            row = ft.wait_row(w.pid, lambda r: r["total"]["minflt"] == kernel, what="json")
            assert row["comm"] == "touch_pages", row
            deadline = time.monotonic() + 15
            while _batch_minflt(batch.next_line(), w.pid) != kernel:
                assert time.monotonic() < deadline, "batch never showed " + str(kernel)
            e2e.finish(w)
    finally:
        batch.stop()
    assert "MINFLT/s" in "".join(batch.all_lines)


def test_no_lost_events_under_fault_storm():
    with e2e.FaultTopJSON("--precise") as ft:
        w = e2e.start_workload("touch_pages", 60000)
        e2e.wait_stopped(w)
        f = ft.frame_after(time.monotonic())
        e2e.finish(w)
        assert f["system"]["lost_ringbuf"] == 0 and f["system"]["lost_map_full"] == 0, f["system"]


def _run(*args, timeout=20):
    return subprocess.run([e2e.tool("faulttop"), *args], capture_output=True,
                          text=True, timeout=timeout)


def test_bad_flags_exit_2_with_usage():
    for args in (["--bogus"], ["-d", "abc"], ["-d", "0"], ["-n", "-1"], ["-p", "x"],
                 ["-s", "nosuchcolumn"], ["--sample", "101"], ["extra-arg"]):
        p = _run(*args)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert "Usage" in p.stderr or "Try" in p.stderr, (args, p.stderr)
        assert p.stdout == "", (args, p.stdout)


def test_nonexistent_pid_is_a_clear_error():
    p = _run("-b", "-n", "1", "-p", "999999999")
    assert p.returncode == 1, p
    assert p.stderr.strip() == "faulttop: no process with PID 999999999", p.stderr


def test_help_and_sigint_exit_cleanly():
    p = _run("--help")
    assert p.returncode == 0 and "--precise" in p.stdout and "--json" in p.stdout
    assert "Report bugs" not in p.stdout and "http" not in p.stdout, p.stdout[-400:]
    t = e2e.Tool([e2e.tool("faulttop"), "-b", "-d", "0.2"])
    t.next_line(timeout=30)
    assert t.stop() == 0


def test_not_root_is_a_clear_error():
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        os.path.abspath(e2e.tool("faulttop")), "-b", "-n", "1"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert p.stderr.strip() == "faulttop: must run as root (or with CAP_BPF and CAP_PERFMON)", p.stderr


def test_cgroup_filter_shows_only_that_cgroup():
    cg = os.path.join(e2e.cgroup2_mount(), "mmscope-e2e")
    os.makedirs(cg, exist_ok=True)
    inside = e2e.start_workload("touch_pages", 300)
    outside = e2e.start_workload("touch_pages", 300)
    try:
        e2e.wait_stopped(inside)
        e2e.wait_stopped(outside)
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(str(inside.pid))
        p = subprocess.run([e2e.tool("faulttop"), "--json", "-a", "-d", "0.3", "-n", "2",
                            "--cgroup", "mmscope-e2e"], capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        pids = {r["pid"] for r in json.loads(p.stdout.splitlines()[-1])["rows"]}
        assert pids == {inside.pid}, (pids, inside.pid, outside.pid)
        bad = subprocess.run([e2e.tool("faulttop"), "-b", "--cgroup", "no-such-cgroup-xyz"],
                             capture_output=True, text=True, timeout=20)
        assert bad.returncode == 1 and "no cgroup" in bad.stderr, bad.stderr
    finally:
        e2e.finish(inside)
        e2e.finish(outside)
        e2e.remove_cgroup(cg)


def test_piped_into_head_exits():
    p = subprocess.run(f"{e2e.tool('faulttop')} -b -d 0.2 -a | head -n 3", shell=True,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 3, p


def test_threads_mode_lists_threads_of_a_process():
    with e2e.FaultTopJSON("-t", "-a", "-C", "faulttop") as ft:
        f = ft.next_frame()
        assert f["threads"] is True
        rows = f["rows"]
        assert rows and all("tid" in r for r in rows), rows[:2]
        assert any(r["tid"] == ft.proc.pid for r in rows)
