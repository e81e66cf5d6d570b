# mmscope — eBPF memory tracing tools. `make V=1` shows the commands.
# `make ARCH=arm64` on x86-64 cross-builds into build-arm64/ (below).
HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ARCH      := $(HOST_ARCH)
CROSS     := $(filter-out $(HOST_ARCH),$(ARCH))
OUTPUT    ?= build$(if $(CROSS),-$(ARCH))
PREFIX    ?= /usr/local
DESTDIR   ?=
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= gcc
VMLINUX   := vmlinux/$(ARCH)/vmlinux.h
VMTEST_CACHE ?= /var/cache/mmscope-vmtest

# A tool exists once its BPF program does: bpf/<tool>.bpf.c + user/<tool>/*.c
TOOLS     := $(patsubst bpf/%.bpf.c,%,$(wildcard bpf/*.bpf.c))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKGS        := libbpf libelf zlib libdw ncursesw libmicrohttpd libprotobuf-c capstone
ifeq ($(CROSS),arm64)
include scripts/cross-arm64.mk
else
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
endif
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=
CFLAGS      ?= -O2 -g
CFLAGS      += -std=gnu11 -Wall -Wextra -Werror -Iuser/lib -Ibpf -I$(OUTPUT) -I$(OUTPUT)/proto $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS      := $(PKG_LIBS) -liberty -lm -lpthread
BPF_CFLAGS  := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(dir $(VMLINUX)) -Ibpf -Wall -Werror

LIB_SRCS    := $(wildcard user/lib/*.c)
LIB_OBJS    := $(patsubst user/%.c,$(OUTPUT)/%.o,$(LIB_SRCS))

.PHONY: all clean install run test unit e2e bench vmlinux deps check-asan tests-build soak vmtest
all: $(addprefix $(OUTPUT)/,$(TOOLS))

$(OUTPUT) $(OUTPUT)/lib $(addprefix $(OUTPUT)/,$(TOOLS:=.d)) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

# --- BPF objects and skeletons ---------------------------------------------
$(OUTPUT)/%.bpf.o: bpf/%.bpf.c bpf/%.h $(wildcard bpf/*.h) $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# --- protobuf: C generated from proto/*.proto at build time ---------------------
# (pprof's profile.proto, for leaksnoop --pprof). A tool that needs one lists
# it in <tool>_EXTRA_OBJS.
PROTOC_C    ?= protoc-c
$(OUTPUT)/proto:
	$(Q)mkdir -p $@

$(OUTPUT)/proto/%.pb-c.c $(OUTPUT)/proto/%.pb-c.h &: proto/%.proto | $(OUTPUT)/proto
	$(call msg,PROTOC,$<)
	$(Q)$(PROTOC_C) --proto_path=proto --c_out=$(OUTPUT)/proto $<

$(OUTPUT)/proto/%.pb-c.o: $(OUTPUT)/proto/%.pb-c.c $(OUTPUT)/proto/%.pb-c.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

leaksnoop_EXTRA_OBJS := $(OUTPUT)/proto/profile.pb-c.o

# --- user space ----------------------------------------------------------------
$(OUTPUT)/lib/%.o: user/lib/%.c $(wildcard user/lib/*.h) $(wildcard bpf/*.h) | $(OUTPUT)/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Only the objects that include the skeleton wait for the BPF toolchain
# (clang, bpftool): the rest, and so `make unit`, build without it.
# NOT_PURE_OBJS (below): the ones unit tests leave out.
# A tool's folder and its stage folders (user/leaksnoop/probes/, ...): each
# is on the include path, so files include each other by name.
define tool_rules
$(1)_DIRS := user/$(1) $$(patsubst %/,%,$$(wildcard user/$(1)/*/))
$(1)_INC  := $$(addprefix -I,$$($(1)_DIRS))
$(1)_SRCS := $$(foreach d,$$($(1)_DIRS),$$(wildcard $$(d)/*.c))
$(1)_HDRS := $$(foreach d,$$($(1)_DIRS),$$(wildcard $$(d)/*.h))
$(1)_OBJS := $$(patsubst user/$(1)/%.c,$(OUTPUT)/$(1).d/%.o,$$($(1)_SRCS))
$(1)_SKEL_OBJS := $$(patsubst user/$(1)/%.c,$(OUTPUT)/$(1).d/%.o,$$(shell grep -l 'skel\.h' $$($(1)_SRCS)))
$(OUTPUT)/$(1).d/%.o: user/$(1)/%.c $$($(1)_HDRS) $$(wildcard user/lib/*.h) $$(wildcard bpf/*.h) $$($(1)_EXTRA_OBJS:.o=.h) | $(OUTPUT)/$(1).d
	$$(call msg,CC,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(CC) $$(CFLAGS) $$($(1)_INC) -c $$< -o $$@
$$($(1)_SKEL_OBJS): $(OUTPUT)/$(1).skel.h
$(OUTPUT)/$(1): $$($(1)_OBJS) $$($(1)_EXTRA_OBJS) $(LIB_OBJS)
	$$(call msg,LINK,$$@)
	$$(Q)$$(CC) $$(CFLAGS) $$^ $$(LDLIBS) $$(EXTRA_LDFLAGS) -o $$@
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rules,$(t))))

# --- tests -------------------------------------------------------------------
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
WORKLOAD_SRCS := $(wildcard tests/e2e/workloads/*.c)
WORKLOAD_BINS := $(patsubst tests/e2e/workloads/%.c,$(OUTPUT)/tests/%,$(WORKLOAD_SRCS))

$(OUTPUT)/tests/test_%: tests/unit/test_%.c tests/unit/unit.h $(LIB_OBJS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -DUNIT_DATA='"$(CURDIR)/tests/unit/data"' $< $(LIB_OBJS) $(LDLIBS) -o $@

# Unit tests of one tool's pure parts (test_<tool>_*.c) link its objects
# except the ones that talk to BPF (the sources and loaders) and main().
NOT_PURE_OBJS := %/main.o %/books_source.o %/collector.o %/source.o %/attach.o %/attach_user.o %/kfree_batch.o %/target.o %/scan.o %/classify.o %/dl_hook.o %/proc_set.o %/trace_set.o
define tool_unit_rules
$(OUTPUT)/tests/test_$(1)_%: tests/unit/test_$(1)_%.c tests/unit/unit.h $$(filter-out $(NOT_PURE_OBJS),$$($(1)_OBJS)) $$($(1)_EXTRA_OBJS) $(LIB_OBJS) | $(OUTPUT)/tests
	$$(call msg,CC,$$@)
	$$(Q)$$(CC) $$(CFLAGS) -Itests/unit $$($(1)_INC) $$< $$(filter-out $(NOT_PURE_OBJS),$$($(1)_OBJS)) $$($(1)_EXTRA_OBJS) $(LIB_OBJS) $$(LDLIBS) -o $$@
endef
$(foreach t,$(TOOLS),$(eval $(call tool_unit_rules,$(t))))

# Workloads are built the way users build programs: -g, frame pointers, no PIE tricks.
$(OUTPUT)/tests/%: tests/e2e/workloads/%.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -O0 -g -fno-omit-frame-pointer -Wall -Wextra -Werror -pthread $< -o $@ $(WORKLOAD_LDLIBS_$*)

# Shared libraries for workloads: tests/e2e/workloads/lib/<name>.c -> lib<name>.so,
# built like the workloads; a workload links one through WORKLOAD_LDLIBS_<name>.
$(OUTPUT)/tests/lib%.so: tests/e2e/workloads/lib/%.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -O0 -g -fno-omit-frame-pointer -Wall -Wextra -Werror -fPIC -shared $< -o $@

WORKLOAD_LDLIBS_leak_lib := -L$(OUTPUT)/tests -lleak_shlib -Wl,-rpath,'$$ORIGIN'
WORKLOAD_LDLIBS_many_objects := -ldl
$(OUTPUT)/tests/leak_lib: $(OUTPUT)/tests/libleak_shlib.so

# Workloads built the way distributions build programs: -O2, no frame
# pointers, no debug info (names from the symbol table only), on each
# allocator Debian ships: linked normally, statically where Debian ships the
# archive (libjemalloc.a, libtcmalloc_minimal.a; there is no libmimalloc.a),
# and plain (for LD_PRELOAD). tests/e2e/workloads/opt/<src> -> opt_<variant>.
OPT_WFLAGS := -O2 -fomit-frame-pointer -g0 -Wall -Wextra -Werror -pthread
OPT_LIBDIR ?= /usr/lib/x86_64-linux-gnu
OPT_C      := tests/e2e/workloads/opt/alloc_leak.c
OPT_CXX    := tests/e2e/workloads/opt/alloc_leak_cxx.cc
OPT_VARIANTS := leak_glibc leak_je leak_tc leak_mi leak_je_static leak_tc_static cxx_je cxx_tc cxx_mi
OPT_BINS   := $(addprefix $(OUTPUT)/tests/opt_,$(OPT_VARIANTS))
OPT_SRC_leak_glibc := $(OPT_C)
OPT_SRC_leak_je := $(OPT_C)
OPT_SRC_leak_tc := $(OPT_C)
OPT_SRC_leak_mi := $(OPT_C)
OPT_SRC_leak_je_static := $(OPT_C)
OPT_SRC_leak_tc_static := $(OPT_C)
OPT_SRC_cxx_je := $(OPT_CXX)
OPT_SRC_cxx_tc := $(OPT_CXX)
OPT_SRC_cxx_mi := $(OPT_CXX)
OPT_LIBS_leak_je := -DUSE_JEMALLOC_API -ljemalloc
OPT_LIBS_leak_tc := -ltcmalloc
OPT_LIBS_leak_mi := -lmimalloc
OPT_LIBS_leak_je_static := -DUSE_JEMALLOC_API $(OPT_LIBDIR)/libjemalloc.a -lm -ldl
OPT_LIBS_leak_tc_static := $(OPT_LIBDIR)/libtcmalloc_minimal.a -lstdc++ -lm
OPT_LIBS_cxx_je := -ljemalloc
OPT_LIBS_cxx_tc := -ltcmalloc
OPT_LIBS_cxx_mi := -lmimalloc

$(OUTPUT)/tests/opt_%: $(OPT_C) $(OPT_CXX) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(if $(filter cxx_%,$*),$(CXX) -std=gnu++17,$(CC)) $(OPT_WFLAGS) $(OPT_SRC_$*) -o $@ $(OPT_LIBS_$*)


# Workloads built the way distributions build code (issue: stacks without
# frame pointers): -O2 -fomit-frame-pointer, no debug info. The C++ library
# is built with -g and then split like a Debian -dbgsym package: its DWARF in
# .debug/libnofp_cxxlib.so.debug, found through .gnu_debuglink.
NOFP_DIR    := tests/e2e/workloads/nofp
OBJCOPY     ?= objcopy
STRIP       ?= strip
NOFP_CFLAGS := -O2 -fomit-frame-pointer -g0 -Wall -Wextra -Werror -pthread
NOFP_BINS   := $(addprefix $(OUTPUT)/tests/,nofp_deep nofp_deep_jemalloc nofp_cxx libnofp_cxxlib.so \
		nofp_two_callers nofp_dl_callback libnofp_cblib.so)
# On arm64 also with pointer authentication, as Debian's dpkg-buildflags
# build arm64 packages since trixie: saved return addresses are signed.
NOFP_CFLAGS_arm64 := -mbranch-protection=standard
NOFP_CFLAGS += $(NOFP_CFLAGS_$(ARCH))

# nofp_X from nofp/X.c; nofp_deep_jemalloc is deep.c linked to jemalloc
$(OUTPUT)/tests/nofp_%: $(NOFP_DIR)/%.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(NOFP_CFLAGS) $< -o $@ -ldl
$(OUTPUT)/tests/nofp_deep_jemalloc: $(NOFP_DIR)/deep.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(NOFP_CFLAGS) $< -o $@ -ljemalloc
$(OUTPUT)/tests/libnofp_cblib.so: $(NOFP_DIR)/lib/cblib.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(NOFP_CFLAGS) -fPIC -shared $< -o $@
$(OUTPUT)/tests/libnofp_cxxlib.so: $(NOFP_DIR)/lib/cxxlib.cpp $(NOFP_DIR)/cxxlib.h | $(OUTPUT)/tests
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(filter-out -g0,$(NOFP_CFLAGS)) -g -fPIC -shared $< -o $@
	$(Q)mkdir -p $(OUTPUT)/tests/.debug && \
		$(OBJCOPY) --only-keep-debug $@ $(OUTPUT)/tests/.debug/libnofp_cxxlib.so.debug && \
		$(STRIP) --strip-debug $@ && \
		$(OBJCOPY) --add-gnu-debuglink=$(OUTPUT)/tests/.debug/libnofp_cxxlib.so.debug $@
$(OUTPUT)/tests/nofp_cxx: $(NOFP_DIR)/cxx.cpp $(NOFP_DIR)/cxxlib.h $(OUTPUT)/tests/libnofp_cxxlib.so
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(NOFP_CFLAGS) $< -o $@ -L$(OUTPUT)/tests -lnofp_cxxlib -Wl,-rpath,'$$ORIGIN'

# Workloads linked by lld, whose segments share pages (issue 19: stacks of
# rustc's programs ended after one frame): a Rust program as rustc builds it
# (rust-lld is its default linker), with and without forced frame pointers,
# and C and C++ (with exception tables) built by clang -O2 without frame
# pointers. Rust only where rustc is: without it the Rust tests fail and say
# so (tests/e2e/test_leaksnoop_stacks.py).
LLD_DIR    := tests/e2e/workloads/lld
LLD_CFLAGS := -O2 -fomit-frame-pointer -g -Wall -Wextra -Werror -fuse-ld=lld
RUSTC      ?= rustc
LLD_CLANG  ?= $(CLANG)
LLD_CLANGXX ?= $(CLANG)++
RUSTFLAGS_WORKLOAD := -g -C opt-level=1 -D warnings
LLD_BINS   := $(addprefix $(OUTPUT)/tests/,lld_deep lld_exc \
		$(if $(CROSS),,$(if $(shell command -v $(RUSTC)),lld_rust lld_rust_fp)))

$(OUTPUT)/tests/lld_deep: $(LLD_DIR)/deep.c | $(OUTPUT)/tests
	$(call msg,CLANG,$@)
	$(Q)$(LLD_CLANG) $(LLD_CFLAGS) $< -o $@
# DWARF 4: valgrind 3.19, the test's oracle, reads no inlined frames from
# clang's DWARF 5 (it would name make(int) at a line of basic_string.h)
$(OUTPUT)/tests/lld_exc: $(LLD_DIR)/exc.cpp | $(OUTPUT)/tests
	$(call msg,CLANG,$@)
	$(Q)$(LLD_CLANGXX) $(LLD_CFLAGS) -gdwarf-4 $< -o $@
$(OUTPUT)/tests/lld_rust: $(LLD_DIR)/leak.rs | $(OUTPUT)/tests
	$(call msg,RUSTC,$@)
	$(Q)MAKEFLAGS= $(RUSTC) $(RUSTFLAGS_WORKLOAD) $< -o $@
$(OUTPUT)/tests/lld_rust_fp: $(LLD_DIR)/leak.rs | $(OUTPUT)/tests
	$(call msg,RUSTC,$@)
	$(Q)MAKEFLAGS= $(RUSTC) $(RUSTFLAGS_WORKLOAD) -C force-frame-pointers=yes $< -o $@

# The roots workload (issue 19: what counts as a root decides the kinds): C++
# built like the workloads (-O0 -g, frame pointers), on glibc and linked to
# each allocator Debian ships (roots_je, roots_tc, roots_mi).
ROOTS_SRC  := tests/e2e/workloads/roots/leak_roots.cc
ROOTS_BINS := $(addprefix $(OUTPUT)/tests/,leak_roots leak_roots_je leak_roots_tc leak_roots_mi)
ROOTS_LIBS_leak_roots_je := -ljemalloc
ROOTS_LIBS_leak_roots_tc := -ltcmalloc
ROOTS_LIBS_leak_roots_mi := -lmimalloc
$(ROOTS_BINS): $(ROOTS_SRC) | $(OUTPUT)/tests
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O0 -g -fno-omit-frame-pointer -Wall -Wextra -Werror -pthread $< -o $@ $(ROOTS_LIBS_$(notdir $@))

# arm64 ELF files for the unit tests of the arm64 unwind tables
# (tests/unit/test_unwind_arm64.c), on any machine: tests/unit/arm64/frames.c
# built by Debian's cross compiler three ways, what readelf says of their CFI
# and of the cross libc's (the oracle), and the stack each dumps, with
# glibc's backtrace() of it, when run under qemu-aarch64.
ARM64_CC      ?= aarch64-linux-gnu-gcc
ARM64_READELF ?= aarch64-linux-gnu-readelf
ARM64_QEMU    ?= qemu-aarch64-static
ARM64_ROOT    ?= /usr/aarch64-linux-gnu
UW_ARM64_DIR  := $(OUTPUT)/tests/arm64
UW_ARM64_BINS := $(addprefix $(UW_ARM64_DIR)/frames_,nofp pac fp)
UW_ARM64_FLAGS_nofp := -fomit-frame-pointer
UW_ARM64_FLAGS_pac  := -fomit-frame-pointer -mbranch-protection=pac-ret
UW_ARM64_FLAGS_fp   := -fno-omit-frame-pointer
$(UW_ARM64_DIR):
	$(Q)mkdir -p $@
$(UW_ARM64_BINS): $(UW_ARM64_DIR)/frames_%: tests/unit/arm64/frames.c | $(UW_ARM64_DIR)
	$(call msg,CC-ARM64,$@)
	$(Q)$(ARM64_CC) -O2 $(UW_ARM64_FLAGS_$*) -g0 -Wall -Wextra -Werror $< -o $@
$(UW_ARM64_BINS:=.frames): %.frames: %
	$(Q)$(ARM64_READELF) --debug-dump=frames-interp $< > $@.tmp && mv $@.tmp $@
$(UW_ARM64_DIR)/libc.so.6.frames: $(ARM64_ROOT)/lib/libc.so.6 | $(UW_ARM64_DIR)
	$(Q)$(ARM64_READELF) --debug-dump=frames-interp $< > $@.tmp && mv $@.tmp $@
$(UW_ARM64_BINS:=.walk): %.walk: %
	$(call msg,QEMU,$@)
	$(Q)$(ARM64_QEMU) -L $(ARM64_ROOT) $< > $@.tmp && mv $@.tmp $@
$(OUTPUT)/tests/test_unwind_arm64: $(UW_ARM64_BINS:=.frames) $(UW_ARM64_BINS:=.walk) \
	$(UW_ARM64_DIR)/libc.so.6.frames
$(OUTPUT)/tests/test_unwind_table $(OUTPUT)/tests/test_unwind_arm64: tests/unit/unwind_unit.h

# NOT_FOR_ARCH: test programs that cannot be built for ARCH (set by scripts/cross-arm64.mk)
tests-build: all $(filter-out $(NOT_FOR_ARCH),$(UNIT_BINS) $(WORKLOAD_BINS) $(OPT_BINS) $(NOFP_BINS) \
		$(LLD_BINS) $(ROOTS_BINS))
	$(if $(NOT_FOR_ARCH),@echo "tests-build: not built for $(ARCH) (x86-64 assembly): $(notdir $(NOT_FOR_ARCH))")

deps:
	$(Q)./scripts/install-deps.sh

# Installs what is missing, builds, runs every test, then the whole suite again
# under AddressSanitizer + UBSan; each run ends with "N passed, N failed".
# The fuzz harnesses are built too: run.py fuzzes each briefly from $(OUTPUT)-fuzz.
test: deps
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)python3 tests/run.py $(OUTPUT)
	$(Q)$(MAKE) --no-print-directory vmtest-run
	$(Q)$(MAKE) --no-print-directory vmtest-arm64
	$(Q)$(MAKE) --no-print-directory check-asan

# Debian's own kernels (5.10 from Debian 11, 6.1 and 6.12 from Debian 12),
# fetched once into VMTEST_CACHE (outside the checkout, kept between runs),
# booted in QEMU with the tools built here; an end-to-end subset in each
# guest (tests/vm/). VMTEST_JOBS guests at a time.
VMTEST_KERNELS_x86   := 5.10,6.1,6.12
VMTEST_KERNELS_arm64 := 6.1,6.12
VMTEST_KERNELS ?= $(VMTEST_KERNELS_$(ARCH))
VMTEST_JOBS    ?= 2
.PHONY: vmtest-run vmtest-arm64 vmtest-build
vmtest: deps
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)$(MAKE) --no-print-directory vmtest-run
vmtest-run:
	$(Q)MMSCOPE_VMTEST_CACHE=$(VMTEST_CACHE) python3 tests/vm/vmtest.py --kernels $(VMTEST_KERNELS) \
		--jobs $(VMTEST_JOBS) $(if $(CROSS),--arch $(ARCH) --sysroot $(SYSROOT)) $(OUTPUT)

# Debian's arm64 kernels (6.1, 6.12) under qemu-system-aarch64 -M virt, TCG,
# with the tools cross-built by `make ARCH=arm64` into build-arm64/ and the
# workloads tests/vm/guest.py runs; the arm64 tree they are built against is
# the guest's root.
VMTEST_WORKLOADS := touch_pages major_faults segv leak_loop nofp_deep leak_eventfd prefork \
		    epoll_churn fault_storm fault_steps vma_faults uprobe_hits
vmtest-build: all $(addprefix $(OUTPUT)/tests/,$(VMTEST_WORKLOADS))
vmtest-arm64: deps
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 vmtest-build
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 vmtest-run

# The unit tests alone: no BPF toolchain needed (no skeleton, no tool).
unit: $(UNIT_BINS)
	$(Q)python3 tests/run.py --unit-only $(OUTPUT)

e2e: tests-build
	$(Q)python3 tests/run.py --e2e-only $(OUTPUT)

# The whole suite again with every user-space object built with AddressSanitizer
# and UndefinedBehaviorSanitizer; any sanitizer report fails the run.
ASAN_OUTPUT := $(OUTPUT)-asan
SANITIZE    := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
check-asan: deps
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(ASAN_OUTPUT) EXTRA_CFLAGS="$(SANITIZE)" \
		EXTRA_LDFLAGS="$(SANITIZE)" tests-build
	$(Q)rm -rf $(ASAN_OUTPUT)/sanitizer-logs && mkdir -p $(ASAN_OUTPUT)/sanitizer-logs
	$(Q)MMSCOPE_SANITIZER_LOGS=$(abspath $(ASAN_OUTPUT))/sanitizer-logs \
		ASAN_OPTIONS=log_path=$(abspath $(ASAN_OUTPUT))/sanitizer-logs/asan:detect_leaks=1 \
		UBSAN_OPTIONS=log_path=$(abspath $(ASAN_OUTPUT))/sanitizer-logs/ubsan:print_stacktrace=1 \
		python3 tests/run.py $(ASAN_OUTPUT)

# --- fuzzing -------------------------------------------------------------------
# libFuzzer harnesses (tests/fuzz/fuzz_<target>.c) for every parser of input
# from outside the tool, built with clang into $(FUZZ_OUTPUT): the library
# objects with -fsanitize=fuzzer-no-link (coverage, no main), the harness
# linked with -fsanitize=fuzzer. The lib objects go into an archive so each
# harness links only the objects it uses. tests/fuzz/fuzz.py runs them from a
# temp copy of tests/fuzz/corpus/<target>/ plus the regressions/<target>/ files.
FUZZ_OUTPUT   := $(OUTPUT)-fuzz
FUZZ_SECONDS  ?= 5
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   := -O1 -g -fno-omit-frame-pointer -std=gnu11 -Wall -Wextra -Werror \
		 -Iuser/lib -Ibpf $(PKG_CFLAGS) $(FUZZ_SAN)
FUZZ_BINS     := $(patsubst tests/fuzz/%.c,$(FUZZ_OUTPUT)/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LIB_OBJS := $(patsubst user/%.c,$(FUZZ_OUTPUT)/%.o,$(LIB_SRCS))

.PHONY: fuzz-build fuzz-short fuzz fuzz-clean
fuzz-build: $(FUZZ_BINS)

clean: fuzz-clean
fuzz-clean:
	$(Q)rm -rf $(FUZZ_OUTPUT)

$(FUZZ_OUTPUT)/lib $(FUZZ_OUTPUT)/faulttop.d $(FUZZ_OUTPUT)/leaksnoop.d:
	$(Q)mkdir -p $@

$(FUZZ_OUTPUT)/lib/%.o: user/lib/%.c $(wildcard user/lib/*.h) | $(FUZZ_OUTPUT)/lib
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUTPUT)/libmmscope.a: $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# faulttop's option parser needs sort_key_parse from view_common.c; view_common
# needs view_vmas.o (the process screen's view state) and fmt.o from the
# archive, nothing of BPF.
$(FUZZ_OUTPUT)/faulttop.d/%.o: user/faulttop/%.c $(faulttop_HDRS) $(wildcard user/lib/*.h) | $(FUZZ_OUTPUT)/faulttop.d
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(faulttop_INC) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_OUTPUT)/fuzz_faulttop_args: $(FUZZ_OUTPUT)/faulttop.d/options.o $(FUZZ_OUTPUT)/faulttop.d/view_common.o \
	$(FUZZ_OUTPUT)/faulttop.d/view_vmas.o
$(FUZZ_OUTPUT)/fuzz_faulttop_args: FUZZ_INC := $(faulttop_INC)
# the Accept-header negotiation is in the metrics view, which needs its books
$(FUZZ_OUTPUT)/fuzz_faulttop_accept: $(FUZZ_OUTPUT)/faulttop.d/view_prom.o $(FUZZ_OUTPUT)/faulttop.d/view_prom_books.o $(FUZZ_OUTPUT)/faulttop.d/view_books.o
$(FUZZ_OUTPUT)/fuzz_faulttop_accept: FUZZ_INC := $(faulttop_INC)

# leaksnoop's option parser stands alone (argparse_util.o comes from the archive).
$(FUZZ_OUTPUT)/leaksnoop.d/%.o: user/leaksnoop/%.c $(leaksnoop_HDRS) $(wildcard user/lib/*.h) | $(FUZZ_OUTPUT)/leaksnoop.d
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(leaksnoop_INC) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_OUTPUT)/fuzz_leaksnoop_args: $(FUZZ_OUTPUT)/leaksnoop.d/options.o
$(FUZZ_OUTPUT)/fuzz_leaksnoop_args: FUZZ_INC := $(leaksnoop_INC)

$(FUZZ_OUTPUT)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_OUTPUT)/libmmscope.a
	$(call msg,LINK-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_INC) -Itests/fuzz -fsanitize=fuzzer $< $(filter %.o,$^) \
		$(FUZZ_OUTPUT)/libmmscope.a $(LDLIBS) -o $@

# Every target for FUZZ_SECONDS each; fails on any crash, leak or timeout.
fuzz-short: fuzz-build
	$(Q)python3 tests/fuzz/fuzz.py --seconds $(FUZZ_SECONDS) $(FUZZ_OUTPUT)

# The long run (300 s per target unless FUZZ_SECONDS is given on the command
# line); new interesting inputs are merged into the committed corpus.
fuzz: FUZZ_SECONDS = 300
fuzz: fuzz-build
	$(Q)python3 tests/fuzz/fuzz.py --seconds $(FUZZ_SECONDS) --merge $(FUZZ_OUTPUT)

# The long soak (issue: hardening): each tool for SOAK_SECONDS under stress-ng.
SOAK_SECONDS ?= 300
soak: tests-build
	$(Q)SOAK_SECONDS=$(SOAK_SECONDS) python3 tests/run.py --e2e-only -k soak $(OUTPUT)

# --- static analysis -------------------------------------------------------------
# `make lint`: clang-tidy (.clang-tidy, relaxed by tests/.clang-tidy,
# tests/e2e/workloads/.clang-tidy and bpf/.clang-tidy) on every C file,
# user space and BPF, and cppcheck (.cppcheck-suppressions) on user-space C;
# any finding fails. Each file gets the flags it is built with, plus
# tests/lint/analyzer-models.h for the analyzer; the generated skeletons
# come in through -isystem.
# cppcheck skips bpf/: it would need vmlinux.h (never analysed) to see types.
# A single file: make lint-tidy/user/lib/fmt.c
CLANG_TIDY  ?= clang-tidy
CPPCHECK    ?= cppcheck
LINT_CFLAGS  = $(filter-out -I$(OUTPUT) -I$(OUTPUT)/proto,$(CFLAGS)) -isystem $(OUTPUT) -isystem $(OUTPUT)/proto \
	       -include tests/lint/analyzer-models.h
LINT_WORKLOAD_CFLAGS := -O0 -g -fno-omit-frame-pointer -std=gnu11 -Wall -Wextra -Werror -pthread
TIDY_SRCS   := $(LIB_SRCS) $(foreach t,$(TOOLS),$($(t)_SRCS)) $(UNIT_SRCS) \
	       $(wildcard tests/fuzz/*.c) $(WORKLOAD_SRCS) $(wildcard tests/e2e/workloads/lib/*.c) \
	       $(wildcard tests/e2e/workloads/nofp/*.c) $(wildcard tests/e2e/workloads/lld/*.c) \
	       $(wildcard bpf/*.bpf.c)
# The tool a file belongs to: user/<tool>/*, tests/unit/test_<tool>_*, tests/fuzz/fuzz_<tool>_*.
lint_tool    = $(firstword $(foreach t,$(TOOLS),$(if $(filter user/$(t)/% tests/unit/test_$(t)_% \
		tests/fuzz/fuzz_$(t)_%,$(1)),$(t))))
lint_flags   = $(if $(filter bpf/%,$(1)),$(BPF_CFLAGS),$(if $(filter tests/e2e/workloads/%,$(1)),$(LINT_WORKLOAD_CFLAGS),\
		$(LINT_CFLAGS) $(addprefix -I,$(filter tests/unit tests/fuzz,$(patsubst %/,%,$(dir $(1))))) \
		$(foreach t,$(call lint_tool,$(1)),$($(t)_INC))))
CPPCHECK_FLAGS := --enable=warning,style,performance,portability --std=c11 --inline-suppr \
		  --error-exitcode=1 --quiet --suppressions-list=.cppcheck-suppressions \
		  --template='{file}:{line}:{column}: {severity}: {message} [{id}]' -Iuser/lib -Ibpf

.PHONY: lint lint-tidy lint-cppcheck $(addprefix lint-tidy/,$(TIDY_SRCS)) \
	$(addprefix lint-cppcheck/,$(TOOLS) lib workloads)
lint: lint-tidy lint-cppcheck
lint-tidy: $(addprefix lint-tidy/,$(TIDY_SRCS))
$(addprefix lint-tidy/,$(TIDY_SRCS)): lint-tidy/%: $(addprefix $(OUTPUT)/,$(TOOLS:=.skel.h)) $(OUTPUT)/proto/profile.pb-c.h
	$(call msg,TIDY,$*)
	$(Q)out=$$($(CLANG_TIDY) --quiet $* -- $(call lint_flags,$*) 2>&1); rc=$$?; \
		printf '%s\n' "$$out" | grep -v -e '^[0-9]* warnings\{0,1\} generated\.$$' -e '^$$' || true; exit $$rc

# cppcheck in groups, each with the include paths its files are built with
# (user/faulttop and user/leaksnoop both have an env.h): one per tool with its
# unit tests and fuzz harnesses, one for the library with the other tests,
# one for the workloads.
LINT_TOOL_TESTS   = $(filter tests/unit/test_$(1)_% tests/fuzz/fuzz_$(1)_%,$(UNIT_SRCS) $(wildcard tests/fuzz/*.c))
lint-cppcheck: $(addprefix lint-cppcheck/,$(TOOLS) lib workloads)
lint-cppcheck/lib:
	$(call msg,CPPCHECK,user/lib tests/unit tests/fuzz)
	$(Q)$(CPPCHECK) $(CPPCHECK_FLAGS) -Itests/unit -Itests/fuzz $(LIB_SRCS) \
		$(filter-out $(foreach t,$(TOOLS),$(call LINT_TOOL_TESTS,$(t))),$(UNIT_SRCS) $(wildcard tests/fuzz/*.c))
$(addprefix lint-cppcheck/,$(TOOLS)): lint-cppcheck/%:
	$(call msg,CPPCHECK,user/$*)
	$(Q)$(CPPCHECK) $(CPPCHECK_FLAGS) $($*_INC) -Itests/unit -Itests/fuzz $($*_SRCS) $(call LINT_TOOL_TESTS,$*)
lint-cppcheck/workloads:
	$(call msg,CPPCHECK,tests/e2e/workloads)
	$(Q)$(CPPCHECK) $(CPPCHECK_FLAGS) $(WORKLOAD_SRCS) $(wildcard tests/e2e/workloads/lib/*.c) \
		$(wildcard tests/e2e/workloads/nofp/*.c)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./$(OUTPUT)/faulttop $(ARGS)

# The scan benchmark's peer: the big-heap workload under AddressSanitizer,
# timing LeakSanitizer's own check (bench only, not part of the tests).
$(OUTPUT)/tests/leak_bigheap_lsan: tests/e2e/workloads/leak_bigheap.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -fsanitize=address -DWITH_LSAN -Wall -Wextra -Werror $< -o $@

bench: deps
	$(Q)$(MAKE) --no-print-directory tests-build bench-build
	$(Q)python3 tests/bench/bench.py $(OUTPUT)

# The same run, and its figures written into docs/performance.md (between
# its markers) instead of only build/bench/performance-figures.md.
.PHONY: bench-docs
bench-docs: deps
	$(Q)$(MAKE) --no-print-directory tests-build bench-build
	$(Q)python3 tests/bench/bench.py --write-docs $(OUTPUT)

# What only the benchmarks use, kept out of the tools: the kernel floor
# (tests/bench/floor.bpf.c, empty kmem tracepoint programs) and its runner,
# and the scan benchmark's LeakSanitizer peer.
.PHONY: bench-build
bench-build: $(OUTPUT)/bench/bench_floor $(OUTPUT)/tests/leak_bigheap_lsan
$(OUTPUT)/bench:
	$(Q)mkdir -p $@
$(OUTPUT)/bench/floor.bpf.o: tests/bench/floor.bpf.c $(VMLINUX) | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(OUTPUT)/bench/floor.skel.h: $(OUTPUT)/bench/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@
$(OUTPUT)/bench/bench_floor: tests/bench/floor.c $(OUTPUT)/bench/floor.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(OUTPUT)/bench $< $(LDLIBS) -o $@

# Regenerates the committed vmlinux.h from the running kernel's BTF; when
# cross-building, from the BTF inside Debian's newest 6.12 kernel image for
# ARCH (fetched like vmtest's kernels).
ifeq ($(CROSS),)
vmlinux:
	$(Q)mkdir -p vmlinux/$(ARCH)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX).tmp && mv $(VMLINUX).tmp $(VMLINUX)
else
vmlinux: | $(OUTPUT)
	$(Q)mkdir -p vmlinux/$(ARCH)
	$(Q)MMSCOPE_VMTEST_CACHE=$(VMTEST_CACHE) python3 tests/vm/kernels.py --arch $(ARCH) 6.12 > $(OUTPUT)/kernel-6.12
	$(Q)python3 scripts/btf_from_image.py $$(cut -d' ' -f2 $(OUTPUT)/kernel-6.12)/vmlinuz $(OUTPUT)/vmlinux.btf && \
		$(BPFTOOL) btf dump file $(OUTPUT)/vmlinux.btf format c > $(VMLINUX).tmp && mv $(VMLINUX).tmp $(VMLINUX)
endif

# Bash completion goes where bash-completion loads it from on demand (by
# command name), which is not under PREFIX.
BASH_COMPLETIONS_DIR ?= $(or $(shell pkg-config --variable=completionsdir bash-completion 2>/dev/null),\
			     /usr/share/bash-completion/completions)

install: all
	$(Q)install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(BASH_COMPLETIONS_DIR)
	$(Q)install -m 0755 $(addprefix $(OUTPUT)/,$(TOOLS)) $(DESTDIR)$(PREFIX)/sbin/
	$(Q)install -m 0644 $(wildcard man/*.8) $(DESTDIR)$(PREFIX)/share/man/man8/
	$(Q)install -m 0644 $(addprefix completion/,$(TOOLS)) $(DESTDIR)$(BASH_COMPLETIONS_DIR)/

clean:
	$(Q)rm -rf $(OUTPUT)

.DELETE_ON_ERROR:
.SECONDARY:
