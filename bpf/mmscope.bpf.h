/* SPDX-License-Identifier: GPL-2.0 */
/* BPF-side helpers both tools' programs use. Include after vmlinux.h and
 * the libbpf headers. */
#ifndef MMSCOPE_BPF_H
#define MMSCOPE_BPF_H

#define MAX_ERRNO 4095

/* A syscall's return value is an error when it is in [-4095, -1]. */
static __always_inline bool syscall_failed(long ret)
{
	return (unsigned long)ret >= (unsigned long)-MAX_ERRNO;
}

/* The current process's program break: what brk moved from. */
static __always_inline unsigned long current_brk(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mm_struct *mm = task->mm;

	return mm ? mm->brk : 0;
}

#endif
