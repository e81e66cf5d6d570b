"""leaksnoop --pprof end to end: Go's own pprof (Debian's golang-go, run
offline from temp HOME/GOCACHE/GOPATH) reads the profile leaksnoop wrote,
and shows the leaking function with the bytes and blocks leaksnoop
reported; the mapping carries the build id readelf reads from the binary."""
import os
import re
import shutil
import subprocess
import tempfile

import e2e
from e2e import leaksnoop, records_at, source_line


def go_pprof(*args):
    go = shutil.which("go")
    if not go:
        raise AssertionError("go not installed (scripts/install-deps.sh installs golang-go)")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "GOCACHE": os.path.join(home, "cache"),
               "GOPATH": os.path.join(home, "gopath"), "GOFLAGS": "-mod=mod",
               "GOTOOLCHAIN": "local", "GOPROXY": "off", "GOTELEMETRY": "off",
               "PPROF_TMPDIR": home}
        p = subprocess.run([go, "tool", "pprof", *args], capture_output=True, text=True,
                           timeout=120, env=env, cwd=home)
    assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p.stdout


def flat(top, func):
    """The flat value of func in `pprof -top` output (units as printed)."""
    for line in top.splitlines():
        cols = line.split()
        if len(cols) >= 6 and cols[-1] == func:
            return cols[0]
    raise AssertionError(f"{func} not in pprof -top:\n{top}")


def build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    assert m, out
    return m.group(1)


def test_go_pprof_reads_the_leak_with_leaksnoops_numbers():
    n = 40
    leak = source_line("leak_loop.c", "leak")
    with tempfile.TemporaryDirectory() as d:
        prof = os.path.join(d, "leak.pb.gz")
        rc, reports, err = leaksnoop("--json", "--user", "--pprof", prof, "--",
                                     e2e.workload("leak_loop"), n)
        assert rc == 0 and reports, (rc, err)
        at = records_at(reports[-1], "leak_loop.c", leak)
        assert len(at) == 1 and at[0]["blocks"] == n, at
        want_bytes, want_blocks = at[0]["bytes"], at[0]["blocks"]
        assert want_bytes == n * 12288
        with open(prof, "rb") as f:
            assert f.read(2) == b"\x1f\x8b", "not gzipped"

        top = go_pprof("-top", "-unit=byte", "-sample_index=inuse_space", prof)
        assert flat(top, "iteration") == f"{want_bytes}B", top
        top = go_pprof("-top", "-sample_index=inuse_objects", prof)
        assert flat(top, "iteration") == str(want_blocks), top
        top = go_pprof("-top", "-unit=byte", "-sample_index=alloc_space", prof)
        assert flat(top, "iteration") == f"{at[0]['allocated_bytes']}B", top
        # the freed malloc(1024) leaked nothing: not in the in-use profile
        raw = go_pprof("-raw", prof)
        assert re.search(r"iteration \S*leak_loop\.c:%d" % leak, raw), raw
        assert "inuse_space/bytes[dflt] inuse_objects/count alloc_space/bytes alloc_objects/count" \
            in raw, raw
        assert "source:[user]" in raw, raw
        assert "kind:[definite]" in raw, raw       # leak_loop's blocks: all definitely lost
        # the executable's mapping, with the build id readelf reads from it
        exe = os.path.realpath(e2e.workload("leak_loop"))
        m = re.search(r"^\d+: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ %s ([0-9a-f]+) \[FN\]\[FL\]\[LN\]"
                      % re.escape(exe), raw, re.M)
        assert m and m.group(1) == build_id(exe), raw


def test_leak_kind_is_a_sample_label():
    """The notes' example interrupted after six rounds (valgrind: 5 blocks
    definitely lost, 1 still reachable; test_leaksnoop_kinds checks it):
    one stack in two loss records, each a sample labelled with its kind.
    pprof filtered on the label gives each kind's blocks as leaksnoop's
    report has them; unfiltered, the stack's all-time figures count once."""
    from test_leaksnoop_kinds import run_command
    with tempfile.TemporaryDirectory() as d:
        prof = os.path.join(d, "kinds.pb.gz")
        rc, rep, err = run_command("notes", 6, extra=("--pprof", prof))
        assert rep["scan"]["done"], rep["scan"]
        mine = [r for r in rep["records"] if r["source"] == "user" and r["frames"] and
                r["frames"][0]["func"] == "main"]
        kinds = {r["kind"]: r["blocks"] for r in mine}
        assert kinds == {"definite": 5, "reachable": 1}, kinds
        for kind, blocks in kinds.items():
            top = go_pprof("-top", "-sample_index=inuse_objects", f"-tagfocus=kind={kind}", prof)
            assert flat(top, "main") == str(blocks), (kind, top)
        top = go_pprof("-top", "-sample_index=alloc_objects", prof)
        assert flat(top, "main") == str(mine[0]["allocated_blocks"]) == "6", top
        # every user block's kind, as in the report's LEAK SUMMARY
        tags = go_pprof("-tags", "-sample_index=inuse_objects", prof)
        summary = {k: v["blocks"] for k, v in rep["leak_summary"].items() if v["blocks"]}
        m = re.search(r"^ kind: Total ([\d.]+)$", tags, re.M)
        assert m and float(m.group(1)) == sum(summary.values()), (tags, summary)
        for kind, blocks in summary.items():
            assert re.search(r"^\s+%s \(\s*[\d.]+%%\): %s$" % (re.escape(f"{blocks:.1f}"), kind),
                             tags, re.M), (kind, blocks, tags)


def test_interval_reports_are_numbered_and_bad_paths_fail_early():
    with tempfile.TemporaryDirectory() as d:
        prof = os.path.join(d, "p.pb.gz")
        rc, reports, err = leaksnoop("--json", "--user", "-i", "0.4", "-o", "0", "--pprof", prof,
                                     "--", e2e.workload("leak_loop"), 30, 0, 50000)
        assert rc == 0, err
        assert len(reports) >= 2, reports
        names = sorted(os.listdir(d))
        assert "p.pb.gz" in names and "p.pb.gz.1" in names, names
        assert f"p.pb.gz.{len(reports)}" in names and not [x for x in names if x.endswith(".tmp")]
        # the last numbered profile is the final report, the same as p.pb.gz
        top_last = go_pprof("-top", "-unit=byte", os.path.join(d, f"p.pb.gz.{len(reports)}"))
        assert top_last == go_pprof("-top", "-unit=byte", prof)
    p = subprocess.run([e2e.tool("leaksnoop"), "--pprof", "/nonexistent-dir/x.pb.gz", "--",
                        "/bin/true"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert p.stderr.strip() == ("leaksnoop: cannot write profile /nonexistent-dir/x.pb.gz: "
                                "No such file or directory"), p.stderr
