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
 * return address where the kernel takes it. What differs by instruction
 * set is in probe_site_x86.c and probe_site_arm64.c. */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include "probe_site_arch.h"

/* instructions of the prefix looked at; allocators' first branch comes
 * within 20 */
#define PREFIX_INSNS	48
/* bytes scanned for branches back into the prefix */
#define SCAN_BYTES	16384

static const struct site_arch *arch_of(uint16_t machine)
{
	switch (machine) {
	case EM_X86_64: return &site_arch_x86;
	case EM_AARCH64: return &site_arch_arm64;
	}
	return NULL;
}

bool site_machine_known(uint16_t machine)
{
	return arch_of(machine) != NULL;
}

uint8_t site_abi_reg(uint16_t machine, int arg)
{
	const struct site_arch *a = arch_of(machine);

	return a && arg >= 0 && arg < SITE_MAX_ARGS ? a->arg_regs[arg] : PTR_NONE;
}

const char *pt_reg_name(uint16_t machine, unsigned reg)
{
	const struct site_arch *a = arch_of(machine);

	return a ? a->reg_name(reg) : "?";
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

void regstate_forget(struct regstate *s)
{
	for (int i = 0; i < SITE_MAX_ARGS; i++)
		s->holders[i] = 0;
	s->ret_moved = true;
}

void regstate_clobber(struct regstate *s, int slot)
{
	for (int i = 0; slot >= 0 && slot < 32 && i < SITE_MAX_ARGS; i++)
		s->holders[i] &= ~(1U << slot);
}

/* The lowest address inside (addr, addr+len) that a direct branch of the
 * function lands on; addr+len if none. */
static uint64_t first_inner_target(const struct site_arch *a, csh cs, const struct site_req *r)
{
	size_t len = r->len < SCAN_BYTES ? r->len : SCAN_BYTES;
	const uint8_t *code = r->code;
	uint64_t addr = r->addr, lowest = r->addr + r->len;
	cs_insn *in = cs_malloc(cs);

	if (!in)
		return r->addr + 1;	/* no memory: allow only the entry */
	while (cs_disasm_iter(cs, &code, &len, &addr, in)) {
		uint64_t t = a->direct_target(in);

		if (t > r->addr && t < lowest)
			lowest = t;
	}
	cs_free(in, 1);
	return lowest;
}

/* the slots the BPF side can read (SITE_READABLE_SLOTS) */
static uint32_t readable(uint32_t holders)
{
	return holders & ((1U << SITE_READABLE_SLOTS) - 1);
}

static bool args_readable(const struct regstate *s, unsigned args)
{
	for (int i = 0; i < SITE_MAX_ARGS; i++)
		if ((args & (1U << i)) && !readable(s->holders[i]))
			return false;
	return true;
}

static void pick_regs(const struct site_arch *a, const struct regstate *s, unsigned args,
		      uint8_t out[SITE_MAX_ARGS])
{
	for (int i = 0; i < SITE_MAX_ARGS; i++) {
		uint32_t h = readable(s->holders[i]);

		out[i] = PTR_NONE;
		if (!(args & (1U << i)) || !h)
			continue;
		out[i] = (h & (1U << a->arg_regs[i])) ? a->arg_regs[i] : (uint8_t)__builtin_ctz(h);
	}
}

static void describe(const cs_insn *in, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%.15s", in->mnemonic);

	if (in->op_str[0] && n > 0 && (size_t)n + 1 < size)
		snprintf(buf + n, size - (size_t)n, " %.*s", (int)(size - (size_t)n - 2), in->op_str);
}

static void fallback(const struct site_req *req, struct site_choice *out, enum site_reason why)
{
	for (int i = 0; i < SITE_MAX_ARGS; i++)
		out->arg_reg[i] = (req->args & (1U << i)) ? site_abi_reg(req->machine, i) : PTR_NONE;
	out->offset = 0;
	out->reason = why;
	out->emulated = false;
}

static int choose(const struct site_arch *a, csh cs, const struct site_req *req,
		  struct site_choice *out)
{
	struct regstate s = { .ret_moved = false };
	uint64_t barrier = first_inner_target(a, cs, req);
	const uint8_t *code = req->code;
	size_t len = req->len;
	uint64_t addr = req->addr;
	cs_insn *in = cs_malloc(cs);
	int n = 0;

	if (!in)
		return -1;
	for (int i = 0; i < SITE_MAX_ARGS; i++)
		s.holders[i] = 1U << a->arg_regs[i];
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
		if (!off && a->is_jump(in)) {
			out->reason = SITE_TAIL_JUMP;
			out->jump_target = a->direct_target(in);
			out->emulated = a->emulated(in);
			snprintf(out->why, sizeof(out->why), "jmp 0x%llx", (unsigned long long)out->jump_target);
			break;
		}
		if (req->keep_stack && s.ret_moved) {
			snprintf(out->why, sizeof(out->why), "the stack moves before +%u", off);
			break;
		}
		if (!args_readable(&s, req->args)) {
			snprintf(out->why, sizeof(out->why), "an argument is overwritten before +%u", off);
			break;
		}
		if (a->emulated(in)) {
			out->offset = off;
			out->emulated = true;
			out->reason = off ? SITE_MOVED : SITE_AT_ENTRY;
			pick_regs(a, &s, req->args, out->arg_reg);
			describe(in, out->insn, sizeof(out->insn));
			snprintf(out->why, sizeof(out->why), "first emulated instruction");
			break;
		}
		if (a->is_branch(cs, in)) {
			snprintf(out->why, sizeof(out->why), "%s at +%u ends the straight line",
				 in->mnemonic, off);
			break;
		}
		a->apply(cs, in, &s);
	}
	cs_free(in, 1);
	return 0;
}

int probe_site_choose(const struct site_req *req, struct site_choice *out)
{
	const struct site_arch *a = arch_of(req->machine);
	csh cs;
	int err;

	memset(out, 0, sizeof(*out));
	fallback(req, out, SITE_UNDECODABLE);
	if (!a || cs_open(a->cs_arch, a->cs_mode, &cs) != CS_ERR_OK)
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	err = choose(a, cs, req, out);
	cs_close(&cs);
	if (err)
		fallback(req, out, SITE_UNDECODABLE);
	return err;
}
