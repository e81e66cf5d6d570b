"""Real servers for leaksnoop's scan tests and benchmark, each a context
manager that yields the PID to trace and cleans up everything it started:
Debian's node growing its heap, redis-server, PostgreSQL 15 (a temp
cluster, initdb'd as user postgres, on a free port)."""
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import e2e

NODE_JS = os.path.join(e2e.WORKLOADS, "js", "grow_heap.js")
PG_BIN = "/usr/lib/postgresql/15/bin"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout} s")


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def stop(p, sig=signal.SIGTERM, timeout=30):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@contextlib.contextmanager
def node_heap(mb, gaps=None):
    """node with mb MiB of live objects; gaps gets its "gap_ms" lines."""
    p = subprocess.Popen(["/usr/bin/node", NODE_JS, str(mb)], stderr=subprocess.PIPE, text=True)
    try:
        line = p.stderr.readline()
        assert line.startswith("ready"), line
        out = gaps if gaps is not None else []
        threading.Thread(target=lambda: out.extend(p.stderr), daemon=True).start()
        yield p.pid
    finally:
        stop(p, signal.SIGKILL)


@contextlib.contextmanager
def redis(keys=0):
    """redis-server on a free port (.port), keys random keys set first."""
    port = free_port()
    p = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
                          "--bind", "127.0.0.1"], stdout=subprocess.DEVNULL)
    try:
        wait_until(lambda: port_open(port), f"redis listening on {port}")
        redis.port = port
        if keys:
            redis_sets(port, keys)
        yield p.pid
    finally:
        stop(p)


def redis_sets(port, n):
    subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set", "-n", str(n), "-r",
                    "100000000", "-q"], check=True, capture_output=True, timeout=600)


def redis_keys(port):
    out = subprocess.run(["redis-cli", "-p", str(port), "info", "keyspace"], capture_output=True,
                         text=True, timeout=30).stdout
    m = re.search(r"keys=(\d+)", out)
    return int(m.group(1)) if m else 0


@contextlib.contextmanager
def postgres(rows=0):
    """PostgreSQL's postmaster of a temp cluster; a table of rows rows made
    first (through the shared buffers the postmaster maps)."""
    d = tempfile.mkdtemp(prefix="leaksnoop-pg-")
    shutil.chown(d, "postgres", "postgres")
    as_pg = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    p = None
    try:
        subprocess.run(as_pg + [f"{PG_BIN}/initdb", "-D", f"{d}/data", "-A", "trust", "-U",
                                "postgres"], check=True, capture_output=True, timeout=300)
        p = subprocess.Popen(as_pg + [f"{PG_BIN}/postgres", "-D", f"{d}/data", "-p", str(port),
                                      "-k", d, "-c", "listen_addresses="],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        psql = as_pg + ["psql", "-h", d, "-p", str(port), "-U", "postgres", "-qAt", "-c"]
        wait_until(lambda: subprocess.run(psql + ["select 1"], capture_output=True).returncode == 0,
                   "postgres answering")
        if rows:
            subprocess.run(psql + [f"create table t as select g, md5(g::text) m from "
                                   f"generate_series(1, {rows}) g; select count(*) from t"],
                           check=True, capture_output=True, timeout=600)
        with open(f"{d}/data/postmaster.pid") as f:
            yield int(f.readline())
    finally:
        if p:
            stop(p, signal.SIGINT)      # postgres' fast shutdown
        shutil.rmtree(d, ignore_errors=True)
