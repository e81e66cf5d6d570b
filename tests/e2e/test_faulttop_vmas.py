"""faulttop --maps -p PID end to end: the VMA table against the kernel's own
numbers. smaps (read by the test, when the workload is stopped) is the
oracle for each VMA's memory; /proc/PID/stat's minflt/majflt, and the
workload's own count of pages it touched, for each VMA's faults."""
import json
import os
import re
import signal
import subprocess
import time

import e2e

FT_ARGS = ("-d", "0.3", "--mem-interval", "0.3")


class MapsJSON(e2e.Tool):
    """faulttop --maps -p PID --json: next_frame() is the next VMA frame."""

    def __init__(self, pid, *extra):
        super().__init__([e2e.tool("faulttop"), "--maps", "-p", str(pid), "--json",
                          *FT_ARGS, *extra])
        self.first = self.next_frame(timeout=30)

    def next_frame(self, timeout=15):
        return json.loads(self.next_line(timeout))

    def wait_frame(self, pred, what, timeout=15):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.next_frame(timeout=max(0.1, deadline - time.monotonic()))
            if pred(last):
                return last
        brief = {k: v for k, v in (last or {}).items() if k != "vmas"}
        raise AssertionError(f"{what}: not met; last frame: {json.dumps(brief)[:1500]}")


def vma_at(frame, addr):
    for v in frame["vmas"]:
        if int(v["start"], 16) <= addr < int(v["end"], 16):
            return v
    return None


def smaps_of(pid, addr):
    """The kernel's own smaps entry (values in bytes) of the VMA at addr."""
    entry = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) ", line)
            if m:
                entry = None
                if int(m.group(1), 16) <= addr < int(m.group(2), 16):
                    entry = {"start": int(m.group(1), 16), "end": int(m.group(2), 16)}
                continue
            if entry is not None and line.split(":")[0] in ("Size", "Rss", "Pss", "Swap",
                                                             "Private_Clean", "Private_Dirty"):
                k, v = line.split(":")
                entry[k] = int(v.split()[0]) * 1024
                if k == "Private_Dirty":
                    return entry
    raise AssertionError(f"no VMA at {addr:#x} in /proc/{pid}/smaps")


def maps_of(pid):
    out = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            a, b = line.split()[0].split("-")
            out.append((int(a, 16), int(b, 16), line.strip()))
    return out


def started(*args):
    w = e2e.start_workload(*args)
    addr = None
    if args[0] != "vma_faults" or args[1] != "many":
        line = w.stdout.readline()
        assert line.startswith("addr "), line
        addr = int(line.split()[1], 16)
    e2e.wait_stopped(w)
    return w, addr


def test_anon_vma_rss_and_write_faults_exact_under_precise():
    """8 MiB anonymous, 1,000 pages written between two stops: that VMA's
    Rss equals smaps', its write faults and minor faults are 1,000, and the
    table's totals equal the process's own minflt/majflt."""
    w, addr = started("vma_faults", "anon", 1000)
    try:
        with MapsJSON(w.pid, "--precise") as ft:
            ft.wait_frame(lambda f: vma_at(f, addr) is not None, "VMA seen")
            before = e2e.proc_stat(w.pid)["minflt"]
            os.kill(w.pid, signal.SIGCONT)
            e2e.wait_stopped(w)
            kernel = e2e.proc_stat(w.pid)
            oracle = smaps_of(w.pid, addr)
            f = ft.wait_frame(lambda f: f["process"]["minflt"] >= kernel["minflt"] - before
                              and vma_at(f, addr)["rss"] == oracle["Rss"], "rss and faults")
            v = vma_at(f, addr)
            assert v["size"] == 8 << 20, v
            assert v["rss"] == oracle["Rss"] == 1000 * 4096, (v, oracle)
            assert v["uss"] == oracle["Private_Clean"] + oracle["Private_Dirty"], (v, oracle)
            assert v["faults"]["write"] == 1000, v
            assert v["faults"]["minor"] == 1000 and v["faults"]["major"] == 0, v
            assert f["mode"] == "precise" and f["minor_exact"], f["mode"]
            tot = f["totals"]["faults"]
            assert tot["minor"] == f["process"]["minflt"], (tot, f["process"])
            assert tot["major"] == f["process"]["majflt"], (tot, f["process"])
            assert f["drops"] == 0
    finally:
        e2e.finish(w)


def test_file_vma_major_faults_equal_majflt_delta():
    """A file whose pages were dropped (POSIX_FADV_DONTNEED), then read page
    by page: the file VMA's major faults equal the process's majflt delta
    (/proc/PID/stat), sampled mode or not: majors are always exact."""
    w, addr = started("vma_faults", "file", f"/var/tmp/mmscope-vmas-{os.getpid()}", 300)
    try:
        with MapsJSON(w.pid) as ft:
            ft.wait_frame(lambda f: vma_at(f, addr) is not None, "VMA seen")
            before = e2e.proc_stat(w.pid)["majflt"]
            os.kill(w.pid, signal.SIGCONT)
            e2e.wait_stopped(w)
            delta = e2e.proc_stat(w.pid)["majflt"] - before
            f = ft.wait_frame(lambda f: f["process"]["majflt"] >= delta, "majflt")
            v = vma_at(f, addr)
            assert delta >= 250, delta     # the disk was read: a fault a page
            assert v["faults"]["major"] == delta, (v, delta)
            assert v["path"].startswith("/var/tmp/mmscope-vmas-"), v
            assert f["mode"] == "sampled" and f["major_exact"], f
    finally:
        e2e.finish(w)


def _segv(kind):
    w, addr = started("segv", kind, "wait")
    maps = maps_of(w.pid)
    with MapsJSON(w.pid) as ft:
        os.kill(w.pid, signal.SIGCONT)
        w.wait(timeout=10)
        f = ft.wait_frame(lambda f: f["segv"], "SEGV placed")
    return addr, maps, f["segv"]


def test_segv_maperr_placed_in_the_gap_between_its_neighbours():
    addr, maps, text = _segv("maperr")
    below = [m for m in maps if m[1] <= addr][-1]
    above = [m for m in maps if m[0] > addr][0]
    assert text.startswith(f"no VMA: {addr:#x}, in the gap between {_describe(below[2])} ("), \
        (text, below)
    assert f" and {_describe(above[2])} (" in text, (text, above)
    # the neighbours named are the kernel's: distances computed from /proc/PID/maps
    gap_below, gap_above = addr - below[1], above[0] - addr
    assert _distance(gap_below) + " past its end" in text, (text, gap_below)
    assert _distance(gap_above) + " below its start" in text, (text, gap_above)


def test_segv_accerr_placed_in_its_read_only_mapping():
    addr, maps, text = _segv("accerr")
    vma = [m for m in maps if m[0] <= addr < m[1]][0]
    assert vma[2].split()[1] == "r--p", vma
    assert text == f"ACCERR: write to r--p [anon] at +{addr - vma[0]:#x} ({addr:#x})", text


def _describe(maps_line):
    """What vmas.c calls the VMA of a /proc/PID/maps line."""
    f = maps_line.split(maxsplit=5)
    perm, path = f[1], (f[5] if len(f) > 5 else "")
    if not path or path.startswith("["):
        return path or "[anon]"
    what = ("text" if perm[2] == "x" else "no-access mapping" if perm[:2] == "--"
            else "read-only data" if perm[1] == "-" else "data")
    return f"{what} of {path}"


def _distance(n):
    """vmas.c's distance(): whole units, rounded down."""
    units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
    u = 0
    while n >= 1024 * 10 and u < 5:
        n //= 1024
        u += 1
    if n >= 1024 and u < 5 and n % 1024 == 0:
        n //= 1024
        u += 1
    return f"{n} {units[u]}"


def test_20000_mappings_read_and_shown():
    """A process with 20,000 mappings: every one is listed (the kernel's count
    from /proc/PID/maps), and the smaps read time is measured and printed."""
    w, _ = started("vma_faults", "many", 20000)
    try:
        n = len(maps_of(w.pid))
        assert n > 20000, n
        with MapsJSON(w.pid) as ft:
            f = ft.wait_frame(lambda f: f["nr_vmas"] == n, "all VMAs", timeout=30)
            t0 = time.monotonic()
            frames = [ft.next_frame(timeout=15) for _ in range(3)]
            per_frame = (time.monotonic() - t0) / 3
            ms = [g["smaps_ms"] for g in [f, *frames]]
            parse = [g["smaps_parse_ms"] for g in [f, *frames]]
            print(f"20,000 mappings ({n} VMAs): smaps read {min(ms):.1f}-{max(ms):.1f} ms, "
                  f"parse {min(parse):.1f}-{max(parse):.1f} ms; a frame every {per_frame:.2f} s"
                  f" at -d 0.3 (the reading runs on its own thread)")
            assert len(f["vmas"]) == n
    finally:
        e2e.finish(w)


# ---- the TUI's process screen, under tmux ------------------------------------------------

def _vma_line(lines, addr):
    """The TUI row of the VMA holding addr (which may have merged with a neighbour)."""
    for l in lines:
        f = l.split()
        if len(f) > 2 and re.fullmatch(r"[0-9a-f]{12,}", f[0]) and \
                re.fullmatch(r"[0-9a-f]{12,}", f[1]) and int(f[0], 16) <= addr < int(f[1], 16):
            return f
    return None


def test_tui_enter_shows_vmas_with_faults_sort_and_esc_back():
    from test_faulttop_tui import TuiSession, HEADER
    w, addr = started("vma_faults", "anon", 1000)
    try:
        with TuiSession("-p", str(w.pid), *FT_ARGS, "--precise") as s:
            s.wait_for(lambda ls: any(re.match(rf"^.\s*{w.pid} vma_faults", l) for l in ls),
                       "the workload's row")
            s.keys("Enter")
            s.wait_text(f"pid {w.pid} (vma_faults): its VMAs")
            s.wait_for(lambda ls: _vma_line(ls, addr) is not None, "the 8 MiB VMA")
            os.kill(w.pid, signal.SIGCONT)
            e2e.wait_stopped(w)
            # START END PERM OFFSET SIZE RSS PSS USS SWAP MINOR MAJOR READ WRITE EXEC PROT MAPPING
            lines = s.wait_for(lambda ls: (_vma_line(ls, addr) or [""] * 16)[12] == "1000" and
                               _vma_line(ls, addr)[5] == "4000",
                               "1,000 write faults and 4000 KiB resident in the VMA")
            row = _vma_line(lines, addr)
            assert int(row[4]) >= 8192 and row[5] == "4000" and row[9] == "1000", row
            assert row[15] == "[anon]", row
            assert any(l.startswith("TOTAL") for l in lines), lines
            # '>' sorts by the next column, SIZE, biggest first: the 8 MiB VMA on top
            s.keys(">")
            s.wait_for(lambda ls: _first_data_row(ls) is not None and
                       _first_data_row(ls)[0] == row[0], "sorted by SIZE")
            s.keys("Escape")
            s.wait_for(lambda ls: any(HEADER.match(l) for l in ls), "the process list again")
            s.keys("q")
            s.wait_exit(3.0)
    finally:
        e2e.finish(w)


def _first_data_row(lines):
    for i, l in enumerate(lines):
        if l.lstrip().startswith("START"):
            return lines[i + 1].split() if i + 1 < len(lines) else None
    return None


def test_tui_vmas_of_20000_mappings_stays_responsive():
    """The process screen of a process with 20,000 mappings: a key (sort)
    shows its effect while smaps is re-read every 0.3 s on its own thread."""
    from test_faulttop_tui import TuiSession
    w, _ = started("vma_faults", "many", 20000)
    try:
        with TuiSession("-p", str(w.pid), *FT_ARGS) as s:
            s.wait_for(lambda ls: any(re.match(rf"^.\s*{w.pid} vma_faults", l) for l in ls),
                       "the workload's row", timeout=15)
            t0 = time.monotonic()
            s.keys("Enter")
            s.wait_text(f"{len(maps_of(w.pid))} VMAs", timeout=40)
            opened = time.monotonic() - t0
            took = []
            for key in (">", "<", ">", "<"):
                t0 = time.monotonic()
                s.keys(key)
                want = "SIZE" if key == ">" else "START"
                s.wait_for(lambda ls: _sorted_by(ls) == want, f"sorted by {want}", timeout=10)
                took.append(time.monotonic() - t0)
            print(f"TUI, 20,021 VMAs: screen opened in {opened:.2f} s; a sort key shown in "
                  f"{min(took):.2f}-{max(took):.2f} s (tmux polled every 0.1 s)")
            assert max(took) < 3.0, took
            s.keys("q")
            s.wait_exit(3.0)
    finally:
        e2e.finish(w)


def _sorted_by(lines):
    """The column whose header carries the sort arrow."""
    for l in lines:
        if l.lstrip().startswith("START"):
            for name in ("START", "SIZE"):
                i = l.find(name)
                near = l[max(0, i - 1):i + len(name) + 1]
                if any(a in near for a in ("\u25b2", "\u25bc", "^", "v")):
                    return name
    return None


def test_maps_needs_one_pid():
    for args in (["--maps"], ["--maps", "-p", "1,2"]):
        p = subprocess.run([e2e.tool("faulttop"), *args, "-b", "-n", "1"],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 2, (args, p.returncode)
        assert "--maps needs exactly one -p PID" in p.stderr, p.stderr


def test_maps_valgrind_clean():
    """--maps under valgrind: the smaps thread, the snapshots, the labels;
    a workload that faults while watched, so every path is taken."""
    from test_valgrind_clean import _valgrind, _plain
    w, addr = started("vma_faults", "anon", 1000)
    try:
        cont = subprocess.Popen(["sh", "-c", f"sleep 4; kill -CONT {w.pid}"])
        p = _valgrind(_plain(e2e.tool("faulttop")), "--maps", "-p", str(w.pid), "-b", "-n", "8",
                      "-d", "0.8", "--mem-interval", "0.5", "--precise")
        cont.wait()
        assert p.returncode == 0 and "faulttop --maps - pid" in p.stdout, p.stdout[-2000:]
        rows = [l.split() for l in p.stdout.splitlines() if re.match(r"^[0-9a-f]{12,} ", l)]
        assert any(int(r[0], 16) <= addr < int(r[1], 16) for r in rows), p.stdout[-3000:]
    finally:
        e2e.finish(w)
