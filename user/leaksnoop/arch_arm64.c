// SPDX-License-Identifier: GPL-2.0
/* arch.h on arm64: PTRACE_GETREGSET with NT_PRSTATUS (x0-x30, sp, pc,
 * pstate; there is no PTRACE_GETREGS) and NT_ARM_TLS for TPIDR_EL0, the
 * thread pointer (x86-64's fs_base). */
#if defined(__aarch64__)
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include "arch.h"

_Static_assert(sizeof(struct user_regs_struct) / 8 + 1 <= ARCH_REG_WORDS, "ARCH_REG_WORDS");

uint16_t arch_elf_machine(void)
{
	return EM_AARCH64;
}

static int get_regset(pid_t tid, int set, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	if (ptrace(PTRACE_GETREGSET, tid, (void *)(long)set, &iov))
		return -errno;
	return iov.iov_len == len ? 0 : -EIO;
}

int arch_thread_regs(pid_t tid, struct thread_regs *out)
{
	struct user_regs_struct regs;
	uint64_t tls;
	int err = get_regset(tid, NT_PRSTATUS, &regs, sizeof(regs));

	if (!err)
		err = get_regset(tid, NT_ARM_TLS, &tls, sizeof(tls));
	if (err)
		return err;
	memcpy(out->w, &regs, sizeof(regs));
	out->n = sizeof(regs) / sizeof(out->w[0]);
	out->w[out->n++] = tls;
	out->sp = regs.sp;
	return 0;
}

size_t arch_red_zone(void)
{
	return 0;
}
#endif
