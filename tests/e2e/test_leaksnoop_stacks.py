"""Whole stacks for code linked by lld (issue 19): rustc's programs (rust-lld
is rustc's default linker; -g -C opt-level=1, with and without forced frame
pointers) and clang's C and C++ (with exception tables) at -O2 without frame
pointers. lld packs the code's first page into the read-only segment's
last; the unwinder took the load bias from the wrong segment and every such
stack ended after one frame. Each stack valgrind reports for a leak must be
in leaksnoop's report, frame for frame: the function, and the file:line
wherever valgrind has one (inlined frames too: std's code is inlined deep)."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

import e2e
from test_leaksnoop_unwind import trace, valgrind_records

RUSTC_MISSING = ("was not built: rustc was not found when `make tests-build` ran "
                 "(install it: rustup, or Debian's rustc; then make tests-build)")
VG_KINDS = ("definitely", "indirectly", "possibly")
SESSIONS = 5


def built(name):
    path = e2e.workload(name)
    assert os.path.exists(path), f"{path} {RUSTC_MISSING if 'rust' in name else 'is missing'}"
    return path


def name_key(func):
    """A function's name as both tools can agree on it: valgrind names an
    inlined Rust function by its DWARF name ("new<leak::Session>"), we by its
    linkage name ("alloc::boxed::Box<T>::new"): without generic arguments,
    parameters and path, "new" both; closures as "{closure}"."""
    s = (func or "???").replace("->", "")
    # a closure: "{closure#0}" in DWARF, "{{closure}}" in legacy mangling
    s = re.sub(r"\{\{closure\}\}|\{closure#\d+\}", "{closure}", s)
    while True:
        t = re.sub(r"<[^<>]*>", "", s)
        if t == s:
            break
        s = t
    s = re.sub(r"\([^()]*\)( const)?$", "", s).rstrip(":")
    return s.rsplit("::", 1)[-1]


def vg_frame(func, where):
    m = re.match(r"(.*):(\d+)$", where)
    return (name_key(func), os.path.basename(m.group(1)), int(m.group(2))) if m else (name_key(func),)


def our_frame(f, like):
    """Our frame in the shape of valgrind's (like): with file:line where it has one."""
    if len(like) == 1:
        return (name_key(f.get("func")),)
    return (name_key(f.get("func")), os.path.basename(f.get("file") or "?"), f.get("line"))


def valgrind_stacks(path, *args):
    """valgrind's lost records, one per stack (kinds added up): {frames:
    (bytes, blocks)}, frames from the allocating function's caller (its
    replacement of malloc or operator new left out) to main."""
    out = {}
    for nbytes, blocks, frames in valgrind_records(path, *map(str, args), kinds=VG_KINDS):
        frames = [f for f in frames if not f[1].startswith("in /usr/libexec/valgrind/")]
        funcs = [f for f, _ in frames]
        assert "main" in funcs, frames
        key = tuple(vg_frame(*f) for f in frames[:funcs.index("main") + 1])
        have = out.get(key, (0, 0))
        out[key] = (have[0] + nbytes, have[1] + blocks)
    return out


def our_stacks(report):
    """Our user stacks to main (the allocator's own frames first, operator
    new in libstdc++, left out as valgrind's replacement is): [(frames,
    record)]."""
    out = []
    for r in e2e.by_stack(report["records"]):
        frames = r["frames"]
        if r["source"] != "user":
            continue
        while frames and (frames[0].get("func") or "").startswith("operator new"):
            frames = frames[1:]
        funcs = [f.get("func") for f in frames]
        if "main" in funcs:
            out.append((frames[:funcs.index("main") + 1], r))
    return out


def check_like_valgrind(name, *args):
    path = built(name)
    vg = valgrind_stacks(path, *args)
    rep = trace(name, *args)
    ours = our_stacks(rep)
    for want, (nbytes, blocks) in vg.items():
        found = [r for frames, r in ours if len(frames) == len(want) and
                 tuple(our_frame(f, w) for f, w in zip(frames, want)) == want]
        assert len(found) == 1, (f"{name}: valgrind's stack\n  " + "\n  ".join(map(str, want)) +
                                 f"\nnot in ours ({len(found)} matches):\n{e2e.describe(rep)}")
        assert (found[0]["bytes"], found[0]["blocks"]) == (nbytes, blocks), (want, found[0])
    return vg, rep


def assert_frames(vg, fname, *markers):
    """Some valgrind stack passes through these lines of the workload, in
    order: the programs' own frames (so the comparison above compared
    something)."""
    lines = [e2e.source_line(os.path.join("lld", fname), m) for m in markers]
    for stack in vg:
        mine = [f[2] for f in stack if len(f) == 3 and f[1] == fname]
        if mine == lines:
            return
    raise AssertionError(f"no valgrind stack through {fname} lines {lines}: {list(vg)}")


def check_rust(name):
    vg, _ = check_like_valgrind(name, SESSIONS)
    assert len(vg) == 3, vg  # the Box, its String and its Vec
    assert_frames(vg, "leak.rs", "box", "open", "leak")
    assert_frames(vg, "leak.rs", "buf", "open", "leak")
    assert sorted(b for _, b in vg.values()) == [SESSIONS] * 3, vg


def test_rust_stacks_match_valgrind():
    check_rust("lld_rust")


def test_rust_frame_pointers_stacks_match_valgrind():
    check_rust("lld_rust_fp")


def test_clang_lld_c_without_frame_pointers_matches_valgrind():
    vg, _ = check_like_valgrind("lld_deep", 7)
    assert list(vg.values()) == [(7 * 216, 7)], vg
    assert_frames(vg, "deep.c", "level3", "level2", "level1", "main")


def test_clang_lld_cxx_exceptions_matches_valgrind():
    vg, _ = check_like_valgrind("lld_exc", 6)
    assert_frames(vg, "exc.cpp", "make", "work", "main")
    assert sum(b for _, b in vg.values()) == 12, vg  # 6 nodes, 6 strings


# ---- JIT frames (node) --------------------------------------------------------

NODE = "/usr/bin/node"
JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads", "js", "grow_buffers.js")
JS_ROUNDS, JS_PER_ROUND = 100, 20
BARE_HEX = re.compile(r"^0x[0-9a-f]+$")
TEST_TIMEOUT_S = 600  # node starts slowly under tracing on a loaded machine


def trace_node(*node_flags):
    """leaksnoop --json --user -- node FLAGS grow_buffers.js, interrupted once
    the script says its buffers are all allocated (SIGINT: a live report,
    then the command is ended). The last report, and the perf map's lines
    (NAME -> [(start, end)]) as node wrote them."""
    assert os.path.exists(NODE), f"{NODE} missing (Debian's nodejs)"
    # in a directory of its own: --perf-basic-prof also writes V8's
    # isolate-*-v8.log where node runs
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryDirectory() as cwd:
        # -o 0: the live report at SIGINT shows every block; by default it
        # leaves out those younger than 500 ms, which the second half's
        # buffers may be when "ready" is seen at once
        p = subprocess.Popen([e2e.tool("leaksnoop"), "--json", "--user", "--no-mmap", "-o", "0", "--",
                              NODE, *node_flags, JS, str(JS_ROUNDS), str(JS_PER_ROUND)],
                             stdout=out, stderr=subprocess.PIPE, text=True,
                             start_new_session=True, cwd=cwd)
        try:
            deadline = time.monotonic() + 300
            while p.poll() is None and time.monotonic() < deadline:
                out.seek(0)
                if any(line.startswith("ready") for line in out):
                    break
                time.sleep(0.5)
            assert p.poll() is None and time.monotonic() < deadline, \
                f"node never got ready (rc={p.poll()})"
            os.kill(p.pid, signal.SIGINT)
            err = p.communicate(timeout=400)[1]
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        out.seek(0)
        reports = [json.loads(line) for line in out if line.startswith("{")]
    assert reports, f"no report (rc={p.returncode}): {err[-2000:]}"
    rep = reports[-1]
    perf_map = f"/tmp/perf-{rep['pid']}.map"
    entries = {}
    if os.path.exists(perf_map):
        with open(perf_map) as f:
            for line in f:
                start, size, name = line.rstrip("\n").split(" ", 2)
                entries.setdefault(name, []).append((int(start, 16), int(start, 16) + int(size, 16)))
        os.unlink(perf_map)
    return rep, entries


def buffer_records(rep):
    """The records of Buffer.allocUnsafeSlow's buffers: through node's
    CreateUnsafeArrayBuffer."""
    return [r for r in e2e.by_stack(rep["records"]) if r["source"] == "user" and
            any("CreateUnsafeArrayBuffer" in (f.get("func") or "") for f in r["frames"])]


def assert_no_bare_address(rep):
    for r in rep["records"]:
        for f in r["frames"]:
            assert not BARE_HEX.match(f["text"]), f"a bare address: {f}\n{e2e.describe(rep)}"
            if f.get("jit"):
                assert f["text"].startswith("[JIT] "), f


def check_buffers(rep):
    """Every buffer the script made is outstanding, on a stack through it."""
    recs = buffer_records(rep)
    n = JS_ROUNDS * JS_PER_ROUND
    want_bytes = sum(4000 + (i & 7) for i in range(JS_PER_ROUND)) * JS_ROUNDS
    assert sum(r["blocks"] for r in recs) >= n, e2e.describe(rep)
    assert sum(r["bytes"] for r in recs) >= want_bytes, e2e.describe(rep)
    # node's builtins, in the copy V8 maps near its heap too: named by node's symbols
    unnamed = [f["text"] for r in recs for f in r["frames"] if f["text"].startswith("node+0x")]
    assert not unnamed, unnamed
    return recs


def test_node_jit_frames_named_from_perf_map():
    rep, perf_map = trace_node("--perf-basic-prof")
    assert perf_map, "node --perf-basic-prof wrote no /tmp/perf-PID.map"
    recs = check_buffers(rep)
    assert_no_bare_address(rep)
    jit = [f for r in recs for f in r["frames"] if f.get("jit")]
    named = [f for f in jit if f.get("func")]
    assert any(re.match(r"JS:.grow .*grow_buffers\.js", f["func"]) for f in named), \
        f"no JIT frame of grow(): {[f['text'] for f in jit]}\n{e2e.describe(rep)}"
    # each name is the one node's map gives the call (a return address - 1),
    # the offset from that line's start
    for f in named:
        spans = [s for s in perf_map.get(f["func"], []) if s[0] <= f["addr"] - 1 < s[1]]
        assert spans, (f, perf_map.get(f["func"]))
        assert f["text"] == "[JIT] %s+0x%x" % (f["func"], f["addr"] - 1 - spans[-1][0]), f


def test_node_jit_frames_without_perf_map_say_jit():
    rep, perf_map = trace_node()
    assert not perf_map, "a perf map without --perf-basic-prof"
    recs = check_buffers(rep)
    assert_no_bare_address(rep)
    jit = [f for r in recs for f in r["frames"] if f.get("jit")]
    assert jit, f"no JIT frame on the buffers' stacks:\n{e2e.describe(rep)}"
    assert all(f["func"] is None and f["text"] == "[JIT] 0x%x" % f["addr"] for f in jit), jit
