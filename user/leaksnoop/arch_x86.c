// SPDX-License-Identifier: GPL-2.0
/* arch.h on x86-64: PTRACE_GETREGS, whose user_regs_struct carries the
 * thread pointer (fs_base) with the general registers. */
#if defined(__x86_64__)
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include "arch.h"

_Static_assert(sizeof(struct user_regs_struct) / 8 <= ARCH_REG_WORDS, "ARCH_REG_WORDS");

uint16_t arch_elf_machine(void)
{
	return EM_X86_64;
}

int arch_thread_regs(pid_t tid, struct thread_regs *out)
{
	struct user_regs_struct regs;

	if (ptrace(PTRACE_GETREGS, tid, 0, &regs))
		return -errno;
	out->n = sizeof(regs) / sizeof(out->w[0]);
	memcpy(out->w, &regs, sizeof(regs));
	out->sp = regs.rsp;
	return 0;
}

size_t arch_red_zone(void)
{
	return 128;
}
#endif
