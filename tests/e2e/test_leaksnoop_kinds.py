"""leaksnoop's leak kinds (definitely, indirectly, possibly lost, still
reachable) on a live process, each shape checked against valgrind
--leak-check=full --show-leak-kinds=all on the same program, stopped at the
same point (the workload's "ready")."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import e2e

WORKLOADS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads")

WORKLOAD = "leak_reach"
SRC = "leak_reach.c"
KINDS = ("definite", "indirect", "possible", "reachable")
VG_WORDS = {"definitely lost": "definite", "indirectly lost": "indirect",
            "possibly lost": "possible", "still reachable": "reachable"}


def source_line(marker):
    """The line of the workload source that carries the comment @marker."""
    with open(os.path.join(WORKLOADS, SRC)) as f:
        for no, line in enumerate(f, 1):
            if re.search(r"@%s\b" % re.escape(marker), line):
                return no
    raise AssertionError(f"no @{marker} in {SRC}")


def wait_ready(stream, timeout=60):
    """Reads stream until the workload's "ready" line; the lines before."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            raise AssertionError("no 'ready' from the workload: " + "".join(seen)[-2000:])
        if line.strip() == "ready":
            return seen
        seen.append(line)
    raise AssertionError("workload not ready in time")


def parse_valgrind(log, which=0, src=SRC):
    """The which-th leak check of a valgrind log: (summary, records).
    summary: kind -> (bytes, blocks); records: (kind, direct bytes, blocks,
    where) for the loss records whose allocation was called from src, where
    being the src lines of the allocation's caller and its caller."""
    checks = log.split("LEAK SUMMARY:")
    assert len(checks) > which + 1, f"no leak summary #{which} in:\n{log[-3000:]}"
    body, tail = checks[which], checks[which + 1]
    if which:
        body = body[body.find("\n", body.rfind("suppressed:")):]
    summary = {}
    for words, kind in VG_WORDS.items():
        m = re.search(r"%s: ([\d,]+) bytes in ([\d,]+) blocks" % words, tail)
        assert m, tail[:1000]
        summary[kind] = (int(m.group(1).replace(",", "")), int(m.group(2).replace(",", "")))
    records = []
    for m in re.finditer(r"== ([\d,]+)(?: \(([\d,]+) direct, [\d,]+ indirect\))? bytes in ([\d,]+) "
                         r"blocks are (definitely lost|indirectly lost|possibly lost|still reachable)"
                         r" in loss record[^\n]*\n((?:==\d+==    (?:at|by) [^\n]*\n)+)", body):
        frames = m.group(5).splitlines()[1:3]
        where = tuple(int(c.group(1)) for c in
                      (re.search(r"\(%s:(\d+)\)" % re.escape(src), f) for f in frames) if c)
        if not frames or not re.search(r"\(%s:\d+\)" % re.escape(src), frames[0]):
            continue
        direct = m.group(2) or m.group(1)
        records.append((VG_WORDS[m.group(4)], int(direct.replace(",", "")),
                        int(m.group(3).replace(",", "")), where))
    return summary, records


def valgrind_kinds(*args, which=0, interrupt=True, stops_first=False, workload=WORKLOAD, src=SRC):
    """Runs the workload under valgrind to its "ready", interrupts it.
    stops_first: the workload stops itself once first (the "pre" shape,
    for -p): it is continued. A uprobe another leaksnoop holds on ld.so
    (the dl hook; uprobes patch the file's page for every process) kills
    valgrind with SIGTRAP at dl-debug.c: then it is run again, a few times."""
    for attempt in range(3):
        try:
            return _valgrind_once(args, which, interrupt, stops_first, workload, src,
                                  private_ld=attempt > 0)
        except _Trapped:
            time.sleep(1)
    raise AssertionError("valgrind kept dying of SIGTRAP at another tracer's uprobe")


class _Trapped(Exception):
    pass


LD_SO = "/lib64/ld-linux-x86-64.so.2"


def _valgrind_once(args, which, interrupt, stops_first, workload, src, private_ld):
    """private_ld: the program run by a copy of ld.so (a uprobe is on the
    file, so a copy has none)."""
    with tempfile.NamedTemporaryFile("r", suffix=".vg") as log, \
            tempfile.TemporaryDirectory() as tmp:
        ld = []
        if private_ld:
            ld = [os.path.join(tmp, "ld.so")]
            shutil.copy(os.path.realpath(LD_SO), ld[0])
        p = subprocess.Popen(["valgrind", "--leak-check=full", "--show-leak-kinds=all",
                              f"--log-file={log.name}", *ld, e2e.workload(workload),
                              *map(str, args)],
                             stderr=subprocess.PIPE, text=True)
        try:
            if stops_first:
                deadline = time.monotonic() + 120
                while e2e.proc_stat(p.pid)["state"] != "T":
                    assert time.monotonic() < deadline, "valgrind'd workload never stopped"
                    time.sleep(0.05)
                os.kill(p.pid, signal.SIGCONT)
            if interrupt:
                try:
                    wait_ready(p.stderr, timeout=120)
                except AssertionError:
                    p.wait(timeout=120)
                    if "signal 5 (SIGTRAP)" in log.read():
                        raise _Trapped()
                    raise
                p.send_signal(signal.SIGINT)
            p.wait(timeout=120)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        text = log.read()
        if "signal 5 (SIGTRAP)" in text and "LEAK SUMMARY" not in text:
            raise _Trapped()
        return parse_valgrind(text, which, src)


def in_src(frame):
    return os.path.basename(frame.get("file") or "") == SRC


def leaksnoop_records(report):
    """(kind, bytes, blocks, where) of the user records allocated from SRC,
    where as in parse_valgrind."""
    out = []
    for r in report["records"]:
        if r["source"] == "user" and r["frames"] and in_src(r["frames"][0]):
            where = tuple(f["line"] for f in r["frames"][:2] if in_src(f))
            out.append((r["kind"], r["bytes"], r["blocks"], where))
    return out


def by_kind_and_line(records):
    """kind -> where -> [bytes, blocks], records of one stack added up."""
    out = {}
    for kind, nbytes, blocks, where in records:
        cell = out.setdefault(kind, {}).setdefault(where, [0, 0])
        cell[0] += nbytes
        cell[1] += blocks
    return out


def run_command(*args, extra=(), interrupt=True, workload=WORKLOAD):
    """leaksnoop -- the workload, interrupted at its "ready" (or to its
    exit); returns (rc, final JSON report, leaksnoop's stderr)."""
    p = subprocess.Popen([e2e.tool("leaksnoop"), "--json", "--user", "-o", "0", "-T", "0",
                          "--show-reachable", *extra, "--", e2e.workload(workload),
                          *map(str, args)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if interrupt:
            wait_ready(p.stderr)
            p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    reports = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    assert reports and reports[-1]["final"], f"no final report: rc={p.returncode} {err}"
    return p.returncode, reports[-1], err


def summary_of(report):
    s = report["leak_summary"]
    assert s, f"no leak kinds: {report['scan']}"
    return {k: (s[k]["bytes"], s[k]["blocks"]) for k in KINDS}


def assert_like_valgrind(report, vg, kinds_expected):
    """The workload's own records per kind and line equal valgrind's, and
    equal what the shape must give (kind -> (bytes, blocks))."""
    vg_summary, vg_records = vg
    ours = by_kind_and_line(leaksnoop_records(report))
    theirs = by_kind_and_line(vg_records)
    assert ours == theirs, f"leaksnoop {ours}\nvalgrind  {theirs}"
    for kind, want in kinds_expected.items():
        got = tuple(map(sum, zip(*ours.get(kind, {}).values()))) or (0, 0)
        assert got == want, f"{kind}: {got}, want {want}; all: {ours}"
    scan = report["scan"]
    assert scan["done"] and scan["bytes_scanned"] > 0 and scan["stopped_ms"] > 0, scan
    return vg_summary


def test_leaksnoop_kinds_notes_example():
    # the notes' leak-example interrupted after six rounds: valgrind says
    # 61,440 bytes in 5 blocks definitely lost, 12,288 in 1 still reachable
    rc, rep, err = run_command("notes", 6)
    vg = valgrind_kinds("notes", 6)
    vg_summary = assert_like_valgrind(rep, vg, {"definite": (61440, 5), "reachable": (12288, 1)})
    assert summary_of(rep) == vg_summary, (summary_of(rep), vg_summary)


def test_leaksnoop_kinds_text_report():
    p = subprocess.Popen([e2e.tool("leaksnoop"), "--user", "-o", "0", "--", e2e.workload(WORKLOAD),
                          "list", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_ready(p.stderr)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    assert re.search(r"^320 \(64 direct, 256 indirect\) bytes in 1 blocks are definitely lost in "
                     r"loss record \d+ of \d+ \[user heap\]$", out, re.M), out
    assert re.search(r"^256 bytes in 4 blocks are indirectly lost in loss record", out, re.M), out
    for line in ("definitely lost: 64 bytes in 1 blocks", "indirectly lost: 256 bytes in 4 blocks",
                 "possibly lost: 0 bytes in 0 blocks"):
        assert line in out, out
    m = re.search(r"LEAK SUMMARY \(user heap; the process was stopped ([\d.]+) ms to scan "
                  r"([\d,]+) bytes of 1 threads\)", out)
    assert m and float(m.group(1)) > 0, out


def test_leaksnoop_kinds_list_lost_head():
    rc, rep, err = run_command("list", 5)
    vg = valgrind_kinds("list", 5)
    assert_like_valgrind(rep, vg, {"definite": (64, 1), "indirect": (256, 4)})
    head = [r for r in rep["records"] if r["kind"] == "definite"]
    assert head and head[0]["indirect_bytes"] == 256, head


def test_leaksnoop_kinds_interior_pointer():
    rc, rep, err = run_command("interior")
    vg = valgrind_kinds("interior")
    vg_summary = assert_like_valgrind(rep, vg, {"possible": (384, 2)})
    assert summary_of(rep) == vg_summary, (summary_of(rep), vg_summary)


def test_leaksnoop_kinds_roots():
    # reachable only from another thread's stack, from TLS, from a global,
    # from a register of the waiting thread; valgrind's own check while the
    # threads live (its check at exit sees no thread's registers)
    rc, rep, err = run_command("roots")
    vg = valgrind_kinds("roots", which=0)
    assert_like_valgrind(rep, vg, {"reachable": (1104 + 1120 + 1136 + 1152, 4),
                                   "definite": (1168, 1)})
    assert rep["scan"]["threads"] == 3, rep["scan"]


def test_leaksnoop_kinds_at_exit():
    # the command exits by itself: scanned while held at its exit
    rc, rep, err = run_command("exit", interrupt=False)
    assert rc == 0, (rc, err)
    assert rep["exited"], rep
    vg = valgrind_kinds("exit", interrupt=False)
    assert_like_valgrind(rep, vg, {"reachable": (2048, 1), "definite": (2064 + 64, 2),
                                   "indirect": (128, 2)})


def proc_state(pid):
    with open(f"/proc/{pid}/status") as f:
        text = f.read()
    return (re.search(r"^State:\s+(\S)", text, re.M).group(1),
            int(re.search(r"^TracerPid:\s+(\d+)", text, re.M).group(1)))


def test_leaksnoop_kinds_pid_attach():
    # -p on a process whose table of pointers was allocated before
    # leaksnoop attached (so it can't see it): the blocks only that table
    # holds are reachable, nothing falsely lost
    w = subprocess.Popen([e2e.workload(WORKLOAD), "pre"], stderr=subprocess.PIPE, text=True)
    try:
        e2e.wait_stopped(w)
        t = e2e.Tool([e2e.tool("leaksnoop"), "-p", str(w.pid), "--user", "--json", "-o", "0",
                      "-T", "0", "--show-reachable", "-i", "0.3"])
        json.loads(t.next_line(30))                     # attached
        os.kill(w.pid, signal.SIGCONT)
        wait_ready(w.stderr)
        assert t.stop() == 0
        reports = [json.loads(l) for l in t.all_lines + list(iter(t.lines.get, None))]
        rep = reports[-1]
        assert rep["final"] and all(r["scan"] is None for r in reports[:-1]), reports[-1]["scan"]
        # the workload goes on, no longer traced
        state, tracer = proc_state(w.pid)
        assert state == "S" and tracer == 0, (state, tracer)
    finally:
        w.kill()
        w.wait()
    vg_summary, vg_records = valgrind_kinds("pre", stops_first=True)
    ours = by_kind_and_line(leaksnoop_records(rep))
    # what valgrind saw before leaksnoop attached, leaksnoop can't
    before = {source_line("pre_table"), source_line("pre_lost")}
    theirs = by_kind_and_line([r for r in vg_records if not before & set(r[3])])
    assert ours == theirs, f"leaksnoop {ours}\nvalgrind  {theirs}"
    assert set(ours) == {"reachable", "definite"}, ours
    assert sum(b for b, _ in ours["reachable"].values()) == 8 * 544 + 560 + 576, ours
    assert sum(b for b, _ in ours["definite"].values()) == 592, ours


def test_leaksnoop_kinds_ptrace_refused():
    # another tracer holds the process: one clear line, the report without kinds
    w = subprocess.Popen([e2e.workload(WORKLOAD), "notes", "200"], stderr=subprocess.PIPE, text=True)
    holder = None
    try:
        holder = subprocess.Popen([e2e.workload("ptrace_holder"), str(w.pid)],
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "holding", "the holder could not seize"
        p = subprocess.run([e2e.tool("leaksnoop"), "-p", str(w.pid), "--user", "--json", "-o", "0",
                            "1"], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        lines = [l for l in p.stderr.splitlines() if "leak kinds" in l]
        assert len(lines) == 1 and "ptrace" in lines[0] and "Operation not permitted" in lines[0] \
            and "without them" in lines[0], p.stderr
        rep = json.loads(p.stdout.splitlines()[-1])
        assert rep["scan"]["done"] is False and "ptrace" in rep["scan"]["error"], rep["scan"]
        assert rep["leak_summary"] is None
        assert all(r["kind"] is None for r in rep["records"]), rep["records"]
        assert any(r["frames"] and in_src(r["frames"][0]) for r in rep["records"]), rep["records"]
        state, tracer = proc_state(w.pid)
        assert state in "SR" and tracer == holder.pid, (state, tracer)
    finally:
        if holder:
            holder.kill()
            holder.wait()
        w.kill()
        w.wait()


def test_leaksnoop_kinds_no_scan_and_exit_codes():
    rc, rep, err = run_command("notes", 2, extra=("--no-scan",))
    assert rep["scan"] is None and rep["leak_summary"] is None, rep
    assert all(r["kind"] is None for r in rep["records"] if r["source"] == "user"), rep["records"]
    # --error-exitcode: definitely/indirectly lost blocks, not possibly lost
    # or reachable ones (which are outstanding all the same)
    rc, rep, err = run_command("notes", 2, extra=("--error-exitcode", "3"))
    assert rc == 3, (rc, err)
    rc, rep, err = run_command("interior", extra=("--error-exitcode", "3"))
    assert summary_of(rep)["possible"] == (384, 2), rep["leak_summary"]
    assert rc == 128 + signal.SIGTERM, (rc, err)    # the command's own status


def test_leaksnoop_kinds_interval_reports_only_with_scan():
    for extra, scanned in ((), False), (("--scan",), True):
        p = subprocess.Popen([e2e.tool("leaksnoop"), "--json", "--user", "-o", "0", "-i", "0.3",
                              *extra, "--", e2e.workload(WORKLOAD), "notes", "2"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_ready(p.stderr)
        time.sleep(1)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        reports = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        live = [r for r in reports if not r["final"]]
        assert live and reports[-1]["final"], out[-2000:]
        assert all((r["scan"] is not None) == scanned for r in live), [r["scan"] for r in live]
        assert reports[-1]["scan"]["done"], reports[-1]["scan"]
        assert summary_of(reports[-1])["reachable"] == (12288, 1), reports[-1]["leak_summary"]


def test_leaksnoop_kinds_folded():
    p = subprocess.Popen([e2e.tool("leaksnoop"), "--folded", "--user", "-o", "0", "--",
                          e2e.workload(WORKLOAD), "notes", "3"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_ready(p.stderr)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    assert re.search(r"^\[user:definite\];.*main \d+$", out, re.M), out
    assert re.search(r"^\[user:reachable\];.*main 12288$", out, re.M), out
