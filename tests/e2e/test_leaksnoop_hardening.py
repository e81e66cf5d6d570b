"""leaksnoop against hostile and odd targets, and faults of its own
environment (issue: hardening).

What leaksnoop does in the odd cases, as these tests pin it down:
- a target that forks: only the traced process (its PID, across its execs)
  is followed; a forked child's allocations are not reported, and the
  command's exit status is passed through as usual;
- -p PID: the process is held by a pidfd, so when it exits leaksnoop prints
  the final report and ends; it never goes on with a new process that gets
  the PID later;
- leaksnoop SIGKILLed: every probe goes with it (the kernel closes its
  links); a `-- CMD` child, ptrace-seized only to be held at its exit, is
  detached by the kernel and runs on to its end, untraced (like strace);
- SIGINT/SIGTERM: the final report is printed; a `-- CMD` child still
  running is sent SIGTERM (SIGKILL after 3 s) and reaped;
- the reader of its output going away (| head): leaksnoop ends, with status
  0 for -p; a `-- CMD` child is ended as on Ctrl-C and its status (143,
  SIGTERM) passed on;
- short of memory: a one-line "leaksnoop: ..." error and status 1."""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time

import e2e
from e2e import describe, records_at, source_line
from test_leaksnoop import assert_dropped_pointers_lost

HOSTILE_NAME = b"\x1b[2J\nx\xff\xfe y\x07"
HOSTILE_DIR = b"mm scope \n\x1b[31m\xff"
HOSTILE_EXE = b"leak \x1b]0;pwn\x07 hostile"
LEAK = "leak_hostile.c"


def _leaksnoop(*args, timeout=60, **kw):
    args = [a if isinstance(a, bytes) else str(a) for a in args]
    return subprocess.run([e2e.tool("leaksnoop"), *args], capture_output=True,
                          timeout=timeout, **kw)


def _hostile_copy():
    """A copy of leak_hostile under a directory and a name full of control
    bytes, spaces and invalid UTF-8. Returns (dir, exe) as bytes."""
    base = tempfile.mkdtemp(prefix="leaksnoop ").encode()
    d = os.path.join(base, HOSTILE_DIR)
    os.mkdir(d)
    exe = os.path.join(d, HOSTILE_EXE)
    shutil.copy(e2e.workload("leak_hostile").encode(), exe)
    return base, exe


def _assert_clean_text(out):
    bad = [b for b in out if (b < 0x20 and b != 0x0a) or b >= 0x7f]
    assert not bad, f"raw bytes {sorted(set(bad))} in the text report: {out[-1500:]!r}"


def _frame_at(rep, fname, line):
    at = records_at(rep, fname, line)
    assert len(at) == 1, describe(rep)
    return at[0]


def test_hostile_comm_and_paths_never_raw():
    base, exe = _hostile_copy()
    n, line = 5, source_line(LEAK, "hostile_leak")
    try:
        cmd = ["--user", "-T", "0", "--", exe, b"leak", HOSTILE_NAME.hex().encode(), str(n).encode()]
        p = _leaksnoop(*cmd)
        assert p.returncode == 0, p.stderr
        _assert_clean_text(p.stdout)
        _assert_clean_text(p.stderr)
        text = p.stdout.decode("ascii")
        assert "(?[2J?x?? y?)" in text, text[:300]          # the comm, escaped
        assert re.search(r"hostile_leak \(leak_hostile\.c:%d\)" % line, text), text
        # without line info a frame is named by its module: the hostile file name
        stripped = exe + b".stripped"
        subprocess.run(["objcopy", "--strip-debug", exe, stripped], check=True)
        p = _leaksnoop("--user", "-T", "0", "--", stripped, b"leak", b"-", str(n).encode())
        assert p.returncode == 0, p.stderr
        _assert_clean_text(p.stdout)
        assert re.search(rb"hostile_leak\+0x[0-9a-f]+ \(leak \?\]0;pwn\? hostile\.stripped\)",
                         p.stdout), p.stdout.decode("ascii")

        p = _leaksnoop("--json", *cmd)
        assert p.returncode == 0, p.stderr
        reports = [json.loads(l) for l in p.stdout.decode("ascii").splitlines()]  # ASCII, valid
        rep = reports[-1]
        assert rep["comm"].encode("latin-1") == HOSTILE_NAME[:15], rep["comm"]
        r = _frame_at(rep, LEAK, line)
        assert r["blocks"] == n and r["bytes"] == n * 777, describe(rep)
        assert_dropped_pointers_lost(r, n)
        f = r["frames"][0]
        assert f["func"] == "hostile_leak", f
        module = f["module"].encode("latin-1")
        # the exact path, or as /proc/PID/maps prints it (a newline as \012)
        assert module in (exe, exe.replace(b"\n", b"\\012")), (module, exe)
        p = _leaksnoop("--folded", *cmd)
        assert p.returncode == 0, p.stderr
        _assert_clean_text(p.stdout)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _attached(t):
    json.loads(t.next_line(30))        # the first interval report: probes attached


def _final(t, timeout=20):
    while True:
        r = json.loads(t.next_line(timeout))
        if r["final"]:
            return r


def test_binary_deleted_or_replaced():
    """Four targets at once: one's binary is deleted, one's replaced by a
    different program (renamed over its path), before leaksnoop attaches;
    two more the same while traced, before a snapshot refresh and the
    report. Frames resolve from the file mapped (/proc/PID/map_files), not
    from whatever the path names now."""
    base = tempfile.mkdtemp(prefix="leaksnoop ")
    n, line = 9, source_line(LEAK, "hostile_leak")
    cases = [("deleted", "before"), ("replaced", "before"), ("deleted", "while"),
             ("replaced", "while")]
    procs, tools = [], []

    def touch(i):
        exe = os.path.join(base, f"target {i}")
        if cases[i][0] == "deleted":
            os.unlink(exe)
        else:
            other = os.path.join(base, f"other {i}")
            shutil.copy(e2e.workload("leak_loop"), other)
            os.rename(other, exe)

    try:
        for i in range(len(cases)):
            exe = os.path.join(base, f"target {i}")
            shutil.copy(e2e.workload("leak_hostile"), exe)
            w = subprocess.Popen([exe, "leak", "-", str(n), "2"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            procs.append(w)
            e2e.wait_stopped(w)
            if cases[i][1] == "before":
                touch(i)
            tools.append(e2e.Tool([e2e.tool("leaksnoop"), "-p", str(w.pid), "--user", "--json",
                                   "-i", "0.2", "-T", "0", "60"]))
        for t in tools:
            _attached(t)
        for w in procs:
            os.kill(w.pid, signal.SIGCONT)      # leaks n blocks, stops
            e2e.wait_stopped(w)
        for i in range(len(cases)):
            if cases[i][1] == "while":
                touch(i)
        time.sleep(2.3)                         # a snapshot refresh sees them
        for w in procs:
            os.kill(w.pid, signal.SIGCONT)
        for t, what in zip(tools, cases):
            rep = _final(t)
            assert rep["exited"], rep
            r = records_at(rep, LEAK, line)
            assert len(r) == 1 and r[0]["blocks"] == n, f"{what}: {describe(rep)}"
            assert r[0]["frames"][0]["func"] == "hostile_leak", (what, r[0]["frames"][0])
            assert t.proc.wait(timeout=10) == 0
    finally:
        for t in tools:
            if t.proc.poll() is None:
                t.proc.kill()
                t.proc.wait()
        for w in procs:
            w.kill()
            w.wait()
        shutil.rmtree(base, ignore_errors=True)


def test_target_that_forks_and_execs():
    n = 20
    leak = source_line("leak_loop.c", "leak")
    # the shell forks the workload: the child's leaks are not ours to report
    p = _leaksnoop("--user", "--json", "-T", "0", "--", "sh", "-c",
                   f"{e2e.workload('leak_loop')} {n}; exit 3", text=True)
    assert p.returncode == 3, (p.returncode, p.stderr)
    rep = json.loads(p.stdout.splitlines()[-1])
    assert rep["final"] and rep["exited"], rep
    assert not records_at(rep, "leak_loop.c", leak), describe(rep)
    # the traced process itself execs the workload: followed across the exec
    p = _leaksnoop("--user", "--json", "-T", "0", "--", "sh", "-c",
                   f"exec {e2e.workload('leak_loop')} {n}", text=True)
    assert p.returncode == 0, (p.returncode, p.stderr)
    rep = json.loads(p.stdout.splitlines()[-1])
    at = records_at(rep, "leak_loop.c", leak)
    assert len(at) == 1 and at[0]["blocks"] == n, describe(rep)


def test_pid_exit_ends_the_trace():
    """-p PID: the target is killed mid-trace; leaksnoop prints the final
    report and ends at once (it holds a pidfd: a process that later gets
    the PID is never looked at)."""
    n, line = 6, source_line(LEAK, "hostile_leak")
    w = subprocess.Popen([e2e.workload("leak_hostile"), "leak", "-", str(n), "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        e2e.wait_stopped(w)
        t = e2e.Tool([e2e.tool("leaksnoop"), "-p", str(w.pid), "--user", "--json", "-i", "0.2",
                      "-T", "0", "120"])
        _attached(t)
        os.kill(w.pid, signal.SIGCONT)
        e2e.wait_stopped(w)
        t0 = time.monotonic()
        w.kill()
        w.wait()
        rep = _final(t)
        assert t.proc.wait(timeout=5) == 0
        assert time.monotonic() - t0 < 3, "leaksnoop went on after its target exited"
        assert rep["exited"] and rep["pid"] == w.pid, rep
        r = records_at(rep, LEAK, line)
        assert len(r) == 1 and r[0]["blocks"] == n, describe(rep)
    finally:
        w.kill()
        w.wait()


def test_other_mount_namespace():
    """The target runs a binary from a tmpfs mounted in its own mount
    namespace only: the host has no such file."""
    n, line = 7, source_line(LEAK, "hostile_leak")
    d = tempfile.mkdtemp(prefix="leaksnoop-ns-")
    script = (f"mount -t tmpfs none {d} && cp {e2e.workload('leak_hostile')} {d}/hidden && "
              f"exec {d}/hidden leak - {n} 1")
    w = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        e2e.wait_stopped(w)
        assert os.readlink(f"/proc/{w.pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt")
        assert not os.path.exists(f"{d}/hidden")
        t = e2e.Tool([e2e.tool("leaksnoop"), "-p", str(w.pid), "--user", "--json", "-i", "0.2",
                      "-T", "0", "60"])
        _attached(t)
        os.kill(w.pid, signal.SIGCONT)
        rep = _final(t)
        assert t.proc.wait(timeout=10) == 0
        r = records_at(rep, LEAK, line)
        assert len(r) == 1 and r[0]["blocks"] == n, describe(rep)
        assert r[0]["frames"][0]["func"] == "hostile_leak", r[0]["frames"][0]
    finally:
        w.kill()
        w.wait()
        os.rmdir(d)


def test_thousands_of_threads_leaking_at_once():
    threads, per = 2000, 5
    rc, out = _trace_json("threads", threads, per)
    at = records_at(out, LEAK, source_line(LEAK, "threads_leak"))
    assert len(at) == 1, describe(out)
    assert at[0]["blocks"] == threads * per and at[0]["bytes"] == threads * per * 1000, describe(out)
    assert_dropped_pointers_lost(at[0], threads * per, per=threads)
    assert out["scan"]["done"], out["scan"]
    h = out["health"]
    assert h["alloc_table_full"] == 0 and h["inflight_lost"] == 0 and h["agg_table_full"] == 0, h


def test_thousands_of_mappings():
    maps, n = 20000, 11
    rc, out = _trace_json("maps", maps, n)
    at = records_at(out, LEAK, source_line(LEAK, "hostile_leak"))
    assert len(at) == 1 and at[0]["blocks"] == n, describe(out)
    assert_dropped_pointers_lost(at[0], n)
    # every mapping was read: at least a page of each
    assert out["scan"]["done"] and out["scan"]["mappings"] >= maps, out["scan"]
    regions = [r for r in out["records"] if r["source"] == "mmap" and r["blocks"] >= maps]
    assert len(regions) == 1 and regions[0]["blocks"] == maps, describe(out)
    h = out["health"]
    assert h["alloc_table_full"] == 0 and h["inflight_lost"] == 0 and h["agg_table_full"] == 0, h


def _trace_json(*args):
    p = _leaksnoop("--user", "--json", "-T", "0", "--", e2e.workload("leak_hostile"), *args,
                   text=True, timeout=120)
    assert p.returncode == 0, (p.returncode, p.stderr)
    return p.returncode, json.loads(p.stdout.splitlines()[-1])


def test_allocation_table_full_is_reported_never_a_false_leak():
    n, size = 3000, 1024                  # 3000 leaks + churn into a table of 1024
    leak, freed = source_line("leak_loop.c", "leak"), source_line("leak_loop.c", "freed")
    args = ("--user", "-T", "0", "--max-allocs", size, "--", e2e.workload("leak_loop"), n)
    p = _leaksnoop("--json", *args, text=True)
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout.splitlines()[-1])
    assert rep["health"]["alloc_table_full"] > 0, rep["health"]
    total = sum(r["blocks"] for r in rep["records"] if r["source"] == "user")
    assert total <= size, total               # never more than the table held
    at = records_at(rep, "leak_loop.c", leak)
    assert len(at) == 1 and 0 < at[0]["blocks"] <= n, describe(rep)
    assert not records_at(rep, "leak_loop.c", freed), describe(rep)   # no lost free as a leak
    p = _leaksnoop(*args, text=True)
    assert p.returncode == 0, p.stderr
    m = re.search(r"health: (\d+) allocations not recorded \(table full\)", p.stdout)
    assert m and int(m.group(1)) > 0, p.stdout[-1500:]


PROG_NAMES = ("malloc_enter", "free_enter", "alloc_return", "on_exec", "on_exit", "on_sys_enter")


def _our_prog_ids():
    progs = json.loads(subprocess.run(["bpftool", "-j", "prog", "list"], capture_output=True,
                                      text=True).stdout or "[]")
    return {p["id"] for p in progs if p.get("name") in PROG_NAMES}


def _link_prog_ids():
    links = json.loads(subprocess.run(["bpftool", "-j", "link", "list"], capture_output=True,
                                      text=True).stdout or "[]")
    return {l.get("prog_id") for l in links}


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def _state(pid):
    try:
        return e2e.proc_stat(pid)["state"]
    except OSError:
        return None


def _wait_gone_or_running(pid, timeout=10, what=""):
    """A process must not be left stopped: it ends (gone or a zombie)."""
    deadline = time.monotonic() + timeout
    while _state(pid) not in (None, "Z", "X"):
        assert time.monotonic() < deadline, f"{what}: pid {pid} still there, state {_state(pid)}"
        time.sleep(0.05)


def test_sigkill_leaves_nothing_attached():
    before = _our_prog_ids()
    w = subprocess.Popen([e2e.workload("leak_loop"), "100000", "0", "20000"])
    try:
        for mode in (["-p", str(w.pid)], ["--", e2e.workload("leak_loop"), "60", "0", "20000"]):
            t = e2e.Tool([e2e.tool("leaksnoop"), "--json", "-i", "0.2", *mode])
            _attached(t)
            ours = _our_prog_ids() - before
            assert ours and ours & _link_prog_ids(), (mode, ours)
            child = _children(t.proc.pid)
            t.proc.kill()
            t.proc.wait()
            deadline = time.monotonic() + 5
            while _our_prog_ids() & ours or _link_prog_ids() & ours:
                assert time.monotonic() < deadline, (mode, _our_prog_ids() & ours)
                time.sleep(0.1)
            assert _state(w.pid) not in ("T", "t", None), _state(w.pid)   # -p: untouched
            for c in child:
                # detached by the kernel: runs on to its end (60 x 20 ms)
                assert _state(c) in ("R", "S", "D", "Z", None), _state(c)
                _wait_gone_or_running(c, what="-- CMD child after SIGKILL")
    finally:
        w.kill()
        w.wait()


def _communicate_or_fail(p, timeout, why):
    """p's output, or p killed and the test failed with why."""
    try:
        return p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise AssertionError(why) from None


def test_sigint_sigterm_at_any_moment():
    rnd = random.Random(7)
    w = subprocess.Popen([e2e.workload("leak_loop"), "1000000", "0", "20000"])
    try:
        for i in range(8):
            mode = ["-p", str(w.pid)] if i % 2 else ["--", e2e.workload("leak_loop"), "1000", "0",
                                                     "20000"]
            p = subprocess.Popen([e2e.tool("leaksnoop"), "--user", "--json", "-i", "0.1", *mode],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(rnd.uniform(0, 1.2))
            child = _children(p.pid)
            sig = signal.SIGINT if i % 4 < 2 else signal.SIGTERM
            p.send_signal(sig)
            out, err = _communicate_or_fail(p, 5, f"leaksnoop hung after {sig!r} (round {i}, "
                                                  f"{mode[0]})")
            # 128 + sig: the signal came before the command's exec (it is
            # not started then)
            assert p.returncode in (0, 1, 128 + signal.SIGTERM, 128 + sig, -sig), \
                (i, p.returncode, err)
            reports = [json.loads(l) for l in out.splitlines()]
            if reports:                         # tracing had begun: a final report
                assert reports[-1]["final"], (i, out[-300:])
            for c in child:
                _wait_gone_or_running(c, timeout=5, what=f"round {i}: -- CMD child")
            assert _state(w.pid) in ("R", "S"), _state(w.pid)
    finally:
        w.kill()
        w.wait()


def test_signal_to_the_command_before_its_exec():
    """The command waits (ptraced) while the probes load: a signal sent to
    it then (a group's SIGWINCH, SIGTERM) used to stop it for a tracer that
    was waiting for its exec, and both waited forever."""
    for sig in (signal.SIGWINCH, signal.SIGTERM):
        p = subprocess.Popen([e2e.tool("leaksnoop"), "--json", "--", "/bin/true"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while not _children(p.pid) and p.poll() is None:
            assert time.monotonic() < deadline, "no child"
            time.sleep(0.002)
        child = _children(p.pid)
        for c in child:
            os.kill(c, sig)
        out, err = _communicate_or_fail(p, 20, f"leaksnoop hung after {sig!r} to its command "
                                            "before the exec")
        assert child, "the command was not seen before it ran"
        # SIGWINCH is ignored: /bin/true runs (0); SIGTERM ends the child
        # (its handler is leaksnoop's until the exec) or /bin/true
        assert p.returncode in ((0,) if sig == signal.SIGWINCH else (0, 143)), (sig, p.returncode, err)
        assert json.loads(out.splitlines()[-1])["final"], out[-300:]


def test_sigpipe_ends_cleanly():
    w = subprocess.Popen([e2e.workload("leak_loop"), "1000000", "0", "20000"])
    try:
        for mode in (["-p", str(w.pid)], ["--", e2e.workload("leak_loop"), "1000000", "0", "20000"]):
            p = subprocess.Popen([e2e.tool("leaksnoop"), "--user", "-o", "0", "-i", "0.2", *mode],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            head = subprocess.Popen(["head", "-n", "3"], stdin=p.stdout, stdout=subprocess.PIPE)
            p.stdout.close()
            child, deadline = [], time.monotonic() + 10
            while mode[0] == "--" and not child and p.poll() is None:
                assert time.monotonic() < deadline, "no -- CMD child"
                child = _children(p.pid)
                time.sleep(0.01)
            head.communicate(timeout=30)
            try:
                rc = p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise AssertionError(f"leaksnoop {mode[0]} went on after its reader left")
            err = p.stderr.read().decode(errors="replace")
            # -- CMD: the command is ended like on Ctrl-C, and its status (SIGTERM) passed on
            assert rc in (0, 1, -signal.SIGPIPE) or (mode[0] == "--" and rc == 128 + signal.SIGTERM), \
                (mode, rc, err)
            if rc == 1:
                assert err.splitlines()[-1].startswith("leaksnoop: "), err
            assert _state(w.pid) in ("R", "S"), _state(w.pid)
            for c in child:
                _wait_gone_or_running(c, timeout=5, what="-- CMD child after | head")
    finally:
        w.kill()
        w.wait()


def test_tracefs_not_mounted_is_not_needed():
    """mmap/brk tracking goes through the raw syscall tracepoints (no
    tracefs event ids): in a mount namespace of its own without tracefs
    (other tools on the machine keep theirs), the regions are still found,
    and leaksnoop leaves the mount table as it was."""
    n = 4
    mounted = 'grep -q " /sys/kernel/tracing tracefs " /proc/self/mounts'
    script = (f'umount /sys/kernel/tracing 2>/dev/null; {mounted} && exit 97; '
              f'"$0" --json --user -T 0 -- "$1" "$2"; rc=$?; {mounted} && exit 98; exit $rc')
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                        e2e.tool("leaksnoop"), e2e.workload("leak_mmap"), str(n)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode not in (97, 98), ("tracefs still/again mounted", p.returncode)
    assert p.returncode == 0, p.stderr[-2000:]
    rep = json.loads(p.stdout.splitlines()[-1])
    ours = [r for r in rep["records"] if r["source"] == "mmap" and r["blocks"] == n]
    assert ours, describe(rep)
