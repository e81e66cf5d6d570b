/* SPDX-License-Identifier: GPL-2.0 */
/* leaksnoop.bpf.c's x86-64 registers and system calls (its arm64 twin:
 * leaksnoop_arm64.h; each builds for its __TARGET_ARCH only). */
#ifndef LEAKSNOOP_X86_H
#define LEAKSNOOP_X86_H
#if defined(__TARGET_ARCH_x86)

/* The probe site's general registers, by pt_regs slot (LS_COOKIE,
 * user/leaksnoop/probes/probe_site.h): loaded one by one, since a ctx load
 * at a computed offset is refused by the verifier (clang folds a switch
 * over the fields into one). */
static __always_inline void uregs_load(struct uregs *u, struct pt_regs *ctx)
{
	u->r[0] = ctx->r15;
	u->r[1] = ctx->r14;
	u->r[2] = ctx->r13;
	u->r[3] = ctx->r12;
	u->r[4] = ctx->bp;
	u->r[5] = ctx->bx;
	u->r[6] = ctx->r11;
	u->r[7] = ctx->r10;
	u->r[8] = ctx->r9;
	u->r[9] = ctx->r8;
	u->r[10] = ctx->ax;
	u->r[11] = ctx->cx;
	u->r[12] = ctx->dx;
	u->r[13] = ctx->si;
	u->r[14] = ctx->di;
	u->r[15] = 0;
}

/* the SysV argument registers' slots, for the fixed (cookie-less) programs */
#define ARG0_SLOT	14	/* rdi */
#define ARG1_SLOT	13	/* rsi */
#define ARG2_SLOT	12	/* rdx */

#define NR_MMAP_	9	/* x86-64 syscall numbers (uapi macros, not in BTF) */
#define NR_MUNMAP_	11
#define NR_BRK_		12
#define NR_MREMAP_	25
#define USER_CS_64	0x33	/* __USER_CS: a 32-bit task's numbers mean other calls */

/* a 64-bit task's system call (a 32-bit one's numbers mean other calls) */
static __always_inline bool native_syscall(const struct pt_regs *regs)
{
	return BPF_CORE_READ(regs, cs) == USER_CS_64;
}

/* at sys_exit: which system call it was */
static __always_inline long syscall_nr(const struct pt_regs *regs)
{
	return BPF_CORE_READ(regs, orig_ax);
}

/* At mmap's syscall instruction, who called mmap(): libc's wrapper keeps
 * no frame, so [rsp] is its return address. 0 if unreadable. */
static __always_inline __u64 mmap_caller(const struct pt_regs *regs)
{
	__u64 ret;

	if (bpf_probe_read_user(&ret, sizeof(ret), (void *)BPF_CORE_READ(regs, sp)))
		return 0;
	return ret;
}

#endif
#endif
