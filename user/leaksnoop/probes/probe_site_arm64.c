// SPDX-License-Identifier: GPL-2.0
/* probe_site.c's rules for arm64. The kernel (arch/arm64/kernel/probes/
 * decode-insn.c, simulate-insn.c) simulates the instructions that read or
 * write the PC: branches, adr and adrp; everything else a uprobe hits is
 * single-stepped out of line (XOL), a prologue's `stp x29, x30, [sp, #-N]!`
 * included. A uretprobe takes the return address from x30 and writes its
 * trampoline there (arch_uretprobe_hijack_return_addr), so a return
 * probe's site must come before anything saves, signs or changes x30, or
 * moves sp (the kernel's uretprobe bookkeeping compares stack pointers).
 * Instructions are classified by their encoding, with the kernel's masks
 * (arch/arm64/include/asm/insn.h), not by Capstone's groups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe_site_arch.h"

#define X30	30
#define SP	31	/* regs[31] is followed by sp in struct user_pt_regs */

static bool is(uint32_t w, uint32_t mask, uint32_t val)
{
	return (w & mask) == val;
}

static uint32_t word(const cs_insn *in)
{
	return (uint32_t)in->bytes[0] | (uint32_t)in->bytes[1] << 8 |
	       (uint32_t)in->bytes[2] << 16 | (uint32_t)in->bytes[3] << 24;
}

static bool is_b_bl(uint32_t w)
{
	return is(w, 0x7C000000, 0x14000000);		/* b 0x14.., bl 0x94.. */
}

static bool is_cb_tb(uint32_t w)
{
	return is(w, 0x7E000000, 0x34000000) ||		/* cbz, cbnz */
	       is(w, 0x7E000000, 0x36000000);		/* tbz, tbnz */
}

static bool is_bcond(uint32_t w)
{
	return is(w, 0xFF000010, 0x54000000);
}

static bool is_br_blr_ret(uint32_t w)
{
	return is(w, 0xFFFFFC1F, 0xD61F0000) || is(w, 0xFFFFFC1F, 0xD63F0000) ||
	       is(w, 0xFFFFFC1F, 0xD65F0000);
}

static bool is_adr_adrp(uint32_t w)
{
	return is(w, 0x1F000000, 0x10000000);
}

bool arm64_insn_is_emulated(uint32_t w)
{
	return is_b_bl(w) || is_cb_tb(w) || is_bcond(w) || is_br_blr_ret(w) || is_adr_adrp(w);
}

static bool emulated(const cs_insn *in)
{
	return in->size == 4 && arm64_insn_is_emulated(word(in));
}

static bool is_branch(csh cs, const cs_insn *in)
{
	uint32_t w = word(in);

	return cs_insn_group(cs, in, CS_GRP_JUMP) || cs_insn_group(cs, in, CS_GRP_CALL) ||
	       cs_insn_group(cs, in, CS_GRP_RET) || cs_insn_group(cs, in, CS_GRP_INT) ||
	       is_b_bl(w) || is_cb_tb(w) || is_bcond(w) ||
	       is(w, 0xFE000000, 0xD6000000) ||		/* br/blr/ret/eret, with PAC too */
	       is(w, 0xFF000000, 0xD4000000) ||		/* svc, brk, hlt */
	       is(w, 0xFFFF0000, 0x00000000);		/* udf */
}

static int64_t sext(uint32_t v, unsigned bits)
{
	return (int64_t)((uint64_t)v << (64 - bits)) >> (64 - bits);
}

static uint64_t direct_target(const cs_insn *in)
{
	uint32_t w = word(in);

	if (is_b_bl(w))
		return in->address + (uint64_t)(sext(w & 0x3FFFFFF, 26) * 4);
	if (is(w, 0x7E000000, 0x34000000) || is_bcond(w))
		return in->address + (uint64_t)(sext((w >> 5) & 0x7FFFF, 19) * 4);
	if (is(w, 0x7E000000, 0x36000000))
		return in->address + (uint64_t)(sext((w >> 5) & 0x3FFF, 14) * 4);
	return 0;
}

static bool is_jump(const cs_insn *in)
{
	return is(word(in), 0xFC000000, 0x14000000);	/* b, not bl */
}

/* xN and wN are slot N; sp and wsp SP; xzr and wzr none (-1). */
static int slot_of(csh cs, unsigned reg)
{
	const char *n = cs_reg_name(cs, reg);
	char *end;
	unsigned long k;

	if (!n)
		return -1;
	if (!strcmp(n, "sp") || !strcmp(n, "wsp"))
		return SP;
	if (!strcmp(n, "fp"))
		return 29;
	if (!strcmp(n, "lr"))
		return X30;
	if ((n[0] != 'x' && n[0] != 'w') || n[1] < '0' || n[1] > '9')
		return -1;
	k = strtoul(n + 1, &end, 10);
	return *end || k > 30 ? -1 : (int)k;
}

static bool is_x_reg(csh cs, unsigned reg)
{
	const char *n = cs_reg_name(cs, reg);

	return n && (n[0] == 'x' || !strcmp(n, "fp") || !strcmp(n, "lr"));
}

/* The hint space's pointer-authentication instructions: pac/aut on x30
 * (paciasp, autiasp, ..., xpaclri) and on x17 with x16 (pacia1716, ...).
 * Capstone 4 shows them as `hint #n` with no registers. */
static void apply_hint(uint32_t w, struct regstate *s)
{
	unsigned op = (w >> 5) & 0x7F;		/* CRm:op2 */

	if (op == 0x07 || (op >= 0x18 && op <= 0x1F))
		s->ret_moved = true;
	else if (op >= 0x08 && op <= 0x0F)
		regstate_clobber(s, 17);
}

static void apply(csh cs, const cs_insn *in, struct regstate *s)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;
	const cs_arm64 *x = &in->detail->arm64;
	uint32_t copied[SITE_MAX_ARGS] = { 0 };
	uint32_t w = word(in);

	if (is(w, 0xFFFFF01F, 0xD503201F)) {
		apply_hint(w, s);
		return;
	}
	/* mov xd, xn (orr xd, xzr, xn): xd holds what xn holds; a w copy
	 * drops the upper half */
	if (in->id == ARM64_INS_MOV && x->op_count == 2 && x->operands[0].type == ARM64_OP_REG &&
	    x->operands[1].type == ARM64_OP_REG && is_x_reg(cs, x->operands[0].reg) &&
	    is_x_reg(cs, x->operands[1].reg)) {
		int src = slot_of(cs, x->operands[1].reg);
		int dst = slot_of(cs, x->operands[0].reg);

		for (int i = 0; src >= 0 && src < SP && dst >= 0 && dst < SP && i < SITE_MAX_ARGS; i++)
			if (s->holders[i] & (1U << src))
				copied[i] = 1U << dst;
	}
	if (cs_regs_access(cs, in, rd, &nrd, wr, &nwr) != CS_ERR_OK) {
		regstate_forget(s);
		return;
	}
	for (int r = 0; r < nrd; r++)
		if (slot_of(cs, rd[r]) == X30)	/* saved: a hijack after it is lost */
			s->ret_moved = true;
	/* Capstone 4 lists cmp/cmn/tst's source as written (they are subs,
	 * adds, ands into xzr: only the flags are) */
	if (in->id == ARM64_INS_CMP || in->id == ARM64_INS_CMN || in->id == ARM64_INS_TST)
		nwr = 0;
	for (int r = 0; r < nwr; r++) {
		int p = slot_of(cs, wr[r]);

		if (p == SP || p == X30)
			s->ret_moved = true;
		regstate_clobber(s, p);
	}
	for (int i = 0; i < SITE_MAX_ARGS; i++)
		s->holders[i] |= copied[i];
}

static const char *arm64_reg_name(unsigned slot)
{
	static const char *const names[] = {
		"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
		"x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20",
		"x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30", "sp",
	};

	return slot < sizeof(names) / sizeof(names[0]) ? names[slot] : "?";
}

const struct site_arch site_arch_arm64 = {
	.cs_arch = CS_ARCH_ARM64,
	.cs_mode = CS_MODE_ARM,
	.arg_regs = { 0, 1, 2 },		/* AAPCS64: x0, x1, x2 */
	.emulated = emulated,
	.is_branch = is_branch,
	.direct_target = direct_target,
	.is_jump = is_jump,
	.apply = apply,
	.reg_name = arm64_reg_name,
};
