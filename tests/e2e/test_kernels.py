"""Kernel compatibility on the host: each hook written for old kernels too
(bpf/compat.bpf.h) must still load its best variant here — tp_btf — and
nothing may depend on a kernel config file. The other kernels are booted
by `make vmtest` (tests/vm/)."""
import json
import os
import subprocess

import e2e


def _prog_ids_of(pid):
    """Ids of the BPF programs process pid holds open (its fdinfo)."""
    ids = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:bpf-prog":
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def _progs_of(pid):
    """{name: type} of the BPF programs process pid holds (other tools may
    run beside the tests: only this one's count)."""
    ids = _prog_ids_of(pid)
    progs = json.loads(subprocess.run(["bpftool", "-j", "prog", "list"], capture_output=True,
                                      text=True).stdout or "[]")
    return {p["name"]: p["type"] for p in progs if p["id"] in ids}


def _while_running(args, first_line_timeout=30):
    """The programs of a tool while it runs, and its first line of output."""
    with e2e.Tool(args) as t:
        line = t.next_line(first_line_timeout)  # loaded and attached
        return _progs_of(t.proc.pid), line


def test_faulttop_uses_tp_btf_on_this_kernel():
    progs, _ = _while_running([e2e.tool("faulttop"), "--json", "-d", "0.3", "--precise"])
    for name in ("on_page_fault_user", "on_signal_generate", "on_task_free"):
        assert progs.get(name) == "tracing", (name, progs)
    assert not [n for n in progs if n.endswith("_raw")], progs


def test_leaksnoop_uses_tp_btf_on_this_kernel():
    progs, line = _while_running([e2e.tool("leaksnoop"), "--kernel", "-i", "0.3", "--json"])
    for name in ("on_kmalloc", "on_kmem_cache_alloc", "on_kfree", "on_kmem_cache_free"):
        assert progs.get(name) == "tracing", (name, progs)
    assert not [n for n in progs if n.endswith(("_raw", "_nocache"))], progs
    # 6.1+: kmem_cache_alloc carries its cache, and the report says nothing is missing
    assert json.loads(line)["health"]["kmem_cache_names_missing"] is False, line[:500]


def test_leaksnoop_needs_no_kernel_config():
    """libbpf reads /boot/config-* for a __kconfig extern and fails the
    whole load without one (containers, minimal images): the BPF object
    must have none."""
    out = subprocess.run(["bpftool", "btf", "dump", "file", e2e.tool("leaksnoop.bpf.o")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert ".kconfig" not in out.stdout, "leaksnoop.bpf.o has __kconfig externs"
    out = subprocess.run(["bpftool", "btf", "dump", "file", e2e.tool("faulttop.bpf.o")],
                         capture_output=True, text=True)
    assert ".kconfig" not in out.stdout, "faulttop.bpf.o has __kconfig externs"
