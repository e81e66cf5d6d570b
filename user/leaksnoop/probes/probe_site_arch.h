/* SPDX-License-Identifier: GPL-2.0 */
/* What probe_site.c's search asks of an instruction set: one table per
 * architecture (probe_site_x86.c, probe_site_arm64.c). Private to them. */
#ifndef LEAKSNOOP_PROBE_SITE_ARCH_H
#define LEAKSNOOP_PROBE_SITE_ARCH_H

#include <capstone/capstone.h>
#include "probe_site.h"

/* holders[i]: bitmask of pt_regs slots holding argument i */
struct regstate {
	uint32_t holders[SITE_MAX_ARGS];
	bool ret_moved;		/* the stack pointer or the return address moved */
};

struct site_arch {
	cs_arch cs_arch;
	cs_mode cs_mode;
	uint8_t arg_regs[SITE_MAX_ARGS];	/* the ABI's argument slots */
	/* the kernel runs it without a single-step */
	bool (*emulated)(const cs_insn *in);
	/* it ends the straight line: a jump, call, return, trap */
	bool (*is_branch)(csh cs, const cs_insn *in);
	/* the immediate target of a direct branch, 0 if none */
	uint64_t (*direct_target)(const cs_insn *in);
	/* an unconditional direct jump (at the entry: a wrapper) */
	bool (*is_jump)(const cs_insn *in);
	/* what the instruction does to the argument registers and to the
	 * stack pointer and return address */
	void (*apply)(csh cs, const cs_insn *in, struct regstate *s);
	const char *(*reg_name)(unsigned slot);
};

extern const struct site_arch site_arch_x86;
extern const struct site_arch site_arch_arm64;

/* cs_regs_access failed: nothing is known to survive */
void regstate_forget(struct regstate *s);
/* slot was written: it holds no argument any more */
void regstate_clobber(struct regstate *s, int slot);

#endif
