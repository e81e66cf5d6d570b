"""faulttop against hostile and odd targets, and faults of its own
environment (issue: hardening)."""
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

import e2e

HOSTILE_NAME = b"\x1b[2J\nx\xff\xfe y\x07"


def test_hostile_comm_never_reaches_terminal_or_json_raw():
    w = e2e.start_workload("hostile", "comm", HOSTILE_NAME.hex())
    try:
        e2e.wait_stopped(w)
        for mode in ("-b", "--json"):
            p = subprocess.run([e2e.tool("faulttop"), mode, "-p", str(w.pid), "-n", "1", "-d", "0.2"],
                               capture_output=True, timeout=30)
            assert p.returncode == 0, p.stderr
            out = p.stdout
            assert b"\x1b" not in out and b"\x07" not in out and b"\xff" not in out, out[-400:]
            if mode == "--json":
                rows = json.loads(out.decode("ascii"))["rows"]   # pure ASCII, valid JSON
                # every byte survives, escaped: ESC, newline, 0xff as \u00ff
                assert rows[0]["comm"].encode("latin-1") == HOSTILE_NAME[:15], rows[0]["comm"]
            else:
                line = [l for l in out.decode("ascii").splitlines() if l.split()[:1] == [str(w.pid)]]
                assert line and "?[2J?x" in line[0], out[-600:]
    finally:
        e2e.finish(w)


def test_binary_with_spaces_deleted_while_traced():
    d = tempfile.mkdtemp(prefix="mm scope ")
    exe = os.path.join(d, "touch pages")
    shutil.copy(e2e.workload("regions"), exe)
    try:
        with e2e.FaultTopJSON("-a", "--precise", "-C", "touch pages") as ft:
            w = subprocess.Popen([exe, "heap", "500"], stdout=subprocess.PIPE, text=True)
            e2e.wait_stopped(w)
            os.unlink(exe)                      # deleted while traced
            kernel = e2e.proc_stat(w.pid)
            r = ft.wait_row(w.pid, lambda r: r["total"]["minflt"] == kernel["minflt"], what="minflt")
            assert r["total"]["regions"]["heap"] >= 475, r["total"]["regions"]
            e2e.finish(w)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_thousands_of_threads_sum_exactly():
    with e2e.FaultTopJSON("-a", "-C", "hostile") as ft:
        w = e2e.start_workload("hostile", "threads", 2000)
        e2e.wait_stopped(w, timeout=60)
        kernel = e2e.proc_stat(w.pid)
        r = ft.wait_row(w.pid, lambda r: r["total"]["minflt"] == kernel["minflt"], what="minflt",
                        timeout=30)
        assert r["threads"] == 2001, r["threads"]
        e2e.finish(w)


def test_thousands_of_threads_listed_in_thread_mode():
    w = e2e.start_workload("hostile", "threads", 1500)
    try:
        e2e.wait_stopped(w, timeout=60)
        p = subprocess.run([e2e.tool("faulttop"), "--json", "-t", "-p", str(w.pid), "-n", "2", "-d", "0.3"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        rows = json.loads(p.stdout.splitlines()[-1])["rows"]
        assert len({r["tid"] for r in rows}) == 1501, len(rows)
    finally:
        e2e.finish(w)


def test_thousands_of_mappings_classified():
    with e2e.FaultTopJSON("-a", "--precise", "-C", "hostile") as ft:
        w = e2e.start_workload("hostile", "maps", 20000)
        e2e.wait_stopped(w, timeout=60)
        kernel = e2e.proc_stat(w.pid)
        r = ft.wait_row(w.pid, lambda r: r["total"]["minflt"] == kernel["minflt"], what="minflt",
                        timeout=30)
        assert r["total"]["regions"]["anon"] >= 19000, r["total"]["regions"]
        e2e.finish(w)


def test_other_mount_namespace():
    with e2e.FaultTopJSON("-a", "--precise", "-C", "regions") as ft:
        w = subprocess.Popen(["unshare", "-m", "--propagation", "private", e2e.workload("regions"),
                              "file", "400"], stdout=subprocess.PIPE, text=True)
        pid = None
        deadline = time.monotonic() + 20
        while pid is None and time.monotonic() < deadline:
            out = subprocess.run(["pgrep", "-P", str(w.pid)], capture_output=True, text=True).stdout
            pid = int(out.split()[0]) if out.split() else (w.pid if e2e.comm(w.pid) == "regions" else None)
            time.sleep(0.05)
        assert pid, "no workload process"
        deadline = time.monotonic() + 20
        while e2e.proc_stat(pid)["state"] != "T":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert os.readlink(f"/proc/{pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt")
        kernel = e2e.proc_stat(pid)
        r = ft.wait_row(pid, lambda r: r["total"]["minflt"] == kernel["minflt"], what="minflt")
        assert r["total"]["regions"]["file"] >= 380, r["total"]["regions"]
        os.kill(pid, signal.SIGCONT)
        w.wait(timeout=10)


def test_target_that_forks_and_execs():
    """A shell that forks and execs a workload: the child is its own row, with
    exact counts, and the parent goes on being shown."""
    with e2e.FaultTopJSON("-a") as ft:
        sh = subprocess.Popen(["sh", "-c", f"{e2e.workload('touch_pages')} 700; sleep 30"],
                              stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        child = None
        while child is None:
            assert time.monotonic() < deadline, "no child"
            out = subprocess.run(["pgrep", "-P", str(sh.pid), "touch_pages"], capture_output=True,
                                 text=True).stdout.split()
            child = int(out[0]) if out else None
            time.sleep(0.05)
        while e2e.proc_stat(child)["state"] != "T":
            time.sleep(0.05)
        kernel = e2e.proc_stat(child)
        r = ft.wait_row(child, lambda r: r["total"]["minflt"] == kernel["minflt"], what="child")
        assert r["comm"] == "touch_pages" and r["ppid"] == sh.pid, r
        assert ft.row(ft.next_frame(), sh.pid) is not None
        os.kill(child, signal.SIGCONT)
        sh.kill()
        sh.wait()


# ---- the tool's own environment -------------------------------------------


def test_tracefs_not_mounted_is_mounted_on_demand():
    subprocess.run(["umount", "/sys/kernel/tracing"], capture_output=True)
    p = subprocess.run([e2e.tool("faulttop"), "--json", "-n", "1", "-d", "0.2"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["syscalls"] is True
    with open("/proc/mounts") as f:
        assert " /sys/kernel/tracing tracefs " in f.read()


def test_ring_buffer_full_is_counted_and_shown_never_hangs():
    t = e2e.Tool([e2e.tool("faulttop"), "-b", "-d", "0.3", "--precise", "--ringbuf-size", "4096"])
    try:
        t.next_line(timeout=30)
        storm = subprocess.run([e2e.workload("fault_storm"), "64", "2"], capture_output=True, timeout=60)
        assert storm.returncode == 0
        deadline = time.monotonic() + 10
        while "*** LOST EVENTS:" not in t.next_line():
            assert time.monotonic() < deadline, "drops never shown"
    finally:
        t0 = time.monotonic()
        assert t.stop(timeout=5) == 0
        assert time.monotonic() - t0 < 5


def test_bpf_map_full_is_counted():
    with e2e.FaultTopJSON("--precise", "--max-threads", "8") as ft:
        w = e2e.start_workload("hostile", "threads", 50)
        e2e.wait_stopped(w, timeout=30)
        f = ft.frame_after(time.monotonic())
        e2e.finish(w)
        assert f["system"]["lost_map_full"] > 0, f["system"]


def _our_bpf_programs():
    out = subprocess.run(["bpftool", "prog", "list"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if "on_page_fault_user" in l or "dump_task" in l
            or "on_task_free" in l]


def test_sigkill_leaves_nothing_attached():
    before = len(_our_bpf_programs())
    t = e2e.Tool([e2e.tool("faulttop"), "-b", "-d", "0.2", "--precise"])
    t.next_line(timeout=30)
    assert len(_our_bpf_programs()) > before
    t.proc.kill()
    t.proc.wait()
    deadline = time.monotonic() + 10
    while len(_our_bpf_programs()) > before:
        assert time.monotonic() < deadline, _our_bpf_programs()
        time.sleep(0.2)


def test_sigint_sigterm_at_any_moment():
    rnd = random.Random(4)
    for i in range(12):
        p = subprocess.Popen([e2e.tool("faulttop"), "-b", "-d", "0.1"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(rnd.uniform(0, 0.8))
        p.send_signal(signal.SIGINT if i % 2 else signal.SIGTERM)
        try:
            rc = p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            raise AssertionError(f"faulttop hung after a signal (round {i})")
        assert rc == 0 or (rc == -signal.SIGINT and i % 2) or (rc == -signal.SIGTERM and not i % 2) \
            or rc == 1, (i, rc, p.stderr.read())
