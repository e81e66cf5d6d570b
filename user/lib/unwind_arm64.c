// SPDX-License-Identifier: GPL-2.0
/* arm64's unwind rows and step (see unwind_arch.h and enum uw_ra).
 *
 * The CFA is sp or x29 plus an offset. bl leaves the return address in
 * x30: a leaf, or a function before its prologue's stp, still has it there
 * (the first frame only: by the time a function calls, it has saved x30).
 * Functions built with -mbranch-protection=pac-ret sign x30 before saving
 * it (paciasp; DW_CFA_AARCH64_negate_ra_state in their CFI, which libdw
 * reads and the rows need not): every return address read from the stack
 * is stripped of its pointer-authentication bits. Where there is no row,
 * the frame record: [x29] = the caller's x29, [x29 + 8] = the return
 * address. */
#include "unwind_arch.h"

#include <elf.h>

#define ARM64_FP	29
#define ARM64_LR	30
#define ARM64_SP	31

/* Where x30 and x29 are, as one of enum uw_ra's modes. ra and fp are
 * their rules (k_ra, k_fp: their slots from the CFA when saved there),
 * base_off the CFA's offset from its register. */
static bool ra_mode(enum uw_reg_rule ra, int64_t k_ra, enum uw_reg_rule fp, int64_t k_fp,
		    int64_t base_off, struct uw_row *row)
{
	bool fp_saved = fp == UW_REG_AT_CFA;

	if (fp == UW_REG_OTHER)
		return false;	/* x29 kept in another register: not followed */
	if (ra == UW_REG_SAME || (ra == UW_REG_AT_CFA && k_ra == -8)) {
		if (fp_saved && (k_fp == 0 || !uw_fits_slot(k_fp)))
			return false;
		row->ra = ra == UW_REG_SAME ? UW_RA_LR : UW_RA_CFA8;
		row->slot = (int8_t)(fp_saved ? k_fp / 8 : 0);
		return true;
	}
	if (ra != UW_REG_AT_CFA)
		return false;
	if (fp_saved && k_fp + 8 != k_ra)
		return false;	/* saved apart, not as a frame record */
	if (fp_saved)
		k_ra = k_fp;	/* the record's address */
	if (uw_fits_slot(k_ra)) {
		row->ra = fp_saved ? UW_RA_CFA_REC : UW_RA_CFA_SLOT;
		row->slot = (int8_t)(k_ra / 8);
	} else if (uw_fits_slot(k_ra + base_off)) {
		row->ra = fp_saved ? UW_RA_BASE_REC : UW_RA_BASE_SLOT;
		row->slot = (int8_t)((k_ra + base_off) / 8);
	} else {
		return false;
	}
	return true;
}

static bool row_of_frame_arm64(Dwarf_Frame *frame, int ra_reg, struct uw_row *row)
{
	Dwarf_Op *ops = NULL;
	size_t nops = 0;
	int64_t k_ra = 0, k_fp = 0, off = 0;
	enum uw_reg_rule ra, fp;
	int reg = -1;

	ra = ra_reg == ARM64_LR ? uw_register_rule(frame, ARM64_LR, &k_ra) : UW_REG_OTHER;
	if (ra == UW_REG_UNDEFINED) {
		row->cfa = UW_CFA_END;
		return true;
	}
	if (!uw_cfa_register(frame, &reg, &off, &ops, &nops) ||
	    (reg != ARM64_SP && reg != ARM64_FP) || off % UW_ARM64_CFA_UNIT ||
	    off / UW_ARM64_CFA_UNIT < INT16_MIN || off / UW_ARM64_CFA_UNIT > INT16_MAX)
		return false;
	fp = uw_register_rule(frame, ARM64_FP, &k_fp);
	if (!ra_mode(ra, k_ra, fp, k_fp, off, row)) {
		row->ra = 0;
		row->slot = 0;
		return false;
	}
	row->cfa = reg == ARM64_SP ? UW_CFA_SP : UW_CFA_FP;
	row->cfa_off = (int16_t)(off / UW_ARM64_CFA_UNIT);
	return true;
}

/* The return address's and the saved x29's addresses under row, given the
 * CFA. fp_at 0: x29 unchanged. */
static void slots_of(const struct uw_row *row, uint64_t cfa, uint64_t *ra_at, uint64_t *fp_at)
{
	uint64_t base = cfa - (uint64_t)(UW_ARM64_CFA_UNIT * (int64_t)row->cfa_off);
	int64_t s = 8 * (int64_t)row->slot;

	*ra_at = *fp_at = 0;
	switch (row->ra) {
	case UW_RA_CFA8:
	case UW_RA_LR:
		*ra_at = row->ra == UW_RA_CFA8 ? cfa - 8 : 0;
		*fp_at = row->slot ? cfa + s : 0;
		break;
	case UW_RA_CFA_SLOT:
		*ra_at = cfa + s;
		break;
	case UW_RA_BASE_SLOT:
		*ra_at = base + s;
		break;
	case UW_RA_CFA_REC:
		*fp_at = cfa + s;
		*ra_at = *fp_at + 8;
		break;
	case UW_RA_BASE_REC:
		*fp_at = base + s;
		*ra_at = *fp_at + 8;
		break;
	}
}

static enum uw_step_result step_arm64(const struct uw_row *row, struct uw_regs *regs,
				      uw_read_fn read, void *ctx)
{
	uint64_t cfa = 0, ra = 0, fp = regs->fp, ra_at = 0, fp_at = 0;

	if (row && row->cfa == UW_CFA_END)
		return UW_STEP_END;
	/* sp is unknown (0) after a frame record: a row from sp can't be used */
	if (row && (row->cfa == UW_CFA_FP || (row->cfa == UW_CFA_SP && regs->sp))) {
		cfa = (row->cfa == UW_CFA_FP ? regs->fp : regs->sp) +
		      UW_ARM64_CFA_UNIT * (int64_t)row->cfa_off;
		slots_of(row, cfa, &ra_at, &fp_at);
		if (fp_at && !read(ctx, fp_at, &fp))
			return UW_STEP_FAIL;
		if (row->ra == UW_RA_LR) {
			if (!regs->lr)
				return UW_STEP_FAIL;	/* past the first frame: x30 is gone */
			ra = regs->lr;
		} else if (!read(ctx, ra_at, &ra)) {
			return UW_STEP_FAIL;
		}
	} else {
		/* the frame record; where in the frame it sits, and so the
		 * caller's sp, is unknown */
		if (!regs->fp || !read(ctx, regs->fp, &fp) || !read(ctx, regs->fp + 8, &ra))
			return UW_STEP_FAIL;
	}
	ra &= UW_ARM64_PC_MASK;
	if (!ra)
		return UW_STEP_END;
	regs->pc = ra;
	regs->sp = cfa;
	regs->fp = fp;
	regs->lr = 0;
	return UW_STEP_OK;
}

const struct uw_arch uw_arch_arm64 = {
	.machine = EM_AARCH64,
	.row_of_frame = row_of_frame_arm64,
	.step = step_arm64,
};
