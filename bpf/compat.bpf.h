/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel differences, 5.10 to the newest, in one place. Include after
 * vmlinux.h and the libbpf headers.
 *
 * A hook that differs between kernels is written once, as an
 * __always_inline body (ctx, bool btf), and COMPAT_TP_HOOK instantiates it
 * twice:
 *
 *   SEC("tp_btf/X")  on_X      btf = true:  arguments are trusted BTF
 *                               pointers, fields are plain loads, and
 *                               bpf_get_current_task_btf() (5.11+) works;
 *   SEC("raw_tp/X")  on_X_raw  btf = false: the same arguments (raw_tp,
 *                               4.17+), every field read through CO-RE
 *                               (bpf_probe_read_kernel), bpf_get_current_task().
 *
 * The constant folds away the other branch, so each program holds only
 * what its kernel must accept. User space loads one of the two
 * (tp_btf_usable() in feature_probe.h, then prog_pick()): tp_btf where the
 * kernel allows it (a tp_btf program may read a `const void *` argument
 * only since ~6.16, and 5.10 lacks the BTF task helper), raw_tp elsewhere.
 * A plain load costs about a tenth of a probe read, which is why tp_btf
 * stays the first choice on the hot paths (page faults, kmalloc). */
#ifndef MMSCOPE_COMPAT_BPF_H
#define MMSCOPE_COMPAT_BPF_H

/* Hook name on tracepoint tp (a string), as tp_btf (name) and raw_tp
 * (name_raw), each returning body(ctx, btf); ctx holds the tracepoint's
 * arguments as u64s, what BPF_PROG() would unpack. */
#define COMPAT_TP_HOOK(tp, name, body)						\
SEC("tp_btf/" tp)								\
int name(__u64 *ctx)								\
{										\
	return body(ctx, true);							\
}										\
										\
SEC("raw_tp/" tp)								\
int name##_raw(__u64 *ctx)							\
{										\
	return body(ctx, false);						\
}

/* p->field: a plain load from a trusted pointer (btf), a CO-RE probe read
 * otherwise. btf must be a compile-time constant after inlining. */
#define COMPAT_READ(btf, p, field) ((btf) ? (p)->field : BPF_CORE_READ(p, field))

/* The current task, as a trusted pointer (btf) or one to read with CO-RE. */
static __always_inline struct task_struct *compat_current_task(bool btf)
{
	if (btf)
		return bpf_get_current_task_btf();
	return (struct task_struct *)bpf_get_current_task();
}

/* x86-64: a task's kernel stack is THREAD_SIZE (16 KiB, 4 pages; 32 KiB
 * only with KASAN, which no distribution kernel enables) and its user
 * registers sit at the top (TOP_OF_KERNEL_STACK_PADDING is 0 on x86-64):
 * what bpf_task_pt_regs() (5.15+) returns, computed for older kernels.
 * arm64 is the same: THREAD_SIZE 16 KiB with 4 KiB pages and no KASAN
 * (Debian's kernels), task_pt_regs() at its top with no padding;
 * sizeof(struct pt_regs) comes from the arch's vmlinux.h. */
#define COMPAT_THREAD_SIZE	(4UL * 4096)

static __always_inline struct pt_regs *compat_task_pt_regs(bool btf, struct task_struct *task)
{
	void *stack;

	if (btf)
		return (struct pt_regs *)bpf_task_pt_regs(task);
	stack = BPF_CORE_READ(task, stack);
	if (!stack)
		return NULL;
	return (struct pt_regs *)(stack + COMPAT_THREAD_SIZE) - 1;
}

/* 5.10's kmem tracepoints (kmem_alloc class) carry no struct kmem_cache:
 * kmem_cache_alloc(call_site, ptr, bytes_req, bytes_alloc, gfp) and
 * kmem_cache_free(call_site, ptr); from 5.12/6.1 on they carry the cache,
 * whose size and name are read from it. Which layout the kernel has
 * is told by user space (the tracepoint's prototype in the kernel's BTF),
 * which loads the matching program. */

#endif
