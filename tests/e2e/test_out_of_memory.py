"""Both tools short of memory while loading: a plain exit (0, or 1 with one
"<tool>: ..." line), never a crash. (One test for both: the harness is
e2e.out_of_memory_runs.)"""
import e2e


def test_out_of_memory_in_loader_is_a_clean_error():
    e2e.out_of_memory_runs("faulttop", [["-b", "-n", "1"]],
                           (15_000_000, 20_000_000, 25_000_000), asan_must_fail=True)
    w = e2e.start_workload("leak_hostile", "leak", "-", 1, 1)
    try:
        e2e.wait_stopped(w)
        # short of memory is not a kernel without the tracepoints
        e2e.out_of_memory_runs("leaksnoop", [["--user", "-p", str(w.pid), "0.3"], ["--kernel", "0.3"]],
                               # a spread: where it runs short moves with the machine (CI died at 45 MB
                               # only: the stack could not grow there)
                               (15_000_000, 20_000_000, 30_000_000, 45_000_000, 50_000_000,
                                60_000_000, 80_000_000),
                               never_in_error=("no tracepoint", "No such process"))
    finally:
        e2e.finish(w)
