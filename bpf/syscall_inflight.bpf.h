/* SPDX-License-Identifier: GPL-2.0 */
/* One syscall of interest in flight per thread, from its sys_enter_X
 * tracepoint to its sys_exit_X: what the exit needs of the entry's
 * arguments (the exit sees only the return value). Both tools use it for
 * mmap/munmap/mremap/brk. Include after mmscope.bpf.h. */
#ifndef MMSCOPE_SYSCALL_INFLIGHT_BPF_H
#define MMSCOPE_SYSCALL_INFLIGHT_BPF_H

enum syscall_kind {
	SYSCALL_NONE,
	SYSCALL_MMAP,
	SYSCALL_MUNMAP,
	SYSCALL_MREMAP,
	SYSCALL_BRK,	/* addr: the break before; the exit's ret is the new one */
};

struct syscall_inflight {
	__u64 kind;		/* enum syscall_kind */
	__u64 addr, len, len2;	/* the syscall's own arguments, as it names them */
};

/* Defines the map syscall_inflight (max_threads slots) and:
 *   syscall_enter(kind, addr, len, len2)  at sys_enter_X; a full table
 *                                         counts in stat slot full_stat;
 *   syscall_exit(&out)                    at sys_exit_X: true and the
 *                                         entry's record, once;
 *   syscall_forget(tid)                   when a thread is gone.
 * A slot stays (kind NONE) between calls: no insert and delete per call. */
#define MMSCOPE_SYSCALL_INFLIGHT(max_threads, full_stat)			\
struct {									\
	__uint(type, BPF_MAP_TYPE_HASH);					\
	__uint(max_entries, max_threads);					\
	__type(key, __u32);							\
	__type(value, struct syscall_inflight);					\
} syscall_inflight SEC(".maps");						\
										\
static __always_inline void syscall_enter(__u64 kind, __u64 addr, __u64 len, __u64 len2) \
{										\
	__u32 tid = (__u32)bpf_get_current_pid_tgid();				\
	struct syscall_inflight s = {						\
		.kind = kind, .addr = addr, .len = len, .len2 = len2,		\
	};									\
										\
	if (bpf_map_update_elem(&syscall_inflight, &tid, &s, BPF_ANY))		\
		stat_add(full_stat, 1);						\
}										\
										\
static __always_inline bool syscall_exit(struct syscall_inflight *out)		\
{										\
	__u32 tid = (__u32)bpf_get_current_pid_tgid();				\
	struct syscall_inflight *s = bpf_map_lookup_elem(&syscall_inflight, &tid); \
										\
	if (!s || s->kind == SYSCALL_NONE)					\
		return false;							\
	*out = *s;								\
	s->kind = SYSCALL_NONE;							\
	return true;								\
}										\
										\
static __always_inline void syscall_forget(__u32 tid)				\
{										\
	bpf_map_delete_elem(&syscall_inflight, &tid);				\
}

/* The sys_exit_<sc> program on_exit_<sc>, calling done(ctx, ret). */
#define MMSCOPE_SYSCALL_EXIT_HOOK(sc, done)					\
SEC("tracepoint/syscalls/sys_exit_" #sc)					\
int on_exit_##sc(struct trace_event_raw_sys_exit *ctx)				\
{										\
	done(ctx, ctx->ret);							\
	return 0;								\
}

#endif
