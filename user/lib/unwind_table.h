/* SPDX-License-Identifier: GPL-2.0 */
/* Compact unwind tables from the CFI compilers emit (.eh_frame, or
 * .debug_frame), built with libdw, for the BPF unwinder (bpf/unwind.bpf.h)
 * and for checking it: uw_step() below is the same walk in C. x86-64 and
 * arm64 files, each by its own rules (unwind_x86.c, unwind_arm64.c),
 * whatever machine builds them.
 *
 * A table is a sorted array of struct uw_row (bpf/unwind.h): from each pc
 * up to the next row's, how to find the CFA, the return address and the
 * caller's frame pointer. Adjacent
 * rows that say the same are merged; gaps between FDEs get a UW_CFA_NONE
 * row, so a lookup never borrows the rule of the function before. */
#ifndef MMSCOPE_UNWIND_TABLE_H
#define MMSCOPE_UNWIND_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "unwind.h"

struct uw_table {
	struct uw_row *rows;
	size_t n, cap;
	size_t fdes;		/* FDEs read */
	size_t unsupported;	/* rows we could not express (UW_CFA_NONE from CFI) */
	bool from_debug_frame;	/* no .eh_frame: .debug_frame was used */
	uint16_t machine;	/* the file's e_machine: EM_X86_64 or EM_AARCH64 */
};

/* The e_machine of the tables the BPF unwinder of this build walks. */
#if defined(__aarch64__)
#define UW_NATIVE_MACHINE 183	/* EM_AARCH64 */
#else
#define UW_NATIVE_MACHINE 62	/* EM_X86_64 */
#endif

/* Builds the table of the ELF file open at fd (the caller keeps fd).
 * 0, -ENOENT when the file has no CFI (t is then empty), -ENOTSUP for a
 * machine other than x86-64 and arm64, or -errno. */
int uw_table_build_fd(int fd, struct uw_table *t);
void uw_table_free(struct uw_table *t);

/* The row covering pc (the file's own address), or NULL when pc is below
 * the first row. The last row covers everything above it. */
const struct uw_row *uw_table_find(const struct uw_table *t, uint64_t pc);

/* One PT_LOAD of an ELF file, as uw_load_bias needs it. */
struct uw_load {
	uint64_t vaddr, offset, filesz;
	bool exec;	/* PF_X */
};

/* The load bias (runtime address - file address) of the file whose
 * segments are loads[0..n), from one mapping of it: [start, ...) mapped
 * from file offset `offset`, executable or not, with pages of page_size
 * bytes. false when no segment can have been mapped there. */
bool uw_load_bias(const struct uw_load *loads, int n, uint64_t start, uint64_t offset, bool exec,
		  uint64_t page_size, uint64_t *bias);

/* Registers of one frame while walking: rip, rsp and rbp on x86-64; pc,
 * sp, x29 and x30 on arm64, where lr (the first frame's x30) is 0 once the
 * walk has left the first frame, and sp is 0 after a step by frame record
 * (where in its frame the record sits is unknown). */
struct uw_regs {
	uint64_t pc, sp, fp, lr;
};

/* Reads 8 bytes of the stack at addr into *v; false if it can't. */
typedef bool (*uw_read_fn)(void *ctx, uint64_t addr, uint64_t *v);

enum uw_step_result {
	UW_STEP_OK,		/* *regs is now the caller's frame */
	UW_STEP_END,		/* the outermost frame: no caller */
	UW_STEP_FAIL,		/* the stack could not be read */
};

/* One step up from regs with row (NULL: no row, use the frame pointer) of
 * a table for machine (struct uw_table's), exactly as the BPF unwinder
 * does it. UW_STEP_FAIL for a machine without rules. */
enum uw_step_result uw_step(uint16_t machine, const struct uw_row *row, struct uw_regs *regs,
			    uw_read_fn read, void *ctx);

#endif
