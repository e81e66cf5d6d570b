"""leaksnoop's end of a trace (issue 9, fast detach): the probes start
detaching before the report is done, yet nothing is lost and nothing stays
attached.

- The user heap's uprobes start closing when the command's last thread is
  held at its exit (no user code can run again); with threads still running
  (the main thread exited first) they stay until the process is gone.
- The tracepoints start closing once the final report has read the tables.
- When leaksnoop exits, every link it made is gone (checked by the IDs its
  own fds held, so other tracers on the machine don't matter).
- The snapshot taken while the command is held at its exit opens symbols and
  DWARF only where the report needs them, after the command is gone (through
  an fd on its root); a command in a mount namespace of its own, whose mounts
  may go with it, still gets them opened while it is held."""
import glob
import json
import os
import re
import subprocess
import tempfile
import time

import e2e
from e2e import describe, leaksnoop, records_at, source_line

EARLY = "its uprobes are detaching"


def _fdinfo_ids(pid):
    """The BPF link and program IDs held by pid's fds (/proc/PID/fdinfo)."""
    links, progs = set(), set()
    for path in glob.glob(f"/proc/{pid}/fdinfo/*"):
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        links |= {int(m) for m in re.findall(r"^link_id:\s+(\d+)", text, re.M)}
        progs |= {int(m) for m in re.findall(r"^prog_id:\s+(\d+)", text, re.M)}
    return links, progs


def _bpftool_ids(what):
    out = subprocess.run(["bpftool", "-j", what, "list"], capture_output=True, text=True).stdout
    return {o["id"] for o in json.loads(out or "[]")}


def test_exit_leaves_no_link_attached():
    """A traced command that ends by itself: the links that leaksnoop's
    fds held while it traced (uprobe_multi, ld.so hook, tracepoints) are
    gone from the kernel the moment leaksnoop has exited; the programs
    follow (a link's last reference on its program can wait for an RCU
    grace period)."""
    p = subprocess.Popen([e2e.tool("leaksnoop"), "--json", "--", e2e.workload("leak_loop"),
                          "100", "0", "20000"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    links, progs = set(), set()
    deadline = time.monotonic() + 30
    # the command runs 100 x 20 ms once attached: sample the fds until the
    # uprobe_multi links (or, before 6.6, the perf links) are there
    while p.poll() is None and time.monotonic() < deadline:
        got_links, got_progs = _fdinfo_ids(p.pid)
        links |= got_links
        progs |= got_progs
        if len(got_links) >= 5:
            break
        time.sleep(0.02)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert len(links) >= 5 and progs, (links, progs, err[-500:])
    assert json.loads(out.splitlines()[-1])["final"]
    left = _bpftool_ids("link") & links
    assert not left, f"links still attached after leaksnoop exited: {sorted(left)}"
    deadline = time.monotonic() + 5
    while _bpftool_ids("prog") & progs:
        assert time.monotonic() < deadline, sorted(_bpftool_ids("prog") & progs)
        time.sleep(0.05)


def test_single_threaded_exit_detaches_early_and_loses_nothing():
    """leak_loop leaks its last block just before it returns from main:
    the uprobes detach while it is held at its exit, and the report still
    has every block (exactly n)."""
    n = 300
    rc, reports, err = leaksnoop("-v", "--json", "--user", "-T", "0", "--",
                                 e2e.workload("leak_loop"), n)
    assert rc == 0 and reports, err[-1500:]
    rep = reports[-1]
    assert rep["final"] and rep["exited"], rep
    assert EARLY in err, err[-1500:]
    at = records_at(rep, "leak_loop.c", source_line("leak_loop.c", "leak"))
    assert len(at) == 1, describe(rep)
    assert at[0]["blocks"] == n and at[0]["bytes"] == n * 12288, describe(rep)
    assert at[0]["allocated_blocks"] == n and at[0]["freed_blocks"] == 0, describe(rep)
    assert not records_at(rep, "leak_loop.c", source_line("leak_loop.c", "freed")), describe(rep)
    assert rep["health"]["inflight_lost"] == 0, rep["health"]


def test_leaks_after_the_main_thread_exits_are_all_counted():
    """The main thread exits first (pthread_exit) and is held at its exit
    while 4 threads go on: their uprobes must stay. Every block they leak
    afterwards is in the report, exactly."""
    threads, per = 4, 150
    rc, reports, err = leaksnoop("-v", "--json", "--user", "-T", "0", "--",
                                 e2e.workload("leak_after_main"), threads, per)
    assert rc == 0 and reports, err[-1500:]
    rep = reports[-1]
    assert rep["final"] and rep["exited"], rep
    assert EARLY not in err, err[-1500:]
    at = records_at(rep, "leak_after_main.c", source_line("leak_after_main.c", "after_main_leak"))
    assert len(at) == 1, describe(rep)
    assert at[0]["blocks"] == threads * per and at[0]["bytes"] == threads * per * 3000, \
        describe(rep)
    assert rep["health"]["inflight_lost"] == 0, rep["health"]


def test_command_in_its_own_mount_namespace_keeps_separate_debuginfo():
    """leak_lib and its library run from a tmpfs mounted in the command's own
    mount namespace, the library stripped, its DWARF in a separate file
    beside it (.gnu_debuglink): the namespace and its tmpfs end with the
    command, so the leak's line can only come from a file opened while it
    was held at its exit."""
    n = 5
    d = tempfile.mkdtemp(prefix="leaksnoop-ns-")
    lib = os.path.join(os.path.dirname(e2e.workload("leak_lib")), "libleak_shlib.so")
    script = (f"mount -t tmpfs none {d} && cp {e2e.workload('leak_lib')} {d}/ && "
              f"objcopy --only-keep-debug {lib} {d}/libleak_shlib.so.debug && "
              f"objcopy --strip-debug --add-gnu-debuglink={d}/libleak_shlib.so.debug "
              f"{lib} {d}/libleak_shlib.so && exec {d}/leak_lib {n}")
    try:
        rc, reports, err = leaksnoop("--json", "--user", "-T", "0", "--", "unshare", "-m",
                                     "--propagation", "private", "sh", "-c", script)
    finally:
        os.rmdir(d)
    assert rc == 0 and reports, err[-1500:]
    assert not os.path.exists(f"{d}/libleak_shlib.so")      # the host never had it
    rep = reports[-1]
    line = source_line("leak_shlib.c", "shlib_leak")
    at = [r for r in rep["records"] if r["source"] == "user" and r["frames"] and
          r["frames"][0]["func"] == "shlib_make_record"]
    assert at and sum(r["blocks"] for r in at) == n, describe(rep)
    for r in at:
        assert os.path.basename(r["frames"][0]["file"] or "") == "leak_shlib.c" and \
            r["frames"][0]["line"] == line, r["frames"][0]


def test_verifier_stats_per_program():
    """MMSCOPE_VERIFIER_STATS=1 with -v: the verifier's time and the
    instructions it processed, for every program loaded (what make bench
    prints for the load phase), and the run is otherwise the same."""
    p = subprocess.run([e2e.tool("leaksnoop"), "-v", "--json", "--", "/bin/true"],
                       capture_output=True, text=True, timeout=60, errors="replace",
                       env=dict(os.environ, MMSCOPE_VERIFIER_STATS="1"))
    assert p.returncode == 0, p.stderr[-1500:]
    assert json.loads(p.stdout.splitlines()[-1])["final"]
    stats = dict(re.findall(r"prog '(\w+)': -- BEGIN PROG LOAD LOG --\s*\n(?:libbpf: )?"
                            r"verification time (\d+) usec", p.stderr))
    processed = re.findall(r"processed (\d+) insns", p.stderr)
    assert {"on_kmalloc", "on_exit"} <= set(stats), sorted(stats)
    assert "uprobe_multi_return" in stats or "uprobe_return" in stats, sorted(stats)
    assert len(processed) >= len(stats) and all(int(n) > 0 for n in processed), processed
