"""Debian's own kernels for `make vmtest`, fetched from Debian's archive
into a cache that outlives the checkout (MMSCOPE_VMTEST_CACHE, default
/var/cache/mmscope-vmtest) without touching the system's apt sources: a
private source list, list and cache directories go to apt-get with -o.

From each linux-image package only what a guest needs is kept: vmlinuz, the
config (for the report), and the few modules the guest loads (virtio, 9p
to share the host's root read-only, brd for a block device that makes
major faults), decompressed, dependencies first."""
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

CACHE = os.environ.get("MMSCOPE_VMTEST_CACHE", "/var/cache/mmscope-vmtest")
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
BOOKWORM = """\
deb [signed-by={k}] http://deb.debian.org/debian bookworm main
deb [signed-by={k}] http://deb.debian.org/debian-security bookworm-security main
"""
BULLSEYE = """\
deb [signed-by={k}] http://deb.debian.org/debian bullseye main
deb [signed-by={k}] http://deb.debian.org/debian-security bullseye-security main
"""
# Per architecture (the Makefile's ARCH): Debian's name for it, its
# sources, and the newest package of each series in the archive (old ones
# are removed when security updates replace them, so no version is pinned).
ARCHES = {
    "x86": {
        "deb": "amd64", "apt": "apt", "sources": BOOKWORM + BULLSEYE,
        "patterns": {
            "5.10": r"^linux-image-5\.10\.0-[0-9]+-amd64$",                 # Debian 11 (bullseye)
            "6.1": r"^linux-image-6\.1\.0-[0-9]+-amd64$",                   # Debian 12 (bookworm)
            "6.12": r"^linux-image-6\.12\.[0-9]+\+deb12(\.[0-9]+)?-amd64$",  # bookworm point releases
        },
    },
    # the signed packages hold the same Image as -unsigned, with an EFI
    # signature QEMU's -kernel ignores; 6.12 is in bookworm-security only
    # as -unsigned
    "arm64": {
        "deb": "arm64", "apt": "apt-arm64", "sources": BOOKWORM,
        "patterns": {
            "6.1": r"^linux-image-6\.1\.0-[0-9]+-arm64(-unsigned)?$",
            "6.12": r"^linux-image-6\.12\.[0-9]+\+deb12(\.[0-9]+)?-arm64(-unsigned)?$",
        },
    },
}
PATTERNS = ARCHES["x86"]["patterns"]
# What the guest's /init loads; their dependencies come first.
MODULES = ["virtio_pci", "9pnet_virtio", "9p", "brd"]
LIST_MAX_AGE_S = 86400


class FetchError(Exception):
    pass


def _apt_opts(apt, deb_arch):
    return ["-o", f"APT::Architecture={deb_arch}", "-o", f"APT::Architectures={deb_arch}",
            "-o", f"Dir::Etc::sourcelist={apt}/sources.list", "-o", "Dir::Etc::sourceparts=-",
            "-o", f"Dir::State::Lists={apt}/lists", "-o", f"Dir::Cache={apt}/cache",
            "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root"]


def _run(cmd, what, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise FetchError(f"{what} failed (exit {p.returncode}): {p.stderr.strip()[-800:]}")
    return p.stdout


def _update_lists(apt, arch):
    os.makedirs(f"{apt}/lists/partial", exist_ok=True)
    os.makedirs(f"{apt}/cache/archives/partial", exist_ok=True)
    with open(f"{apt}/sources.list", "w") as f:
        f.write(ARCHES[arch]["sources"].format(k=KEYRING))
    stamp = f"{apt}/lists/.updated"
    # refreshed once a day: a fresh CI machine fetches them, repeated runs don't
    if os.path.exists(stamp) and time.time() - os.path.getmtime(stamp) < LIST_MAX_AGE_S:
        return
    _run(["apt-get", *_apt_opts(apt, ARCHES[arch]["deb"]), "-q", "update"], f"apt-get update (private lists in {apt})")
    open(stamp, "w").close()


def _newest(apt, arch, name):
    pattern = ARCHES[arch]["patterns"][name]
    out = _run(["apt-cache", *_apt_opts(apt, ARCHES[arch]["deb"]), "search", "--names-only",
                pattern], "apt-cache search")
    pkgs = [ln.split()[0] for ln in out.splitlines() if ln.strip()]
    if not pkgs:
        raise FetchError(f"no package matching {pattern} in Debian's archive")
    # the newest version; of a signed and an unsigned one, the signed
    key = lambda p: ([int(x) for x in re.findall(r"\d+", p)], not p.endswith("-unsigned"))  # noqa: E731
    return max(pkgs, key=key)


def _modinfo_depends(data):
    m = re.search(rb"(?:^|\0)depends=([^\0]*)\0", data)
    return [d for d in m.group(1).decode().split(",") if d] if m else []


def _read_module(path):
    if path.endswith(".xz"):    # 6.12's modules; the guest's insmod wants them plain
        return subprocess.run(["xz", "-dc", path], capture_output=True, check=True).stdout
    with open(path, "rb") as f:
        return f.read()


def _keep_modules(root, out_dir):
    """Copies MODULES and their dependencies from an unpacked package to
    out_dir, decompressed, and writes out_dir/order (load order)."""
    index = {}
    for d, _, files in os.walk(os.path.join(root, "lib", "modules")):
        for fn in files:
            m = re.match(r"(.+)\.ko(\.xz)?$", fn)
            if m:
                index[m.group(1).replace("-", "_")] = os.path.join(d, fn)
    order = []

    def visit(name, trail=()):
        name = name.replace("-", "_")
        if name in order:
            return
        if name not in index:
            return          # built in
        data = _read_module(index[name])
        for dep in _modinfo_depends(data):
            if dep not in trail:
                visit(dep, trail + (name,))
        with open(os.path.join(out_dir, name + ".ko"), "wb") as f:
            f.write(data)
        order.append(name)

    os.makedirs(out_dir, exist_ok=True)
    for m in MODULES:
        visit(m)
    with open(os.path.join(out_dir, "order"), "w") as f:
        f.write("\n".join(order) + "\n")


def fetch(name, cache=CACHE, log=sys.stderr, arch="x86"):
    """The directory of kernel `name` (x86: 5.10, 6.1, 6.12; arm64: 6.1,
    6.12) in the cache, with vmlinuz, config, modules/ and package (its
    name), fetched if needed."""
    patterns = ARCHES[arch]["patterns"]
    if name not in patterns:
        raise FetchError(f"unknown {arch} kernel {name} (one of {', '.join(patterns)})")
    apt = os.path.join(cache, ARCHES[arch]["apt"])
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)      # another vmtest run on this machine
        return _fetch_locked(name, cache, apt, log, arch)


def _fetch_locked(name, cache, apt, log, arch):
    _update_lists(apt, arch)
    pkg = _newest(apt, arch, name)
    kdir = os.path.join(cache, "kernels", pkg)
    if os.path.exists(os.path.join(kdir, "done")):
        return kdir
    print(f"vmtest: fetching {pkg} from Debian's archive", file=log, flush=True)
    shutil.rmtree(kdir, ignore_errors=True)
    os.makedirs(kdir)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        _run(["apt-get", *_apt_opts(apt, ARCHES[arch]["deb"]), "-q", "download", pkg], f"downloading {pkg}", cwd=tmp)
        deb = [f for f in os.listdir(tmp) if f.endswith(".deb")][0]
        root = os.path.join(tmp, "root")
        _run(["dpkg-deb", "-x", os.path.join(tmp, deb), root], f"unpacking {deb}")
        boot = os.path.join(root, "boot")
        for fn in os.listdir(boot):
            if fn.startswith("vmlinuz-"):
                shutil.copy(os.path.join(boot, fn), os.path.join(kdir, "vmlinuz"))
            elif fn.startswith("config-"):
                shutil.copy(os.path.join(boot, fn), os.path.join(kdir, "config"))
        _keep_modules(root, os.path.join(kdir, "modules"))
    with open(os.path.join(kdir, "package"), "w") as f:
        f.write(pkg + "\n")
    open(os.path.join(kdir, "done"), "w").close()
    return kdir


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="fetch kernels; prints NAME DIR for each")
    ap.add_argument("--arch", default="x86", choices=sorted(ARCHES))
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    try:
        for n in a.names or ARCHES[a.arch]["patterns"]:
            print(n, fetch(n, arch=a.arch))
    except FetchError as e:
        sys.exit(f"kernels.py: {e}")
