"""faulttop --listen end to end: a real Prometheus server (Debian's
prometheus) scrapes faulttop while workloads fault, and what it stored is
checked against the kernel's own counters (/proc/PID/stat, wait4's rusage);
promtool checks the exposition and the alert rule of docs/prometheus.md."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import e2e

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPENMETRICS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                      "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def _need(binary):
    path = shutil.which(binary)
    if not path:
        raise AssertionError(f"{binary} not installed (scripts/install-deps.sh installs it)")
    return path


class Exporter(e2e.Tool):
    """faulttop --listen on a port the kernel picks; .url is its /metrics."""

    def __init__(self, *extra):
        super().__init__([e2e.tool("faulttop"), "--listen", "127.0.0.1:0", "-d", "0.3", *extra])
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline and self.proc.poll() is None:
            line = self.proc.stderr.readline()
            m = re.search(r"serving metrics at (http://\S+/metrics)", line)
            if m:
                self.url = m.group(1)
                self.port = int(re.search(r":(\d+)/metrics", self.url).group(1))
                break
        else:
            raise AssertionError(f"faulttop --listen did not start: rc={self.proc.poll()} {line}"
                                 f"{self.proc.stderr.read() if self.proc.poll() is not None else ''}")
        self.wait_scrapable()

    def get(self, accept=None, timeout=5):
        req = urllib.request.Request(self.url, headers={"Accept": accept} if accept else {})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.headers.get("Content-Type"), r.read().decode()

    def wait_scrapable(self, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.get()
            except urllib.error.HTTPError as e:
                if e.code != 503 or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    """A real Prometheus on localhost with temp config and storage, scraping
    targets every second."""

    def __init__(self, target_port):
        self.dir = tempfile.mkdtemp(prefix="mmscope-prom-")
        self.port = _free_port()
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: faulttop\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{target_port}']\n")
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen(
            [_need("prometheus"), f"--config.file={cfg}",
             f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"prometheus did not start: {self.logs()}")
                time.sleep(0.2)

    def logs(self):
        self.log.seek(0)
        return self.log.read()[-3000:]

    def query(self, expr, at=None):
        """The result vector (or matrix, for a range selector) of expr."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
        assert body["status"] == "success", body
        return body["data"]["result"]

    def wait_value(self, expr, pred, timeout=20, what=""):
        """Polls expr until one series' value satisfies pred; (time, value)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            now = time.time()
            res = self.query(expr, at=now)
            last = res
            for s in res:
                v = float(s["value"][1])
                if pred(v):
                    return now, v
            time.sleep(0.25)
        raise AssertionError(f"{what or expr}: not met in {timeout}s; last result {last}; "
                             f"targets {self.targets()}")

    def targets(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/targets",
                                    timeout=10) as r:
            return [(t["health"], t.get("lastError")) for t in json.load(r)["data"]["activeTargets"]]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _minflt_expr(pid):
    return f'mmscope_page_faults_total{{kind="minor",pid="{pid}"}}'


def test_prometheus_scrape_equals_kernel_minflt_and_series_vanish():
    with Exporter("--top", "100000") as ft, Prometheus(ft.port) as prom:
        w = e2e.start_workload("fault_steps", 3000, 2)
        try:
            e2e.wait_stopped(w)
            m1 = e2e.proc_stat(w.pid)["minflt"]
            # born after faulttop started: its counter is its whole life
            t1, _ = prom.wait_value(_minflt_expr(w.pid), lambda v: v == m1,
                                    what=f"minflt == kernel's {m1}")
            os.kill(w.pid, signal.SIGCONT)
            e2e.wait_stopped(w)
            m2 = e2e.proc_stat(w.pid)["minflt"]
            assert m2 - m1 >= 3000, (m1, m2)
            t2, _ = prom.wait_value(_minflt_expr(w.pid), lambda v: v == m2,
                                    what=f"minflt == kernel's {m2}")
            # the window t1..t2 through PromQL: exactly the kernel's faults
            window_ms = int((t2 - t1) * 1000)
            expr = f"{_minflt_expr(w.pid)} - {_minflt_expr(w.pid)} offset {window_ms}ms"
            res = prom.query(expr, at=t2)
            assert len(res) == 1 and float(res[0]["value"][1]) == m2 - m1, (res, m1, m2)
            # counters never went backwards, and every sample is one the kernel had
            raw = prom.query(f"{_minflt_expr(w.pid)}[2m]", at=t2)
            assert len(raw) == 1, raw
            vals = [float(v) for _, v in raw[0]["values"]]
            assert vals == sorted(vals) and vals[-1] == m2, vals
            assert all(v <= m2 for v in vals), vals
            series = raw[0]["metric"]
            assert series["comm"] == "fault_steps" and series["start"] and series["cgroup"], series
            assert prom.query('up{job="faulttop"}')[0]["value"][1] == "1"
        except BaseException:
            w.kill()                # may be stopped at its second step
            w.communicate()
            raise
        rc, _, _ = e2e.finish(w)
        assert rc == 0
        # gone: the series ends (Prometheus marks it stale on the next scrape)
        prom_deadline = time.monotonic() + 15
        while prom.query(f'mmscope_page_faults_total{{pid="{w.pid}"}}'):
            assert time.monotonic() < prom_deadline, "series of an exited process still there"
            time.sleep(0.3)
        _, text = ft.get()
        assert f'pid="{w.pid}"' not in text


def _in_cgroup(path):
    def move():
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write("0")
    return move


def test_cgroup_totals_complete_with_no_process_series():
    """--top 0: no per-process series at all, yet the cgroup's totals equal
    the kernel's counts of every process in it, including a child that
    lived and died between two refreshes."""
    cg = os.path.join(e2e.cgroup2_mount(), f"mmscope-e2e-prom-{os.getpid()}")
    os.makedirs(cg, exist_ok=True)
    try:
        with Exporter("--top", "0") as ft, Prometheus(ft.port) as prom:
            expr = f'mmscope_cgroup_page_faults_total{{kind="minor",cgroup="/{os.path.basename(cg)}"}}'
            # a stopped shell already in the cgroup: its faults until now are the baseline
            sh = subprocess.Popen(["/bin/sh", "-c", 'kill -STOP $$; exec "$0" "$@"',
                                   e2e.workload("touch_pages"), "4000", "fork"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  preexec_fn=_in_cgroup(cg))
            try:
                e2e.wait_stopped(sh)
                base = e2e.proc_stat(sh.pid)["minflt"]
                t1, c1 = prom.wait_value(expr, lambda v: True, what="cgroup series")
                # let it settle: the shell's own faults are all in
                t1, c1 = prom.wait_value(expr, lambda v: v == c1 and time.time() - t1 > 2.5,
                                         what="cgroup series steady", timeout=20)
                os.kill(sh.pid, signal.SIGCONT)
                e2e.wait_stopped(sh)
                m = re.search(r"child (\d+) minflt (\d+)", sh.stdout.readline())
                assert m, "touch_pages printed no child line"
                child = int(m.group(2))
                parent = e2e.proc_stat(sh.pid)["minflt"] - base
                want = c1 + parent + child
                prom.wait_value(expr, lambda v: v == want,
                                what=f"cgroup minflt == {c1} + parent {parent} + child {child}")
            finally:
                e2e.finish(sh)
            _, text = ft.get()
            assert "mmscope_page_faults_total{" not in text, "--top 0 exported a process"
            assert 'mmscope_processes{set="exported"} 0' in text
    finally:
        e2e.remove_cgroup(cg)


def test_reused_pid_is_a_new_series_and_counters_never_go_back():
    """A PID handed out again (through ns_last_pid) gets a new start label:
    no series of that PID ever decreases."""
    with Exporter("--top", "100000") as ft, Prometheus(ft.port) as prom:
        a = e2e.start_workload("fault_steps", 4000, 1)
        try:
            e2e.wait_stopped(a)
            ma = e2e.proc_stat(a.pid)["minflt"]
            prom.wait_value(_minflt_expr(a.pid), lambda v: v == ma, what="first process")
        finally:
            e2e.finish(a)
        b = None
        for _ in range(20):             # other processes may take the PID first
            with open("/proc/sys/kernel/ns_last_pid", "w") as f:
                f.write(str(a.pid - 1))
            b = e2e.start_workload("fault_steps", 10, 1)
            if b.pid == a.pid:
                break
            e2e.wait_stopped(b)
            e2e.finish(b)
        assert b.pid == a.pid, "could not get the PID handed out again"
        try:
            e2e.wait_stopped(b)
            mb = e2e.proc_stat(b.pid)["minflt"]
            assert mb < ma
            prom.wait_value(_minflt_expr(b.pid), lambda v: v == mb, what="second process")
        finally:
            e2e.finish(b)
        res = prom.query(f"{_minflt_expr(a.pid)}[5m]")
        starts = {s["metric"]["start"] for s in res}
        assert len(starts) == 2, res
        for s in res:
            vals = [float(v) for _, v in s["values"]]
            assert vals == sorted(vals), s
        resets = prom.query(f"resets({_minflt_expr(a.pid)}[5m])")
        assert all(float(s["value"][1]) == 0 for s in resets), resets


def test_prometheus_books_add_up_to_memtotal():
    """Scraped by a real Prometheus: the books' buckets sum to the kernel's
    MemTotal exactly, buddyinfo comes per zone and order, one where is 1."""
    with open("/proc/meminfo") as f:
        total = int(next(l for l in f if l.startswith("MemTotal:")).split()[1]) * 1024
    with Exporter("--mem-interval", "0.5") as ft, Prometheus(ft.port) as prom:
        prom.wait_value("sum(mmscope_memory_bucket_bytes)", lambda v: v == total,
                        what=f"sum of buckets == MemTotal {total}")
        assert len(prom.query("mmscope_memory_bucket_bytes")) == 15
        orders = prom.query('mmscope_buddy_free_pages{zone="Normal"}')
        assert len(orders) >= 11, orders
        assert {s["metric"]["order"] for s in orders} >= {str(o) for o in range(11)}
        growing = prom.query("sum(mmscope_memory_growing)")
        assert float(growing[0]["value"][1]) == 1, growing
        assert prom.query('mmscope_slab_cache_bytes{cache="dentry"}'), "no dentry cache"


def _maperr_total(text):
    return sum(int(v) for v in re.findall(
        r'^mmscope_cgroup_segv_total\{code="maperr",[^}]*\} (\d+)$', text, re.M))


def test_promtool_check_metrics_and_content_negotiation():
    with Exporter() as ft:
        before = _maperr_total(ft.get()[1])
        w = e2e.start_workload("segv", "maperr")
        w.wait(timeout=20)
        deadline = time.monotonic() + 15
        while True:        # the SEGV_MAPERR reaches its cgroup's counter
            ctype, text = ft.get()
            if _maperr_total(text) > before:
                break
            assert time.monotonic() < deadline, "SEGV_MAPERR never counted"
            time.sleep(0.2)
        assert ctype.startswith("text/plain; version=0.0.4"), ctype
        p = subprocess.run([_need("promtool"), "check", "metrics"], input=text,
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), \
            (p.returncode, p.stdout, p.stderr)
        for name in ("mmscope_page_faults_total", "mmscope_segv_total", "mmscope_sigbus_total",
                     "mmscope_memory_bytes", "mmscope_mmap_calls_total",
                     "mmscope_mapped_bytes_total", "mmscope_cgroup_page_faults_total",
                     "mmscope_cgroup_segv_total", "mmscope_cgroup_sigbus_total",
                     "mmscope_cgroup_memory_bytes", "mmscope_lost_events_total",
                     "mmscope_slab_bytes", "mmscope_mem_available_bytes", "mmscope_build_info",
                     "mmscope_memory_bucket_bytes", "mmscope_memory_bucket_growth_bytes_per_second",
                     "mmscope_slab_cache_bytes", "mmscope_buddy_free_pages",
                     "mmscope_memory_growing"):
            assert f"\n{name}{{" in text or f"\n{name} " in text, name
        assert f'kernel="{os.uname().release}"' in text
        ctype, om = ft.get(accept=OPENMETRICS_ACCEPT)
        assert ctype.startswith("application/openmetrics-text; version=1.0.0"), ctype
        assert om.endswith("# EOF\n") and "# TYPE mmscope_page_faults counter" in om
        assert "# TYPE mmscope_build info" in om


def test_slow_clients_do_not_stall_batch_output():
    """Clients that connect and never send, or ask and never read, hold
    connections; faulttop's batch frames keep their cadence and a normal
    scrape still gets its answer."""
    with Exporter("-b") as ft:
        held = []
        try:
            for i in range(12):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
                s.connect(("127.0.0.1", ft.port))
                if i % 2:
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")   # never read
                held.append(s)
            t0 = time.monotonic()
            frames = 0
            while frames < 10:
                if ft.next_line(timeout=5).startswith("faulttop - "):
                    frames += 1
            elapsed = time.monotonic() - t0
            # 10 frames at -d 0.3: ~3 s; a stalled loop would take the
            # clients' 10 s timeout
            assert elapsed < 6, f"10 frames took {elapsed:.1f}s with slow clients"
            t1 = time.monotonic()
            _, text = ft.get(timeout=5)
            assert time.monotonic() - t1 < 2 and "mmscope_build_info" in text
            # past the connection limit (32): frames still on time
            for _ in range(40):
                held.append(socket.create_connection(("127.0.0.1", ft.port), timeout=5))
            t0 = time.monotonic()
            frames = 0
            while frames < 5:
                if ft.next_line(timeout=5).startswith("faulttop - "):
                    frames += 1
            assert time.monotonic() - t0 < 4, "frames slowed down by a connection flood"
        finally:
            for s in held:
                s.close()
        # and once they are gone, scrapes are answered again
        deadline = time.monotonic() + 15
        while True:
            try:
                _, text = ft.get(timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "no scrape answered after the flood"
                time.sleep(0.2)
        assert "mmscope_build_info" in text


def test_docs_alert_rule_passes_promtool_check_rules():
    with open(os.path.join(ROOT, "docs", "prometheus.md")) as f:
        doc = f.read()
    m = re.search(r"```yaml\n(groups:\n.*?)```", doc, re.S)
    assert m, "docs/prometheus.md has no alert rule (a ```yaml block starting with groups:)"
    assert "mmscope_uss_growth_bytes_per_second" in m.group(1)
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
        f.write(m.group(1))
        f.flush()
        p = subprocess.run([_need("promtool"), "check", "rules", f.name],
                           capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "SUCCESS" in p.stdout, (p.stdout, p.stderr)


def test_bad_listen_address_and_busy_port_are_clear_errors():
    for bad in ("9464", "127.0.0.1:", "127.0.0.1:99999", "[::1]9464", "example.com:80", ":9464"):
        p = subprocess.run([e2e.tool("faulttop"), "--listen", bad], capture_output=True,
                           text=True, timeout=20)
        assert p.returncode == 2 and "invalid listen address" in p.stderr, (bad, p.stderr)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = subprocess.run([e2e.tool("faulttop"), "--listen", f"127.0.0.1:{port}", "-n", "1"],
                           capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
