// SPDX-License-Identifier: GPL-2.0
/* leaksnoop's BPF side: live allocation tables and per-stack totals.
 *
 * Every allocation of the traced process goes into a hash keyed by its
 * address, every free takes it out; user space reads what is left when it
 * reports, so no per-event traffic crosses to user space at all. The fast
 * paths are a handful of hash operations and, on allocation, one stack
 * capture (bounded by LS_MAX_FRAMES).
 *
 * The kernel side runs on every kmalloc/kfree of the system, so it does
 * less: an allocation is one hash insert plus a per-CPU counter of its call
 * site, a free a lock-free lookup (and a delete when the block is ours).
 * Frees are not counted per site: user space derives them as allocated
 * minus what is still in the table. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "leaksnoop.h"
#include "mmscope.bpf.h"
#include "compat.bpf.h"
#include "syscall_inflight.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define MAX_THREADS	65536
#define ZERO_SIZE_PTR	16
#define MMAP_FLAG_ANONYMOUS	0x20	/* uapi MAP_ANONYMOUS: a macro, not in BTF */

const volatile __u32 targ_tgid;		/* 0: every process (whole-system kernel mode) */
/* Several processes (-p list, -f, --cgroup): the procs map is the set, and
 * targ_tgid is not looked at. */
const volatile bool proc_set;
const volatile bool follow_forks;	/* -f: a traced process's children join the set */
const volatile bool cgroup_filter;	/* --cgroup: tasks under cgroup_map[0] join it */
const volatile __u32 self_tgid;		/* leaksnoop: never one of its own targets */
const volatile bool kernel_stacks;	/* full kernel stacks instead of call sites */
const volatile bool user_stacks = true;
/* Set by user space: sysconf(_SC_PAGESIZE), and the kernel's tick length
 * (from /proc/timer_list; 0 when it can't be told: then bpf_ktime_get_ns,
 * ~35 ns more per kernel allocation). No kernel config file is read: a
 * __kconfig extern fails the whole load where there is none. */
const volatile __u64 page_size = 4096;
const volatile __u64 jiffy_ns;
const volatile bool cfi_unwind = true;		/* false: --frame-pointers */
const volatile bool stop_on_dl_change = false;	/* leaksnoop ptraces the command */

/* jiffies-to-CLOCK_MONOTONIC offset in ns, taken at the first kernel
 * allocation (see kernel_now) */
__u64 jiffies_off;

/* Allocations count from here on. Set by user space (-p) or at the traced
 * command's exec (-- CMD): before exec the child is still a copy of
 * leaksnoop, and what it allocates dies with the exec. */
bool counting;

/* Set by user space around a scan (scan.c): from just before the process
 * is stopped until the tables have been read after it is resumed, every
 * user free goes into scan_log too. Off, it costs a free one load. */
bool scan_logging;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);	/* resized by user space */
	__type(key, struct ls_ukey);
	__type(value, struct ls_alloc);
} uallocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, struct ls_alloc);
} kallocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ls_ukey);
	__type(value, struct ls_alloc);
} regions SEC(".maps");

/* The traced processes of a set, by global tgid (see proc_set). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LS_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct ls_proc);
} procs SEC(".maps");

/* --cgroup: the cgroup v2 directory whose tasks are traced */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_map SEC(".maps");

/* The user frees of a scan's window (struct ls_freed); sized by user
 * space (one page when there is no scan) */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} scan_log SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ls_agg_key);
	__type(value, struct ls_agg);
} aggs SEC(".maps");

/* A stack map of 65536 stacks of up to frames frames each. */
#define STACK_MAP(name, frames)							\
struct {									\
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);					\
	__uint(max_entries, 65536);						\
	__uint(key_size, sizeof(__u32));					\
	__uint(value_size, (frames) * sizeof(__u64));				\
} name SEC(".maps")

/* User stacks, each stored once under an id (see uw_store_stack): the CFI
 * unwinder's frames, or the frame-pointer walk's with --frame-pointers. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64[LS_MAX_FRAMES]);
} stacks SEC(".maps");

/* leaksnoop's own PID namespace (the nsfs dev and inode of
 * /proc/self/ns/pid) when it is not the initial one: 0 otherwise. Its PIDs
 * (-p, the command's, waitpid's tids, the unwinder's keys) are that
 * namespace's, not the kernel's global ones that bpf_get_current_pid_tgid
 * returns. */
const volatile __u64 pidns_dev, pidns_ino;

/* The current task's tgid << 32 | tid as leaksnoop's PID namespace sees
 * them; 0 for a task outside it. In the initial namespace, the global
 * ids; in another, the helper (5.7+), ~once per event that asks. A
 * function of its own (a BPF call): inlined, its branch made clang compute
 * a uprobe's ctx + offset on two paths, which 5.10's verifier refuses. */
static __noinline __u64 target_pid_tgid(void)
{
	struct bpf_pidns_info ns;

	if (!pidns_ino)
		return bpf_get_current_pid_tgid();
	if (bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns, sizeof(ns)))
		return 0;
	return (__u64)ns.tgid << 32 | ns.pid;
}

/* How deep a PID namespace leaksnoop looks for its own in (the kernel
 * allows 32; containers nest one or two). */
#define LS_PIDNS_MAX_LEVEL 8

/* A task's id as leaksnoop's PID namespace numbers it, for a task that is
 * not current (a fork's child): the struct pid's number at the level whose
 * namespace is leaksnoop's. 0 when the task has none there. */
static __always_inline __u32 task_ns_pid(struct task_struct *t)
{
	struct pid *pid;
	unsigned int level;

	if (!pidns_ino)
		return BPF_CORE_READ(t, pid);
	pid = BPF_CORE_READ(t, thread_pid);
	level = BPF_CORE_READ(pid, level);
#pragma unroll
	for (int i = 0; i < LS_PIDNS_MAX_LEVEL; i++) {
		struct upid up;

		if (i > level)
			break;
		if (bpf_core_read(&up, sizeof(up), &pid->numbers[i]))
			break;
		if (BPF_CORE_READ(up.ns, ns.inum) == pidns_ino)
			return up.nr;
	}
	return 0;
}

#define UW_STACK_FRAMES LS_MAX_FRAMES
#include "unwind.bpf.h"
/* -K's kernel stacks: fewer frames than user stacks (see LS_KSTACK_FRAMES) */
STACK_MAP(kstacks, LS_KSTACK_FRAMES);

/* Kernel call-site totals, per CPU so the counters need no atomics, and an
 * array so the lookup is inlined: a shared hash costs a hash walk and two
 * contended atomics on every kmalloc. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LS_SITE_SLOTS);
	__type(key, __u32);
	__type(value, struct ls_site);
} ksites SEC(".maps");

/* Set while this CPU's program updates ksites: one that interrupts it
 * (a kmalloc in an IRQ) uses the shared aggs table, so two never mix up
 * one slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ksites_busy SEC(".maps");

/* -K: each call site's last captured stack, per CPU (see LS_KSTACK_EVERY) */
struct kstack_slot {
	__u64 site;
	__s32 stack_id;
	__u32 uses;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LS_SITE_SLOTS);
	__type(key, __u32);
	__type(value, struct kstack_slot);
} kstack_cache SEC(".maps");

/* Each thread's allocation in flight, from an allocator's entry to its
 * return: in the task's own local storage where uprobe programs may use it
 * (inflight_task: the slot hangs off the task, no hash walk), else in a
 * hash by thread id (inflight). User space tells which (task_storage).
 * Measured on the bench loop (bpf_stats, medians of 6 interleaved rounds):
 * entry 112 vs 114 ns a run, return 710 vs 729 ns — a small gain: the
 * storage lookup takes a per-CPU busy lock that a hash lookup doesn't. */
const volatile bool task_storage;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ls_inflight);
} inflight_task SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct ls_inflight);
} inflight SEC(".maps");


/* Each thread of the target: its first user stack pointer (the top of the
 * stack its creator mapped), so the report labels that region a thread
 * stack, not a leak. Kept after the thread exits: libc caches stacks. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, __u64);
} thread_sps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, char[LS_CACHE_NAME_LEN]);
} cache_names SEC(".maps");

/* Frees missed, per slab cache: the target allocated at an address the
 * kallocs table still held, so the block there had been freed by a path
 * with no event (kmem_cache_free_bulk, 6.18's sheaves). Keyed by the held
 * block's cache (its call site for kmalloc: LS_KMALLOC_SITE_KEY): the
 * report does not call such a cache's blocks outstanding (kcache_check.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} kunseen SEC(".maps");

/* set by user space after load, before attach (kallsyms is read while the
 * programs load: ~100 ms of start-up each); constant indexes, plain loads,
 * which 5.10's verifier takes as readily as 6.18's */
struct ls_range own_ranges[LS_OWN_RANGES];

MMSCOPE_STATS_MAP(STAT_MAX)
MMSCOPE_SYSCALL_INFLIGHT(MAX_THREADS, STAT_INFLIGHT_FULL)

/* A process joins the set (-f's fork, --cgroup's first sight of it). */
static __always_inline void proc_add(__u32 tgid, __u32 ppid, const char *comm)
{
	struct ls_proc p = { .ppid = ppid };

	__builtin_memcpy(p.comm, comm, sizeof(p.comm));
	if (bpf_map_update_elem(&procs, &tgid, &p, BPF_ANY))
		stat_add(STAT_PROCS_FULL, 1);
}

static __always_inline bool in_set(__u32 tgid)
{
	struct ls_proc *p = bpf_map_lookup_elem(&procs, &tgid);
	char comm[16];

	if (p)
		return !(p->flags & LS_PROC_EXITED);
	/* a task moved into the cgroup, or there at the start and missed by
	 * user space's listing: from its first allocation on */
	if (!cgroup_filter || tgid == self_tgid ||
	    bpf_current_task_under_cgroup(&cgroup_map, 0) != 1)
		return false;
	bpf_get_current_comm(comm, sizeof(comm));
	proc_add(tgid, 0, comm);
	return true;
}

static __always_inline bool is_target(__u64 pid_tgid)
{
	if (proc_set)
		return in_set(pid_tgid >> 32);
	return !targ_tgid || (pid_tgid >> 32) == targ_tgid;
}

/* Per process (-p, -- CMD, a set), not the whole system */
static __always_inline bool per_process(void)
{
	return proc_set || targ_tgid;
}

static __always_inline struct ls_ukey ukey_of(__u64 addr)
{
	struct ls_ukey k = { .addr = addr, .tgid = target_pid_tgid() >> 32 };

	return k;
}

/* ---- per-stack totals ------------------------------------------------------ */

static __always_inline void agg_key_of(struct ls_agg_key *k, const struct ls_alloc *a)
{
	k->site = a->site;
	k->cache = a->cache;
	k->stack_id = a->stack_id;
	k->src = a->src;
	k->tgid = a->tgid;
	k->pad = 0;
}

static const struct ls_agg zero_agg;
static const struct ls_inflight zero_inflight;

static __always_inline struct ls_agg *agg_get(const struct ls_alloc *a, bool create)
{
	struct ls_agg_key k;
	struct ls_agg *g;

	agg_key_of(&k, a);
	if (!create)
		return bpf_map_lookup_elem(&aggs, &k);
	g = map_lookup_or_init(&aggs, &k, &zero_agg);
	if (!g)
		stat_add(STAT_AGG_MAP_FULL, 1);
	return g;
}

static __always_inline void record_alloc(void *map, const void *key, struct ls_alloc *a)
{
	struct ls_agg *g;

	a->pad = 0;
	if (bpf_map_update_elem(map, key, a, BPF_ANY)) {
		stat_add(STAT_ALLOC_MAP_FULL, 1);	/* not recorded: never reported */
		return;
	}
	g = agg_get(a, true);
	if (g) {
		__sync_fetch_and_add(&g->alloc_bytes, a->size);
		__sync_fetch_and_add(&g->alloc_count, 1);
	}
}

static __always_inline void account_free(const struct ls_alloc *a, __u64 bytes, __u64 blocks)
{
	struct ls_agg *g = agg_get(a, false);

	if (!g)
		return;
	__sync_fetch_and_add(&g->free_bytes, bytes);
	/* an add of a constant 0 becomes an atomic OR (5.12+): 5.10 refuses
	 * the whole program for it, so there is no add at all then */
	if (blocks)
		__sync_fetch_and_add(&g->free_count, blocks);
}

/* Removes the current process's addr from map (uallocs, regions), what it
 * held into *copy; true if it was there. not_after: only a record made at
 * or before this time counts (0: any). */
static __always_inline bool record_free(void *map, __u64 addr, __u64 not_after,
					   struct ls_alloc *copy)
{
	struct ls_ukey key = ukey_of(addr);
	struct ls_alloc *a = bpf_map_lookup_elem(map, &key);

	if (!a)
		return false;
	if (not_after && a->ts > not_after)
		return false;
	*copy = *a;
	if (bpf_map_delete_elem(map, &key))
		return false;	/* another thread took it first */
	account_free(copy, copy->size, 1);
	return true;
}

/* A user block's free: logged while a scan's window is open. */
static __always_inline bool record_ufree(__u64 addr, __u64 not_after)
{
	struct ls_freed f;

	if (!record_free(&uallocs, addr, not_after, &f.a))
		return false;
	if (scan_logging) {
		f.addr = addr;
		f.free_ts = bpf_ktime_get_ns();
		if (bpf_ringbuf_output(&scan_log, &f, sizeof(f), 0))
			stat_add(STAT_SCAN_LOG_LOST, 1);
	}
	return true;
}

/* ---- user heap: uprobes in the allocator ---------------------------------- */

/* The current thread's in-flight slot; create: made (zeroed) if missing. */
static __always_inline struct ls_inflight *inflight_of_current(bool create)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	/* task_storage is rodata: the verifier walks one branch only, so the
	 * other's helpers need not exist on this kernel */
	if (task_storage)
		return bpf_task_storage_get(&inflight_task, bpf_get_current_task_btf(), NULL,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (create)
		return map_lookup_or_init(&inflight, &tid, &zero_inflight);
	return bpf_map_lookup_elem(&inflight, &tid);
}

static __always_inline int alloc_enter(__u32 kind, __u64 size, __u64 arg)
{
	struct ls_inflight *f;

	if (!counting)
		return 0;
	f = inflight_of_current(true);
	if (!f) {
		stat_add(STAT_INFLIGHT_FULL, 1);
		return 0;
	}
	/* realloc(NULL, n) and reallocarray reach malloc/realloc again through
	 * the same entry points: only the outermost call counts */
	if (f->depth++)
		return 0;
	f->kind = kind;
	f->size = size;
	f->arg = arg;
	f->ts = kind == KIND_REALLOC ? bpf_ktime_get_ns() : 0;
	return 0;
}

/* xallocx(ptr, ...) resized the block in place to ret bytes */
static __always_inline void resize(__u64 ptr, __u64 ret)
{
	struct ls_ukey key = ukey_of(ptr);
	struct ls_alloc *a = bpf_map_lookup_elem(&uallocs, &key);
	struct ls_agg *g;

	if (!a || !ret || ret == a->size)
		return;
	g = agg_get(a, false);
	if (g && ret > a->size)
		__sync_fetch_and_add(&g->alloc_bytes, ret - a->size);
	else if (g)
		__sync_fetch_and_add(&g->free_bytes, a->size - ret);
	a->size = ret;
}

static __always_inline int alloc_exit(struct pt_regs *ctx, __u64 ret)
{
	struct ls_inflight *f = inflight_of_current(false);
	struct ls_alloc a;
	struct ls_ukey key;
	__u64 addr = ret;

	if (!f || !f->depth)
		return 0;	/* entered before we attached */
	if (--f->depth)
		return 0;	/* a nested call: the outer one accounts */
	if (f->kind == KIND_RESIZE) {
		resize(f->arg, ret);
		return 0;
	}
	if (f->kind == KIND_POSIX_MEMALIGN) {
		addr = 0;
		if ((int)ret == 0 && bpf_probe_read_user(&addr, sizeof(addr), (void *)f->arg))
			addr = 0;
	} else if (f->kind == KIND_REALLOC && f->arg) {
		/* the old block is gone if realloc succeeded, or if it was
		 * realloc(p, 0) (glibc frees p and returns NULL); on failure
		 * it stays allocated */
		if (ret || !f->size)
			record_ufree(f->arg, f->ts);
		if (!ret && !f->size)
			return 0;
	}
	if (!addr) {
		stat_add(STAT_FAILED_ALLOC, 1);
		return 0;
	}
	a.size = f->size;
	a.ts = bpf_ktime_get_ns();
	a.site = 0;
	a.cache = 0;
	a.src = SRC_USER;
	a.tgid = target_pid_tgid() >> 32;
	/* taken at return: ip is the caller's return address, so the first
	 * frame is right even when the caller keeps no frame pointer */
	a.stack_id = user_stacks ? uw_stack_id(ctx, cfi_unwind) : -1;
	if (a.stack_id < 0) {
		if (user_stacks)
			stat_add(STAT_STACK_FAIL, 1);
		a.stack_id = -1;
	}
	key = ukey_of(addr);
	record_alloc(&uallocs, &key, &a);
	return 0;
}

/* n * size; ~0 when it may overflow (the call then fails with ENOMEM and
 * returns NULL, which is not recorded). No 128-bit multiply in BPF. */
static __always_inline __u64 array_size(__u64 n, __u64 size)
{
	if (!((n | size) >> 32))
		return n * size;
	if (n <= 1 || size <= 1)
		return n * size;
	return ~0ULL;
}

/* The probe site's general registers, by pt_regs slot (see LS_COOKIE),
 * loaded by the architecture's uregs_load. Slot LS_REG_NONE and anything
 * past the first 15 read as 0. */
struct uregs {
	__u64 r[16];
};

#include "leaksnoop_x86.h"
#include "leaksnoop_arm64.h"

static __always_inline __u64 reg_at(const struct uregs *u, __u32 slot)
{
	return slot < 15 ? u->r[slot & 15] : 0;
}

static __always_inline int ufree(__u64 ptr)
{
	if (!ptr)
		return 0;
	if (!record_ufree(ptr, 0))
		stat_add(STAT_UNKNOWN_FREE, 1);
	return 0;
}

/* Every allocator function's entry: its cookie says what it is and where
 * its arguments are (see allocators.c's table and probe_site.c). */
static __always_inline int ualloc_entry_as(struct pt_regs *ctx, __u64 c)
{
	__u32 kind = LS_COOKIE_KIND(c);
	struct uregs u;
	__u64 ptr, size;

	if (!counting || !is_target(target_pid_tgid()))
		return 0;
	uregs_load(&u, ctx);
	ptr = reg_at(&u, LS_COOKIE_PTR(c));
	size = reg_at(&u, LS_COOKIE_SIZE(c));
	if (LS_COOKIE_N(c) != LS_REG_NONE)
		size = array_size(reg_at(&u, LS_COOKIE_N(c)), size);
	if (kind == KIND_FREE)
		return ufree(ptr);
	return alloc_enter(kind, size, ptr);
}

static __always_inline int ualloc_entry(struct pt_regs *ctx)
{
	return ualloc_entry_as(ctx, bpf_get_attach_cookie(ctx));
}

/* one return probe for all of them: the in-flight record says what it was */
static __always_inline int ualloc_return(struct pt_regs *ctx)
{
	return alloc_exit(ctx, PT_REGS_RC(ctx));
}

/* Two variants of each: as uprobe_multi programs (one link per file,
 * kernel 6.6+; user space sets their expected attach type, so both are
 * SEC("uprobe") here) and as classic ones for one perf-event link per
 * probe. <prefix>_entry and <prefix>_return, the same bodies. */
#define UALLOC_PROGRAMS(prefix, return_sec)					\
SEC("uprobe")									\
int prefix##_entry(struct pt_regs *ctx)						\
{										\
	return ualloc_entry(ctx);						\
}										\
										\
SEC(return_sec)									\
int prefix##_return(struct pt_regs *ctx)					\
{										\
	return ualloc_return(ctx);						\
}
UALLOC_PROGRAMS(uprobe, "uretprobe")
UALLOC_PROGRAMS(uprobe_multi, "uprobe")

/* Kernels before 5.15 give uprobes no cookie: one program per argument
 * layout, each probe at the function's entry where the ABI puts them. */
#define FIXED_ENTRY(name, kind, p, n, sz)					\
SEC("uprobe")									\
int name(struct pt_regs *ctx)							\
{										\
	return ualloc_entry_as(ctx, LS_COOKIE(kind, p, n, sz));			\
}
#define A0_ ARG0_SLOT
#define A1_ ARG1_SLOT
#define A2_ ARG2_SLOT
#define NO_ LS_REG_NONE
FIXED_ENTRY(fixed_malloc, KIND_MALLOC, NO_, NO_, A0_)		/* (size) */
FIXED_ENTRY(fixed_malloc_a, KIND_MALLOC, NO_, NO_, A1_)		/* (align, size) */
FIXED_ENTRY(fixed_calloc, KIND_MALLOC, NO_, A0_, A1_)		/* (n, size) */
FIXED_ENTRY(fixed_realloc, KIND_REALLOC, A0_, NO_, A1_)		/* (ptr, size) */
FIXED_ENTRY(fixed_reallocn, KIND_REALLOC, A0_, A1_, A2_)		/* (ptr, n, size) */
FIXED_ENTRY(fixed_posix_memalign, KIND_POSIX_MEMALIGN, A0_, NO_, A2_)
FIXED_ENTRY(fixed_free, KIND_FREE, A0_, NO_, NO_)
FIXED_ENTRY(fixed_resize, KIND_RESIZE, A0_, NO_, NO_)

/* ld.so's _dl_debug_state: the mappings changed (see unwind.bpf.h). */
SEC("uprobe")
int BPF_KPROBE(on_dl_debug_state)
{
	__u64 pid_tgid = target_pid_tgid();

	/* a set's hook is on every process mapping that ld.so; only the
	 * command is ptraced: a stop of another would never be resumed */
	if (counting && (!proc_set || is_target(pid_tgid)))
		uw_on_dl_debug_state(stop_on_dl_change && (pid_tgid >> 32) == targ_tgid);
	return 0;
}

/* ---- kernel allocations ----------------------------------------------------- */

/* First sight of a slab cache (a new site slot): remember its name for the
 * report, which can't read kernel memory itself. A CO-RE read, so one body
 * serves trusted (tp_btf) and raw pointers: it runs once per cache. */
static __always_inline void note_cache(const struct kmem_cache *s)
{
	__u64 cache = (__u64)s;
	char name[LS_CACHE_NAME_LEN] = {};

	if (!s || bpf_map_lookup_elem(&cache_names, &cache))
		return;
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(s, name));
	bpf_map_update_elem(&cache_names, &cache, name, BPF_NOEXIST);
}

/* A site's totals in the shared table: slot collisions and interrupted
 * updates only. */
static __always_inline void kcount_shared(const struct ls_alloc *a, const struct kmem_cache *s)
{
	struct ls_agg_key k;
	struct ls_agg *g;

	agg_key_of(&k, a);
	g = bpf_map_lookup_elem(&aggs, &k);
	if (!g) {
		note_cache(s);
		g = agg_get(a, true);
		if (!g)
			return;
	}
	__sync_fetch_and_add(&g->alloc_bytes, a->size);
	__sync_fetch_and_add(&g->alloc_count, 1);
}

/* The cache is a trusted pointer to the verifier, which forbids hashing
 * it: its object size (constant per cache) stands in for it. */
static __always_inline __u32 site_slot(const struct ls_alloc *a)
{
	__u64 h = a->site ^ ((a->cache ? a->size : 0) << 40) ^
		  ((__u64)(__u32)a->stack_id << 20) ^ a->src ^ ((__u64)a->tgid << 8);

	return (__u32)((h * 0x9E3779B97F4A7C15ULL) >> 40) & (LS_SITE_SLOTS - 1);
}

static __always_inline bool site_is(const struct ls_site *s, const struct ls_alloc *a)
{
	return s->key.site == a->site && s->key.cache == a->cache &&
	       s->key.stack_id == a->stack_id && s->key.src == a->src && s->key.tgid == a->tgid;
}

/* Counts an allocation for its site in this CPU's slot. */
static __always_inline void kcount(const struct ls_alloc *a, const struct kmem_cache *cache)
{
	__u32 zero = 0, idx = site_slot(a);
	__u32 *busy = bpf_map_lookup_elem(&ksites_busy, &zero);
	struct ls_site *s;

	if (!busy)
		return;
	if (*busy) {
		kcount_shared(a, cache);
		return;
	}
	*busy = 1;
	barrier();
	s = bpf_map_lookup_elem(&ksites, &idx);
	if (s && !s->alloc_count) {
		agg_key_of(&s->key, a);
		note_cache(cache);
	}
	if (s && site_is(s, a)) {
		s->alloc_bytes += a->size;
		s->alloc_count++;
	} else {
		kcount_shared(a, cache);
	}
	barrier();
	*busy = 0;
}

/* A kernel allocation's time, CLOCK_MONOTONIC from jiffies: reading the
 * clock (bpf_ktime_get_ns) costs ~35 ns here, a sixth of the whole
 * allocation path, and the ages it serves are in milliseconds. The offset
 * is taken one tick early, so a stamp is never later than the true time
 * and at most two ticks earlier (8 ms at HZ=250): ages read a little old. */
static __always_inline __u64 kernel_now(void)
{
	__u64 j;

	if (!jiffy_ns)
		return bpf_ktime_get_ns();	/* the tick rate could not be told */
	j = bpf_jiffies64();
	if (!jiffies_off)
		jiffies_off = bpf_ktime_get_ns() - (j + 1) * jiffy_ns;
	return j * jiffy_ns + jiffies_off;
}

static __always_inline long kstack_capture(void *ctx)
{
	/* skip this program's frame and bpf_trace_runN's: the stack starts
	 * at the allocator, then its call site */
	long id = bpf_get_stackid(ctx, &kstacks, 2 & BPF_F_SKIP_FIELD_MASK);

	if (id < 0)
		stat_add(STAT_STACK_FAIL, 1);
	return id;
}

/* The kernel stack of an allocation at site: captured on the first and then
 * every LS_KSTACK_EVERY-th allocation there, the last capture reused in
 * between. What that gives up: allocations at one call site reached by
 * different paths are split between their stacks by sampling, not exactly.
 * Page allocations have no call site and are always captured. */
static __always_inline long kstack_of(void *ctx, __u64 site, __u32 src)
{
	__u32 zero = 0, idx = (__u32)((site * 0x9E3779B97F4A7C15ULL) >> 40) & (LS_SITE_SLOTS - 1);
	__u32 *busy = bpf_map_lookup_elem(&ksites_busy, &zero);
	struct kstack_slot *c;
	long id;

	if (!site || src == SRC_PAGE || !busy || *busy)
		return kstack_capture(ctx);	/* interrupted a program: no cache */
	c = bpf_map_lookup_elem(&kstack_cache, &idx);
	if (c && c->site == site && (c->uses++ & (LS_KSTACK_EVERY - 1)))
		return c->stack_id;
	*busy = 1;
	barrier();
	id = kstack_capture(ctx);
	if (c && id >= 0) {
		c->site = site;
		c->stack_id = (__s32)id;
		c->uses = 1;
	}
	barrier();
	*busy = 0;
	return id;
}

/* 1 + the own range ip is in, 0 when none */
static __always_inline int own_range_of(__u64 ip)
{
#pragma unroll
	for (int i = 0; i < LS_OWN_RANGES; i++)
		if (own_ranges[i].lo && ip >= own_ranges[i].lo && ip < own_ranges[i].hi)
			return i + 1;
	return 0;
}

/* A page has no call site: the uprobe machinery's one page (the XOL area's)
 * is found in the first frames of its stack. Only the target's unmovable
 * pages pay for this walk. */
#define OWN_PAGE_FRAMES 8

static __always_inline int own_page(void *ctx)
{
	__u64 ips[OWN_PAGE_FRAMES] = {};
	long n = bpf_get_stack(ctx, ips, sizeof(ips), 0);
	int r;

	if (n <= 0)
		return 0;
#pragma unroll
	for (int i = 0; i < OWN_PAGE_FRAMES; i++)
		if (ips[i] && (r = own_range_of(ips[i])))
			return r;
	return 0;
}

/* An allocation the kernel made for leaksnoop's own probes or BPF maps in
 * the target's context (see LS_OWN_RANGES): counted, never the target's. */
static __always_inline bool own_footprint(void *ctx, __u32 src, __u64 site)
{
	int r = src == SRC_PAGE ? own_page(ctx) : own_range_of(site);

	if (r)
		stat_add(r > LS_OWN_BPF_FIRST ? STAT_OWN_BPF : STAT_OWN_FOOTPRINT, 1);
	return r;
}

/* The address of a new block is still in kallocs: its old block was freed
 * unseen. Counted for the old block's cache; false when there was none
 * (the table is full). */
static __always_inline bool free_missed(__u64 addr)
{
	struct ls_alloc *old = bpf_map_lookup_elem(&kallocs, &addr);
	__u64 key, one = 1, *n;

	if (!old)
		return false;
	if (old->src != SRC_KMALLOC && old->src != SRC_KMEM_CACHE)
		return true;		/* pages: their frees all have events */
	key = old->cache ? old->cache : old->site ? LS_KMALLOC_SITE_KEY(old->site) :
	      LS_KMALLOC_STACK_KEY(old->stack_id);
	n = bpf_map_lookup_elem(&kunseen, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&kunseen, &key, &one, BPF_NOEXIST);
	return true;
}

static __always_inline void kalloc(void *ctx, __u32 src, __u64 site, __u64 addr, __u64 size,
				   const struct kmem_cache *cache)
{
	__u64 pid_tgid = target_pid_tgid();
	struct ls_alloc a;

	if (addr <= ZERO_SIZE_PTR || !counting || !is_target(pid_tgid))
		return;
	if (src != SRC_UPAGE && own_footprint(ctx, src, site))
		return;
	a.tgid = per_process() ? pid_tgid >> 32 : 0;
	a.pad = 0;
	a.size = size;
	a.ts = kernel_now();
	a.site = site;
	a.cache = (__u64)cache;
	a.src = src;
	a.stack_id = -1;
	if (kernel_stacks) {
		a.stack_id = (__s32)kstack_of(ctx, site, src);
		if (a.stack_id < 0)
			a.stack_id = -1;
		else
			a.site = 0;	/* the stack holds the call site */
	}
	if (bpf_map_update_elem(&kallocs, &addr, &a, BPF_NOEXIST)) {
		if (!free_missed(addr) || bpf_map_update_elem(&kallocs, &addr, &a, BPF_ANY)) {
			stat_add(STAT_ALLOC_MAP_FULL, 1);	/* not recorded: never reported */
			return;
		}
	}
	kcount(&a, cache);
}

/* Most frees system-wide are of blocks we never saw: a lookup is lock-free,
 * a delete takes the bucket lock, so look first. */
static __always_inline void kernel_block_freed(__u64 addr)
{
	if (addr > ZERO_SIZE_PTR && bpf_map_lookup_elem(&kallocs, &addr))
		if (bpf_map_delete_elem(&kallocs, &addr))	/* freed by anyone */
			stat_add(STAT_FREE_BUSY, 1);
}

/* Each kernel hook twice (bpf/compat.bpf.h): tp_btf where the kernel lets
 * it read a `const void *` argument (~6.16+), raw_tp elsewhere. */

/* kmalloc(call_site, ptr, bytes_req, bytes_alloc, gfp, node); the raw
 * variant also serves kmalloc_node (before 6.1: a tracepoint of its own,
 * same arguments) */
static __always_inline int kmalloc_hook(__u64 *ctx, bool btf)
{
	kalloc(ctx, SRC_KMALLOC, ctx[0], ctx[1], ctx[3], NULL);
	return 0;
}
COMPAT_TP_HOOK("kmalloc", on_kmalloc, kmalloc_hook)

/* kmem_cache_alloc(call_site, ptr, struct kmem_cache *s, gfp, node), 6.1+ */
static __always_inline int kmem_cache_alloc_hook(__u64 *ctx, bool btf)
{
	struct kmem_cache *s = (struct kmem_cache *)ctx[2];

	/* tp_btf: s is a trusted BTF pointer, a plain load, no probe_read */
	kalloc(ctx, SRC_KMEM_CACHE, ctx[0], ctx[1], COMPAT_READ(btf, s, size), s);
	return 0;
}
COMPAT_TP_HOOK("kmem_cache_alloc", on_kmem_cache_alloc, kmem_cache_alloc_hook)

/* Before 6.1: kmem_cache_alloc (and kmem_cache_alloc_node) carry the sizes,
 * (call_site, ptr, bytes_req, bytes_alloc, gfp[, node]), not the cache: no
 * cache name for these blocks. */
SEC("raw_tp/kmem_cache_alloc")
int on_kmem_cache_alloc_nocache(__u64 *ctx)
{
	kalloc(ctx, SRC_KMEM_CACHE, ctx[0], ctx[1], ctx[3], NULL);
	return 0;
}

/* kfree(call_site, ptr) and kmem_cache_free(call_site, ptr[, s]) */
static __always_inline int block_freed_arg1(const __u64 *ctx, bool btf)
{
	kernel_block_freed(ctx[1]);
	return 0;
}
COMPAT_TP_HOOK("kfree", on_kfree, block_freed_arg1)
COMPAT_TP_HOOK("kmem_cache_free", on_kmem_cache_free, block_freed_arg1)

#include "kfree_batch.bpf.h"

#define MIGRATE_MOVABLE_ 1

/* mm_page_alloc(page, order, gfp, migratetype): the caller is the stack's
 * business, a page has no call site. Movable pages are user memory
 * (anonymous and page-cache faults, the pages behind the user heap): apart
 * from the kernel's own. */
static __always_inline int page_alloc_hook(__u64 *ctx, bool btf)
{
	__u32 src = (int)ctx[3] == MIGRATE_MOVABLE_ ? SRC_UPAGE : SRC_PAGE;

	kalloc(ctx, src, 0, ctx[0], page_size << ctx[1], NULL);
	return 0;
}
COMPAT_TP_HOOK("mm_page_alloc", on_page_alloc, page_alloc_hook)

/* mm_page_free(page, order) and mm_page_free_batched(page) */
static __always_inline int block_freed_arg0(const __u64 *ctx, bool btf)
{
	kernel_block_freed(ctx[0]);
	return 0;
}
COMPAT_TP_HOOK("mm_page_free", on_page_free, block_freed_arg0)
COMPAT_TP_HOOK("mm_page_free_batched", on_page_free_batched, block_freed_arg0)

/* ---- address space: mmap/munmap/mremap/brk ---------------------------------- */

/* the target's mmap, mremap or brk begins (see on_sys_enter) */
static __always_inline void sys_begin(struct syscall_inflight *args)
{
	if (args->kind == SYSCALL_MMAP) {
		/* who called mmap() (mmap_caller); mmap has no second length,
		 * so len2 carries it */
		struct pt_regs *regs = compat_task_pt_regs(false, compat_current_task(false));

		args->len2 = regs ? mmap_caller(regs) : 0;
	}
	syscall_enter(args);
}

static __always_inline void mmap_done(void *ctx, __u64 addr, __u64 len, __u64 caller)
{
	struct ls_alloc a = { .size = len, .src = SRC_MMAP, .stack_id = -1, .site = caller,
			      .tgid = target_pid_tgid() >> 32 };
	struct ls_ukey key = ukey_of(addr);

	a.ts = bpf_ktime_get_ns();
	if (user_stacks) {
		/* a tracepoint's ctx holds no user registers: frame pointers */
		a.stack_id = uw_stack_id(ctx, false);
		if (a.stack_id < 0) {
			stat_add(STAT_STACK_FAIL, 1);
			a.stack_id = -1;
		}
	}
	record_alloc(&regions, &key, &a);
}

static __always_inline void sys_end(void *ctx, long ret)
{
	struct syscall_inflight c;

	if (!syscall_exit(&c))
		return;
	if (c.kind == SYSCALL_BRK) {	/* addr: the old break; ret: the new one */
		if ((__u64)ret > c.addr)
			stat_add(STAT_BRK_GROW, (__u64)ret - c.addr);
		else
			stat_add(STAT_BRK_SHRINK, c.addr - (__u64)ret);
		return;
	}
	if (syscall_failed(ret))
		return;
	if (c.kind == SYSCALL_MREMAP) {
		struct ls_ukey key = ukey_of(c.addr);
		struct ls_alloc *old = bpf_map_lookup_elem(&regions, &key);

		if (old) {
			struct ls_alloc moved = *old;

			bpf_map_delete_elem(&regions, &key);
			account_free(&moved, moved.size, 1);
			moved.size = c.len2;
			key.addr = (__u64)ret;
			record_alloc(&regions, &key, &moved);
			return;
		}
		mmap_done(ctx, (__u64)ret, c.len2, 0);
		return;
	}
	mmap_done(ctx, (__u64)ret, c.len, c.len2);	/* len2: the caller (sys_begin) */
}

/* The four syscalls through the raw sys_enter/sys_exit tracepoints, not
 * their own syscalls:sys_enter_X events: those are perf events, and each
 * one's detach waits for a grace period under the tracing core's
 * event_mutex — seven of them, one after another, held leaksnoop's exit up
 * ~280 ms. A raw tracepoint link detaches without waiting (0.1 ms). What it
 * costs: the programs run on every syscall of the system and return at the
 * pid test, ~10-15 ns more per syscall than the per-syscall events' own
 * bitmap test (a getppid loop here: 87 ns untraced, 102-109 ns under two
 * per-syscall events, 113-123 ns under the two raw ones). */
static __always_inline bool target_syscall(const struct pt_regs *regs)
{
	return counting && per_process() && is_target(target_pid_tgid()) && native_syscall(regs);
}

/* munmap is accounted at entry: a region unmapped from its start loses its
 * first len bytes (all of it, usually). Unmaps that begin inside a region
 * are checked against /proc/PID/maps by user space before reporting. */
static __always_inline void munmap_begin(__u64 addr, __u64 len)
{
	struct ls_ukey key = ukey_of(addr);
	struct ls_alloc *r = bpf_map_lookup_elem(&regions, &key);
	struct ls_alloc rest;

	if (!r)
		return;
	rest = *r;
	bpf_map_delete_elem(&regions, &key);
	len = (len + page_size - 1) & ~(page_size - 1);
	if (len >= rest.size) {
		account_free(&rest, rest.size, 1);
		return;
	}
	account_free(&rest, len, 0);
	rest.size -= len;
	key.addr = addr + len;
	bpf_map_update_elem(&regions, &key, &rest, BPF_ANY);
}

/* raw sys_enter(struct pt_regs *regs, long id) */
SEC("raw_tp/sys_enter")
int on_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	const struct pt_regs *regs = (const struct pt_regs *)ctx->args[0];
	long id = (long)ctx->args[1];
	struct syscall_inflight args;
	__u64 kind;

	if (id != NR_MMAP_ && id != NR_MUNMAP_ && id != NR_BRK_ && id != NR_MREMAP_)
		return 0;
	if (!target_syscall(regs))
		return 0;
	switch (id) {
	case NR_MUNMAP_:
		munmap_begin(PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs));
		return 0;
	case NR_MMAP_:
		/* anonymous mappings only: a file mapping (a library, a
		 * mapped file) is not memory the process allocated */
		if (!(PT_REGS_PARM4_CORE_SYSCALL(regs) & MMAP_FLAG_ANONYMOUS))
			return 0;
		kind = SYSCALL_MMAP;
		break;
	case NR_MREMAP_:
		kind = SYSCALL_MREMAP;
		break;
	default:
		kind = SYSCALL_BRK;
		break;
	}
	syscall_args(&args, kind, PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs),
		     PT_REGS_PARM3_CORE_SYSCALL(regs));
	sys_begin(&args);
	return 0;
}

/* raw sys_exit(struct pt_regs *regs, long ret): the syscall is in regs */
SEC("raw_tp/sys_exit")
int on_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	const struct pt_regs *regs = (const struct pt_regs *)ctx->args[0];
	long id;

	if (!counting || !per_process() || !is_target(target_pid_tgid()))
		return 0;
	id = syscall_nr(regs);
	if ((id == NR_MMAP_ || id == NR_BRK_ || id == NR_MREMAP_) && native_syscall(regs))
		sys_end(ctx, (long)ctx->args[1]);
	return 0;
}

/* ---- process lifecycle --------------------------------------------------------- */

/* -- CMD: start counting at the command's exec. A later exec of the one
 * traced process (a wrapper's `exec prog`, or any exec under -p) replaces
 * the image that was counted: its memory is gone with it, so user space
 * forgets the user blocks and mmap regions recorded before image_exec_ns
 * (source.c). The time is written before the count, so a reader that sees
 * the new count sees it. A set's processes keep theirs in procs. */
__u64 image_exec_ns;
__u32 image_execs;

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = target_pid_tgid() >> 32;	/* the procs map's key */
	struct ls_proc *s;

	/* the exec'ing task is current: its ids as leaksnoop's namespace sees them */
	if (targ_tgid && (target_pid_tgid() >> 32) == targ_tgid) {
		if (counting && !proc_set) {
			image_exec_ns = bpf_ktime_get_ns();
			__sync_fetch_and_add(&image_execs, 1);
		}
		counting = true;
	}
	/* a set's process keeps its place under its new name */
	s = proc_set ? bpf_map_lookup_elem(&procs, &tgid) : NULL;
	if (s) {
		bpf_get_current_comm(s->comm, sizeof(s->comm));
		s->exec_ns = bpf_ktime_get_ns();
		s->flags |= LS_PROC_EXECED;
	}
	return 0;
}

/* -f: a traced process forked a new one. It runs the parent's mappings
 * until it execs: it walks the parent's unwind tables until user space
 * gives it its own. */
static __always_inline void follow_fork(struct task_struct *parent, struct task_struct *child)
{
	struct ls_proc *pp;
	struct uw_proc *up;
	__u32 ptgid, ctgid;

	if (!follow_forks || child->pid != child->tgid)
		return;
	/* the parent is current; the set's keys are leaksnoop's namespace's ids */
	ptgid = target_pid_tgid() >> 32;
	ctgid = task_ns_pid(child);
	if (!ctgid)
		return;
	pp = bpf_map_lookup_elem(&procs, &ptgid);
	if (!pp || (pp->flags & LS_PROC_EXITED))
		return;
	proc_add(ctgid, ptgid, pp->comm);
	up = bpf_map_lookup_elem(&uw_procs, &ptgid);
	if (up)
		bpf_map_update_elem(&uw_procs, &ctgid, up, BPF_NOEXIST);
}

/* a new thread of the target: where its stack is */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	struct pt_regs *regs;
	__u32 tid, tgid = target_pid_tgid() >> 32;	/* the parent, current */
	__u64 sp;

	follow_fork(parent, child);
	if (child->pid == child->tgid)
		return 0;
	/* a new thread: the parent is current, in the same thread group */
	if (proc_set ? !bpf_map_lookup_elem(&procs, &tgid) : (!targ_tgid || tgid != targ_tgid))
		return 0;
	tid = task_ns_pid(child);	/* as /proc/PID/task names it for user space */
	/* CO-RE reads, not bpf_task_pt_regs (5.15+): 5.10 loads this too */
	regs = compat_task_pt_regs(false, child);
	sp = regs ? BPF_CORE_READ(regs, sp) : 0;
	bpf_map_update_elem(&thread_sps, &tid, &sp, BPF_ANY);
	return 0;
}

/* a thread's in-flight slots go with it */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 tid, tgid = target_pid_tgid() >> 32;	/* the exiting task is current */
	struct ls_proc *s = proc_set ? bpf_map_lookup_elem(&procs, &tgid) : NULL;

	if (proc_set && !s)
		return 0;
	if (!proc_set && (!targ_tgid || tgid != targ_tgid))
		return 0;
	/* the last thread: its id may be handed out again, to a stranger */
	if (s && !BPF_CORE_READ(p, signal, live.counter))
		s->flags |= LS_PROC_EXITED;
	tid = p->pid;	/* global: the keys below were made by BPF with it */
	if (!task_storage)	/* a task's local storage goes with it */
		bpf_map_delete_elem(&inflight, &tid);
	syscall_forget(tid);
	return 0;
}
