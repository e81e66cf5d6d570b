"""leaksnoop's CFI unwinder end to end (issue: full stacks without frame
pointers): programs built -O2 -fomit-frame-pointer without debug info, on
glibc and on jemalloc, a C++ library leaking through operator new from two
threads; each record compared with valgrind's stack for the same leak."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

import e2e
from test_leaksnoop import assert_dropped_pointers_lost, describe, leaksnoop

JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
DEEP_LEAKS = 7
DEEP_BYTES = (100 * 2 + 16)


def source_line(fname, marker):
    """The line of a nofp workload source carrying the comment @marker."""
    for d in ("", "lib"):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads", "nofp", d, fname)
        if os.path.exists(path):
            with open(path) as f:
                for no, line in enumerate(f, 1):
                    if re.search(r"@%s\b" % re.escape(marker), line):
                        return no
    raise AssertionError(f"no @{marker} in {fname}")


def trace(*cmd, extra=()):
    rc, reports, err = leaksnoop("--json", "--user", "--no-mmap", "-T", "0", *extra, "--",
                                 e2e.workload(cmd[0]), *map(str, cmd[1:]))
    assert reports, f"no report (rc={rc}): {err}"
    final = reports[-1]
    assert final["final"] and final["exited"], final
    assert rc == 0, err
    return final


def valgrind_records(*cmd, extra=(), kinds=("definitely",)):
    """valgrind's lost records of these kinds ("definitely", "indirectly",
    "possibly"): [(bytes, blocks, [(func, where)])], bytes the blocks' own
    (a record's "N (D direct, I indirect) bytes" gives D)."""
    show = ",".join({"definitely": "definite", "indirectly": "indirect",
                     "possibly": "possible"}[k] for k in kinds)
    p = subprocess.run(["valgrind", "--leak-check=full", "--num-callers=64",
                        f"--show-leak-kinds={show}", *extra, *cmd],
                       capture_output=True, text=True, timeout=300)
    out, cur = [], None
    for line in p.stderr.splitlines():
        line = re.sub(r"^==\d+== ?", "", line)
        m = re.match(r"([\d,]+) (?:\(([\d,]+) direct, [\d,]+ indirect\) )?bytes in ([\d,]+) blocks"
                     r" are (\w+) lost", line)
        if m:
            cur = (int((m.group(2) or m.group(1)).replace(",", "")),
                   int(m.group(3).replace(",", "")), []) if m.group(4) in kinds else None
            if cur:
                out.append(cur)
            continue
        m = re.match(r"\s+(?:at|by) 0x[0-9A-F]+: (.*) \((.*)\)$", line)
        if m and cur:
            cur[2].append((m.group(1), m.group(2)))
        elif not line.strip():
            cur = None
    assert out, f"valgrind found no leak:\n{p.stderr[-3000:]}"
    return out


def frame_func(f):
    """A frame's function as valgrind names it: '???' when there is none."""
    return f.get("func") or "???"


def user_stacks(report):
    """The user records, those of one stack added up across leak kinds
    (e2e.by_stack): the stacks are what these tests compare."""
    return [r for r in e2e.by_stack(report["records"]) if r["source"] == "user"]


def record_with(report, func):
    found = [r for r in user_stacks(report) if r["frames"] and frame_func(r["frames"][0]) == func]
    assert len(found) == 1, f"want one record at {func}:\n{describe(report)}"
    return found[0]


def record_through(report, func):
    found = [r for r in user_stacks(report) if any(frame_func(f) == func for f in r["frames"][:3])]
    assert len(found) == 1, f"want one record through {func}:\n{describe(report)}"
    return found[0]


def until(funcs, last):
    assert last in funcs, f"{last} not in {funcs}"
    return funcs[:funcs.index(last) + 1]


def vg_record_through(records, func):
    found = [r for r in records if any(f == func for f, _ in r[2][:3])]
    assert len(found) == 1, f"valgrind: want one record through {func}: {records}"
    return found[0]


def check_deep(report, vg, module):
    rec = record_with(report, "level3")
    assert rec["blocks"] == DEEP_LEAKS and rec["bytes"] == DEEP_LEAKS * DEEP_BYTES, describe(report)
    ours = until([frame_func(f) for f in rec["frames"]], "main")
    assert ours == ["level3", "level2", "level1", "main"], rec["frames"]
    # valgrind's first frame is its own malloc replacement; then the same callers
    v = vg_record_through(vg, "level3")
    assert v[0] == rec["bytes"] and v[1] == rec["blocks"], (v, rec)
    assert until([f for f, _ in v[2]], "main") == ["malloc"] + ours, (v[2], ours)
    assert all(os.path.basename(f["module"] or "") == module for f in rec["frames"][:4])
    # each leak's pointer dropped: definitely lost as valgrind says, but for
    # the last, whose pointer may stay in a register or stack slot; under
    # jemalloc its thread cache keeps pointers to what it handed out
    # (test_leaksnoop_allocators.keeps_handed_out_pointers)
    if "jemalloc" not in module:
        assert_dropped_pointers_lost(rec, DEEP_LEAKS)


def test_unwind_deep_glibc_matches_valgrind():
    rep = trace("nofp_deep", DEEP_LEAKS)
    vg = valgrind_records(e2e.workload("nofp_deep"), str(DEEP_LEAKS))
    check_deep(rep, vg, "nofp_deep")


def test_unwind_deep_jemalloc_matches_valgrind():
    assert os.path.exists(JEMALLOC), f"{JEMALLOC} missing (libjemalloc-dev)"
    rep = trace("nofp_deep_jemalloc", DEEP_LEAKS, extra=("--lib", JEMALLOC))
    vg = valgrind_records(e2e.workload("nofp_deep_jemalloc"), str(DEEP_LEAKS),
                          extra=("--soname-synonyms=somalloc=libjemalloc.so*",))
    check_deep(rep, vg, "nofp_deep_jemalloc")


def test_frame_pointers_option_loses_what_cfi_finds():
    """The same program walked by frame pointers (the old way) misses the
    callers: what makes the test above mean something."""
    rep = trace("nofp_deep", DEEP_LEAKS, extra=("--frame-pointers",))
    rec = record_with(rep, "level3")
    funcs = [frame_func(f) for f in rec["frames"]]
    assert funcs[:4] != ["level3", "level2", "level1", "main"], funcs


def check_cxx_record(rec, vg, marker):
    """Our frames = valgrind's, function by function, up to start_thread;
    where valgrind says ??? we print module+offset in the same module; the
    library's line (its debug info is in a separate file) is the same."""
    per_thread = 25
    assert rec["blocks"] == 2 * per_thread and rec["bytes"] == 2 * per_thread * 208, rec
    ours = until(rec["frames"], next(f for f in rec["frames"] if f.get("func") == "start_thread"))
    theirs = until(vg[2], next(f for f in vg[2] if f[0] == "start_thread"))
    assert [frame_func(f) for f in ours] == [f for f, _ in theirs], (ours, theirs)
    assert ours[0]["func"] == "operator new(unsigned long)"
    for o, (func, where) in zip(ours, theirs):
        if func == "???":
            assert where.startswith("in ") and os.path.basename(where[3:]) == \
                os.path.basename(o["module"]), (o, where)
        if o.get("file"):
            assert where == f"{os.path.basename(o['file'])}:{o['line']}", (o, where)
    lib = ours[1]
    assert lib["file"] and os.path.basename(lib["file"]) == "cxxlib.cpp", lib
    assert lib["line"] == source_line("cxxlib.cpp", marker), lib
    assert (vg[0], vg[1]) == (rec["bytes"], rec["blocks"]), (vg, rec)


def test_unwind_cxx_operator_new_two_threads_matches_valgrind():
    rep = trace("nofp_cxx", 25)
    vg = valgrind_records(e2e.workload("nofp_cxx"), "25")
    leak = record_through(rep, "lib_leak_once(int)")
    keep = record_through(rep, "lib_keep_one(int)")
    assert leak is not keep
    check_cxx_record(leak, vg_record_through(vg, "lib_leak_once(int)"), "cxx_leak")
    check_cxx_record(keep, vg_record_through(vg, "lib_keep_one(int)"), "cxx_keep")


def test_no_garbage_frames():
    """Every user frame of every record is in a module: nothing prints as a
    bare address (a frame outside the executable mappings ends the stack)."""
    for cmd in (("nofp_cxx", 5), ("nofp_deep", 3)):
        rep = trace(*cmd)
        for r in rep["records"]:
            if r["source"] != "user":
                continue
            for f in r["frames"]:
                assert f["module"], (cmd, r["frames"])
                assert not re.fullmatch(r"0x[0-9a-f]+", f["text"]), (cmd, r["frames"])


def trace_stopped(cmd, seconds=20):
    """leaksnoop -v -p on a workload that stops itself first (raise(SIGSTOP)):
    attached, tables in, then resumed. (reports, leaksnoop's stderr)."""
    child = subprocess.Popen(cmd)
    with tempfile.TemporaryFile("w+") as errf:
        try:
            e2e.wait_stopped(child)
            # stderr to a file: -v's libbpf log would fill a pipe and block it
            tracer = subprocess.Popen([e2e.tool("leaksnoop"), "--json", "--user", "--no-mmap", "-T",
                                       "0", "-v", "-p", str(child.pid), str(seconds)],
                                      stdout=subprocess.PIPE, stderr=errf, text=True)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and tracer.poll() is None:
                errf.seek(0)
                if "unwind tables for" in errf.read():   # attached, tables in
                    break
                time.sleep(0.05)
            os.kill(child.pid, signal.SIGCONT)
            out, _ = tracer.communicate(timeout=60)
        finally:
            child.kill()
            child.wait()
        errf.seek(0)
        err = errf.read()
    reports = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    assert reports, err[-3000:]
    return reports, err


def test_attach_to_running_process_unwinds():
    """-p: the tables are built at attach (-v says for how many mappings and
    how long); leaks made after attach unwind through them."""
    reports, err = trace_stopped([e2e.workload("nofp_deep"), str(DEEP_LEAKS), "stop"])
    m = re.search(r"unwind tables for (\d+) mappings in (\d+) ms", err)
    assert m and int(m.group(1)) >= 3, err[-3000:]
    rec = record_with(reports[-1], "level3")
    assert until([frame_func(f) for f in rec["frames"]], "main") == \
        ["level3", "level2", "level1", "main"], rec["frames"]


def walk_counts(err):
    """-v's walk cache line: (walks reused from the cache, walked in full)."""
    m = re.search(r"stack walks: (\d+) reused from the walk cache, (\d+) walked in full", err)
    assert m, err[-3000:]
    return int(m.group(1)), int(m.group(2))


def test_walk_cache_tells_two_callers_with_the_same_rsp_apart():
    """The walk cache (bpf/unwind.bpf.h) keys on rip and rsp: site() called
    from via_a() and from via_b(), whose frames have the same size, is at
    the same rip and rsp on both paths (the workload prints rsp in site);
    only the return address in site's frame differs. Runs of 50 calls each
    way, three rounds: every block under its own caller's stack, exactly,
    and most walks reused from the cache (each switch of caller walks anew);
    with --no-walk-cache none reused, and the very same stacks."""
    run, rounds = 50, 3
    stacks = {}
    for mode in ("cache", "no-cache"):
        rc, reports, err = leaksnoop("--json", "--user", "--no-mmap", "-T", "0", "-v",
                                     *(["--no-walk-cache"] if mode == "no-cache" else []), "--",
                                     e2e.workload("nofp_two_callers"), str(run), str(rounds))
        assert rc == 0 and reports and reports[-1]["final"], err[-3000:]
        m = re.search(r"rsp_a=(0x[0-9a-f]+) rsp_b=(0x[0-9a-f]+)", err)
        assert m and m.group(1) == m.group(2), f"the two paths must share rsp: {m and m.groups()}"
        rep = reports[-1]
        for caller, size in (("via_a", 24), ("via_b", 40)):
            rec = record_through(rep, caller)
            stacks[mode, caller] = [(f.get("func"), f.get("module")) for f in rec["frames"]]
            assert until([frame_func(f) for f in rec["frames"]], "main") == ["site", caller, "main"], \
                rec["frames"]
            assert rec["blocks"] == run * rounds and rec["bytes"] == run * rounds * size, describe(rep)
        reused, full = walk_counts(err)
        if mode == "cache":
            # 300 allocations: at least the 6 switches walked in full, most reused
            assert full >= 2 * rounds and reused >= 2 * rounds * (run - 5), (reused, full)
        else:
            assert reused == 0 and full >= 2 * rounds * run, (reused, full)
    # whole stacks, to _start: the same with and without the cache
    for caller in ("via_a", "via_b"):
        assert stacks["cache", caller] == stacks["no-cache", caller], stacks


def test_walk_cache_sees_tables_change_at_dlopen():
    """The walk cache across new tables: -p, the program dlopen()s a library
    that calls back into it; until leaksnoop has re-read the mappings (ld.so's
    hook, up to 0.2 s), a walk ends at the library's frame, and such a walk
    is cached too. The same allocation (same rip, rsp and stack words) a
    second later, once the tables hold the library, must have the whole
    stack: the tables' generation invalidates the cached walk. 32-byte
    blocks before, 48-byte blocks after."""
    n = 200
    reports, err = trace_stopped([e2e.workload("nofp_dl_callback"), str(n), "stop"])
    recs = [r for r in user_stacks(reports[-1]) if r["frames"] and frame_func(r["frames"][0]) == "cb"]
    whole = [r for r in recs if [frame_func(f) for f in r["frames"]][:4] ==
             ["cb", "lib_call", "run", "main"]]
    assert sum(r["blocks"] for r in recs) == 2 * n, describe(reports[-1])
    assert sum(r["bytes"] for r in recs) == n * (32 + 48), describe(reports[-1])
    # every 48-byte block (after the tables knew the library) has the whole
    # stack: the whole-stack records hold all n of them
    assert len(whole) == 1, describe(reports[-1])
    assert whole[0]["bytes"] - 32 * whole[0]["blocks"] == 16 * n, describe(reports[-1])
    cut = [r for r in recs if r not in whole]
    print(f"    before the tables knew the library: {sum(r['blocks'] for r in cut)} of {n} "
          "blocks with a stack cut at its frame")


def test_dlopen_under_pid_tables_follow_within_half_a_second():
    """-p does not stop the process at a dlopen: ld.so's _dl_debug_state hook
    tells the trace loop, which re-reads the mappings at its next 0.2 s wake
    (docs/stacks.md: "within 0.2 s"). The workload dlopen()s 0.7 s after it is
    resumed (past the loop's first look at the maps, at its start; the next
    periodic one is 2 s after it), then leaks through the library every 5 ms:
    4096-byte blocks for 0.5 s, 8192-byte ones for 0.5 s more. Every 8192-byte
    block must have the whole stack, named, in the final report at the
    process's exit 1.7 s after the resume, before the periodic look: the
    hook refreshes the symbols too (before, they waited for the 2 s look and
    this report cut every stack at the library's frame)."""
    reports, err = trace_stopped([e2e.workload("nofp_dl_callback"), "500", "timed"], seconds=4)
    recs = [r for r in user_stacks(reports[-1]) if r["frames"] and frame_func(r["frames"][0]) == "cb"]
    whole = [r for r in recs if [frame_func(f) for f in r["frames"]][:4] ==
             ["cb", "lib_call", "run", "main"]]
    cut = [r for r in recs if r not in whole]
    # ~100 blocks of each size (one every 5 ms and a bit, 0.5 s each)
    late = sum(r["bytes"] - 4096 * r["blocks"] for r in recs) // 4096
    early = sum(r["blocks"] for r in recs) - late
    assert 20 <= early <= 120 and 20 <= late <= 120, (early, late, describe(reports[-1]))
    assert len(whole) == 1, describe(reports[-1])
    # no block of the second half second in a cut record: all 8192-byte
    # blocks are in the whole-stack one
    assert all(r["bytes"] == 4096 * r["blocks"] for r in cut), describe(reports[-1])
    cut_blocks = sum(r["blocks"] for r in cut)
    print(f"    {cut_blocks} of {early} blocks of the first 0.5 s after the dlopen cut "
          f"(tables in after ~{cut_blocks * 5} ms or more)")


def test_table_cache_second_run_reads_what_the_first_built():
    """Tables kept between runs (MMSCOPE_UNWIND_CACHE): the first run builds
    and stores every table, the second reads them all back instead of
    building, and both runs' stacks are the same full level3..main stack."""
    with tempfile.TemporaryDirectory() as cache:
        runs = []
        for _ in range(2):
            p = subprocess.run([e2e.tool("leaksnoop"), "--json", "--user", "--no-mmap", "-T", "0",
                                "-v", "--", e2e.workload("nofp_deep"), str(DEEP_LEAKS)],
                               capture_output=True, text=True, timeout=120, errors="replace",
                               env=dict(os.environ, MMSCOPE_UNWIND_CACHE=cache))
            assert p.returncode == 0, p.stderr[-3000:]
            m = re.search(r"unwind tables: (\d+) files, .*\((\d+) read from the table cache, "
                          r"(\d+) stored\)", p.stderr)
            assert m, p.stderr[-3000:]
            reports = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
            assert reports and reports[-1]["final"], p.stderr[-3000:]
            rec = record_with(reports[-1], "level3")
            runs.append((tuple(int(g) for g in m.groups()),
                         until([frame_func(f) for f in rec["frames"]], "main"), rec["blocks"]))
        (files1, read1, stored1), stack1, blocks1 = runs[0]
        (files2, read2, stored2), stack2, blocks2 = runs[1]
        # the program, libc, ld.so at least: each stored once, read back once
        assert files1 >= 3 and read1 == 0 and stored1 == files1, runs
        assert files2 == files1 and read2 == files1 and stored2 == 0, runs
        assert stack1 == stack2 == ["level3", "level2", "level1", "main"], runs
        assert blocks1 == blocks2 == DEEP_LEAKS, runs
        assert sorted(os.listdir(cache)) and all(n.endswith(".uwt") for n in os.listdir(cache))


def test_debian_redis_server_full_stacks():
    """The issue's own example: Debian's redis-server (-O2, no frame
    pointers, jemalloc, no debug info) storing 300 values. With CFI the
    values' stack runs from zmalloc up to aeMain and main, as heaptrack
    shows it; frame pointers alone lose it."""
    port = 16000 + os.getpid() % 1000
    jemalloc = JEMALLOC
    server = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly",
                               "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    funcs = {}
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                             text=True).stdout.strip() != "PONG":
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
        for mode in ("cfi", "fp"):
            with tempfile.TemporaryFile("w+") as errf:
                tracer = subprocess.Popen([e2e.tool("leaksnoop"), "--json", "--user", "--no-mmap",
                                           "-o", "0", "-T", "0", "-v", "--lib", jemalloc,
                                           *(["--frame-pointers"] if mode == "fp" else []),
                                           "-p", str(server.pid), "4"],
                                          stdout=subprocess.PIPE, stderr=errf, text=True)
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and tracer.poll() is None:
                    errf.seek(0)
                    if "probing" in errf.read():
                        break
                    time.sleep(0.05)
                cmds = "".join(f"SET {mode}{i} {'x' * 300}\n" for i in range(300))
                subprocess.run(["redis-cli", "-p", str(port)], input=cmds, capture_output=True,
                               text=True, timeout=30)
                out, _ = tracer.communicate(timeout=60)
            rep = [json.loads(l) for l in out.splitlines() if l.startswith("{")][-1]
            # by frame pointers the keys' and values' stacks merge (600 blocks)
            recs = [r for r in user_stacks(rep) if r["blocks"] >= 300
                    and r["frames"] and frame_func(r["frames"][0]) == "zmalloc_usable"]
            assert recs, f"{mode}: no record of the 300 values:\n{describe(rep)}"
            funcs[mode] = [frame_func(f) for f in recs[0]["frames"]]
            if mode == "cfi":
                assert recs[0]["blocks"] == 300, describe(rep)
    finally:
        server.kill()
        server.wait()
    cfi = funcs["cfi"]
    for want in ("zmalloc_usable", "_sdsnewlen", "readQueryFromClient", "aeMain", "main"):
        assert want in cfi, (want, cfi)
    assert cfi.index("zmalloc_usable") < cfi.index("readQueryFromClient") < cfi.index("aeMain") \
        < cfi.index("main"), cfi
    assert "aeMain" not in funcs["fp"] and "main" not in funcs["fp"], funcs["fp"]
    print(f"    redis-server stack: {' <- '.join(cfi)}")
