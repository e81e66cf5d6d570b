"""Helpers shared by the end-to-end tests: run the real tools (real BPF on
the real kernel) and the workloads, read what the kernel itself says."""
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time

BUILD = "build"
WORKLOADS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads")


def tool(name):
    return os.path.join(BUILD, name)


def workload(name):
    return os.path.join(BUILD, "tests", name)


def environment_problem():
    """Why the e2e tests can't run here, or None. Never a silent skip: the
    runner fails every e2e test with this reason."""
    if os.geteuid() != 0:
        return "not root (the end-to-end tests load BPF programs)"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "no kernel BTF at /sys/kernel/btf/vmlinux"
    for t in ("faulttop", "leaksnoop"):
        if not os.access(tool(t), os.X_OK):
            return f"{tool(t)} not built"
    return None


def proc_stat(pid):
    """The kernel's own numbers for pid: state, minflt, majflt."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        text = f.read().decode("latin-1")    # a comm may hold any byte
    rest = text[text.rindex(")") + 2:].split()
    return {"state": rest[0], "minflt": int(rest[7]), "majflt": int(rest[9])}


def comm(pid):
    """pid's name (/proc/PID/comm), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def wait_stopped(proc, timeout=20):
    """Waits until a workload has stopped itself with raise(SIGSTOP)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"workload exited early with {proc.returncode}: "
                                 f"{proc.stdout.read() if proc.stdout else ''}")
        if proc_stat(proc.pid)["state"] == "T":
            return
        time.sleep(0.02)
    raise AssertionError("workload did not stop itself in time")


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            if " - cgroup2 " in line:
                return line.split()[4]
    raise AssertionError("no cgroup2 mount")


def remove_cgroup(path):
    """rmdir, once the reaped tasks have left it (shortly after they exit)."""
    for _ in range(50):
        try:
            os.rmdir(path)
            return
        except OSError:
            time.sleep(0.1)


def start_workload(name, *args):
    return subprocess.Popen([workload(name), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=10):
    """Lets a stopped workload go on and collects its output."""
    try:
        os.kill(proc.pid, signal.SIGCONT)
    except ProcessLookupError:
        pass
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


class Tool:
    """Runs a tool in the background and collects its stdout lines."""

    def __init__(self, args, ready_after_lines=1):
        self.args = args
        self.lines = queue.Queue()
        self.all_lines = []
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     errors="replace")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.ready_after_lines = ready_after_lines

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next_line(self, timeout=15):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.args[0]}: no output for {timeout}s")
        if line is None:
            raise AssertionError(f"{self.args[0]} ended: rc={self.proc.wait()} "
                                 f"stderr={self.proc.stderr.read()}")
        self.all_lines.append(line)
        return line

    def stop(self, sig=signal.SIGINT, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.args[0]} did not exit {timeout}s after signal {sig}")
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class FaultTopJSON(Tool):
    """faulttop --json; next_frame() returns the next parsed interval."""

    def __init__(self, *extra):
        super().__init__([tool("faulttop"), "--json", "-d", "0.3", *extra])
        self.first = self.next_frame(timeout=30)   # BPF loaded and attached

    def next_frame(self, timeout=15):
        return json.loads(self.next_line(timeout))

    def frame_after(self, t_mono, timeout=15):
        """The first frame that began after monotonic time t_mono."""
        deadline = time.monotonic() + timeout
        while True:
            f = self.next_frame(timeout=max(0.1, deadline - time.monotonic()))
            if time.monotonic() - f["interval_s"] > t_mono:
                return f

    def row(self, frame, pid):
        for r in frame["rows"]:
            if r.get("pid", r.get("tid")) == pid:
                return r
        return None

    def wait_row(self, pid, pred, timeout=15, what="row"):
        """Frames until pid's row satisfies pred; the last row seen on failure."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            f = self.next_frame(timeout=max(0.1, deadline - time.monotonic()))
            r = self.row(f, pid)
            if r is not None:
                last = r
                if pred(r):
                    return r
        raise AssertionError(f"{what}: condition not met for pid {pid}; last row: "
                             f"{json.dumps(last)[:1500] if last else None}")


# ---- leaksnoop's reports ---------------------------------------------------

def leaksnoop(*args, timeout=60):
    """Runs leaksnoop to completion; returns (rc, JSON reports, stderr)."""
    p = subprocess.run([tool("leaksnoop"), *map(str, args)], capture_output=True,
                       text=True, timeout=timeout, errors="replace")
    reports = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    return p.returncode, reports, p.stderr


def eventfd_blocks(report):
    """Outstanding kmalloc blocks whose call site is in eventfd code."""
    return sum(r["blocks"] for r in report["records"]
               if r["source"] == "kmalloc" and "eventfd" in (r["call_site"] or ""))


def source_line(fname, marker):
    """The line of the workload source that carries the comment @marker."""
    path = os.path.join(WORKLOADS, fname)
    if not os.path.exists(path):
        path = os.path.join(WORKLOADS, "lib", fname)
    with open(path) as f:
        for no, line in enumerate(f, 1):
            if re.search(r"@%s\b" % re.escape(marker), line):
                return no
    raise AssertionError(f"no @{marker} in {fname}")


def by_stack(records):
    """The records of one stack added up across leak kinds. Once the user
    heap is scanned, a stack whose blocks have different kinds has one
    record per kind (as valgrind's loss records); a test about something
    else than kinds asserts on the stack's exact totals. Each stack keeps
    its first record's fields (the all-time allocated/freed figures are
    the stack's, the same in each of its records), with bytes, blocks and
    growth added up, and "kinds": kind -> [bytes, blocks] (kind None: not
    classified)."""
    stacks = {}
    for r in records:
        key = (r["source"], r.get("cache"), r.get("call_site"),
               tuple(f["addr"] for f in r["frames"]))
        s = stacks.get(key)
        if s is None:
            s = stacks[key] = dict(r, kinds={})
            s["bytes"] = s["blocks"] = s["growth_bytes"] = s["growth_blocks"] = 0
        for field in ("bytes", "blocks", "growth_bytes", "growth_blocks"):
            s[field] += r[field]
        cell = s["kinds"].setdefault(r.get("kind"), [0, 0])
        cell[0] += r["bytes"]
        cell[1] += r["blocks"]
    return list(stacks.values())


def kind_blocks(stack, *kinds):
    """Blocks of a stack (by_stack) that are of one of kinds."""
    return sum(stack["kinds"].get(k, [0, 0])[1] for k in kinds)


def records_at(report, fname, line, source="user"):
    """Stacks (by_stack: records of one stack added up across leak kinds)
    whose first frame is fname:line."""
    out = []
    for r in by_stack(report["records"]):
        if r["source"] != source or not r["frames"]:
            continue
        f = r["frames"][0]
        if f.get("file") and os.path.basename(f["file"]) == fname and f.get("line") == line:
            out.append(r)
    return out


def describe(report):
    return json.dumps([{k: r[k] for k in ("bytes", "blocks")} | {
        "at": [f["text"] for f in r["frames"][:3]]} for r in report["records"]], indent=1)[:3000]


# ---- short of memory ---------------------------------------------------------

def out_of_memory_runs(name, runs, limits, asan_must_fail=False, never_in_error=()):
    """Runs the tool with each of runs' arguments short of memory: under
    prlimit --as at each of limits, or, under check-asan (AddressSanitizer
    needs a huge address space), with its allocator failing anything over
    1 MiB. Each run ends with status 0 or 1 (1 under ASan when
    asan_must_fail), never a crash; a failure's last word is one line
    "<name>: ..." and none of never_in_error."""
    def check(p, what):
        if p.returncode == 1:
            assert p.stderr.splitlines()[-1].startswith(f"{name}: "), (what, p.stderr)
            for bad in never_in_error:
                assert bad not in p.stderr, (what, p.stderr)

    if os.environ.get("MMSCOPE_SANITIZER_LOGS"):
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + \
            ":allocator_may_return_null=1:max_allocation_size_mb=1:log_path=stderr"
        for args in runs:
            p = subprocess.run([tool(name), *args], capture_output=True, text=True,
                               timeout=30, env=env, errors="replace")
            ok = (1,) if asan_must_fail else (0, 1)
            assert p.returncode in ok, (args, p.returncode, p.stderr[-500:])
            check(p, args)
        return
    for args in runs:
        for limit in limits:
            p = subprocess.run(["prlimit", f"--as={limit}", tool(name), *args],
                               capture_output=True, text=True, timeout=30, errors="replace")
            assert p.returncode in (0, 1), (args, limit, p.returncode, p.stderr[-500:])
            check(p, (args, limit))
