"""faulttop's books end to end: the buckets, the slab caches and the verdict
against workloads that know what they hold (512 pipes of 64 KiB, 20,000
eventfds, a heap growing 1 MiB/s, a 64 MiB tmpfs file), on a machine other
people load at the same time: every expected change is compared with the
noise the test measured on the same bucket just before, not with a fixed
tolerance alone."""
import os
import statistics
import time

import e2e

MIB = 1 << 20
# one books sample per frame: the trend window is 12 x 0.3 s
ARGS = ("--mem-interval", "0.3")


def check_adds_up(frame):
    """Every bucket of every frame adds up to MemTotal exactly."""
    m = frame.get("memory")
    if m:
        assert sum(m["buckets"].values()) == m["mem_total"], m["buckets"]
    return m


def frames(ft, n):
    """The memory objects of the next n frames (checked to add up)."""
    out = []
    while len(out) < n:
        m = check_adds_up(ft.next_frame())
        if m:
            out.append(m)
    return out


def stopped(proc):
    with open(f"/proc/{proc.pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "T"


def frames_until_stopped(ft, proc, timeout=60):
    """Frames until the workload stops itself (it holds what it made)."""
    out, deadline = [], time.monotonic() + timeout
    while not stopped(proc):
        assert time.monotonic() < deadline, "workload did not stop"
        m = check_adds_up(ft.next_frame())
        if m:
            out.append(m)
    return out


def bucket(ms, name):
    return [m["buckets"][name] for m in ms]


def spread(values):
    return max(values) - min(values)


def judged(ms):
    """The verdicts of frames whose trend window was full."""
    return [m["verdict"] for m in ms if m["verdict"]["samples"] >= 12]


def frame_read_after(ft, t_mono, timeout=15):
    """The memory of the first frame whose books were read after t_mono."""
    deadline = time.monotonic() + timeout
    while True:
        m = check_adds_up(ft.next_frame(timeout=max(0.1, deadline - time.monotonic())))
        if m and m["read_at"] > t_mono:
            return m


def cont_and_wait(w):
    os.kill(w.pid, 18)          # SIGCONT: the next step, which ends in a stop
    e2e.wait_stopped(w)
    return time.monotonic()


def test_books_pipes_grow_unaccounted_32mib():
    """Each of 8 rounds fills 512 pipes with 64 KiB (32 MiB in 8,192 pages)
    and closes them; the books are read every 0.1 s, and each rise and
    fall is measured between the readings just around it. Others' noise
    (unaccounted swings by 100-400 MiB over seconds on this shared machine)
    is far smaller over 0.1-0.2 s, and the median of 16 steps is the
    result; the tolerance is the median size of the same bucket's steps at
    rest, measured in the same run."""
    rounds = 8
    with e2e.FaultTopJSON("-d", "0.1", "--mem-interval", "0.1") as ft:
        rest = [m["buckets"]["unaccounted"] for m in frames(ft, 16)]
        w = e2e.start_workload("hold_pipes", 512, 0, rounds)
        e2e.wait_stopped(w)
        steps = []
        held = frame_read_after(ft, time.monotonic())
        for r in range(rounds):
            closed = frame_read_after(ft, cont_and_wait(w))
            steps.append(held["buckets"]["unaccounted"] - closed["buckets"]["unaccounted"])
            if r + 1 < rounds:
                held = frame_read_after(ft, cont_and_wait(w))
                steps.append(held["buckets"]["unaccounted"] - closed["buckets"]["unaccounted"])
        e2e.finish(w)
    at_rest = statistics.median(abs(a - b) for a, b in zip(rest, rest[1:]))
    step = statistics.median(steps)
    print(f"pipes: unaccounted steps of {step / MIB:.1f} MiB (median of {len(steps)}: "
          f"{', '.join(f'{s / MIB:.0f}' for s in steps)}); steps at rest {at_rest / MIB:.1f} MiB")
    assert abs(step - 32 * MIB) <= 2 * MIB + 2 * at_rest, (step / MIB, at_rest / MIB)


def test_books_pipes_held_the_verdict_says_kernel_unaccounted():
    """512 pipes filled over ~2.5 s: within a 3.6-s window the unaccounted
    bucket rises 32 MiB, which the verdict must name; up to 3 tries, since
    a burst of others' noise can break the fit of one."""
    seen = []
    with e2e.FaultTopJSON(*ARGS) as ft:
        frames(ft, 12)
        for attempt in range(3):
            w = e2e.start_workload("hold_pipes", 512, 5000)
            ms = frames_until_stopped(ft, w) + frames(ft, 6)
            cont_and_wait(w)        # closed
            e2e.finish(w)
            for v in judged(ms):
                seen.append(v["sentence"])
                if any(b["bucket"] == "unaccounted" for b in v["buckets"]):
                    assert "unaccounted +" in v["sentence"], v
                    # the larger side is where; the kernel's includes this
                    assert v["kernel_bytes_per_s"] > 0
                    assert v["where"] == ("kernel" if v["kernel_bytes_per_s"] >=
                                          v["user_bytes_per_s"] else "user"), v
                    return
            frames(ft, 12)
    raise AssertionError("no verdict named unaccounted: " + " | ".join(seen))


def own_slab(cache):
    """The kernel's active objects of a cache, read by the test itself."""
    with open("/proc/slabinfo") as f:
        for line in f:
            if line.split()[0] == cache:
                return int(line.split()[1])
    raise AssertionError(f"no {cache} in /proc/slabinfo")


def test_books_eventfds_grow_their_slab_caches_and_the_verdict_names_them():
    """20,000 eventfds (in helper processes beyond RLIMIT_NOFILE), opened
    over ~2 s: each has a struct file, so filp gains 20,000 objects (the
    workload's count; the kernel's own count before is the test's read),
    and the verdict names filp with that rise."""
    n = 20000
    with e2e.FaultTopJSON(*ARGS) as ft:
        w = e2e.start_workload("leak_eventfd", n, 100)
        e2e.wait_stopped(w)
        frames(ft, 12)
        rest = []
        for _ in range(6):
            rest.append(own_slab("filp"))
            time.sleep(0.1)
        os.kill(w.pid, 18)
        during = frames_until_stopped(ft, w)
        held = frames(ft, 4)
        os.kill(w.pid, 18)
        e2e.wait_stopped(w)
        e2e.finish(w)

    def objs(m, cache):
        return next((c["active_objs"] for c in m["slab"] if c["cache"] == cache), None)
    after = [objs(m, "filp") for m in held if objs(m, "filp") is not None]
    assert after, "filp is not among the growing caches the frames list"
    grown = statistics.median(after) - statistics.median(rest)
    noise = spread(rest) + spread(after)
    print(f"eventfds: filp +{grown:.0f} objects (noise {noise})")
    assert abs(grown - n) <= 0.03 * n + noise, (grown, noise)
    verdicts = judged(during + held)
    named = [v for v in verdicts if any(c["cache"] == "filp" for c in v["caches"])]
    assert named, [(v["caches"], v["sentence"]) for v in verdicts]
    # the larger side is where; the kernel's includes this
    assert all(v["where"] == ("kernel" if v["kernel_bytes_per_s"] >= v["user_bytes_per_s"]
                              else "user") for v in named), named
    best = max(named, key=lambda v: next(c["objs_rise"] for c in v["caches"]
                                         if c["cache"] == "filp"))
    filp = next(c for c in best["caches"] if c["cache"] == "filp")
    # the window's fitted rise: about the whole ramp once it is inside
    assert 0.7 * n <= filp["objs_rise"] <= 1.6 * n, filp
    assert "filp +" in best["sentence"], best["sentence"]


def test_books_growing_heap_is_user_space_with_its_pid():
    with e2e.FaultTopJSON(*ARGS) as ft:
        w = e2e.start_workload("grow_heap", 8)
        during = frames_until_stopped(ft, w)
        e2e.finish(w)
    verdicts = judged(during)
    user = [v for v in verdicts if w.pid in v["pids"]]
    assert user, [v["sentence"] for v in verdicts]
    assert any(v["where"] == "user" for v in user), [v["sentence"] for v in user]
    p = next(p for p in user[-1]["procs"] if p["pid"] == w.pid)
    # 64 KiB every 62.5 ms: 1 MiB/s (sleeps only lengthen the period)
    assert 0.5 * MIB <= p["uss_bytes_per_s"] <= 1.3 * MIB, p


def test_books_tmpfs_file_is_shmem_not_unaccounted():
    """A 64 MiB tmpfs file, written and removed 4 times: each step moves
    shmem by 64 MiB (between the books read just before and just after)
    and leaves unaccounted where it was. Each round also takes a step with
    nothing done (the control): on a machine busy with others' builds the
    remainder swings by 10-25 MiB between two frames (seen in a clean-clone
    run beside four compiling engineers), and the file's steps may move it
    no more than the control's do."""
    path = "/dev/shm/mmscope-books-e2e"
    shmem, un, control = [], [], []
    with e2e.FaultTopJSON("-d", "0.1", "--mem-interval", "0.1") as ft:
        rest = [m["buckets"]["unaccounted"] for m in frames(ft, 12)]
        try:
            for _ in range(4):
                a = frame_read_after(ft, time.monotonic())
                with open(path, "wb") as f:
                    f.write(b"s" * (64 * MIB))
                b = frame_read_after(ft, time.monotonic())
                os.unlink(path)
                c = frame_read_after(ft, time.monotonic())
                d = frame_read_after(ft, time.monotonic())
                control.append(d["buckets"]["unaccounted"] - c["buckets"]["unaccounted"])
                for x, y in ((b, a), (b, c)):
                    shmem.append(x["buckets"]["shmem"] - y["buckets"]["shmem"])
                    un.append(x["buckets"]["unaccounted"] - y["buckets"]["unaccounted"])
        finally:
            if os.path.exists(path):
                os.unlink(path)
    at_rest = statistics.median(abs(a - b) for a, b in zip(rest, rest[1:]))
    noise = max(abs(x) for x in control)
    print(f"tmpfs: shmem steps {', '.join(f'{s / MIB:.1f}' for s in shmem)} MiB; "
          f"unaccounted {', '.join(f'{s / MIB:+.1f}' for s in un)} MiB; at rest {at_rest / MIB:.1f}; "
          f"control {', '.join(f'{s / MIB:+.1f}' for s in control)} MiB")
    assert abs(statistics.median(shmem) - 64 * MIB) <= MIB, shmem
    # without a shmem bucket the file would be +-64 MiB of remainder
    assert abs(statistics.median(un)) <= 2 * MIB + 2 * at_rest + noise, (un, at_rest, control)
