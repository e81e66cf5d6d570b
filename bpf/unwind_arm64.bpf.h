/* SPDX-License-Identifier: GPL-2.0 */
/* arm64's step of the BPF unwinder (included by unwind.bpf.h), exactly as
 * user/lib/unwind_arm64.c's: the CFA is sp or x29 plus 8 * cfa_off; the
 * return address wherever the row's enum uw_ra says (x30 itself in the
 * first frame only), stripped of its pointer-authentication code; no
 * row: the frame record, [x29] = the caller's x29, [x29 + 8] = the return
 * address, after which the caller's sp is unknown (0). */
#ifndef MMSCOPE_UNWIND_ARM64_BPF_H
#define MMSCOPE_UNWIND_ARM64_BPF_H
#if defined(__TARGET_ARCH_arm64)

/* x30 at a probe: the return address for a probe at a function's entry or
 * in a leaf. (At a return probe it is the address returned through, the
 * uretprobe trampoline's; no row there takes it: the caller has called.) */
static __always_inline __u64 uw_ctx_lr(struct pt_regs *ctx)
{
	return PT_REGS_RET(ctx);
}

static __always_inline void uw_regs_of(struct pt_regs *ctx, struct uw_regs_ *r)
{
	r->pc = PT_REGS_IP(ctx);
	r->sp = PT_REGS_SP(ctx);
	r->fp = PT_REGS_FP(ctx);
	r->lr = uw_ctx_lr(ctx);
}

/* Where the return address and the saved x29 are (fp_at 0: unchanged). */
static __always_inline void uw_slots_arm64(const struct uw_row *row, __u64 base, __u64 cfa,
					   __u64 *ra_at, __u64 *fp_at)
{
	__s64 s = 8 * (__s64)row->slot;
	__u8 mode = row->ra;

	*fp_at = 0;
	if (mode == UW_RA_CFA8 || mode == UW_RA_LR) {
		*ra_at = cfa - 8;
		*fp_at = s ? cfa + s : 0;
	} else if (mode == UW_RA_CFA_SLOT) {
		*ra_at = cfa + s;
	} else if (mode == UW_RA_BASE_SLOT) {
		*ra_at = base + s;
	} else {	/* a frame record: UW_RA_CFA_REC, UW_RA_BASE_REC */
		*fp_at = (mode == UW_RA_CFA_REC ? cfa : base) + s;
		*ra_at = *fp_at + 8;
	}
}

static __always_inline bool uw_step_bpf(const struct uw_row *row, struct uw_regs_ *r, struct uw_walk *w)
{
	__u64 cfa = 0, ra = 0, fp = r->fp, ra_at = 0, fp_at = 0, base;

	if (row && row->cfa == UW_CFA_END)
		return false;
	if (row && (row->cfa == UW_CFA_FP || (row->cfa == UW_CFA_SP && r->sp))) {
		if (row->cfa == UW_CFA_FP)
			uw_uses_fp(w);
		base = row->cfa == UW_CFA_FP ? r->fp : r->sp;
		cfa = base + UW_ARM64_CFA_UNIT * (__s64)row->cfa_off;
		uw_slots_arm64(row, base, cfa, &ra_at, &fp_at);
		if (fp_at && !uw_read_fp(w, &fp, fp_at))
			return false;
		if (row->ra == UW_RA_LR) {
			if (!r->lr)
				return false;	/* past the first frame: x30 is gone */
			ra = r->lr;
			w->lr_used = 1;
		} else if (!uw_read_word(w, &ra, ra_at)) {
			return false;
		}
	} else {
		uw_uses_fp(w);
		if (!r->fp || !uw_read_fp(w, &fp, r->fp) || !uw_read_word(w, &ra, r->fp + 8))
			return false;
	}
	ra &= UW_ARM64_PC_MASK;
	if (!ra)
		return false;
	r->pc = ra;
	r->sp = cfa;
	r->fp = fp;
	r->lr = 0;
	return true;
}

#endif
#endif
