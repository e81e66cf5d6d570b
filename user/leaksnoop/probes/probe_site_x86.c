// SPDX-License-Identifier: GPL-2.0
/* probe_site.c's rules for x86-64: what arch/x86/kernel/uprobes.c emulates,
 * and which instructions move an argument or the return address ([rsp]). */
#include <stdlib.h>
#include <string.h>
#include "probe_site_arch.h"

static const char *const reg_names[] = {
	[PTR_R15] = "r15", [PTR_R14] = "r14", [PTR_R13] = "r13", [PTR_R12] = "r12",
	[PTR_BP] = "rbp", [PTR_BX] = "rbx", [PTR_R11] = "r11", [PTR_R10] = "r10",
	[PTR_R9] = "r9", [PTR_R8] = "r8", [PTR_AX] = "rax", [PTR_CX] = "rcx",
	[PTR_DX] = "rdx", [PTR_SI] = "rsi", [PTR_DI] = "rdi", [PTR_ORIG_AX] = "orig_ax",
	[PTR_IP] = "rip", [PTR_CS] = "cs", [PTR_FLAGS] = "flags", [PTR_SP] = "rsp",
	[PTR_SS] = "ss",
};

static const char *x86_reg_name(unsigned reg)
{
	return reg < sizeof(reg_names) / sizeof(reg_names[0]) && reg_names[reg] ? reg_names[reg] : "?";
}

bool x86_insn_is_emulated(const uint8_t *b, size_t n)
{
	if (n == 1)
		return b[0] == 0x90 || (b[0] >= 0x50 && b[0] <= 0x57);	/* nop, push */
	if (n == 2)
		return (b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57) ||	/* push r8-r15 */
		       b[0] == 0xeb || (b[0] >= 0x70 && b[0] <= 0x7f);		/* jmp8, jcc8 */
	if (n == 5)
		return b[0] == 0xe8 || b[0] == 0xe9;				/* call, jmp32 */
	if (n == 6)
		return b[0] == 0x0f && (b[1] & 0xf0) == 0x80;			/* jcc32 */
	return false;
}

static bool emulated(const cs_insn *in)
{
	return x86_insn_is_emulated(in->bytes, in->size);
}

/* r8..r15 by their one naming rule: "rN", and "rNd", "rNw", "rNb" for the
 * low 32, 16 and 8 bits. The slot of the 64-bit register, or -1. */
static int numbered_reg(const char *n)
{
	static const uint8_t slot[8] = {
		PTR_R8, PTR_R9, PTR_R10, PTR_R11, PTR_R12, PTR_R13, PTR_R14, PTR_R15,
	};
	char *end;
	unsigned long k;

	if (n[0] != 'r' || n[1] < '0' || n[1] > '9')
		return -1;
	k = strtoul(n + 1, &end, 10);
	if (k < 8 || k > 15 || (*end && (!strchr("dwb", *end) || end[1])))
		return -1;
	return slot[k - 8];
}

/* A Capstone register to the pt_regs slot of its 64-bit parent. */
static int parent_reg(csh cs, unsigned reg)
{
	static const struct {
		uint8_t slot;
		const char *names[5];
	} legacy[] = {
		{ PTR_AX, { "rax", "eax", "ax", "al", "ah" } },
		{ PTR_BX, { "rbx", "ebx", "bx", "bl", "bh" } },
		{ PTR_CX, { "rcx", "ecx", "cx", "cl", "ch" } },
		{ PTR_DX, { "rdx", "edx", "dx", "dl", "dh" } },
		{ PTR_SI, { "rsi", "esi", "si", "sil" } },
		{ PTR_DI, { "rdi", "edi", "di", "dil" } },
		{ PTR_BP, { "rbp", "ebp", "bp", "bpl" } },
		{ PTR_SP, { "rsp", "esp", "sp", "spl" } },
	};
	const char *n = cs_reg_name(cs, reg);

	if (!n)
		return -1;
	for (size_t f = 0; f < sizeof(legacy) / sizeof(legacy[0]); f++)
		for (size_t i = 0; i < 5 && legacy[f].names[i]; i++)
			if (!strcmp(n, legacy[f].names[i]))
				return legacy[f].slot;
	return numbered_reg(n);
}

static bool is_branch(csh cs, const cs_insn *in)
{
	return cs_insn_group(cs, in, CS_GRP_JUMP) || cs_insn_group(cs, in, CS_GRP_CALL) ||
	       cs_insn_group(cs, in, CS_GRP_RET) || cs_insn_group(cs, in, CS_GRP_INT) ||
	       cs_insn_group(cs, in, CS_GRP_IRET) || in->id == X86_INS_SYSCALL ||
	       in->id == X86_INS_UD2 || in->id == X86_INS_HLT;
}

/* The immediate target of a direct jmp/jcc/call, 0 if none. */
static uint64_t direct_target(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	bool jump_or_call = false;

	for (uint8_t g = 0; g < in->detail->groups_count; g++)
		if (in->detail->groups[g] == CS_GRP_JUMP || in->detail->groups[g] == CS_GRP_CALL)
			jump_or_call = true;
	if (jump_or_call && x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
		return (uint64_t)x->operands[0].imm;
	return 0;
}

static bool is_jump(const cs_insn *in)
{
	return in->id == X86_INS_JMP && direct_target(in);
}

/* What the instruction does to the argument registers and the stack. */
static void apply(csh cs, const cs_insn *in, struct regstate *s)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;
	const cs_x86 *x = &in->detail->x86;
	uint32_t copied[SITE_MAX_ARGS] = { 0 };

	/* mov %src,%dst of 64-bit registers: dst holds what src holds */
	if (in->id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	    x->operands[1].type == X86_OP_REG && x->operands[0].size == 8 && x->operands[1].size == 8) {
		int src = parent_reg(cs, x->operands[1].reg);
		int dst = parent_reg(cs, x->operands[0].reg);

		for (int i = 0; src >= 0 && dst >= 0 && i < SITE_MAX_ARGS; i++)
			if (s->holders[i] & (1U << src))
				copied[i] = 1U << dst;
	}
	if (cs_regs_access(cs, in, rd, &nrd, wr, &nwr) != CS_ERR_OK) {
		regstate_forget(s);
		return;
	}
	for (int w = 0; w < nwr; w++) {
		int p = parent_reg(cs, wr[w]);

		if (p == PTR_SP)
			s->ret_moved = true;
		regstate_clobber(s, p);
	}
	for (int i = 0; i < SITE_MAX_ARGS; i++)
		s->holders[i] |= copied[i];
}

const struct site_arch site_arch_x86 = {
	.cs_arch = CS_ARCH_X86,
	.cs_mode = CS_MODE_64,
	.arg_regs = { PTR_DI, PTR_SI, PTR_DX },	/* SysV */
	.emulated = emulated,
	.is_branch = is_branch,
	.direct_target = direct_target,
	.is_jump = is_jump,
	.apply = apply,
	.reg_name = x86_reg_name,
};
