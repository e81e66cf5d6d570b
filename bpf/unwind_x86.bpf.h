/* SPDX-License-Identifier: GPL-2.0 */
/* x86-64's step of the BPF unwinder (included by unwind.bpf.h): the CFA
 * is rsp or rbp plus an offset, or the PLT stubs' expression; the return
 * address is at CFA - 8; no row: the frame pointer, [rbp] = the caller's
 * rbp, [rbp + 8] = the return address. */
#ifndef MMSCOPE_UNWIND_X86_BPF_H
#define MMSCOPE_UNWIND_X86_BPF_H
#if defined(__TARGET_ARCH_x86)

static __always_inline void uw_regs_of(struct pt_regs *ctx, struct uw_regs_ *r)
{
	r->pc = PT_REGS_IP(ctx);
	r->sp = PT_REGS_SP(ctx);
	r->fp = PT_REGS_FP(ctx);
	r->lr = 0;
}

/* No link register: the return address is always on the stack. */
static __always_inline __u64 uw_ctx_lr(struct pt_regs *ctx)
{
	return 0;
}

static __always_inline bool uw_step_bpf(const struct uw_row *row, struct uw_regs_ *r, struct uw_walk *w)
{
	__u64 cfa, ra = 0, rbp = r->fp;

	if (row && row->cfa == UW_CFA_END)
		return false;
	if (!row || row->cfa == UW_CFA_NONE) {
		uw_uses_fp(w);
		if (!r->fp || !uw_read_fp(w, &rbp, r->fp))
			return false;
		cfa = r->fp + 16;
	} else {
		if (row->cfa == UW_CFA_FP)
			uw_uses_fp(w);
		cfa = (row->cfa == UW_CFA_FP ? r->fp : r->sp) + (__s64)row->cfa_off;
		if (row->cfa == UW_CFA_PLT) {
			if ((__s64)(r->pc & 15) >= row->slot)
				cfa += 8;
		} else if (row->slot) {
			if (!uw_read_fp(w, &rbp, cfa + 8 * (__s64)row->slot))
				return false;
		}
	}
	if (!uw_read_word(w, &ra, cfa - 8) || !ra)
		return false;
	r->pc = ra;
	r->sp = cfa;
	r->fp = rbp;
	return true;
}

#endif
#endif
