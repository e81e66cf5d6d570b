"""leaksnoop --kernel ties what it traced to the books (issue 20 item 4):
the unaccounted remainder's change during the trace against the outstanding
page allocations, and a growing slab cache's change against its traced
outstanding blocks. Oracles the workloads know: 512 pipes of 64 KiB hold
32 MiB of pipe pages (in no meminfo field) allocated at anon_pipe_write;
N eventfds hold N struct files (filp). Whole system and with -p. The
machine is loaded by others: each workload's change is 32 MiB / 20,000
objects against a jitter of ~0.2 MiB / a few hundred objects, the tool's
own jitter figure is checked, and a run spoiled by others' bursts is
retried (up to 3 times)."""
import json
import os
import signal

import e2e

MIB = 1 << 20
PIPES, PIPE_BYTES = 512, 64 << 10
HELD = PIPES * PIPE_BYTES


def report_after(t, pred=lambda r: True, tries=20):
    """The next report that began after now (the one in flight may not)."""
    t.next_line(30)
    for _ in range(tries):
        rep = json.loads(t.next_line(30))
        if pred(rep):
            return rep
    raise AssertionError("no such report")


def leaksnoop_books(*args):
    return e2e.Tool([e2e.tool("leaksnoop"), "--json", "-K", "-o", "0", "-T", "5",
                     "-i", "1", "--no-scan", *args])


def check_pipes(rep):
    """None when the books show the pipes explained, else why not."""
    b = rep["books"]
    assert b is not None and b["available"], b
    u = b["unaccounted"]
    sites = [s["site"] for s in u["sites"]]
    print(f"unaccounted {u['change_bytes'] / MIB:+.1f} MiB (jitter {u['jitter_bytes'] / MIB:.2f}),"
          f" pages {u['page_bytes'] / MIB:.1f} MiB, share {u['share_explained']}, sites {sites}")
    if u["jitter_bytes"] >= 8 * MIB:
        # others' builds swing the remainder by 10-25 MiB between frames: the
        # books must then say they cannot tell, never credit the pipes
        assert u["share_explained"] is None and "jitter" in (u["unknown_why"] or ""), u
        return NOISY
    if abs(u["change_bytes"] - HELD) > 4 * MIB + 4 * u["jitter_bytes"]:
        return f"change {u['change_bytes'] / MIB:.1f} MiB (others' noise?)"
    if u["share_explained"] is None or u["share_explained"] < 0.9:
        return f"share {u['share_explained']} ({u['unknown_why']})"
    assert u["share_explained"] < 1.5, u
    assert any("pipe_write" in s for s in sites[:2]), sites
    return None


def pipes_attempt(pid_mode):
    w = e2e.start_workload("hold_pipes", PIPES, 0, 1, 1)
    try:
        e2e.wait_stopped(w)
        args = ["-p", str(w.pid), "--kernel"] if pid_mode else []
        with leaksnoop_books(*args) as t:
            first = report_after(t)
            assert first["books"]["available"], first["books"]
            os.kill(w.pid, signal.SIGCONT)          # fills the pipes, stops holding them
            e2e.wait_stopped(w)
            return check_pipes(report_after(t))
    finally:
        w.kill()
        w.wait()


NOISY = "the machine's jitter is over 8 MiB (busy): the books said they cannot tell"


def pipes(pid_mode):
    """Up to three attempts, for one with the machine quiet enough: the pipes
    explained there. On a machine busy all along, every attempt's books must
    have said the change is within the jitter."""
    why = []
    for _ in range(3):
        why.append(pipes_attempt(pid_mode))
        if why[-1] is None:
            return
    if all(w == NOISY for w in why):
        print("pipes: the machine stayed busy in all three attempts; each said so")
        return
    assert why[-1] is None, why


def test_books_pipes_whole_system():
    pipes(False)


def test_books_pipes_pid():
    pipes(True)


def check_filp(rep, n):
    b = rep["books"]
    caches = {c["cache"]: c for c in b["slab_caches"]}
    assert "filp" in caches, [(c["cache"], c["change_objects"]) for c in b["slab_caches"]]
    c = caches["filp"]
    print(f"filp {c['change_objects']:+d} objects ({c['change_bytes'] / MIB:+.1f} MiB), jitter "
          f"{c['jitter_objects']}, traced {c['traced_blocks']}, share {c['share_explained']}")
    if abs(c["change_objects"] - n) > n // 10 + 4 * c["jitter_objects"]:
        return f"filp change {c['change_objects']} (others' noise?)"
    if c["share_explained"] is None or c["share_explained"] < 0.9:
        return f"share {c['share_explained']} ({c['unknown_why']})"
    assert c["share_explained"] < 1.5, c
    assert c["traced_blocks"] >= 0.9 * n, c
    return None


def eventfds_attempt(pid_mode, n):
    w = e2e.start_workload("leak_eventfd", n)
    try:
        e2e.wait_stopped(w)
        args = ["-p", str(w.pid), "--kernel"] if pid_mode else []
        with leaksnoop_books(*args) as t:
            report_after(t)
            os.kill(w.pid, signal.SIGCONT)          # opens n eventfds, stops holding them
            e2e.wait_stopped(w)
            return check_filp(report_after(t), n)
    finally:
        w.kill()
        w.wait()


def eventfds(pid_mode, n):
    why = [eventfds_attempt(pid_mode, n)]
    for _ in range(2):
        if why[-1] is None:
            return
        why.append(eventfds_attempt(pid_mode, n))
    assert why[-1] is None, why


def test_books_eventfds_filp_whole_system():
    eventfds(False, 20000)


def test_books_eventfds_filp_pid():
    # one process: RLIMIT_NOFILE's hard limit (20,000 here) less 64
    eventfds(True, 19900)


def test_books_only_with_kernel_allocations():
    """--user traces no kernel allocation: no books (null in JSON); by
    default (user and kernel) a command's report has them."""
    rc, reps, err = e2e.leaksnoop("--json", "--user", "--", e2e.workload("leak_loop"), "3", "0")
    assert reps and all(r["books"] is None for r in reps), err
    rc, reps, err = e2e.leaksnoop("--json", "--", e2e.workload("leak_loop"), "3", "0")
    assert reps and all(r["books"]["available"] for r in reps), err
    # a 3-iteration loop moves nothing beyond the jitter: no share claimed
    u = reps[-1]["books"]["unaccounted"]
    assert u["share_explained"] is None or abs(u["change_bytes"]) >= 1 << 20, u
