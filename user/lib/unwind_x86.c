// SPDX-License-Identifier: GPL-2.0
/* x86-64's unwind rows and step (see unwind_arch.h): the CFA is rsp or
 * rbp plus an offset, or the PLT stubs' expression; the return address is
 * at CFA - 8, where the call pushed it. */
#include "unwind_arch.h"

#include <dwarf.h>
#include <elf.h>

#define X86_64_RBP	6
#define X86_64_RSP	7
#define X86_64_RIP	16	/* DWARF's return-address column on x86-64 */

/* The expression GCC and binutils emit for every .plt entry:
 *   DW_OP_breg7 (rsp) 8; DW_OP_breg16 (rip) 0; DW_OP_lit15; DW_OP_and;
 *   DW_OP_lit11 (or lit10); DW_OP_ge; DW_OP_lit3; DW_OP_shl; DW_OP_plus
 * i.e. rsp + 8, plus 8 once rip's low nibble is past the stub's push. */
static bool plt_expression(const Dwarf_Op *ops, size_t nops, struct uw_row *row)
{
	static const uint8_t shape[] = { DW_OP_breg7, DW_OP_breg16, DW_OP_lit15, DW_OP_and, 0,
					 DW_OP_ge, DW_OP_lit3, DW_OP_shl, DW_OP_plus };
	size_t i;

	if (nops != sizeof(shape))
		return false;
	for (i = 0; i < nops; i++)
		if (shape[i] && ops[i].atom != shape[i])
			return false;
	if (ops[4].atom < DW_OP_lit0 || ops[4].atom > DW_OP_lit15 || ops[1].number != 0)
		return false;
	row->cfa = UW_CFA_PLT;
	row->cfa_off = (int16_t)ops[0].number;
	row->slot = (int8_t)(ops[4].atom - DW_OP_lit0);	/* the threshold */
	return true;
}

/* The CFA rule: a register plus an offset, or the PLT expression. */
static bool cfa_rule(Dwarf_Frame *frame, struct uw_row *row)
{
	Dwarf_Op *ops = NULL;
	size_t nops = 0;
	int reg = -1;
	int64_t off = 0;

	if (!uw_cfa_register(frame, &reg, &off, &ops, &nops))
		return nops && plt_expression(ops, nops, row);
	if ((reg != X86_64_RSP && reg != X86_64_RBP) || off < INT16_MIN || off > INT16_MAX)
		return false;
	row->cfa = reg == X86_64_RSP ? UW_CFA_SP : UW_CFA_FP;
	row->cfa_off = (int16_t)off;
	return true;
}

static bool row_of_frame_x86(Dwarf_Frame *frame, int ra_reg, struct uw_row *row)
{
	int64_t k = 0;

	switch (ra_reg == X86_64_RIP ? uw_register_rule(frame, X86_64_RIP, &k) : UW_REG_OTHER) {
	case UW_REG_UNDEFINED:
		row->cfa = UW_CFA_END;
		return true;
	case UW_REG_AT_CFA:
		if (k == -8)
			break;
		return false;
	default:
		return false;
	}
	if (!cfa_rule(frame, row))
		return false;
	if (row->cfa == UW_CFA_PLT)
		return true;	/* slot holds the threshold; stubs leave rbp be */
	switch (uw_register_rule(frame, X86_64_RBP, &k)) {
	case UW_REG_AT_CFA:
		if (k == 0 || !uw_fits_slot(k)) {
			row->cfa = UW_CFA_NONE;
			return false;
		}
		row->slot = (int8_t)(k / 8);
		break;
	case UW_REG_OTHER:	/* rbp kept in another register: rare; not followed */
		row->cfa = UW_CFA_NONE;
		return false;
	default:
		row->slot = 0;	/* same value; undefined keeps what is there */
		break;
	}
	return true;
}

static enum uw_step_result step_x86(const struct uw_row *row, struct uw_regs *regs,
				    uw_read_fn read, void *ctx)
{
	uint64_t cfa, ra, rbp = regs->fp;

	if (row && row->cfa == UW_CFA_END)
		return UW_STEP_END;
	if (!row || row->cfa == UW_CFA_NONE) {
		/* frame pointer: [rbp] = caller's rbp, [rbp + 8] = return address */
		if (!regs->fp || !read(ctx, regs->fp, &rbp))
			return UW_STEP_FAIL;
		cfa = regs->fp + 16;
	} else {
		if (row->cfa == UW_CFA_FP)
			cfa = regs->fp + (int64_t)row->cfa_off;
		else
			cfa = regs->sp + (int64_t)row->cfa_off;
		if (row->cfa == UW_CFA_PLT) {
			if ((int64_t)(regs->pc & 15) >= row->slot)
				cfa += 8;
		} else if (row->slot && !read(ctx, cfa + 8 * (int64_t)row->slot, &rbp)) {
			return UW_STEP_FAIL;
		}
	}
	if (!read(ctx, cfa - 8, &ra))
		return UW_STEP_FAIL;
	if (!ra)
		return UW_STEP_END;
	regs->pc = ra;
	regs->sp = cfa;
	regs->fp = rbp;
	return UW_STEP_OK;
}

const struct uw_arch uw_arch_x86_64 = {
	.machine = EM_X86_64,
	.row_of_frame = row_of_frame_x86,
	.step = step_x86,
};
