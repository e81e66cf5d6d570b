/* SPDX-License-Identifier: GPL-2.0 */
/* leaksnoop.bpf.c's arm64 registers and system calls (its x86-64 twin:
 * leaksnoop_x86.h; each builds for its __TARGET_ARCH only). */
#ifndef LEAKSNOOP_ARM64_H
#define LEAKSNOOP_ARM64_H
#if defined(__TARGET_ARCH_arm64)

/* The probe site's general registers, by pt_regs slot: slot n is xn
 * (user/leaksnoop/probes/probe_site.h). Slots 0..14 only: the chooser never
 * reads an argument from a higher one (SITE_READABLE_SLOTS). */
static __always_inline void uregs_load(struct uregs *u, struct pt_regs *ctx)
{
#pragma unroll
	for (int i = 0; i < 15; i++)
		u->r[i] = ctx->regs[i];
	u->r[15] = 0;
}

/* AAPCS64's argument registers, for the fixed (cookie-less) programs */
#define ARG0_SLOT	0	/* x0 */
#define ARG1_SLOT	1	/* x1 */
#define ARG2_SLOT	2	/* x2 */

#define NR_MMAP_	222	/* the generic syscall numbers (asm-generic/unistd.h) */
#define NR_MUNMAP_	215
#define NR_BRK_		214
#define NR_MREMAP_	216
#define PSR_MODE32_BIT_	0x10	/* pstate of an AArch32 (compat) task */

/* a 64-bit task's system call (an AArch32 one's numbers mean other calls) */
static __always_inline bool native_syscall(const struct pt_regs *regs)
{
	return !(BPF_CORE_READ(regs, pstate) & PSR_MODE32_BIT_);
}

/* at sys_exit: which system call it was */
static __always_inline long syscall_nr(const struct pt_regs *regs)
{
	return BPF_CORE_READ(regs, syscallno);
}

/* At mmap's svc, who called mmap(): libc's wrapper is a leaf, so the
 * return address is still in x30. */
static __always_inline __u64 mmap_caller(const struct pt_regs *regs)
{
	return BPF_CORE_READ(regs, regs[30]);
}

#endif
#endif
