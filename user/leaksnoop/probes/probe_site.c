// SPDX-License-Identifier: GPL-2.0
/* Probe-site choice with Capstone. A uprobe on an instruction the kernel
 * must single-step out of line costs ~6.5 us a hit on this VM, one it
 * emulates ~0.85 us (../shared/notes/kernel-facts.md, "Uprobe costs"):
 * glibc's free starts with `test %rdi,%rdi`, jemalloc's malloc with
 * `cmp $0x1000,%rdi`, and those probes were most of leaksnoop's cost.
 *
 * The search follows only straight-line code from the entry: up to and
 * including the first control transfer, stopping earlier at any
 * instruction another branch of the function lands on (a site past it
 * could be reached twice, or without the entry). Register writes are
 * tracked so an argument copied elsewhere (`mov %rdi,%rax`) is still
 * readable, and stack writes so a return probe's site still has the
 * return address at [rsp]. */
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe_site.h"

/* instructions of the prefix looked at; allocators' first branch comes
 * within 20 */
#define PREFIX_INSNS	48
/* bytes scanned for branches back into the prefix */
#define SCAN_BYTES	16384
#define MAX_TARGETS	64

static const char *const reg_names[] = {
	[PTR_R15] = "r15", [PTR_R14] = "r14", [PTR_R13] = "r13", [PTR_R12] = "r12",
	[PTR_BP] = "rbp", [PTR_BX] = "rbx", [PTR_R11] = "r11", [PTR_R10] = "r10",
	[PTR_R9] = "r9", [PTR_R8] = "r8", [PTR_AX] = "rax", [PTR_CX] = "rcx",
	[PTR_DX] = "rdx", [PTR_SI] = "rsi", [PTR_DI] = "rdi", [PTR_ORIG_AX] = "orig_ax",
	[PTR_IP] = "rip", [PTR_CS] = "cs", [PTR_FLAGS] = "flags", [PTR_SP] = "rsp",
	[PTR_SS] = "ss",
};

/* the SysV argument registers */
static const uint8_t arg_regs[SITE_MAX_ARGS] = { PTR_DI, PTR_SI, PTR_DX };

const char *pt_reg_name(unsigned reg)
{
	return reg < sizeof(reg_names) / sizeof(reg_names[0]) && reg_names[reg] ? reg_names[reg] : "?";
}

const char *site_reason_name(enum site_reason r)
{
	switch (r) {
	case SITE_AT_ENTRY: return "entry is emulated";
	case SITE_MOVED: return "moved to an emulated instruction";
	case SITE_SINGLE_STEP: return "entry, single-stepped";
	case SITE_TAIL_JUMP: return "a tail jump";
	case SITE_UNDECODABLE: return "undecodable, entry";
	}
	return "?";
}

bool insn_is_emulated(const uint8_t *b, size_t n)
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
static uint64_t direct_target(csh cs, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	if (!cs_insn_group(cs, in, CS_GRP_JUMP) && !cs_insn_group(cs, in, CS_GRP_CALL))
		return 0;
	if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
		return (uint64_t)x->operands[0].imm;
	return 0;
}

/* The lowest address inside (addr, addr+len) that a direct branch of the
 * function lands on; addr+len if none. */
static uint64_t first_inner_target(csh cs, const struct site_req *r)
{
	size_t len = r->len < SCAN_BYTES ? r->len : SCAN_BYTES;
	const uint8_t *code = r->code;
	uint64_t addr = r->addr, lowest = r->addr + r->len;
	cs_insn *in = cs_malloc(cs);

	if (!in)
		return r->addr + 1;	/* no memory: allow only the entry */
	while (cs_disasm_iter(cs, &code, &len, &addr, in)) {
		uint64_t t = direct_target(cs, in);

		if (t > r->addr && t < lowest)
			lowest = t;
	}
	cs_free(in, 1);
	return lowest;
}

/* holders[i]: bitmask of pt_regs slots holding argument i */
struct regstate {
	uint32_t holders[SITE_MAX_ARGS];
	bool stack_moved;
};

static bool args_readable(const struct regstate *s, unsigned args)
{
	for (int i = 0; i < SITE_MAX_ARGS; i++)
		if ((args & (1U << i)) && !s->holders[i])
			return false;
	return true;
}

static void pick_regs(const struct regstate *s, unsigned args, uint8_t out[SITE_MAX_ARGS])
{
	for (int i = 0; i < SITE_MAX_ARGS; i++) {
		uint32_t h = s->holders[i];

		out[i] = PTR_NONE;
		if (!(args & (1U << i)) || !h)
			continue;
		out[i] = (h & (1U << arg_regs[i])) ? arg_regs[i] : (uint8_t)__builtin_ctz(h);
	}
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
		/* unknown effects: assume every register is gone */
		for (int i = 0; i < SITE_MAX_ARGS; i++)
			s->holders[i] = 0;
		s->stack_moved = true;
		return;
	}
	for (int w = 0; w < nwr; w++) {
		int p = parent_reg(cs, wr[w]);

		if (p == PTR_SP)
			s->stack_moved = true;
		for (int i = 0; p >= 0 && i < SITE_MAX_ARGS; i++)
			s->holders[i] &= ~(1U << p);
	}
	for (int i = 0; i < SITE_MAX_ARGS; i++)
		s->holders[i] |= copied[i];
}

static void describe(const cs_insn *in, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%.15s", in->mnemonic);

	if (in->op_str[0] && n > 0 && (size_t)n + 1 < size)
		snprintf(buf + n, size - (size_t)n, " %.*s", (int)(size - (size_t)n - 2), in->op_str);
}

static void fallback(const struct site_req *req, struct site_choice *out, enum site_reason why)
{
	uint8_t all[SITE_MAX_ARGS];

	for (int i = 0; i < SITE_MAX_ARGS; i++)
		all[i] = (req->args & (1U << i)) ? arg_regs[i] : PTR_NONE;
	memcpy(out->arg_reg, all, sizeof(all));
	out->offset = 0;
	out->reason = why;
	out->emulated = false;
}

static int choose(csh cs, const struct site_req *req, struct site_choice *out)
{
	struct regstate s = { .stack_moved = false };
	uint64_t barrier = first_inner_target(cs, req);
	const uint8_t *code = req->code;
	size_t len = req->len;
	uint64_t addr = req->addr;
	cs_insn *in = cs_malloc(cs);
	int n = 0;

	if (!in)
		return -1;
	for (int i = 0; i < SITE_MAX_ARGS; i++)
		s.holders[i] = 1U << arg_regs[i];
	fallback(req, out, SITE_SINGLE_STEP);
	snprintf(out->why, sizeof(out->why), "no emulated instruction before the first branch");
	while (n++ < PREFIX_INSNS && cs_disasm_iter(cs, &code, &len, &addr, in)) {
		uint32_t off = (uint32_t)(in->address - req->addr);

		if (in->address >= barrier && off) {
			snprintf(out->why, sizeof(out->why), "+%u is a branch target", off);
			break;
		}
		if (!off)
			describe(in, out->insn, sizeof(out->insn));
		if (!off && in->id == X86_INS_JMP && direct_target(cs, in)) {
			out->reason = SITE_TAIL_JUMP;
			out->jump_target = direct_target(cs, in);
			out->emulated = insn_is_emulated(in->bytes, in->size);
			snprintf(out->why, sizeof(out->why), "jmp 0x%llx", (unsigned long long)out->jump_target);
			break;
		}
		if (req->keep_stack && s.stack_moved) {
			snprintf(out->why, sizeof(out->why), "the stack moves before +%u", off);
			break;
		}
		if (!args_readable(&s, req->args)) {
			snprintf(out->why, sizeof(out->why), "an argument is overwritten before +%u", off);
			break;
		}
		if (insn_is_emulated(in->bytes, in->size)) {
			out->offset = off;
			out->emulated = true;
			out->reason = off ? SITE_MOVED : SITE_AT_ENTRY;
			pick_regs(&s, req->args, out->arg_reg);
			describe(in, out->insn, sizeof(out->insn));
			snprintf(out->why, sizeof(out->why), "first emulated instruction");
			break;
		}
		if (is_branch(cs, in)) {
			snprintf(out->why, sizeof(out->why), "%s at +%u ends the straight line",
				 in->mnemonic, off);
			break;
		}
		apply(cs, in, &s);
	}
	cs_free(in, 1);
	return 0;
}

int probe_site_choose(const struct site_req *req, struct site_choice *out)
{
	csh cs;
	int err;

	memset(out, 0, sizeof(*out));
	fallback(req, out, SITE_UNDECODABLE);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	err = choose(cs, req, out);
	cs_close(&cs);
	if (err)
		fallback(req, out, SITE_UNDECODABLE);
	return err;
}
