/* SPDX-License-Identifier: GPL-2.0 */
/* What differs by architecture in the unwind tables (unwind_table.c):
 * how a row of CFI becomes a struct uw_row, and the step that walks it.
 * One file per architecture (unwind_x86.c, unwind_arm64.c), both always
 * compiled: the table builder picks by the ELF's e_machine, so the unit
 * tests on x86-64 build and check arm64 files' tables too. */
#ifndef MMSCOPE_UNWIND_ARCH_H
#define MMSCOPE_UNWIND_ARCH_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stdint.h>
#include "unwind_table.h"

struct uw_arch {
	uint16_t machine;	/* EM_X86_64, EM_AARCH64 */
	/* Fills row from libdw's frame state (ra_reg: its return-address
	 * column). false (row->cfa left UW_CFA_NONE) for what the BPF walk
	 * can't do. */
	bool (*row_of_frame)(Dwarf_Frame *frame, int ra_reg, struct uw_row *row);
	enum uw_step_result (*step)(const struct uw_row *row, struct uw_regs *regs,
				    uw_read_fn read, void *ctx);
};

extern const struct uw_arch uw_arch_x86_64, uw_arch_arm64;

/* The architecture whose rules build and walk machine's tables, or NULL. */
const struct uw_arch *uw_arch_of(uint16_t machine);

/* A register's rule in a row, as the rows can use it. */
enum uw_reg_rule { UW_REG_SAME, UW_REG_UNDEFINED, UW_REG_AT_CFA, UW_REG_OTHER };

/* regno's rule; UW_REG_AT_CFA: saved at CFA + *k. */
enum uw_reg_rule uw_register_rule(Dwarf_Frame *frame, int regno, int64_t *k);

/* The CFA rule when it is "register + offset" (DW_OP_bregN / bregx): true
 * with *reg and *off. false otherwise; *ops and *nops then hold the
 * expression (nops 0: no rule at all). */
bool uw_cfa_register(Dwarf_Frame *frame, int *reg, int64_t *off, Dwarf_Op **ops, size_t *nops);

/* Whether a byte offset is a multiple of 8 that fits a row's slot. */
static inline bool uw_fits_slot(int64_t k)
{
	return k % 8 == 0 && k / 8 >= INT8_MIN && k / 8 <= INT8_MAX;
}

#endif
