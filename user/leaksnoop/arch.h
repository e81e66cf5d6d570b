/* SPDX-License-Identifier: GPL-2.0 */
/* What leaksnoop reads of the machine it runs on, one file per
 * architecture (arch_x86.c, arch_arm64.c: each one's body builds only on
 * its machine). The instruction-set rules that unit tests run against
 * foreign ELF files are elsewhere (probe_site_*.c), always built. */
#ifndef LEAKSNOOP_ARCH_H
#define LEAKSNOOP_ARCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* x86-64's user_regs_struct is 27 words; arm64's 34 plus TPIDR_EL0 */
#define ARCH_REG_WORDS	40

struct thread_regs {
	uint64_t w[ARCH_REG_WORDS];	/* every general register and the thread
					 * pointer: each a possible root */
	size_t n;
	uint64_t sp;			/* the stack pointer */
};

/* The e_machine of the ELF files this build runs (EM_X86_64, EM_AARCH64). */
uint16_t arch_elf_machine(void);

/* A ptrace-stopped thread's registers: 0 or -errno. */
int arch_thread_regs(pid_t tid, struct thread_regs *out);

/* Bytes below the stack pointer a leaf function may still use: live data
 * the scan must read (x86-64 SysV: the 128-byte red zone; AAPCS64 on
 * Linux has none). */
size_t arch_red_zone(void);

#endif
