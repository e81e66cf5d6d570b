/* SPDX-License-Identifier: GPL-2.0 */
/* Layouts shared by leaksnoop.bpf.c and the leaksnoop loader. */
#ifndef MMSCOPE_LEAKSNOOP_H
#define MMSCOPE_LEAKSNOOP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Frames per stack: bpf_get_stackid walks no deeper than the stack map's
 * value holds, so this bounds the cost of every captured stack too. */
#define LS_MAX_FRAMES		32
/* -K: frames kept per kernel stack. The unwinder walks the BPF and
 * tracepoint frames it skips plus these, on every allocation: 16 hold the
 * allocator, its call site and the path to it (the syscall entry of a deep
 * stack is what goes), at about half the cost of 32. */
#define LS_KSTACK_FRAMES	16
/* -K: a call site's stack is captured afresh on every LS_KSTACK_EVERY-th
 * allocation there (on each CPU); the ones between reuse the last capture.
 * One capture costs 1-2 us (the unwinder), ten times the rest of the
 * allocation path. A power of two. */
#define LS_KSTACK_EVERY		32
#define LS_CACHE_NAME_LEN	32
/* Per-CPU slots for kernel call-site totals; sites that collide in a slot
 * go to the shared aggs table instead. A power of two. */
#define LS_SITE_SLOTS		4096

/* Where an outstanding allocation came from. */
enum ls_src {
	SRC_USER,	/* malloc & co. in the C library (or --lib) */
	SRC_KMALLOC,	/* kmalloc */
	SRC_KMEM_CACHE,	/* kmem_cache_alloc; cache names the slab cache */
	SRC_PAGE,	/* page allocator; size is PAGE_SIZE << order */
	SRC_MMAP,	/* mmap/mremap regions of the traced process */
	SRC_UPAGE,	/* movable pages: user memory faulted in (anon, page
			 * cache), shown apart and never as kernel leaks */
	/* mmap regions relabelled by user space, never made by BPF: */
	SRC_ALLOC_MAP,	/* mapped by the allocator itself (arenas, extents) */
	SRC_THREAD_STACK,	/* a thread's stack */
	SRC_MAX,
};

/* One live allocation: the value of the uallocs/kallocs/regions maps. */
struct ls_alloc {
	__u64 size;
	__u64 ts;		/* bpf_ktime_get_ns() at allocation */
	__u64 site;		/* kernel: the call site; user: 0 */
	__u64 cache;		/* SRC_KMEM_CACHE: struct kmem_cache *; else 0 */
	__s32 stack_id;		/* -1: no stack (not asked for, or capture failed) */
	__u32 src;		/* enum ls_src */
	__u32 tgid;		/* the process (global id) it was made in */
	__u32 pad;
};

/* The key of the user tables (uallocs, regions): forked workers hand out
 * the same addresses, so an address means something only with its process. */
struct ls_ukey {
	__u64 addr;
	__u32 tgid;
	__u32 pad;
};

/* One traced process of a set (-p list, -f, --cgroup): the procs map's
 * value. Kept after the process exits (flags LS_PROC_EXITED), so that user
 * space names a worker that came and went between two of its looks. */
#define LS_PROC_EXITED	1
#define LS_PROC_EXECED	2	/* it exec'd since it joined: not its parent's image */
#define LS_MAX_PROCS	4096
struct ls_proc {
	__u32 ppid;		/* the traced process it was forked from; 0: given */
	__u32 flags;
	char comm[16];
	__u64 exec_ns;		/* its last exec (bpf_ktime_get_ns), 0: none seen: the
				 * blocks of an image before it are the old image's */
};

/* A user block freed while a scan's log is on (scan_logging): what the
 * table held for it and when it went, so that user space, reading the
 * table after the process is resumed, knows which blocks were live while
 * it was stopped (scan_window.c). */
struct ls_freed {
	__u64 addr;
	__u64 free_ts;		/* bpf_ktime_get_ns() at the free */
	struct ls_alloc a;
};

/* Per-stack (user) or per-call-site/stack (kernel) totals kept by BPF. */
struct ls_agg_key {
	__u64 site;
	__u64 cache;
	__s32 stack_id;
	__u32 src;
	__u32 tgid;		/* the process; 0 for none */
	__u32 pad;
};

struct ls_agg {
	__u64 alloc_bytes, alloc_count;
	__u64 free_bytes, free_count;	/* user and mmap only: kernel frees are
					 * allocated minus still live, at report */
};

/* One kernel call site's (or stack's) allocation totals on one CPU: the
 * value of the per-CPU ksites array. alloc_count 0: the slot is free. */
struct ls_site {
	struct ls_agg_key key;
	__u64 alloc_bytes, alloc_count;
};

/* The kunseen key of kmalloc blocks: their call site (or, with -K, their
 * stack id), tagged. kmalloc's size classes are shared by every caller, so
 * a free missed at one site says nothing of another's blocks; a site's
 * blocks are one kind of object. A kernel text address has its top 16 bits
 * all set, a struct kmem_cache pointer too: 1 or 2 there tells the keys
 * apart. */
#define LS_KEY_TAG(key)			((key) >> 48)
#define LS_KMALLOC_SITE_KEY(site)	((1ULL << 48) | ((site) & 0xffffffffffffULL))
#define LS_KMALLOC_STACK_KEY(id)	((2ULL << 48) | (__u32)(id))
#define LS_KEY_SITE(key)		((key) | 0xffff000000000000ULL)

/* Kernel text ranges whose allocations in the target's context are
 * leaksnoop's own, set by user space from kallsyms (the hot text and the
 * .cold parts of each): [0, LS_OWN_BPF_FIRST) the uprobe machinery's
 * bookkeeping for leaksnoop's probes (kernel/events/uprobes.c: alloc_utask,
 * __create_xol_area, handler_chain ...), from LS_OWN_BPF_FIRST on the BPF
 * side's (kernel/bpf/memalloc.c's alloc_bulk refills, task local storage,
 * map allocations). */
#define LS_OWN_RANGES		8
#define LS_OWN_BPF_FIRST	2

struct ls_range {
	__u64 lo, hi;		/* [lo, hi); lo 0: unused */
};

/* A thread inside an allocation function, between entry and return. */
struct ls_inflight {
	__u64 size;
	__u64 arg;		/* realloc: the old block; posix_memalign: memptr */
	__u64 ts;		/* entry time (realloc: only older records are its old block) */
	__u32 kind;		/* enum ls_kind */
	__u32 depth;		/* nested calls (realloc(NULL, n) calls malloc inside) */
};

enum ls_kind {
	KIND_MALLOC,		/* malloc, calloc, valloc, pvalloc, memalign, aligned_alloc */
	KIND_REALLOC,
	KIND_POSIX_MEMALIGN,
	KIND_FREE,		/* free, sdallocx, operator delete...: entry only */
	KIND_RESIZE,		/* jemalloc's xallocx: in place, returns the new size */
};

/* A user probe's BPF cookie: the function's kind and the pt_regs slot
 * (struct pt_regs as an array of u64: user/leaksnoop/probes/probe_site.h)
 * each argument is read from at the probe's site. A probe moved past the
 * entry to an instruction the kernel emulates may find an argument copied
 * to another register. */
#define LS_REG_NONE		31
#define LS_COOKIE(kind, ptr_reg, n_reg, size_reg) \
	((__u64)(kind) | (__u64)(ptr_reg) << 8 | (__u64)(n_reg) << 16 | (__u64)(size_reg) << 24)
#define LS_COOKIE_KIND(c)	((__u32)(c) & 0xff)
#define LS_COOKIE_PTR(c)	((__u32)((c) >> 8) & 0x1f)
#define LS_COOKIE_N(c)		((__u32)((c) >> 16) & 0x1f)
#define LS_COOKIE_SIZE(c)	((__u32)((c) >> 24) & 0x1f)

/* Health and summary counters, one slot each in a per-CPU array. */
enum ls_stat {
	STAT_ALLOC_MAP_FULL,	/* an allocation could not be recorded: not reported */
	STAT_INFLIGHT_FULL,	/* a thread's in-flight slot could not be made */
	STAT_AGG_MAP_FULL,	/* a stack's totals could not be made */
	STAT_STACK_FAIL,	/* stack capture failed: reported without a stack */
	STAT_UNKNOWN_FREE,	/* free of a block allocated before tracing began */
	STAT_FAILED_ALLOC,	/* the allocator returned NULL: not a leak */
	STAT_BRK_GROW,		/* bytes the heap grew by through brk */
	STAT_BRK_SHRINK,	/* bytes it shrank by */
	STAT_OWN_FOOTPRINT,	/* kernel allocations for leaksnoop's own uprobes (utask,
				 * XOL area, return instances): not the target's */
	STAT_PROCS_FULL,	/* a process of the set could not be added: not traced */
	STAT_BATCH_FREE,	/* blocks freed through kfree_rcu's batches (no kmem event) */
	STAT_FREE_BUSY,		/* a kernel free whose table delete failed (the bucket
				 * was locked by a program this one interrupted):
				 * its block stays, reported as not all seen */
	STAT_OWN_BPF,		/* kernel allocations for leaksnoop's own BPF maps in the
				 * target's context (alloc_bulk's refills): not the target's */
	STAT_SCAN_LOG_LOST,	/* a user free during a scan's window the scan log
				 * had no room for (scan.c: that block's contents
				 * then count as roots) */
	STAT_MAX,
};

#endif
