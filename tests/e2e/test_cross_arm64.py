"""`make ARCH=arm64` (scripts/cross-arm64.mk): the cross-built tools, a
workload and a unit test are aarch64 programs that start against the arm64
tree they were linked with (run here under qemu-user: the tools' --help,
a unit test's checks). Whether they work on an arm64 kernel is
`make vmtest-arm64`'s question (tests/vm/)."""
import os
import subprocess

import e2e

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "build-arm64")
EM_AARCH64 = 183
TEST_TIMEOUT_S = 900    # a first run extracts the arm64 tree (~30 s) and builds everything


def _sysroot():
    p = subprocess.run([os.path.join(ROOT, "scripts", "sysroot-arm64.sh")], capture_output=True,
                       text=True, timeout=600)
    assert p.returncode == 0, f"sysroot-arm64.sh exit {p.returncode}: {p.stderr[-1500:]}"
    return p.stdout.strip()


def _e_machine(path):
    with open(path, "rb") as f:
        head = f.read(20)
    assert head[:4] == b"\x7fELF" and head[4] == 2, f"{path}: not a 64-bit ELF"
    return int.from_bytes(head[18:20], "little")


def _build(*targets):
    # not the outer make's flags and variables (make test, make check-asan)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    p = subprocess.run(["make", "-C", ROOT, "--no-print-directory", "-j2", "ARCH=arm64",
                        *targets], capture_output=True, text=True, timeout=TEST_TIMEOUT_S - 60,
                       env=env)
    assert p.returncode == 0, f"make ARCH=arm64 exit {p.returncode}:\n{p.stdout[-800:]}{p.stderr[-2500:]}"


def _qemu(sysroot, path, *args):
    return subprocess.run(["qemu-aarch64-static", "-L", sysroot, path, *args], capture_output=True,
                          text=True, timeout=120)


def test_make_arch_arm64_builds_aarch64_programs():
    sysroot = _sysroot()
    progs = ["faulttop", "leaksnoop", "tests/leak_loop", "tests/test_json"]
    _build(*(os.path.join("build-arm64", p) for p in progs))
    for p in progs:
        assert _e_machine(os.path.join(OUT, p)) == EM_AARCH64, f"{p}: e_machine not aarch64"
    # the x86 build beside it is untouched by the cross build
    assert _e_machine(e2e.tool("faulttop")) == 62, "build/faulttop is not x86-64"
    for tool in ("faulttop", "leaksnoop"):
        r = _qemu(sysroot, os.path.join(OUT, tool), "--help")
        assert r.returncode == 0 and "usage" in (r.stdout + r.stderr).lower(), \
            f"{tool} --help under qemu-aarch64: exit {r.returncode}: {r.stderr[-800:]}"
    r = _qemu(sysroot, os.path.join(OUT, "tests", "test_json"))
    oks = [ln for ln in r.stdout.splitlines() if ln.startswith("ok ")]
    assert r.returncode == 0 and oks and "FAIL" not in r.stdout, \
        f"test_json under qemu-aarch64: exit {r.returncode}: {r.stdout[-800:]}{r.stderr[-800:]}"
