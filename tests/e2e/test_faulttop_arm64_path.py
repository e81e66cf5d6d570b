"""faulttop's arm64 path, run on this x86 machine: arm64 has no
exceptions:page_fault_user, so the perf software fault events are the
per-fault hook there (regions from the address they carry, no access kind).
MMSCOPE_NO_PAGE_FAULT_TP makes faulttop take that path here, and the kernel's
own counters (/proc/PID/stat) are the oracle, as for the x86 path."""
import os
import signal
import time

import e2e
import test_faulttop as x86

KNOB = "MMSCOPE_NO_PAGE_FAULT_TP"
WHY = "access kinds -: MMSCOPE_NO_PAGE_FAULT_TP is set, and the perf fault events carry none"


class arm64_path:
    """faulttop started inside takes the perf-event hook."""

    def __enter__(self):
        os.environ[KNOB] = "1"

    def __exit__(self, *exc):
        os.environ.pop(KNOB, None)


def _stopped_row(ft, w):
    e2e.wait_stopped(w)
    kernel = e2e.proc_stat(w.pid)
    r = ft.wait_row(w.pid, lambda r: r["total"]["minflt"] == kernel["minflt"] and
                    r["total"]["majflt"] == kernel["majflt"], what="counts of the stop")
    return r, kernel


def test_precise_classifies_exactly_the_faults_the_kernel_counted():
    """Between two stops the workload touches 3,000 fresh pages: the faults
    classified move by exactly what minflt + majflt moved (the perf events
    fire once per fault the kernel counts; none is taken by get_user_pages
    here), and all of them land in the anonymous region."""
    n = 3000
    with arm64_path(), e2e.FaultTopJSON("-C", "fault_steps", "-a", "--precise") as ft:
        assert ft.first["access_unknown"] == "MMSCOPE_NO_PAGE_FAULT_TP is set", ft.first
        w = e2e.start_workload("fault_steps", n, 2)
        try:
            a, ka = _stopped_row(ft, w)
            os.kill(w.pid, signal.SIGCONT)
            b, kb = _stopped_row(ft, w)
        finally:
            e2e.finish(w)
    counted = (kb["minflt"] + kb["majflt"]) - (ka["minflt"] + ka["majflt"])
    classified = b["total"]["sampled_faults"] - a["total"]["sampled_faults"]
    anon = b["total"]["regions"]["anon"] - a["total"]["regions"]["anon"]
    assert counted >= n, (counted, n)
    assert classified == counted, (classified, counted)
    assert n <= anon <= counted, (anon, n, counted)
    assert "access" not in b["total"] and "access" not in b["interval"], b["total"]


def test_regions_heap_stack_file_anon():
    with arm64_path():
        x86._region("heap", "heap")
        x86._region("stack", "stack", pages=1000)
        x86._region("file", "file")
        x86._region("anon", "anon")


def test_exact_counts_and_segv_kinds_as_on_x86():
    with arm64_path():
        x86._exact_minflt()
        x86._segv("maperr", "SEGV_MAPERR")
        x86._segv("accerr", "SEGV_ACCERR")


def test_sample_0_classifies_nothing_even_major_faults():
    """The major-fault events stay enabled (a watched process's majors are
    always exact): with --sample 0 the BPF flag, not the event, keeps them
    out of the classified sample."""
    path = os.path.join(e2e.BUILD, "tests", "major-faults-arm64-path.data")
    with arm64_path(), e2e.FaultTopJSON("-C", "major_faults", "-a", "--sample", "0") as ft:
        w = e2e.start_workload("major_faults", path, 256)
        try:
            r, kernel = _stopped_row(ft, w)
        finally:
            e2e.finish(w)
    assert kernel["majflt"] >= 128, kernel
    assert r["total"]["majflt"] == kernel["majflt"], (r["total"], kernel)
    assert r["total"]["sampled_faults"] == 0, r["total"]


def _mode_lines(text):
    return [line for line in text.splitlines() if line.startswith("Mode:")]


def _rows_of(text, pid):
    """pid's row in each batch frame that has one, as {column: cell}."""
    out, header = [], None
    for line in text.splitlines():
        cols = line.split()
        if cols[:2] == ["PID", "COMM"]:
            header = cols
        elif header and cols and cols[0] == str(pid):
            out.append(dict(zip(header, cols)))
    return out


def _busiest_frame_row(env_on):
    """Batch text --precise while fault_steps writes 20,000 fresh pages
    (after its start-up, which the first stop leaves out): all the text,
    and the workload's row in the frame where its minflt moved most."""
    args = [e2e.tool("faulttop"), "-b", "-d", "0.3", "-C", "fault_steps", "--precise"]
    if env_on:
        os.environ[KNOB] = "1"
    try:
        batch = e2e.Tool(args)
    finally:
        os.environ.pop(KNOB, None)
    try:
        batch.next_line(timeout=30)
        w = e2e.start_workload("fault_steps", 20000, 2)
        try:
            e2e.wait_stopped(w)
            start = e2e.proc_stat(w.pid)["minflt"]
            t = time.monotonic()
            while time.monotonic() < t + 0.7:           # frames of the stop: no row
                batch.next_line()
            seen = len(batch.all_lines)
            os.kill(w.pid, signal.SIGCONT)
            e2e.wait_stopped(w)
            end = e2e.proc_stat(w.pid)["minflt"]
            deadline = time.monotonic() + 15
            rows = []
            while not rows or int(rows[-1]["MINFLT"]) < end:
                assert time.monotonic() < deadline, f"no row reached minflt {end}: {rows}"
                batch.next_line()
                rows = _rows_of("".join(batch.all_lines[seen:]), w.pid)
        finally:
            e2e.finish(w)
        totals = [start] + [int(r["MINFLT"]) for r in rows]
        busiest = max(range(len(rows)), key=lambda i: totals[i + 1] - totals[i])
        return "".join(batch.all_lines), rows[busiest]
    finally:
        batch.stop()


def test_batch_header_says_why_once_and_access_columns_are_dashes():
    """Batch text: each frame's Mode line carries the reason once; the
    workload's row has its region share and '-' for RD% WR% EX% PRT%. The
    x86 path, the control, shows the writes there and no note."""
    text, cells = _busiest_frame_row(True)
    modes = _mode_lines(text)
    assert modes and all(m.count(WHY) == 1 for m in modes), modes[:3]
    assert text.count(WHY) == len(modes), "the reason printed outside the Mode line"
    assert [cells[c] for c in ("RD%", "WR%", "EX%", "PRT%")] == ["-"] * 4, cells
    assert int(cells["ANO%"]) >= 90, cells
    text, cells = _busiest_frame_row(False)
    assert "access kinds" not in text
    assert int(cells["WR%"]) >= 90 and int(cells["ANO%"]) >= 90, cells


def test_maps_minor_faults_exact_under_precise_without_access_kinds():
    """--maps on the arm64 path: 1,000 pages written between two stops are
    1,000 minor faults in that VMA, the table's totals equal the process's
    own minflt/majflt, and no read/write count is claimed."""
    import test_faulttop_vmas as vm
    with arm64_path():
        w, addr = vm.started("vma_faults", "anon", 1000)
        try:
            with vm.MapsJSON(w.pid, "--precise") as ft:
                ft.wait_frame(lambda f: vm.vma_at(f, addr) is not None, "VMA seen")
                before = e2e.proc_stat(w.pid)["minflt"]
                os.kill(w.pid, signal.SIGCONT)
                e2e.wait_stopped(w)
                kernel = e2e.proc_stat(w.pid)
                f = ft.wait_frame(lambda f: f["process"]["minflt"] >= kernel["minflt"] - before
                                  and vm.vma_at(f, addr)["faults"]["minor"] >= 1000, "faults")
        finally:
            e2e.finish(w)
    v = vm.vma_at(f, addr)
    assert v["faults"] == {"minor": 1000, "major": 0}, v
    assert f["access_unknown"] == "MMSCOPE_NO_PAGE_FAULT_TP is set", f
    tot = f["totals"]["faults"]
    assert tot["minor"] == f["process"]["minflt"] and tot["major"] == f["process"]["majflt"], \
        (tot, f["process"])
    assert f["drops"] == 0
