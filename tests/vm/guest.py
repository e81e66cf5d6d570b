"""The checks run inside each vmtest guest (see vmtest.py): an end-to-end
subset against independent oracles, with the e2e helpers. Prints
"vmtest-check NAME ok|FAIL DETAIL" per check; the host side collects them.

usage (in the guest): guest.py BUILD KERNEL"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import e2e  # noqa: E402

RAMDISK = "/dev/ram0"       # brd: a block device whose pages can be dropped


def kernel_version():
    return tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", os.uname().release).groups())


def bpf_objects():
    """Programs and links alive in the guest: nothing else loads BPF here,
    so after a tool exits there must be none."""
    out = {}
    for what in ("prog", "link"):
        p = subprocess.run(["bpftool", "-j", what, "list"], capture_output=True, text=True)
        out[what] = [o.get("name", o.get("type")) for o in json.loads(p.stdout or "[]")]
    return out


def assert_nothing_attached(tool):
    objs = bpf_objects()
    assert not objs["prog"] and not objs["link"], f"{tool} left BPF behind: {objs}"


def stop_clean(t, tool):
    rc = t.stop()
    assert rc == 0, f"{tool} exit status {rc} after SIGINT: {t.proc.stderr.read()[-1500:]}"
    assert_nothing_attached(tool)


def faulttop_minflt_rusage():
    """minor/major of a child that lives and dies between two frames ==
    its rusage (wait4), with the default sampling on."""
    ft = e2e.FaultTopJSON("-C", "touch_pages", "-a")
    w = e2e.start_workload("touch_pages", 3000, "fork")
    e2e.wait_stopped(w)
    m = re.match(r"child (\d+) minflt (\d+) majflt (\d+)", w.stdout.readline())
    assert m, "touch_pages printed no rusage"
    child, minflt, majflt = map(int, m.groups())
    r = ft.wait_row(child, lambda r: r["exited"], what="exited child", timeout=30)
    assert (r["total"]["minflt"], r["total"]["majflt"]) == (minflt, majflt), \
        f"faulttop {r['total']['minflt']}/{r['total']['majflt']}, rusage {minflt}/{majflt}"
    e2e.finish(w)
    stop_clean(ft, "faulttop")


def faulttop_majflt_kernel():
    """major faults from a dropped block-device page cache == the kernel's
    own counters of the workload (/proc/PID/stat at rest), --precise."""
    ft = e2e.FaultTopJSON("-C", "major_faults", "-a", "--precise")
    w = e2e.start_workload("major_faults", RAMDISK, 256)
    e2e.wait_stopped(w)
    kernel = e2e.proc_stat(w.pid)
    assert kernel["majflt"] >= 128, f"workload made too few major faults: {kernel}"
    ft.wait_row(w.pid, lambda r: r["total"]["majflt"] == kernel["majflt"] and
                r["total"]["minflt"] == kernel["minflt"], timeout=30,
                what=f"majflt/minflt == kernel's {kernel}")
    e2e.finish(w)
    stop_clean(ft, "faulttop")


def _segv(kind, code):
    ft = e2e.FaultTopJSON("-C", "segv", "-a")
    w = e2e.start_workload("segv", kind)
    out, _ = w.communicate(timeout=30)
    assert w.returncode == -11, f"segv {kind} exited {w.returncode}"
    addr = int(re.search(r"addr (0x[0-9a-f]+)", out).group(1), 16)
    r = ft.wait_row(w.pid, lambda r: r["total"]["segv_" + kind] == 1, what=kind, timeout=30)
    sig = r["last_signal"]
    assert sig["signal"] == "SIGSEGV" and sig["code"] == code, sig
    assert sig["addr"] == addr, f"faulttop {sig['addr']:#x}, workload printed {addr:#x}"
    stop_clean(ft, "faulttop")


def faulttop_segv_maperr():
    _segv("maperr", "SEGV_MAPERR")


def faulttop_segv_accerr():
    _segv("accerr", "SEGV_ACCERR")


def faulttop_segv_access_in_maps():
    """A write to a read-only page, placed by --maps with its access kind:
    x86's error code, arm64's ESR (task->thread.fault_code) on arm64."""
    import test_faulttop_vmas as vmas_tests
    vmas_tests.test_segv_accerr_placed_in_its_read_only_mapping()
    assert_nothing_attached("faulttop")


def faulttop_fault_hook_regions():
    """The hook this kernel gets by itself: page_fault_user on x86 (access
    kinds known), the perf fault events on arm64 (the JSON says why they
    are not); then arm64's path on every kernel (forced on x86): between two
    stops it classifies exactly the faults minflt+majflt counted, all anon."""
    import test_faulttop_arm64_path as arm64_path
    ft = e2e.FaultTopJSON()
    why = ft.first.get("access_unknown")
    stop_clean(ft, "faulttop")
    if os.uname().machine == "aarch64":
        assert why == "no page_fault_user tracepoint (x86-only)", why
    else:
        assert why is None, why
    arm64_path.test_precise_classifies_exactly_the_faults_the_kernel_counted()
    assert_nothing_attached("faulttop")


def _leak_loop(*mode):
    n = 50
    leak, freed = e2e.source_line("leak_loop.c", "leak"), e2e.source_line("leak_loop.c", "freed")
    rc, reports, err = e2e.leaksnoop("--json", "-T", "0", *mode, "--", e2e.workload("leak_loop"), n,
                                    timeout=120)
    assert rc == 0 and reports, f"leaksnoop exit {rc}: {err[-1500:]}"
    rep = reports[-1]
    at = e2e.records_at(rep, "leak_loop.c", leak)
    assert len(at) == 1 and at[0]["blocks"] == n and at[0]["bytes"] == n * 12288, e2e.describe(rep)
    assert not e2e.records_at(rep, "leak_loop.c", freed), e2e.describe(rep)
    # the leak kinds' scan works on this kernel: every block definitely lost
    # (valgrind says so of leak_loop; test_leaksnoop_loop_matches_valgrind)
    assert rep["scan"] and rep["scan"]["done"], rep["scan"]
    # the one thread's registers were read (arch_x86.c, arch_arm64.c: its
    # stack pointer bounds the stack's scan; at the exit hold no roots)
    assert rep["scan"]["threads"] == 1 and not rep["scan"]["roots"]["registers"], rep["scan"]
    assert at[0]["kinds"] == {"definite": [n * 12288, n]}, at[0]["kinds"]
    # what this kernel lacks is said once, and nothing else is
    expected = []
    if "--user" not in mode and kernel_version() < (6, 1):
        expected = ["leaksnoop: warning: this kernel's kmem_cache_alloc tracepoint carries no cache"]
    # ... and in the report
    missing = rep["health"]["kmem_cache_names_missing"]
    assert missing == bool(expected), f"report: kmem_cache_names_missing {missing}"
    warnings = [ln for ln in err.splitlines() if "warning" in ln]
    assert len(warnings) == len(expected) and all(
        w.startswith(e) for w, e in zip(warnings, expected)), f"warnings {warnings}, expected {expected}"
    assert_nothing_attached("leaksnoop")


def leaksnoop_pid_scan():
    """-p on a running process: the scan stops it and reads its registers,
    thread pointer included, as roots (arch_x86.c: PTRACE_GETREGS;
    arch_arm64.c: PTRACE_GETREGSET), and the leak loop's blocks come out
    definitely lost but for the newest few, whose addresses a register or
    the stack may still hold (2 at most in 3 runs on x86-64)."""
    leak = e2e.source_line("leak_loop.c", "leak")
    w = subprocess.Popen([e2e.workload("leak_loop"), "100000000", "0", "2000"])
    try:
        rc, reports, err = e2e.leaksnoop("--json", "--user", "-o", "0", "-p", w.pid, "2",
                                        timeout=120)
        assert rc == 0 and reports, f"leaksnoop exit {rc}: {err[-1500:]}"
        rep = reports[-1]
        scan = rep["scan"]
        assert scan and scan["done"] and scan["threads"] == 1 and scan["roots"]["registers"], scan
        at = e2e.records_at(rep, "leak_loop.c", leak)
        blocks = sum(r["blocks"] for r in at)
        definite = sum(r["kinds"].get("definite", [0, 0])[1] for r in at)
        assert blocks >= 10 and definite >= blocks - 3, e2e.describe(rep)
    finally:
        w.kill()
        w.wait()
    assert_nothing_attached("leaksnoop")


def leaksnoop_leak_loop_default():
    _leak_loop()


def leaksnoop_leak_loop_user():
    _leak_loop("--user")


def leaksnoop_cfi_stack():
    """The CFI unwinder on this kernel: a leak three calls below main in a
    program built -O2 -fomit-frame-pointer, no debug info, has every frame
    up to main (frame pointers alone find none of them)."""
    n = 7
    rc, reports, err = e2e.leaksnoop("--json", "--user", "--no-mmap", "-T", "0", "--",
                                     e2e.workload("nofp_deep"), n, timeout=120)
    assert rc == 0 and reports, f"leaksnoop exit {rc}: {err[-1500:]}"
    # a stack's records across leak kinds, added up (e2e.by_stack)
    recs = [r for r in e2e.by_stack(reports[-1]["records"]) if r["source"] == "user" and r["frames"]
            and r["frames"][0].get("func") == "level3"]
    assert len(recs) == 1 and recs[0]["blocks"] == n, e2e.describe(reports[-1])
    funcs = [f.get("func") for f in recs[0]["frames"]]
    assert funcs[:4] == ["level3", "level2", "level1", "main"], funcs
    assert_nothing_attached("leaksnoop")


def leaksnoop_kernel_eventfd():
    """--kernel -p: eventfds held == blocks outstanding, 0 once closed."""
    n = 40
    w = e2e.start_workload("leak_eventfd", n)
    e2e.wait_stopped(w)
    t = e2e.Tool([e2e.tool("leaksnoop"), "-p", str(w.pid), "--kernel", "-o", "0", "-i", "0.5",
                  "--json", "-T", "0"])
    json.loads(t.next_line(60))                 # attached
    for want in (n, 0):
        os.kill(w.pid, signal.SIGCONT)          # opens, then closes n eventfds
        e2e.wait_stopped(w)
        t.next_line(30)
        got = e2e.eventfd_blocks(json.loads(t.next_line(30)))
        assert got == want, f"{got} eventfd blocks outstanding, {want} held"
    e2e.finish(w)
    stop_clean(t, "leaksnoop")


EPOLL_SITES = ("do_epoll_ctl", "ep_insert", "attach_epitem")


def _epoll_records(rep):
    """Outstanding kmem_cache records allocated by epoll_ctl(ADD): the epoll
    item and (5.11+) the file's ep_head. By call site, not cache name: the
    caches may be merged into another (6.1 and 6.12 print eventpoll_epi's
    blocks under a merged cache's name; 5.10 names none)."""
    return [r for r in rep["records"] if r["source"] == "kmem_cache" and
            (r["call_site"] or "").split("+")[0] in EPOLL_SITES]


def leaksnoop_kernel_epoll_churn():
    """--kernel -p on an epoll churn (2,000 eventfds added to an epoll set and
    closed, 3 held): no epoll item the kernel freed is called outstanding:
    the 3 held are (with their ep_heads), or a cache is named as one whose
    frees are not all seen. Prints what this kernel lets leaksnoop see (the figures in
    docs/kernel-leaks.md come from these lines)."""
    n, held = 2000, 3
    w = e2e.start_workload("epoll_churn", n, held)
    e2e.wait_stopped(w)
    t = e2e.Tool([e2e.tool("leaksnoop"), "-p", str(w.pid), "--kernel", "-o", "0", "-i", "0.5",
                  "--json", "-T", "0"])
    json.loads(t.next_line(60))                 # attached
    os.kill(w.pid, signal.SIGCONT)              # the churn
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and e2e.proc_stat(w.pid)["state"] == "T":
        time.sleep(0.005)
    e2e.wait_stopped(w, timeout=120)
    while not t.lines.empty():                  # reports made during the churn
        t.lines.get_nowait()
    t.next_line(30)
    # the first report whose epoll items have settled, within 10 s: an item
    # closed in the instant of a report's drain is still pending in
    # kfree_rcu, outstanding for real (as test_leaksnoop_kernel_frees does)
    deadline = time.monotonic() + 10
    while True:
        rep = json.loads(t.next_line(30))
        recs = _epoll_records(rep)
        epi = sum(r["blocks"] for r in recs)
        if held <= epi <= 2 * held or time.monotonic() > deadline:
            break
    print(f"vmtest-info epoll_churn epoll_blocks={epi} "
          f"caches={[(r['cache'], r['call_site'], r['blocks']) for r in recs]} "
          f"batch_frees={rep['health']['kfree_rcu_batch_frees']} "
          f"not_watched={rep['health'].get('kfree_rcu_batches_not_watched')!r} "
          f"unseen={[(c['cache'], c['held_blocks'], c['missed_frees']) for c in rep['kernel_caches_frees_unseen']]} "
          f"eventfd={e2e.eventfd_blocks(rep)} missed_events={rep['health']['kernel_events_missed']}",
          flush=True)
    if rep["health"]["kernel_events_missed"]:
        # events lost under the host's load (the guest's vCPUs starved): the
        # report says so in its health line, and counts are not exact then
        print(f"vmtest-info epoll_churn not judged: {rep['health']['kernel_events_missed']} "
              f"kernel events missed, said in the report", flush=True)
        w.kill()
        w.wait()
        stop_clean(t, "leaksnoop")
        return
    # the item and its file's ep_head per held descriptor, at most; fewer
    # only if some cache is named as one whose frees are not all seen
    assert epi <= 2 * held, f"{epi} epoll blocks outstanding, {held} descriptors held"
    assert epi >= held or rep["kernel_caches_frees_unseen"], \
        f"{epi} epoll blocks outstanding, {held} held, no cache named"
    assert e2e.eventfd_blocks(rep) == held, f"{e2e.eventfd_blocks(rep)} eventfds, {held} held"
    w.kill()                                    # stopped before its last step
    w.wait()
    stop_clean(t, "leaksnoop")


def toggle_stress():
    """Not in the default set (vmtest.py --guest-env mmscope_checks=toggle_stress
    [--accel tcg,thread=multi]): faulttop's default
    sampling — page_fault_user attached 100 ms of every second — while a
    fault storm runs on both vCPUs, for mmscope_toggle_seconds (60). Passes if
    the guest survives; the host side looks for an oops on the console."""
    secs = float(os.environ.get("mmscope_toggle_seconds", "60"))
    ft = e2e.Tool([e2e.tool("faulttop"), "-b", "-d", "0.5", *os.environ.get(
        "mmscope_faulttop_args", "").split()])
    ft.next_line(60)
    deadline = time.monotonic() + secs
    storms = 0
    while time.monotonic() < deadline:
        ps = [subprocess.Popen([e2e.workload("fault_storm"), "64", "4"], stdout=subprocess.DEVNULL)
              for _ in range(2)]
        for p in ps:
            assert p.wait() == 0
        storms += 2
    print(f"vmtest: toggle_stress {storms} storms in {secs:.0f}s", flush=True)
    stop_clean(ft, "faulttop")


def _storm_seconds():
    out = subprocess.run([e2e.workload("fault_storm"), "64", "4"], capture_output=True, text=True,
                         check=True).stdout
    return float(out)


def _cost_modes():
    """mmscope_cost_modes=NAME:ARG+ARG;... — faulttop's arguments per mode;
    an ARG NAME=VALUE goes to its environment instead."""
    spec = os.environ.get("mmscope_cost_modes", "default:;precise:--precise")
    modes = {"untraced": None}
    for item in spec.split(";"):
        name, _, args = item.partition(":")
        args = [x for x in args.split("+") if x]
        modes[name] = ([x for x in args if "=" not in x],
                       dict(x.split("=", 1) for x in args if "=" in x))
    return modes


def sampling_cost():
    """Not in the default set: what faulttop's modes add to a fault storm,
    interleaved, medians, in guest time. Under QEMU's -icount guest time
    counts instructions, so the ratios don't move with the host's load."""
    modes = _cost_modes()
    reps = int(os.environ.get("mmscope_cost_reps", "5"))
    times = {m: [] for m in modes}
    for _ in range(reps):
        for m, spec in modes.items():
            t = None
            if spec is not None:
                t = subprocess.Popen([e2e.tool("faulttop"), "-b", "-d", "0.5", *spec[0]],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env={**os.environ, **spec[1]})
                t.stdout.readline()             # attached
            times[m].append(_storm_seconds())
            if t:
                t.send_signal(signal.SIGINT)
                t.communicate(timeout=30)
    base = sorted(times["untraced"])[reps // 2]
    for m in modes:
        r = sorted(x / base for x in times[m])
        print(f"vmtest: cost {m}: ratio min/median/max {r[0]:.3f}/{r[reps // 2]:.3f}/{r[-1]:.3f}",
              flush=True)


def uprobe_cost():
    """Not in the default set: what a uprobe hit costs on an instruction
    the kernel emulates and on one it single-steps (the uprobe_hits
    workload: CPU time per call, probed minus unprobed, interleaved; the
    kernel's hit count must be every call)."""
    n, reps = os.environ.get("mmscope_uprobe_calls", "20000"), 5
    p = subprocess.run([e2e.workload("uprobe_hits"), n, str(reps)], capture_output=True,
                       text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-500:]
    for line in p.stdout.splitlines():
        print(f"vmtest: uprobe {line}", flush=True)
        assert line.split()[-1] == str(int(n) * reps), f"the probe missed calls: {line}"


def faulttop_books_add_up_and_steady():
    """The books on this kernel: every frame's buckets add up to MemTotal
    exactly, the meminfo fields this kernel lacks are named (5.10: no
    SecPageTables, no Zswap), slabinfo, buddyinfo and zoneinfo parse, and
    this guest -- where nothing else runs, unlike the shared host -- is
    judged steady once the trend window (12 samples) is full."""
    ft = e2e.FaultTopJSON("--mem-interval", "0.3")
    verdicts = []
    try:
        deadline = time.monotonic() + 120
        while len(verdicts) < 6 and time.monotonic() < deadline:
            m = ft.next_frame(timeout=60).get("memory")
            if not m:
                continue
            assert sum(m["buckets"].values()) == m["mem_total"], m["buckets"]
            assert m["slab"] and m["zones"] and m["buddy"], "slab/zones/buddy empty"
            want = ["SecPageTables", "Zswap"] if kernel_version() < (5, 19) else []
            assert sorted(m["missing_fields"]) == sorted(want), m["missing_fields"]
            if m["verdict"]["samples"] >= 12:
                verdicts.append(m["verdict"])
    finally:
        stop_clean(ft, "faulttop")
    assert len(verdicts) >= 6, f"only {len(verdicts)} judged frames"
    # the window right after faulttop loaded its BPF may still hold that
    assert any(v["where"] == "none" and v["sentence"].startswith("steady") for v in verdicts), \
        [v["sentence"] for v in verdicts]
    assert all("unaccounted" not in [b["bucket"] for b in v["buckets"]] for v in verdicts[-3:]), \
        [v["sentence"] for v in verdicts]


def leaksnoop_follow_prefork():
    """-f on this kernel (the set's BPF paths load only with -f): each
    forked worker's exact leak under its own pid (test_leaksnoop_procs)."""
    import test_leaksnoop_procs as procs
    rc, reports, err = e2e.leaksnoop("--json", "--user", "-T", "0", "-f", "--",
                                     e2e.workload("prefork"), procs.WORKERS, timeout=180)
    assert rc == 0, f"leaksnoop exit {rc}: {err[-1500:]}"
    by_pid, summary = procs.finals(reports)
    workers = sorted((r for r in by_pid.values() if r["ppid"]),
                     key=lambda r: procs.worker_leaks(r)[0]["blocks"] if procs.worker_leaks(r) else 0)
    assert len(workers) == procs.WORKERS, (sorted(by_pid), err[-1500:])
    for i, r in enumerate(workers):
        procs.assert_worker(r, i)
    assert_nothing_attached("leaksnoop")


def leaksnoop_follow_prefork_pidns():
    """-f inside `unshare --pid --fork --mount-proc`: the set keyed by the
    namespace's ids (its fork hook reads the child's struct pid level by
    level: loaded only in a namespace, so verified only here)."""
    import test_leaksnoop_procs as procs
    procs.test_follow_inside_a_pid_namespace()
    assert_nothing_attached("leaksnoop")


EXTRA_CHECKS = [toggle_stress, sampling_cost, uprobe_cost]

CHECKS = [faulttop_minflt_rusage, faulttop_majflt_kernel, faulttop_segv_maperr,
          faulttop_segv_accerr, faulttop_segv_access_in_maps, faulttop_fault_hook_regions,
          leaksnoop_leak_loop_default, leaksnoop_leak_loop_user, leaksnoop_pid_scan,
          leaksnoop_cfi_stack, leaksnoop_kernel_eventfd, faulttop_books_add_up_and_steady,
          leaksnoop_follow_prefork, leaksnoop_follow_prefork_pidns, leaksnoop_kernel_epoll_churn]


def setup():
    subprocess.run(["modprobe", "brd"], capture_output=True)    # insmod'ed by /init already
    assert os.path.exists(RAMDISK), f"{RAMDISK} missing (brd not loaded)"


def problem_for(check):
    """Why check cannot run here, or None: e2e's reasons, except that a tool
    not built fails only its own checks (faulttop_*, leaksnoop_*), so a
    port that builds one tool first (`make ARCH=arm64 -k vmtest-build`)
    has that tool's checks run."""
    tool = check.__name__.split("_", 1)[0]
    if check in EXTRA_CHECKS:       # both run faulttop alone
        tool = "faulttop"
    if tool in ("faulttop", "leaksnoop") and not os.access(e2e.tool(tool), os.X_OK):
        return f"{e2e.tool(tool)} not built"
    problem = e2e.environment_problem()
    if problem and tool in ("faulttop", "leaksnoop") and problem.endswith(" not built"):
        return None
    return problem


def main():
    e2e.BUILD = os.path.abspath(sys.argv[1])
    # mmscope_checks=a,b on the guest's command line: only those
    only = [c for c in os.environ.get("mmscope_checks", "").split(",") if c]
    setup()
    for check in CHECKS + EXTRA_CHECKS:
        if (only and check.__name__ not in only) or (not only and check in EXTRA_CHECKS):
            continue
        t0 = time.monotonic()
        try:
            problem = problem_for(check)
            if problem:
                raise AssertionError(f"cannot run: {problem}")
            check()
            print(f"vmtest-check {check.__name__} ok {time.monotonic() - t0:.1f}s", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure reported the same way
            detail = str(e).replace("\n", " ")[:600] or type(e).__name__
            print(f"vmtest-check {check.__name__} FAIL {detail}", flush=True)
            traceback.print_exc(file=sys.stdout)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
