"""leaksnoop over several processes (issue 18): -f follows forks, -p takes a
list, --cgroup takes a cgroup v2's processes, those that start later too.
The oracle is the prefork workload's construction: worker i leaks exactly
i+1 blocks of 1000 + 16*i bytes from one line, and frees as many others."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import e2e
from e2e import by_stack, describe, leaksnoop, source_line

WORKERS = 3


def leak_line():
    return source_line("prefork.c", "worker_leak")


def worker_leaks(report):
    """The stacks (by_stack) whose first frame is the workers' leak line."""
    line = leak_line()
    out = []
    for r in by_stack(report["records"]):
        f = r["frames"][0] if r["frames"] else {}
        if r["source"] == "user" and os.path.basename(f.get("file") or "") == "prefork.c" \
                and f.get("line") == line:
            out.append(r)
    return out


def assert_worker(report, i):
    """Worker i's report holds exactly its i+1 blocks of 1000 + 16*i bytes."""
    at = worker_leaks(report)
    assert len(at) == 1, describe(report)
    assert at[0]["blocks"] == i + 1, (i, describe(report))
    assert at[0]["bytes"] == (i + 1) * (1000 + 16 * i), (i, describe(report))


def finals(reports):
    """The final report of each process, by pid, and the set summary."""
    by_pid = {r["pid"]: r for r in reports if r["type"] == "report" and r["final"]}
    summary = [r for r in reports if r["type"] == "set_summary" and r["final"]]
    return by_pid, summary[-1] if summary else None


def test_follow_command_reports_each_worker_apart():
    rc, reports, err = leaksnoop("--json", "--user", "-T", "0", "-f", "--",
                                 e2e.workload("prefork"), WORKERS)
    assert rc == 0, err
    by_pid, summary = finals(reports)
    assert len(by_pid) == WORKERS + 1, (sorted(by_pid), err)
    master = [r for r in by_pid.values() if not r["ppid"]]
    assert len(master) == 1 and not worker_leaks(master[0]), describe(master[0])
    workers = sorted((r for r in by_pid.values() if r["ppid"]),
                     key=lambda r: worker_leaks(r)[0]["blocks"] if worker_leaks(r) else 0)
    for i, r in enumerate(workers):
        assert r["ppid"] == master[0]["pid"] and r["exited"], r
        assert "prefork" in r["cmdline"], r["cmdline"]
        assert_worker(r, i)
    want = sum((i + 1) * (1000 + 16 * i) for i in range(WORKERS))
    assert summary and summary["processes"] == WORKERS + 1, summary
    assert summary["outstanding"]["user"]["bytes"] == want, summary


def test_without_follow_the_workers_are_not_traced():
    """The same run without -f: the master alone (no worker records)."""
    rc, reports, err = leaksnoop("--json", "--user", "-T", "0", "--",
                                 e2e.workload("prefork"), WORKERS)
    assert rc == 0, err
    assert len([r for r in reports if r["type"] == "report"]) == 1, reports
    assert not worker_leaks(reports[-1]), describe(reports[-1])


class Prefork:
    """prefork N go: the workers wait for go, leak, then wait for stdin's end."""

    def __init__(self, argv=None):
        self.p = subprocess.Popen(argv or [e2e.workload("prefork"), str(WORKERS), "go"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.workers = []
        for _ in range(WORKERS):
            _, i, pid = self.p.stdout.readline().split()
            self.workers.append(int(pid))

    def leak(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        assert self.p.stdout.readline().strip() == "leaked"

    def close(self):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            for pid in self.workers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.p.wait()


def drain(t):
    """The rest of a Tool's output, once it has ended."""
    while (line := t.lines.get(timeout=10)) is not None:
        t.all_lines.append(line)


def trace_live(args, start_work):
    """Runs leaksnoop with args (JSON, -i 0.3), waits until it reports, runs
    start_work(), then ends it with SIGINT: its JSON reports."""
    t = e2e.Tool([e2e.tool("leaksnoop"), "--json", "--user", "-T", "0", "-o", "0", "-i", "0.3",
                  *args])
    try:
        json.loads(t.next_line(30))     # attached: the first interval report
        start_work()
        time.sleep(0.5)
        assert t.stop(signal.SIGINT) == 0, t.proc.stderr.read()
        drain(t)
    finally:
        if t.proc.poll() is None:
            t.proc.kill()
    return [json.loads(l) for l in t.all_lines if l.startswith("{")], t


def test_follow_pid_traces_the_children_it_forks_later():
    """-f -p MASTER: the workers the running master forks after leaksnoop
    attached are traced from their fork, each with its exact count."""
    p = subprocess.Popen([e2e.workload("prefork"), str(WORKERS), "late"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    workers = []
    try:
        master = int(p.stdout.readline().split()[1])

        def fork_and_leak():
            p.stdin.write("go\n")
            p.stdin.flush()
            for _ in range(WORKERS):
                workers.append(int(p.stdout.readline().split()[2]))
            assert p.stdout.readline().strip() == "leaked"

        reports, t = trace_live(["-f", "-p", str(master)], fork_and_leak)
    finally:
        p.stdin.close()
        p.wait(timeout=30)
    by_pid, summary = finals(reports)
    assert set(by_pid) == {master, *workers}, (sorted(by_pid), master, workers)
    assert not worker_leaks(by_pid[master]), describe(by_pid[master])
    for i, pid in enumerate(workers):
        assert by_pid[pid]["ppid"] == master, by_pid[pid]
        assert_worker(by_pid[pid], i)


def test_pid_list_traces_every_listed_process():
    w = Prefork()
    try:
        # a list and a repeated -p: all three traced, the master not
        reports, t = trace_live(["-p", f"{w.workers[0]},{w.workers[1]}", "-p", str(w.workers[2])],
                                w.leak)
    finally:
        w.close()
    by_pid, summary = finals(reports)
    assert sorted(by_pid) == sorted(w.workers), (sorted(by_pid), w.workers)
    for i, pid in enumerate(w.workers):
        assert_worker(by_pid[pid], i)
        assert by_pid[pid]["leak_summary"]["definite"]["blocks"] >= i, by_pid[pid]["leak_summary"]
    assert summary["processes"] == WORKERS, summary


def test_cgroup_traces_processes_that_start_later():
    cg = os.path.join(e2e.cgroup2_mount(), f"mmscope-e2e-ls-{os.getpid()}")
    os.mkdir(cg)
    w = None
    try:
        def start():
            nonlocal w
            # the shell moves itself in, then becomes the master: every
            # worker is forked inside the cgroup, after leaksnoop started
            w = Prefork(["sh", "-c", f'echo $$ > {cg}/cgroup.procs && exec "$0" "$@"',
                         e2e.workload("prefork"), str(WORKERS), "go"])
            w.leak()

        reports, t = trace_live(["--cgroup", cg], start)
    finally:
        if w:
            w.close()
        e2e.remove_cgroup(cg)
    by_pid, summary = finals(reports)
    assert set(w.workers) <= set(by_pid), (sorted(by_pid), w.workers)
    assert w.p.pid in by_pid, sorted(by_pid)
    for i, pid in enumerate(w.workers):
        assert_worker(by_pid[pid], i)
    others = set(by_pid) - set(w.workers) - {w.p.pid}
    assert not others, f"processes outside the cgroup reported: {others}"


def test_cgroup_traces_the_processes_already_in_it():
    """Workers forked in the cgroup before leaksnoop starts: listed from
    cgroup.procs (a sub-cgroup's too), each with its exact count."""
    cg = os.path.join(e2e.cgroup2_mount(), f"mmscope-e2e-ls0-{os.getpid()}")
    sub = os.path.join(cg, "inner")
    os.mkdir(cg)
    os.mkdir(sub)
    w = None
    try:
        w = Prefork(["sh", "-c", f'echo $$ > {sub}/cgroup.procs && exec "$0" "$@"',
                     e2e.workload("prefork"), str(WORKERS), "go"])
        reports, t = trace_live(["--cgroup", cg], w.leak)
    finally:
        if w:
            w.close()
        e2e.remove_cgroup(sub)
        e2e.remove_cgroup(cg)
    by_pid, summary = finals(reports)
    assert set(w.workers) | {w.p.pid} == set(by_pid), (sorted(by_pid), w.workers, w.p.pid)
    for i, pid in enumerate(w.workers):
        assert_worker(by_pid[pid], i)
    assert summary["processes"] == WORKERS + 1, summary


def test_cgroup_and_pid_list_bad_input():
    rc, _, err = leaksnoop("-p", "1,abc")
    assert rc == 2 and "PID" in err, (rc, err)
    rc, _, err = leaksnoop("-p", "1,,2")
    assert rc == 2 and "invalid PID list" in err, (rc, err)
    rc, _, err = leaksnoop("--cgroup", "no-such-cgroup-xyz", "--user", "1")
    assert rc == 1 and "no such cgroup" in err, (rc, err)
    rc, _, err = leaksnoop("-f", "1")
    assert rc == 2 and "-f needs" in err, (rc, err)
    rc, _, err = leaksnoop("--cgroup", "x", "-p", "1")
    assert rc == 2 and "excludes" in err, (rc, err)
    rc, _, err = leaksnoop("-p", f"1,{2**22 + 7}", "1")
    assert rc == 1 and "no process" in err, (rc, err)


# ---- Debian's nginx: a real pre-fork server --------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def kill_tree(pid):
    """SIGKILL to what pid started, by id (whatever is left of nginx)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        return
    for k in kids:
        kill_tree(k)
        try:
            os.kill(k, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_nginx_two_workers_under_follow():
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.access(nginx, os.X_OK), "nginx is not installed (scripts/install-deps.sh)"
    port = free_port()
    d = tempfile.mkdtemp(prefix="mmscope-nginx-")
    os.chmod(d, 0o755)      # the workers run as nobody
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write("hello from nginx\n")
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 2;
daemon off;
master_process on;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{ listen 127.0.0.1:{port}; root {d}; }}
}}
""")
    t = e2e.Tool([e2e.tool("leaksnoop"), "--json", "--user", "-T", "0", "-f", "--",
                  nginx, "-c", conf, "-p", d])
    try:
        served = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and served < 20:
            try:
                if b"hello from nginx" in get(port):
                    served += 1
            except OSError:
                time.sleep(0.2)
        assert served == 20, f"nginx served {served} requests under leaksnoop -f"
        time.sleep(1)
        # nginx -s quit: the master ends its workers and exits
        with open(os.path.join(d, "nginx.pid")) as f:
            os.kill(int(f.read()), signal.SIGQUIT)
        t.proc.wait(timeout=30)
        drain(t)
    finally:
        kill_tree(t.proc.pid)
        if t.proc.poll() is None:
            t.proc.kill()
            t.proc.wait()
        shutil.rmtree(d, ignore_errors=True)
    reports = [json.loads(l) for l in t.all_lines if l.startswith("{")]
    by_pid, summary = finals(reports)
    workers = [r for r in by_pid.values() if r["ppid"] and "worker" in r["cmdline"]]
    assert len(workers) == 2, [(r["pid"], r["ppid"], r["cmdline"]) for r in by_pid.values()]
    for r in workers:
        # each worker's own heap: allocations it made, symbolized in nginx
        assert r["summary"]["user"]["allocated_blocks"] > 0, r["summary"]
        assert any((f.get("module") or "").endswith("nginx") or "ngx_" in f.get("text", "")
                   for x in r["records"] for f in x["frames"]), describe(r)
    assert summary["processes"] >= 3, summary


# ---- exec inside a set, and a set inside a PID namespace -----------------------

BASH_HEAP = "for i in $(seq 1 300); do x[$i]=$i; done"   # ~1,600 live blocks
LOOP_BYTES = 12288     # leak_loop N leaks N blocks of this many bytes at its @leak line


def loop_blocks(report):
    """leak_loop's blocks at its @leak line, and the process's user total."""
    at = e2e.records_at(report, "leak_loop.c", source_line("leak_loop.c", "leak"))
    return sum(r["blocks"] for r in at), sum(r["bytes"] for r in at), report["summary"]["user"]


def seq_in_use_at_exit():
    """(blocks, bytes) `seq 1 300` holds at its exit, by valgrind."""
    p = subprocess.run(["valgrind", "--run-libc-freeres=no", "seq", "1", "300"],
                       capture_output=True, text=True, timeout=120)
    m = re.search(r"in use at exit: ([\d,]+) bytes in ([\d,]+) blocks", p.stderr)
    assert m, p.stderr[-2000:]
    return int(m.group(2).replace(",", "")), int(m.group(1).replace(",", ""))


def test_follow_forgets_each_image_an_exec_replaced():
    """-f on bash -c '<heap>; bash -c "<heap>; exec leak_loop M"; exec
    leak_loop N': the child bash (a set member, forked) and the command
    itself each build a bash heap and exec leak_loop. Each one's final
    report, named by its new image, holds exactly its leak_loop's blocks
    and none of the bash heap the exec replaced (~1,600 blocks each)."""
    n, m = 13, 7
    w = e2e.workload("leak_loop")
    # leak_loop waits 1 s before its loop: the set is polled every 0.2 s, and
    # a member's new symbols are read while it lives (only the command is
    # held at its exit)
    inner = f"{BASH_HEAP}; exec {w} {m} 1000"
    rc, reports, err = leaksnoop("--json", "--user", "-T", "0", "-f", "--", "bash", "-c",
                                 f"{BASH_HEAP}; bash -c '{inner}'; exec {w} {n} 1000", timeout=120)
    assert rc == 0, err
    by_pid, summary = finals(reports)
    loops = [r for r in by_pid.values() if r["comm"] == "leak_loop"]
    assert len(loops) == 2, ({p: r["comm"] for p, r in by_pid.items()}, err)
    main = [r for r in loops if not r["ppid"]][0]
    child = [r for r in loops if r["ppid"]][0]
    for rep, count in ((main, n), (child, m)):
        blocks, nbytes, user = loop_blocks(rep)
        assert (blocks, nbytes) == (count, count * LOOP_BYTES), describe(rep)
        assert user["outstanding_blocks"] == count, (user, describe(rep))
        assert "leak_loop" in rep["cmdline"], rep["cmdline"]
    # $(seq ...) forks a copy of bash that execs seq: what its report holds
    # is seq's own heap at exit, as valgrind counts it without running
    # libc's freeres (140 blocks here), not bash's
    others = [r for r in by_pid.values() if r["comm"] != "leak_loop"]
    assert len(others) == 2 and all(r["comm"] == "seq" for r in others), \
        [r["comm"] for r in others]
    want = seq_in_use_at_exit()
    for r in others:
        user = r["summary"]["user"]
        assert (user["outstanding_blocks"], user["outstanding_bytes"]) == want, (want, user)
    assert summary["processes"] == len(by_pid), summary


def test_follow_inside_a_pid_namespace():
    """leaksnoop -f inside `unshare --pid --fork --mount-proc` (a container's
    view): the prefork workers are followed under the namespace's PIDs,
    each with exactly its construction's blocks."""
    p = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", e2e.tool("leaksnoop"),
                        "--json", "--user", "-T", "0", "-f", "--", e2e.workload("prefork"),
                        str(WORKERS)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    reports = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    by_pid, summary = finals(reports)
    assert len(by_pid) == WORKERS + 1, (sorted(by_pid), p.stderr[-2000:])
    assert all(pid < 100 for pid in by_pid), sorted(by_pid)     # the namespace's PIDs
    master = [r for r in by_pid.values() if not r["ppid"]]
    assert len(master) == 1 and master[0]["pid"] == 2, sorted(by_pid)
    workers = sorted((r for r in by_pid.values() if r["ppid"]),
                     key=lambda r: worker_leaks(r)[0]["blocks"] if worker_leaks(r) else 0)
    for i, r in enumerate(workers):
        assert r["ppid"] == 2 and r["exited"], r
        assert_worker(r, i)
