/* SPDX-License-Identifier: GPL-2.0 */
/* Layouts shared by faulttop.bpf.c and the faulttop loader. */
#ifndef MMSCOPE_FAULTTOP_H
#define MMSCOPE_FAULTTOP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define FT_COMM_LEN 16

/* Which part of the address space a fault hit. The BPF side decides the
 * first four from mm_struct bounds; REGION_MMAP is refined in user space
 * into REGION_ANON or REGION_FILE from /proc/PID/maps. */
enum ft_region {
	REGION_TEXT,
	REGION_DATA,	/* data, bss and read-only data of the executable */
	REGION_HEAP,	/* start_brk .. brk */
	REGION_STACK,	/* the main thread's stack */
	REGION_ANON,	/* anonymous mmap, thread stacks included */
	REGION_FILE,	/* file-backed mmap, shared libraries included */
	REGION_OTHER,	/* none of the above, or the process left before we looked */
	REGION_MAX,
	REGION_MMAP = REGION_ANON,	/* BPF's "somewhere in the mmap area" */
};

enum ft_access {
	ACCESS_READ,
	ACCESS_WRITE,
	ACCESS_EXEC,
	ACCESS_PROT,		/* page present, access refused: CoW, mprotect */
	ACCESS_NOTPRESENT,	/* page not present */
	ACCESS_MAX,
};

/* Access bits of a fault: x86's page-fault error code bits
 * (arch/x86/include/asm/trap_pf.h), which are also faulttop's arch-neutral
 * encoding: x86's code is passed through as it is, arm64's ESR is
 * translated into them (bpf/esr_arm64.h). PF_USER set: the other bits
 * describe the user access; clear: the access kind is not known. */
#define PF_PROT		0x1
#define PF_WRITE	0x2
#define PF_USER		0x4
#define PF_INSTR	0x10

/* Faults seen by the per-fault hook (page_fault_user, or the perf fault
 * events where it is missing), per thread. Cumulative. access[] stays 0
 * on the perf events: they carry no access kind. */
struct ft_fault_counts {
	__u64 region[REGION_MAX];
	__u64 access[ACCESS_MAX];
	__u64 total;
};

/* mmap/munmap/mremap/brk activity, per thread. Cumulative. */
struct ft_sys_counts {
	__u64 mmap, munmap, mremap, brk;	/* successful calls */
	__u64 bytes_mapped, bytes_unmapped;	/* brk growth/shrink included */
};

/* One thread's counters: what the task iterator reports for every live
 * thread at a refresh, and what sched_process_free reports as its last word. */
struct ft_task {
	__u32 tid, tgid, ppid;
	__u32 flags;			/* FT_TASK_* */
	__u64 start_ns;			/* task->start_time, CLOCK_MONOTONIC */
	__u64 min_flt, maj_flt;		/* the kernel's own accounting */
	__u64 cgroup_id;		/* cgroup v2 id of the task */
	__u64 total_vm_pages;		/* VSS in pages; 0 for kernel threads */
	char comm[FT_COMM_LEN];
	struct ft_fault_counts faults;	/* valid with FT_TASK_HAS_FAULTS */
	struct ft_sys_counts sys;	/* valid with FT_TASK_HAS_SYS */
};

#define FT_TASK_KTHREAD		0x1
#define FT_TASK_ZOMBIE		0x2
#define FT_TASK_HAS_FAULTS	0x4
#define FT_TASK_HAS_SYS		0x8

enum ft_event_type {
	EV_FAULT = 1,	/* a fault in the mmap area, to classify in user space */
	EV_SIGNAL,	/* SIGSEGV/SIGBUS generated for a task */
	EV_TASK_FREE,	/* a task's last word: its final counts */
	EV_VMA_FAULT,	/* an accounted fault of the watched process (--maps) */
};

struct ft_ev_fault {
	__u32 type, tid, tgid, error_code;
	__u64 addr;
};

struct ft_ev_signal {
	__u32 type, tid, tgid;
	__s32 sig, code;		/* si_code: SEGV_MAPERR, SEGV_ACCERR, ... */
	__u32 error_code;		/* PF_* access bits of a fault's signal (PF_USER: known) */
	__u64 addr, ip;
	char comm[FT_COMM_LEN];
};

struct ft_ev_task_free {
	__u32 type, pad;
	struct ft_task task;
};

/* One minor or major fault of the watched process, as the kernel accounted
 * it (the perf software events of mm_account_fault), with the access kind
 * of the page_fault_user hit it followed when the hook saw one. */
struct ft_ev_vma_fault {
	__u32 type, tid, tgid;
	__u32 flags;			/* FT_VMA_* */
	__u32 error_code;		/* PF_* bits, valid with FT_VMA_HAS_ACCESS */
	__u32 pad;
	__u64 addr;
};

#define FT_VMA_MAJOR		0x1
#define FT_VMA_HAS_ACCESS	0x2

/* What page_fault_user saw last for a thread of the watched process, for
 * the accounting event that follows it to pick up the error code. */
struct ft_watch_last {
	__u64 addr;
	__u64 error_code;
};

/* Health counters, one slot each in a per-CPU array. */
enum ft_stat {
	STAT_RINGBUF_DROPS,	/* bpf_ringbuf_reserve failed: an event lost */
	STAT_MAP_FULL,		/* a per-thread counter could not be created */
	STAT_VMA_DROPS,		/* an EV_VMA_FAULT lost: the ring buffer was full */
	STAT_MAX,
};

#endif
