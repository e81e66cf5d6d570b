/* SPDX-License-Identifier: GPL-2.0 */
/* Layouts of the CFI unwinder shared by bpf/unwind.bpf.h and user space
 * (user/lib/unwind_table.c builds the rows, leaksnoop's unwind.c fills the
 * maps). x86-64 only: the rows speak of rsp, rbp and the return address. */
#ifndef MMSCOPE_UNWIND_H
#define MMSCOPE_UNWIND_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* How a row computes the CFA (the caller's rsp before its call). */
enum uw_cfa {
	UW_CFA_NONE,	/* no CFI here (a gap, an expression we don't know):
			 * the walk falls back to the frame pointer */
	UW_CFA_RSP,	/* rsp + cfa_off */
	UW_CFA_RBP,	/* rbp + cfa_off */
	UW_CFA_PLT,	/* a PLT stub's expression: rsp + cfa_off, plus 8 when
			 * (rip & 15) >= rbp_off (past the stub's push) */
	UW_CFA_END,	/* the return address is undefined: the outermost frame
			 * (_start, a thread's start), the stack ends here */
};

/* One row: from pc (an address in the ELF file's own terms, i.e. the
 * runtime address minus the load bias) up to the next row's pc. The return
 * address is always at CFA - 8 (rows where it isn't become UW_CFA_NONE).
 * 8 bytes, so a million rows (the tables of ~35 libcs) take 8 MiB: CFA
 * offsets beyond +-32 KiB (huge stack frames) become UW_CFA_NONE too. */
struct uw_row {
	__u32 pc;
	__s16 cfa_off;
	__u8 cfa;	/* enum uw_cfa */
	__s8 rbp_off;	/* the caller's rbp is saved at CFA + 8 * rbp_off; 0: rbp
			 * is unchanged (the caller's value is still in rbp).
			 * UW_CFA_PLT: the threshold instead (stubs leave rbp be) */
};

/* One executable mapping of a traced process, in a list sorted by start:
 * which rows (in the shared pool) cover it. row_count 0: no table (JIT
 * code, a file without CFI, a table that didn't fit): frame pointers only. */
struct uw_mapping {
	__u64 start, end;
	__u64 bias;		/* runtime address - bias = the file's pc */
	__u32 row_start, row_count;
};

#define UW_MAX_MAPPINGS	512	/* executable mappings per process (a power of two) */
#define UW_MAX_ROWS	(1u << 23)	/* rows in the pool shared by every file: 64 MiB max */
#define UW_MAX_PROCS	64	/* processes with mapping lists (2 MiB of uw_maps) */

/* Where one process's mapping list is: n entries of the uw_maps array from
 * index base. User space writes a new list into the other of the process's
 * two halves, then replaces this value: BPF sees one list or the other. */
struct uw_proc {
	__u32 base, n;
};

/* How the BPF walk cache did, per CPU: the head of each CPU's uw_scratch
 * value (bpf/unwind.bpf.h), where user space sums it. */
struct uw_counts {
	__u64 hits;	/* a cached walk's stack id reused */
	__u64 misses;	/* walked in full */
};

#endif
