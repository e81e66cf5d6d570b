# Included by the Makefile for `make ARCH=arm64` on a machine that is not
# arm64: Debian's cross compiler against an arm64 tree of Debian 12's
# libraries (scripts/sysroot-arm64.sh: extracted once into VMTEST_CACHE,
# outside the checkout; the same tree is the arm64 vmtest guest's root, so
# the tools link dynamically against exactly the libraries they run with).
# The BPF objects need only -D__TARGET_ARCH_arm64 and vmlinux/arm64/vmlinux.h
# (the Makefile derives both from ARCH); clang, bpftool and protoc-c are the
# host's.
ifeq ($(origin SYSROOT),undefined)
SYSROOT := $(shell scripts/sysroot-arm64.sh $(VMTEST_CACHE))
endif
ifeq ($(wildcard $(SYSROOT)/.done),)
$(error no arm64 sysroot (scripts/sysroot-arm64.sh $(VMTEST_CACHE) failed; SYSROOT='$(SYSROOT)'))
endif
CROSS_COMPILE ?= aarch64-linux-gnu-
ifeq ($(origin CC),default)
CC  := $(CROSS_COMPILE)gcc --sysroot=$(SYSROOT)
endif
ifeq ($(origin CXX),default)
CXX := $(CROSS_COMPILE)g++ --sysroot=$(SYSROOT)
endif
OBJCOPY := $(CROSS_COMPILE)objcopy
STRIP   := $(CROSS_COMPILE)strip
CROSS_PKG_CONFIG := PKG_CONFIG_SYSROOT_DIR=$(SYSROOT) \
	PKG_CONFIG_LIBDIR=$(SYSROOT)/usr/lib/aarch64-linux-gnu/pkgconfig:$(SYSROOT)/usr/share/pkgconfig pkg-config
PKG_CFLAGS := $(shell $(CROSS_PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   := $(shell $(CROSS_PKG_CONFIG) --libs $(PKGS))
ifeq ($(PKG_LIBS),)
$(error pkg-config finds no arm64 $(PKGS) in $(SYSROOT))
endif
# the workloads: static allocator archives from the tree, clang -O2 ones
# (lld) for aarch64 against it; no Rust (rustc here has no aarch64 std)
OPT_LIBDIR := $(SYSROOT)/usr/lib/aarch64-linux-gnu
LLD_CLANG  := $(CLANG) --target=aarch64-linux-gnu --sysroot=$(SYSROOT)
LLD_CLANGXX := $(CLANG)++ --target=aarch64-linux-gnu --sysroot=$(SYSROOT)
