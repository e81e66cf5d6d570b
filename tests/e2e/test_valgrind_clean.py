"""Both tools run clean under valgrind --leak-check=full for a short session:
no memory errors, nothing definitely or indirectly lost. The only
suppressions are libbpf's own (tests/valgrind/libbpf.supp)."""
import os
import re
import subprocess

import e2e

SUPP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    "valgrind", "libbpf.supp")


def _plain(path):
    """valgrind can't run sanitizer builds: under `make check-asan` it checks
    the plain build next to it (built by the same `make test`)."""
    if not os.environ.get("MMSCOPE_SANITIZER_LOGS"):
        return path
    plain = path.replace(e2e.BUILD, e2e.BUILD[:-len("-asan")], 1) \
        if e2e.BUILD.endswith("-asan") else path
    assert os.access(plain, os.X_OK), f"valgrind needs the plain build: {plain} missing"
    return plain


def _valgrind(*cmd, timeout=180):
    p = subprocess.run(["valgrind", "--leak-check=full", "--error-exitcode=99",
                        "--errors-for-leak-kinds=definite,indirect", f"--suppressions={SUPP}",
                        *cmd], capture_output=True, text=True, timeout=timeout)
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", p.stderr)
    assert summary, p.stderr[-2000:]
    assert summary.group(1) == "0" and p.returncode != 99, p.stderr[-6000:]
    assert "definitely lost: 0 bytes" in p.stderr or "All heap blocks were freed" in p.stderr, \
        p.stderr[-3000:]
    return p


def test_faulttop_valgrind_clean():
    p = _valgrind(_plain(e2e.tool("faulttop")), "-b", "-n", "3", "-d", "0.5", "--precise")
    assert p.returncode == 0 and "faulttop - " in p.stdout


def test_faulttop_json_threads_valgrind_clean():
    p = _valgrind(_plain(e2e.tool("faulttop")), "--json", "-t", "-a", "-n", "2", "-d", "0.5")
    assert p.returncode == 0 and p.stdout.count("\n") == 2


def test_leaksnoop_valgrind_clean():
    p = _valgrind(_plain(e2e.tool("leaksnoop")), "--", _plain(e2e.workload("leak_loop")), "20")
    assert "leak_loop.c" in p.stdout, p.stdout[-2000:]
