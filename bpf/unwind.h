/* SPDX-License-Identifier: GPL-2.0 */
/* Layouts of the CFI unwinder shared by bpf/unwind.bpf.h and user space
 * (user/lib/unwind_table.c builds the rows, leaksnoop's unwind.c fills the
 * maps). One row format for both architectures: "sp" and "fp" are rsp and
 * rbp on x86-64, sp and x29 on arm64; the return address of an x86-64 row
 * is always at CFA - 8 (ra 0), arm64's rows say where x30 is (enum uw_ra). */
#ifndef MMSCOPE_UNWIND_H
#define MMSCOPE_UNWIND_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* How a row computes the CFA (the caller's sp before its call). */
enum uw_cfa {
	UW_CFA_NONE,	/* no CFI here (a gap, an expression we don't know):
			 * the walk falls back to the frame pointer */
	UW_CFA_SP,	/* sp + cfa_off */
	UW_CFA_FP,	/* fp + cfa_off */
	UW_CFA_PLT,	/* x86-64's PLT stubs' expression: rsp + cfa_off, plus 8
			 * when (rip & 15) >= slot (past the stub's push) */
	UW_CFA_END,	/* the return address is undefined: the outermost frame
			 * (_start, a thread's start), the stack ends here */
};

/* Where the return address is, and with it what slot means. x86-64's rows
 * are all UW_RA_CFA8 (the call pushed it). arm64's are whatever the CFI
 * says of x30 (GCC -O2: stp x29, x30, [sp, #-N]! puts the frame record at
 * CFA - N; -fomit-frame-pointer saves x30 alone, and in a large frame at
 * sp + 0, 70,016 bytes below the CFA in the unit test's `big`). "base" is
 * the register the CFA is computed from (sp or fp), base + 8 * slot is
 * CFA - cfa_off + 8 * slot. Rows the modes can't express (x29 and x30 saved
 * apart, slots beyond +-1 KiB) are UW_CFA_NONE. */
enum uw_ra {
	UW_RA_CFA8,	/* at CFA - 8; fp saved at CFA + 8 * slot (0: unchanged) */
	UW_RA_LR,	/* still in the link register (a leaf, a prologue before
			 * its stp): the first frame only; fp as UW_RA_CFA8 */
	UW_RA_CFA_SLOT,	/* at CFA + 8 * slot; fp unchanged */
	UW_RA_BASE_SLOT,	/* at base + 8 * slot; fp unchanged */
	UW_RA_CFA_REC,	/* a frame record at CFA + 8 * slot: fp there, ra at + 8 */
	UW_RA_BASE_REC,	/* a frame record at base + 8 * slot */
	UW_RA_MAX = UW_RA_BASE_REC,
};

/* One row: from pc (an address in the ELF file's own terms, i.e. the
 * runtime address minus the load bias) up to the next row's pc.
 * 8 bytes, so a million rows (the tables of ~35 libcs) take 8 MiB. The
 * CFA offset is in bytes on x86-64 (beyond +-32 KiB: UW_CFA_NONE), in
 * units of 8 on arm64, whose frames are multiples of 16 and larger at -O2
 * without frame pointers (a 70,000-byte array: CFA = sp + 70016; beyond
 * +-256 KiB: UW_CFA_NONE). An x86-64 row has ra 0 and is bit for bit what
 * it was before arm64. */
struct uw_row {
	__u32 pc;
	__s16 cfa_off;
	__u8 cfa : 4;	/* enum uw_cfa */
	__u8 ra : 4;	/* enum uw_ra */
	__s8 slot;	/* a saved register's slot in units of 8 (enum uw_ra);
			 * UW_CFA_PLT: the threshold instead (stubs leave rbp be) */
};

/* arm64: the bits of a return address that are the address. Code built
 * with -mbranch-protection=pac-ret saves x30 signed: a pointer-
 * authentication code in the bits above the virtual address size (48 on
 * Debian's kernels; 52-bit user addresses exist only where a program asks
 * mmap for them, never for code ld.so maps). A code address above this is
 * in no mapping, so the walk ends there rather than name a wrong frame. */
#define UW_ARM64_PC_MASK	((1ULL << 48) - 1)
#define UW_ARM64_CFA_UNIT	8	/* an arm64 row's cfa_off is in these */

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
