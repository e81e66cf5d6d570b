"""What counts as a root decides leaksnoop's leak kinds (issue 19): the
stacks of exited threads (glibc caches them, full of stale pointers), the
allocator's own memory when the command is traced from its start, the
registers at its exit, and memcheck's multipleinheritance heuristic. Each
checked against valgrind on the same program, or, where valgrind replaces
the allocator (jemalloc, tcmalloc), against what the program constructs."""
import json
import os
import re
import signal
import subprocess

import e2e
from test_leaksnoop_kinds import by_kind_and_line, run_command, summary_of, valgrind_kinds, \
    wait_ready

SRC = "leak_roots.cc"


def line_of(marker):
    """The line of leak_roots.cc that carries the comment @marker."""
    return e2e.source_line(os.path.join("roots", SRC), marker)


def is_operator_new(frame):
    """libstdc++'s operator new, which calls the malloc leaksnoop probes
    (valgrind replaces operator new itself: its record starts above)."""
    return (frame.get("func") or "").startswith("operator new") or \
        "libstdc++" in (frame.get("module") or frame.get("text") or "")


def records(report):
    """(kind, bytes, blocks, where) of the user records allocated from SRC,
    as valgrind's loss records give them (test_leaksnoop_kinds.parse_valgrind):
    where are the SRC lines of the allocation's caller and its caller,
    operator new's frame skipped."""
    out = []
    for r in report["records"]:
        frames = r["frames"] or []
        if frames and is_operator_new(frames[0]):
            frames = frames[1:]
        if r["source"] == "user" and frames and \
                os.path.basename(frames[0].get("file") or "") == SRC:
            where = tuple(f["line"] for f in frames[:2]
                          if os.path.basename(f.get("file") or "") == SRC)
            out.append((r["kind"], r["bytes"], r["blocks"], where))
    return out


def like_valgrind(workload, *args):
    """leaksnoop's and valgrind's kinds of the workload's own blocks, and
    both summaries."""
    rc, rep, err = run_command(*args, workload=workload)
    vg_summary, vg_records = valgrind_kinds(*args, workload=workload, src=SRC)
    ours, theirs = by_kind_and_line(records(rep)), by_kind_and_line(vg_records)
    assert ours == theirs, f"leaksnoop {ours}\nvalgrind  {theirs}"
    return rep, ours, vg_summary


def test_leaksnoop_roots_exited_threads_like_valgrind():
    # ten threads one after another, each leaking five 208-byte sessions
    # through operator new; each thread reuses the stack the last one left
    # in glibc's cache. valgrind: 10,400 bytes in 50 blocks definitely lost
    # (before: 45 definitely, 4 still reachable, 1 possibly lost)
    rep, ours, vg_summary = like_valgrind("leak_roots", "threads", 10, 5)
    where = (line_of("thread_leak"), line_of("thread_call"))
    assert ours == {"definite": {where: [10400, 50]}}, ours
    # the whole summary too: glibc's TLS vector of the cached stack, held
    # by the thread descriptor at its top, is possibly lost in both
    assert summary_of(rep) == vg_summary, (summary_of(rep), vg_summary)
    roots = rep["scan"]["roots"]
    assert roots["exited_thread_stacks"] >= 1 and roots["registers"], roots


def test_leaksnoop_roots_second_base_class():
    # a C held only by a B * (struct C : A, B): still reachable by memcheck's
    # multipleinheritance heuristic; a C dropped: definitely lost
    rep, ours, vg_summary = like_valgrind("leak_roots", "mi")
    assert ours == {"reachable": {(line_of("mi_held"), line_of("mi_call")): [72, 1]},
                    "definite": {(line_of("mi_lost"), line_of("mi_call")): [72, 1]}}, ours


def first_lines(by_kind):
    """kind -> allocating line -> [bytes, blocks] (the caller's line left
    out: a naked function has no frame to unwind through)."""
    out = {}
    for kind, wheres in by_kind.items():
        for where, (nbytes, blocks) in wheres.items():
            cell = out.setdefault(kind, {}).setdefault(where[0], [0, 0])
            cell[0] += nbytes
            cell[1] += blocks
    return out


# 40 blocks of 64 << (i % 10) bytes, the 18th (8,192 bytes) kept in a global
ALLOC_BYTES = sum(64 << (i % 10) for i in range(40))
KEPT = 64 << 7


def assert_constructed(rep):
    """39 of the 40 blocks and the 10 orphans (held only from freed
    memory) definitely lost, the kept one still reachable."""
    got = first_lines(by_kind_and_line(records(rep)))
    assert got == {"definite": {line_of("alloc_block"): [ALLOC_BYTES - KEPT, 39],
                                line_of("alloc_orphan"): [1000, 10]},
                   "reachable": {line_of("alloc_block"): [KEPT, 1]}}, got


def test_leaksnoop_roots_allocators_traced_from_start():
    # jemalloc's extent metadata and thread caches, tcmalloc's spans in the
    # brk heap, freed blocks in either and in glibc's heap: stale pointers
    # to blocks. Traced from the start, every block is known: the
    # allocator's memory outside them is no root. valgrind (which replaces
    # the allocator) agrees on the glibc build
    vg_summary, vg_records = valgrind_kinds("alloc", workload="leak_roots", src=SRC)
    assert first_lines(by_kind_and_line(vg_records)) == {
        "definite": {line_of("alloc_block"): [ALLOC_BYTES - KEPT, 39],
                     line_of("alloc_orphan"): [1000, 10]},
        "reachable": {line_of("alloc_block"): [KEPT, 1]}}, vg_records
    for workload in ("leak_roots_je", "leak_roots_tc", "leak_roots"):
        rc, rep, err = run_command("alloc", workload=workload)
        assert_constructed(rep)
        roots = rep["scan"]["roots"]
        assert roots["allocator_mappings"] == "not_roots", (workload, roots)
        assert roots["allocator_mappings_passed_over"] >= 1, (workload, roots)


def test_leaksnoop_roots_at_exit_no_registers():
    # a block whose only pointer is in r12 when the process calls
    # exit_group: held at its exit, the registers are no roots (no code of
    # it runs again; valgrind's check at exit sees none either): definitely
    # lost, on glibc as valgrind says, and on jemalloc and tcmalloc
    line = line_of("exitreg_block")
    vg_summary, vg_records = valgrind_kinds("exitreg", workload="leak_roots", src=SRC,
                                            interrupt=False)
    assert first_lines(by_kind_and_line(vg_records)) == {"definite": {line: [4000, 1]}}, vg_records
    for workload in ("leak_roots", "leak_roots_je", "leak_roots_tc"):
        rc, rep, err = run_command("exitreg", workload=workload, interrupt=False)
        assert rc == 0 and rep["exited"], (rc, err)
        got = first_lines(by_kind_and_line(records(rep)))
        assert got == {"definite": {line: [4000, 1]}}, (workload, got)
        assert rep["scan"]["roots"]["registers"] is False, rep["scan"]


def test_leaksnoop_roots_pid_keeps_the_safe_rule():
    # -p: blocks allocated before the attach are unknown, so the
    # allocator's memory stays a root; the report says which rule it used
    w = subprocess.Popen([e2e.workload("leak_roots_je"), "alloc"], stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(w.stderr)
        for fmt, check in (("--json", lambda out: json.loads(out.splitlines()[-1])),
                           (None, lambda out: out)):
            p = subprocess.run([e2e.tool("leaksnoop"), "-p", str(w.pid), "--user", "-o", "0",
                                *([fmt] if fmt else []), "1"],
                               capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stderr
            got = check(p.stdout)
            if fmt:
                roots = got["scan"]["roots"]
                assert roots["allocator_mappings"] == "roots", roots
                assert roots["allocator_mappings_passed_over"] == 0, roots
            else:
                assert re.search(r"^   roots: registers, writable memory outside the blocks, "
                                 r"the allocator's own mappings included \(attached to a running "
                                 r"process: blocks allocated before are unknown\)", got, re.M), got
    finally:
        w.kill()
        w.wait()
    # and under -- CMD the line names the other rule
    p = subprocess.Popen([e2e.tool("leaksnoop"), "--user", "-o", "0", "--",
                          e2e.workload("leak_roots_je"), "alloc"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_ready(p.stderr)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    assert re.search(r"^   roots: registers, writable memory outside the blocks but the "
                     r"allocator's own mappings \(\d+; traced from its start, every block is "
                     r"known\)", out, re.M), out
