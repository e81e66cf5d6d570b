#!/usr/bin/env bash
# The arm64 tree `make ARCH=arm64` builds against and `make vmtest-arm64`
# boots into: Debian 12's arm64 packages (the libraries the tools and the
# test workloads link, with their headers; python3, bpftool and busybox for
# the guest), extracted by mmdebstrap without running anything from them (no
# emulation) and without touching the system's apt sources. Cached in
# CACHE/sysroot-arm64-<hash of the list>, kept between runs; a change to the
# list makes a new tree. Prints the tree's path.
#
# usage: sysroot-arm64.sh [CACHE]   (default $MMSCOPE_VMTEST_CACHE or /var/cache/mmscope-vmtest)
set -euo pipefail

CACHE=${1:-${MMSCOPE_VMTEST_CACHE:-/var/cache/mmscope-vmtest}}
# build: what scripts/install-deps.sh installs for x86, the arm64 -dev half
# guest: what tests/vm/guest.py and the guest's /init run
PKGS=(libc6-dev libgcc-12-dev libstdc++-12-dev libbpf-dev libelf-dev libdw-dev zlib1g-dev
      libncurses-dev libmicrohttpd-dev libprotobuf-c-dev libcapstone-dev libiberty-dev
      libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev valgrind
      python3 bpftool busybox-static)
key=$(printf '%s\n' bookworm "${PKGS[@]}" | sha256sum | cut -c1-12)
dir=$CACHE/sysroot-arm64-$key
if [ -e "$dir/.done" ]; then
	echo "$dir"
	exit 0
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/sysroot-arm64.lock"
flock 9                                  # another make on this machine
if [ ! -e "$dir/.done" ]; then
	echo "sysroot-arm64: extracting Debian 12 arm64 packages into $dir" >&2
	rm -rf "$dir" "$dir.tmp"
	inc=$(IFS=,; echo "${PKGS[*]}")
	if ! mmdebstrap --quiet --variant=extract --arch=arm64 --include="$inc" \
		bookworm "$dir.tmp" >&2; then
		echo "sysroot-arm64: mmdebstrap failed" >&2
		rm -rf "$dir.tmp"
		exit 1
	fi
	mv "$dir.tmp" "$dir"
	touch "$dir/.done"
fi
echo "$dir"
