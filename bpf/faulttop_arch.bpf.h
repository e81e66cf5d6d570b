/* SPDX-License-Identifier: GPL-2.0 */
/* What faulttop's BPF side reads differently on each architecture: a
 * fault's access kind, as PF_* bits (faulttop.h). Include after vmlinux.h
 * and the libbpf headers. The rest of faulttop.bpf.c is the same on both:
 * page_fault_user is x86-only, and where it is missing user space runs the
 * region classification on the perf fault events instead (no access kind
 * there on any architecture). */
#ifndef MMSCOPE_FAULTTOP_ARCH_BPF_H
#define MMSCOPE_FAULTTOP_ARCH_BPF_H

#include "faulttop.h"

#define SI_KERNEL_CODE	0x80	/* si_code SI_KERNEL: the kernel's own, no fault */

#if defined(__TARGET_ARCH_x86)

/* x86 keeps the faulting access's error code for the signal
 * (set_signal_archinfo): its bits are PF_* as they are. 0 where the field
 * doesn't exist. */
static __always_inline __u32 signal_access_bits(struct task_struct *task, int si_code)
{
	(void)si_code;
	if (bpf_core_field_exists(task->thread.error_code))
		return (__u32)BPF_CORE_READ(task, thread.error_code);
	return 0;
}

#elif defined(__TARGET_ARCH_arm64)

#include "esr_arm64.h"

/* arm64 keeps the fault's ESR for the signal (set_thread_esr, just before
 * the signal is forced). A signal that no fault raised — sent by kill or
 * tgkill (si_code <= 0), or SI_KERNEL — would find an older fault's ESR
 * there: not known. */
static __always_inline __u32 signal_access_bits(struct task_struct *task, int si_code)
{
	if (si_code <= 0 || si_code >= SI_KERNEL_CODE)
		return 0;
	return esr_access_bits(BPF_CORE_READ(task, thread.fault_code));
}

#else
#error "faulttop: no access decoding for this architecture (x86 and arm64 only)"
#endif

#endif
