// SPDX-License-Identifier: GPL-2.0
/* faulttop's BPF side.
 *
 * Exact minor/major counts cost nothing on the fault path: the kernel keeps
 * them per task (mm_account_fault), and this file only reads them — for live
 * tasks through a task iterator at each refresh, for tasks that are gone
 * through sched_process_free. The per-fault hook, which classifies faults
 * by region and access kind, is turned on by user space either part of the
 * time (sampling, the default) or all the time (--precise): page_fault_user
 * where the kernel has it (x86), else the perf software fault events, which
 * give the region but no access kind (arm64, or MMSCOPE_NO_PAGE_FAULT_TP).
 * What differs by architecture is in faulttop_arch.bpf.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "faulttop.h"
#include "mmscope.bpf.h"
#include "compat.bpf.h"
#include "faulttop_arch.bpf.h"
#include "syscall_inflight.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define MAX_THREADS	32768
#define PF_KTHREAD	0x00200000
#define SIGBUS		7
#define SIGSEGV		11
#define RLIMIT_STACK	3

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct ft_fault_counts);
} fault_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct ft_sys_counts);
} sys_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* --maps / the TUI's process screen: the one process whose faults are
 * placed among its VMAs (0: none). Written by user space at run time. */
__u32 watch_tgid = 0;

/* Set before load: no page_fault_user, so the perf fault events are the
 * per-fault hook. hook_on is their duty cycle's "on", written by user space
 * (the minor-fault events are also disabled while off; the major ones stay
 * on for the watched process, whose majors are always exact). */
const volatile bool perf_hook = false;
__u32 hook_on = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct ft_watch_last);
} watch_last SEC(".maps");

MMSCOPE_STATS_MAP(STAT_MAX)
MMSCOPE_SYSCALL_INFLIGHT(MAX_THREADS, STAT_MAP_FULL)

/* Returns the thread's slot in a per-thread hash, creating it if needed. A
 * thread runs on one CPU at a time, so its slot needs no atomics. */
static __always_inline void *thread_slot(void *map, __u32 tid, const void *zero)
{
	void *slot = map_lookup_or_init(map, &tid, zero);

	if (!slot)
		stat_add(STAT_MAP_FULL, 1);
	return slot;
}

static const struct ft_fault_counts zero_faults;
static const struct ft_sys_counts zero_sys;

/* ---- fault classification ------------------------------------------------ */

/* The main stack: with the usual top-down layout everything above mmap_base
 * is the stack's reserved gap; with the legacy layout (mmap_base far below
 * the stack) fall back to the stack rlimit below start_stack. */
static __always_inline bool in_main_stack(bool btf, struct task_struct *task,
					  struct mm_struct *mm, unsigned long addr)
{
	unsigned long start_stack = COMPAT_READ(btf, mm, start_stack);
	unsigned long mmap_base = COMPAT_READ(btf, mm, mmap_base);
	unsigned long limit;

	if (mmap_base < start_stack && start_stack - mmap_base < (4UL << 30))
		return addr >= mmap_base;
	limit = BPF_CORE_READ(task, signal, rlim[RLIMIT_STACK].rlim_cur);
	if (limit > (1UL << 30))
		limit = 1UL << 30;
	return addr <= start_stack + (1UL << 20) && addr + limit >= start_stack;
}

static __always_inline int classify_region(bool btf, struct task_struct *task,
					   struct mm_struct *mm, unsigned long addr)
{
	unsigned long start_code = COMPAT_READ(btf, mm, start_code);
	unsigned long end_code = COMPAT_READ(btf, mm, end_code);
	unsigned long start_brk = COMPAT_READ(btf, mm, start_brk);
	unsigned long brk = COMPAT_READ(btf, mm, brk);

	if (addr >= start_code && addr < end_code)
		return REGION_TEXT;
	/* read-only data, data and bss lie between the text and the heap */
	if (addr >= end_code && addr < start_brk && start_brk - end_code < (1UL << 30))
		return REGION_DATA;
	if (addr >= start_brk && addr < brk)
		return REGION_HEAP;
	if (in_main_stack(btf, task, mm, addr))
		return REGION_STACK;
	return REGION_MMAP;
}

static __always_inline void count_access(struct ft_fault_counts *c, unsigned long error_code)
{
	if (error_code & PF_INSTR)
		c->access[ACCESS_EXEC]++;
	else if (error_code & PF_WRITE)
		c->access[ACCESS_WRITE]++;
	else
		c->access[ACCESS_READ]++;
	if (error_code & PF_PROT)
		c->access[ACCESS_PROT]++;
	else
		c->access[ACCESS_NOTPRESENT]++;
}

/* The mmap area can't be split into anon and file without the VMA, and a
 * per-fault VMA lookup costs 6.5x; user space does it from /proc/PID/maps. */
static __always_inline void emit_mmap_fault(__u64 pid_tgid, unsigned long addr,
					    unsigned long error_code)
{
	struct ft_ev_fault *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		stat_add(STAT_RINGBUF_DROPS, 1);
		return;
	}
	e->type = EV_FAULT;
	e->tid = (__u32)pid_tgid;
	e->tgid = pid_tgid >> 32;
	e->error_code = error_code;
	e->addr = addr;
	/* consumed on a timer: a wake-up per fault would cost more than the fault */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* The watched process only: its next accounted fault (vma_fault below)
 * picks the error code up. A hash by thread, not a per-CPU slot: a major
 * fault sleeps on I/O and may wake on another CPU. */
static __always_inline void remember_access(__u64 pid_tgid, unsigned long addr,
					    unsigned long error_code)
{
	__u32 tid = (__u32)pid_tgid;
	struct ft_watch_last v = { addr, error_code };

	bpf_map_update_elem(&watch_last, &tid, &v, BPF_ANY);
}

/* Counts one fault of the current thread by region and, with know_access,
 * by access kind (error_code's PF_* bits). */
static __always_inline void classify_fault(bool btf, struct task_struct *task,
					   struct mm_struct *mm, __u64 pid_tgid,
					   unsigned long address, unsigned long error_code,
					   bool know_access)
{
	struct ft_fault_counts *c = thread_slot(&fault_counts, (__u32)pid_tgid, &zero_faults);
	int region;

	if (!c)
		return;
	region = classify_region(btf, task, mm, address);
	/* mmap-area faults are counted by user space once it has classified them */
	if (region == REGION_MMAP)
		emit_mmap_fault(pid_tgid, address, error_code);
	else if (region >= 0 && region < REGION_MAX)
		c->region[region]++;
	if (know_access)
		count_access(c, error_code);
	c->total++;
}

/* page_fault_user(address, regs, error_code) */
static __always_inline int page_fault_user(const __u64 *ctx, bool btf)
{
	unsigned long address = ctx[0], error_code = ctx[2];
	struct task_struct *task = compat_current_task(btf);
	struct mm_struct *mm = COMPAT_READ(btf, task, mm);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!mm)
		return 0;
	if (watch_tgid && (pid_tgid >> 32) == watch_tgid)
		remember_access(pid_tgid, address, error_code);
	classify_fault(btf, task, mm, pid_tgid, address, error_code, true);
	return 0;
}

/* raw_tp on 5.10: no bpf_get_current_task_btf() */
COMPAT_TP_HOOK("page_fault_user", on_page_fault_user, page_fault_user)

/* ---- the watched process's faults, one by one ------------------------------ */

#define NO_ADDR (~0ULL)

/* mm_account_fault() raises PERF_COUNT_SW_PAGE_FAULTS_MIN or _MAJ once per
 * fault the kernel counts in min_flt/maj_flt (not for retries, errors, or
 * get_user_pages faults, which have no regs), with the fault address: so
 * these events, unlike page_fault_user, tell minor from major. Only the
 * watched process's are shipped, to be binned among its VMAs in user space
 * (a bpf_find_vma per fault would cost 6.5x). */
static __always_inline int vma_fault(struct bpf_perf_event_data *ctx, bool major)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct ft_ev_vma_fault *e;
	struct ft_watch_last *last;
	__u64 addr;

	if (!watch_tgid || (pid_tgid >> 32) != watch_tgid)
		return 0;
	addr = ctx->addr;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_add(STAT_VMA_DROPS, 1);
		return 0;
	}
	e->type = EV_VMA_FAULT;
	e->tid = tid;
	e->tgid = pid_tgid >> 32;
	e->flags = major ? FT_VMA_MAJOR : 0;
	e->error_code = 0;
	e->pad = 0;
	e->addr = addr;
	/* the hook's last hit on this thread, if it was this fault's page
	 * (a fault the kernel takes on a user address, in copy_to_user, has
	 * no page_fault_user hit) */
	last = bpf_map_lookup_elem(&watch_last, &tid);
	if (last && last->addr != NO_ADDR && (last->addr >> 12) == (addr >> 12)) {
		e->flags |= FT_VMA_HAS_ACCESS;
		e->error_code = (__u32)last->error_code;
		last->addr = NO_ADDR;
	}
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* Without page_fault_user (perf_hook) these events are also the per-fault
 * hook: the region from the address they carry; no access kind, which they
 * don't carry (an x86 error code is only on the tracepoint, an arm64 ESR
 * only in the fault handler's arguments). They fire after the fault was
 * handled, once per fault counted in min_flt/maj_flt, except those raised
 * by get_user_pages (no regs: no event). */
static __always_inline int fault_event(struct bpf_perf_event_data *ctx, bool major, bool btf)
{
	if (perf_hook && hook_on) {
		struct task_struct *task = compat_current_task(btf);
		struct mm_struct *mm = COMPAT_READ(btf, task, mm);

		if (mm)
			classify_fault(btf, task, mm, bpf_get_current_pid_tgid(), ctx->addr, 0, false);
	}
	return vma_fault(ctx, major);
}

/* Each as BTF (plain loads: 5.11+) and as CO-RE reads (5.10), like
 * COMPAT_TP_HOOK; user space loads one pair. */
#define FAULT_EVENT_PROGS(name, major)						\
SEC("perf_event")								\
int name(struct bpf_perf_event_data *ctx)					\
{										\
	return fault_event(ctx, major, true);					\
}										\
										\
SEC("perf_event")								\
int name##_raw(struct bpf_perf_event_data *ctx)					\
{										\
	return fault_event(ctx, major, false);					\
}

FAULT_EVENT_PROGS(on_fault_min, false)
FAULT_EVENT_PROGS(on_fault_maj, true)

/* ---- SEGV / SIGBUS -------------------------------------------------------- */

/* signal_generate(sig, info, task, group, result) */
static __always_inline int signal_generate(const __u64 *ctx, bool btf)
{
	int sig = (int)ctx[0];
	struct kernel_siginfo *info = (struct kernel_siginfo *)ctx[1];
	struct task_struct *task = (struct task_struct *)ctx[2];
	struct ft_ev_signal *e;
	struct pt_regs *regs;

	if (sig != SIGSEGV && sig != SIGBUS)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_add(STAT_RINGBUF_DROPS, 1);
		return 0;
	}
	e->type = EV_SIGNAL;
	e->tid = COMPAT_READ(btf, task, pid);
	e->tgid = COMPAT_READ(btf, task, tgid);
	e->sig = sig;
	/* SEND_SIG_NOINFO (0) and SEND_SIG_PRIV (1) are not pointers */
	if ((unsigned long)info > 1) {
		e->code = BPF_CORE_READ(info, si_code);
		e->addr = (__u64)BPF_CORE_READ(info, _sifields._sigfault._addr);
	} else {
		e->code = 0;
		e->addr = 0;
	}
	/* the faulting access, as the architecture kept it for the signal */
	e->error_code = signal_access_bits(task, e->code);
	regs = compat_task_pt_regs(btf, task);
	e->ip = regs ? PT_REGS_IP_CORE(regs) : 0;
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* raw_tp on 5.10-5.14: no bpf_task_pt_regs() */
COMPAT_TP_HOOK("signal_generate", on_signal_generate, signal_generate)

/* ---- per-task counters: iterator and last word --------------------------- */

static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
}

/* Fills rec from task and the per-thread maps; take=true also removes the
 * thread's map slots (it is being freed). */
static __always_inline void fill_task(struct ft_task *rec, struct task_struct *task, bool take)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__u32 tid = BPF_CORE_READ(task, pid);
	struct ft_fault_counts *fc;
	struct ft_sys_counts *sc;

	rec->tid = tid;
	rec->tgid = BPF_CORE_READ(task, tgid);
	rec->ppid = BPF_CORE_READ(task, real_parent, tgid);
	rec->flags = 0;
	if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
		rec->flags |= FT_TASK_KTHREAD;
	if (BPF_CORE_READ(task, exit_state))
		rec->flags |= FT_TASK_ZOMBIE;
	rec->start_ns = BPF_CORE_READ(task, start_time);
	rec->min_flt = BPF_CORE_READ(task, min_flt);
	rec->maj_flt = BPF_CORE_READ(task, maj_flt);
	rec->cgroup_id = task_cgroup_id(task);
	rec->total_vm_pages = mm ? BPF_CORE_READ(mm, total_vm) : 0;
	BPF_CORE_READ_STR_INTO(&rec->comm, task, comm);

	fc = bpf_map_lookup_elem(&fault_counts, &tid);
	if (fc) {
		rec->faults = *fc;
		rec->flags |= FT_TASK_HAS_FAULTS;
	}
	sc = bpf_map_lookup_elem(&sys_counts, &tid);
	if (sc) {
		rec->sys = *sc;
		rec->flags |= FT_TASK_HAS_SYS;
	}
	if (take) {
		if (watch_tgid && rec->tgid == watch_tgid)
			bpf_map_delete_elem(&watch_last, &tid);
		if (fc)
			bpf_map_delete_elem(&fault_counts, &tid);
		if (sc)
			bpf_map_delete_elem(&sys_counts, &tid);
		syscall_forget(tid);
	}
}

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct ft_task rec = {};

	if (!task)
		return 0;
	fill_task(&rec, task, false);
	if (rec.flags & FT_TASK_KTHREAD)
		return 0;
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

/* Runs once per task after it was reaped: its counters are final here. */
SEC("tp_btf/sched_process_free")
int BPF_PROG(on_task_free, struct task_struct *task)
{
	struct ft_ev_task_free *e;

	if (task->flags & PF_KTHREAD)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_add(STAT_RINGBUF_DROPS, 1);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = EV_TASK_FREE;
	fill_task(&e->task, task, true);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* ---- mmap / munmap / mremap / brk ------------------------------------------ */

static __always_inline void sys_account(struct ft_sys_counts *s, const struct syscall_inflight *c,
					long ret)
{
	__u64 len = c->len, len2 = c->len2;

	switch (c->kind) {
	case SYSCALL_MMAP:
		s->mmap++;
		s->bytes_mapped += len;
		break;
	case SYSCALL_MUNMAP:
		s->munmap++;
		s->bytes_unmapped += len;
		break;
	case SYSCALL_MREMAP:
		s->mremap++;
		if (len2 > len)
			s->bytes_mapped += len2 - len;
		else
			s->bytes_unmapped += len - len2;
		break;
	case SYSCALL_BRK:	/* addr is the old break, ret the new one */
		s->brk++;
		if ((__u64)ret > c->addr)
			s->bytes_mapped += (__u64)ret - c->addr;
		else
			s->bytes_unmapped += c->addr - (__u64)ret;
		break;
	}
}

static __always_inline void sys_end(void *ctx, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct syscall_inflight c;
	struct ft_sys_counts *s;

	if (!syscall_exit(&c))
		return;
	/* brk reports failure by returning the old break, never an errno */
	if (c.kind != SYSCALL_BRK && syscall_failed(ret))
		return;
	s = thread_slot(&sys_counts, tid, &zero_sys);
	if (s)
		sys_account(s, &c, ret);
}

/* every call is counted: nothing to filter at the entry */
static __always_inline void sys_begin(void *ctx, const struct syscall_inflight *args)
{
	syscall_enter(args);
}

MMSCOPE_SYSCALL_ENTER_HOOK(mmap, SYSCALL_MMAP, sys_begin)
MMSCOPE_SYSCALL_ENTER_HOOK(munmap, SYSCALL_MUNMAP, sys_begin)
MMSCOPE_SYSCALL_ENTER_HOOK(mremap, SYSCALL_MREMAP, sys_begin)
MMSCOPE_SYSCALL_ENTER_HOOK(brk, SYSCALL_BRK, sys_begin)
MMSCOPE_SYSCALL_EXIT_HOOK(mmap, sys_end)
MMSCOPE_SYSCALL_EXIT_HOOK(munmap, sys_end)
MMSCOPE_SYSCALL_EXIT_HOOK(mremap, sys_end)
MMSCOPE_SYSCALL_EXIT_HOOK(brk, sys_end)
