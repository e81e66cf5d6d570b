"""Whole stacks for code linked by lld (issue 19): rustc's programs (rust-lld
is rustc's default linker; -g -C opt-level=1, with and without forced frame
pointers) and clang's C and C++ (with exception tables) at -O2 without frame
pointers. lld packs the code's first page into the read-only segment's
last; the unwinder took the load bias from the wrong segment and every such
stack ended after one frame. Each stack valgrind reports for a leak must be
in leaksnoop's report, frame for frame: the function, and the file:line
wherever valgrind has one (inlined frames too: std's code is inlined deep)."""
import os
import re

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
