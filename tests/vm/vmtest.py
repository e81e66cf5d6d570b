#!/usr/bin/env python3
"""`make vmtest`: boots Debian's own kernels (tests/vm/kernels.py) in QEMU
and runs the guest checks (tests/vm/guest.py) against the tools built in
BUILD. The guest sees the host's root read-only over virtio-9p, so the
tools, their libraries, python and the workloads are the host's own files;
the initramfs holds only busybox, /init and a few modules.

`make vmtest-arm64` (--arch arm64 --sysroot DIR): Debian's arm64 kernels
under qemu-system-aarch64 -M virt, with the tools cross-built against DIR
(scripts/sysroot-arm64.sh); DIR is the guest's /usr, /lib and /etc (a second
9p share), the host's root still gives it the checkout and BUILD.

TCG only (no KVM here), one vCPU thread (`thread=single`): multi-threaded
TCG crashed 6.12 guests (see docs/kernels.md).

Prints one line per check, "vmtest KERNEL CHECK: ok|FAIL ...", and last
"N passed, N failed". A guest that does not finish in time fails with the
last lines of its console.

usage: vmtest.py [--arch x86|arm64 --sysroot DIR] [--kernels 5.10,6.1,6.12] [--jobs N] [BUILD]"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import kernels  # noqa: E402

GUEST_TIMEOUT_S = 600
# What differs by architecture: the emulator, its machine and CPU, the
# serial console's name. -cpu max: every feature QEMU emulates (arm64:
# pointer authentication, MTE, SVE), as a recent server core has them; on
# arm64 with QEMU's own PAC hash (pauth-impdef) instead of the architected
# QARMA5, which TCG computes slowly for every signed return in the kernel:
# 6.12 booted in 14 and 12 s with it, 42 and 25 s without (interleaved).
QEMU = {
    "x86": ["qemu-system-x86_64", "-cpu", "max"],
    "arm64": ["qemu-system-aarch64", "-M", "virt", "-cpu", "max,pauth-impdef=on"],
}
CONSOLE = {"x86": "ttyS0", "arm64": "ttyAMA0"}


def label(arch, name):
    """The kernel's name in reports: 6.1 on x86, arm64-6.1 on arm64."""
    return name if arch == "x86" else f"{arch}-{name}"


def make_initramfs(kdir, out, busybox):
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("bin", "proc", "sys", "dev", "tmp", "modules"):
            os.makedirs(os.path.join(tmp, d))
        shutil.copy(busybox, os.path.join(tmp, "bin", "busybox"))
        shutil.copy(os.path.join(HERE, "init"), os.path.join(tmp, "init"))
        os.chmod(os.path.join(tmp, "init"), 0o755)
        mods = os.path.join(kdir, "modules")
        for fn in os.listdir(mods):
            shutil.copy(os.path.join(mods, fn), os.path.join(tmp, "modules", fn))
        files = subprocess.run(["find", "."], cwd=tmp, capture_output=True, check=True).stdout
        with open(out, "wb") as f:
            subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=tmp, input=files,
                           stdout=f, check=True)


def boot(name, kdir, build, log_path, accel="tcg,thread=single", guest_env=(), qemu_args=(),
         arch="x86", sysroot=None):
    """Boots one guest; returns (results, (seconds to /init, seconds in all),
    console tail or None, oops lines). results: [(check, ok, detail)]. guest_env: NAME=VALUE
    strings for the guest's /init (and so guest.py). sysroot: the guest's
    /usr, /lib, /etc (another architecture's), else the host's."""
    initrd = log_path + ".cpio"
    make_initramfs(kdir, initrd, os.path.join(sysroot or "/", "bin", "busybox"))
    share = "security_model=none,readonly=on"
    roots = ["-virtfs", f"local,path=/,mount_tag=host,{share}"]
    if sysroot:
        roots += ["-virtfs", f"local,path={sysroot},mount_tag=sysroot,{share}"]
        guest_env = [*guest_env, "mmscope_sysroot=1"]
    append = (f"console={CONSOLE[arch]} panic=-1 quiet loglevel=4 mmscope_repo={ROOT} "
              f"mmscope_build={build} mmscope_kernel={label(arch, name)} {' '.join(guest_env)}")
    cmd = [*QEMU[arch], "-accel", accel, "-m", "2048", "-smp", "2",
           "-nographic", "-no-reboot", "-kernel", os.path.join(kdir, "vmlinuz"),
           "-initrd", initrd, "-append", append, *roots, *qemu_args]
    t0 = time.monotonic()
    results, tail, done, oops, up = [], [], False, [], None
    with open(log_path, "w") as log:
        q = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, errors="replace")
        timer = threading.Timer(GUEST_TIMEOUT_S, q.kill)
        timer.start()
        try:
            for line in q.stdout:
                log.write(line)
                line = line.rstrip("\r\n")
                tail = (tail + [line])[-40:]
                if "Oops" in line or "BUG:" in line or "Kernel panic" in line or oops and len(oops) < 60:
                    oops.append(line)
                if up is None and "vmtest: guest up" in line:   # after the firmware's escapes
                    up = time.monotonic() - t0
                if line.startswith("vmtest-check "):
                    _, check, verdict, *rest = line.split(" ", 3)
                    results.append((check, verdict == "ok", rest[0] if rest else ""))
                elif line.startswith("vmtest: guest done"):
                    done = True
        finally:
            timer.cancel()
            q.wait()
    os.unlink(initrd)
    return results, (up or 0, time.monotonic() - t0), None if done else "\n".join(tail), oops


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--arch", default="x86", choices=sorted(kernels.ARCHES))
    ap.add_argument("--sysroot", help="the guest's root for --arch arm64 (scripts/sysroot-arm64.sh)")
    ap.add_argument("--kernels", help="default: every series of --arch")
    ap.add_argument("--jobs", type=int, default=1, help="guests booted at once")
    ap.add_argument("--accel", default="tcg,thread=single",
                    help="QEMU -accel (tcg,thread=multi: see docs/kernels.md, the int3 oops)")
    ap.add_argument("--guest-env", action="append", default=[],
                    help="NAME=VALUE for the guest, e.g. mmscope_checks=toggle_stress")
    ap.add_argument("--tag", default="", help="log file suffix")
    ap.add_argument("--qemu-arg", action="append", default=[],
                    help="more for QEMU, e.g. --qemu-arg=-icount --qemu-arg=shift=0,sleep=off "
                         "(guest time counts instructions: costs measured unaffected by host load)")
    a = ap.parse_args()
    if a.arch != "x86" and not a.sysroot:
        ap.error(f"--arch {a.arch} needs --sysroot (the guest's {a.arch} root)")
    sysroot = os.path.abspath(a.sysroot) if a.sysroot else None
    build = os.path.abspath(a.build)
    logdir = os.path.join(build, "vmtest")
    os.makedirs(logdir, exist_ok=True)
    passed = failed = 0
    names = [n for n in (a.kernels or ",".join(kernels.ARCHES[a.arch]["patterns"])).split(",") if n]
    lock = threading.Lock()

    # fetched one after another (apt's caches are not for concurrent use)
    kdirs = {}
    for name in names:
        try:
            kdirs[name] = kernels.fetch(name, arch=a.arch)
        except kernels.FetchError as e:
            failed += 1
            print(f"vmtest {label(a.arch, name)} fetch: FAIL ({e})", flush=True)

    def one(name):
        nonlocal passed, failed
        kdir = kdirs[name]
        pkg = open(os.path.join(kdir, "package")).read().strip()
        log = os.path.join(logdir, f"{name}{a.tag}.log")
        results, secs, tail, oops = boot(name, kdir, build, log, a.accel, a.guest_env, a.qemu_arg,
                                         a.arch, sysroot)
        name = label(a.arch, name)
        with lock:
            for check, ok, detail in results:
                print(f"vmtest {name} {check}: {'ok' if ok else 'FAIL'}"
                      f"{' (' + detail + ')' if detail else ''}")
                passed, failed = passed + ok, failed + (not ok)
            if oops:
                failed += 1
                print(f"vmtest {name} console: FAIL (kernel oops; console in {log}):\n    "
                      + "\n    ".join(oops[:40]))
            if tail is not None or not results:
                failed += 1
                print(f"vmtest {name} guest: FAIL (did not finish; console in {log}):\n    "
                      + (tail or "").replace("\n", "\n    "))
            print(f"vmtest {name}: {pkg}, boot {secs[0]:.0f}s, boot and checks {secs[1]:.0f}s",
                  flush=True)

    threads = []
    for name in kdirs:
        while sum(t.is_alive() for t in threads) >= a.jobs:
            time.sleep(0.2)
        t = threading.Thread(target=one, args=(name,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
