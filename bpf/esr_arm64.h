/* SPDX-License-Identifier: GPL-2.0 */
/* arm64's Exception Syndrome Register of a user fault, as faulttop's access
 * bits (PF_* in faulttop.h). Plain C: the BPF side calls it on
 * task->thread.fault_code, and a unit test on any machine checks it.
 *
 * arm64 keeps a fault's ESR only where it raises a signal for it
 * (set_thread_esr() in arch/arm64/mm/fault.c, just before
 * arm64_force_sig_fault(): so it is fresh when signal_generate fires) and
 * keeps it whole for a user address. An ordinary fault's ESR is a function
 * argument and nowhere a BPF program can read it. The bits used
 * (arch/arm64/include/asm/esr.h, Arm ARM D17.2.37):
 *   EC, bits 31:26: 0x20 instruction abort, 0x24 data abort, from EL0;
 *   WnR, bit 6 (data aborts): the access was a write;
 *   CM, bit 8 (data aborts): a cache maintenance instruction, which
 *     reports WnR=1 but is no write (the kernel's is_write_abort());
 *   FSC, bits 5:0: 0b0011xx permission fault (the page was present),
 *     0b0001xx translation fault (it was not), others (access flag,
 *     tag check, external abort) neither. */
#ifndef MMSCOPE_ESR_ARM64_H
#define MMSCOPE_ESR_ARM64_H

#include "faulttop.h"

#define ESR_EC_SHIFT		26
#define ESR_EC_MASK		0x3fU
#define ESR_EC_IABT_LOW		0x20U
#define ESR_EC_DABT_LOW		0x24U
#define ESR_WNR			(1U << 6)
#define ESR_CM			(1U << 8)
#define ESR_FSC_MASK		0x3fU
#define ESR_FSC_TYPE_MASK	0x3cU
#define ESR_FSC_PERM		0x0cU

/* PF_* bits for an ESR; 0 (PF_USER clear: not known) for an exception
 * that is no instruction or data abort from user space. */
static inline __u32 esr_access_bits(__u64 esr)
{
	__u32 ec = (__u32)(esr >> ESR_EC_SHIFT) & ESR_EC_MASK;
	__u32 bits = PF_USER;

	if (ec == ESR_EC_IABT_LOW)
		bits |= PF_INSTR;
	else if (ec != ESR_EC_DABT_LOW)
		return 0;
	else if ((esr & ESR_WNR) && !(esr & ESR_CM))
		bits |= PF_WRITE;
	if ((esr & ESR_FSC_TYPE_MASK) == ESR_FSC_PERM)
		bits |= PF_PROT;
	return bits;
}

#endif
