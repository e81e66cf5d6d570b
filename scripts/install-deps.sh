#!/usr/bin/env bash
# Installs what mmscope needs to build, test and benchmark, from the
# distribution's packages. Idempotent: installs only what is missing.
set -euo pipefail

PKGS=(make gcc clang llvm pkg-config libbpf-dev bpftool libelf-dev libdw-dev
      zlib1g-dev libncurses-dev valgrind python3 bpftrace stress-ng tmux
      libmicrohttpd-dev prometheus bash-completion libprotobuf-c-dev protobuf-c-compiler
      golang-go qemu-system-x86 busybox-static cpio xz-utils debian-archive-keyring
      libcapstone-dev g++ libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev
      redis-server redis-tools heaptrack libiberty-dev lld nodejs nginx
      gcc-aarch64-linux-gnu g++-aarch64-linux-gnu binutils-aarch64-linux-gnu
      mmdebstrap qemu-system-arm qemu-user-static)

# test_unwind_arm64 builds arm64 programs against Debian's arm64 libc, runs
# them under qemu-aarch64 and reads their CFI with aarch64-linux-gnu-readelf
PKGS+=(libc6-arm64-cross qemu-user-static binutils-aarch64-linux-gnu)
# test_leaksnoop_probe_site_arm64 reads Debian's arm64 libc and libstdc++
# and checks its choices against aarch64-linux-gnu-objdump
PKGS+=(libstdc++6-arm64-cross)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install: ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
