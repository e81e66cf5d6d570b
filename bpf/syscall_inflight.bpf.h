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
 *   syscall_enter(&args)                  at sys_enter_X (args from
 *                                         syscall_args); a full table
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
static __always_inline void syscall_enter(const struct syscall_inflight *args) \
{										\
	__u32 tid = (__u32)bpf_get_current_pid_tgid();				\
										\
	if (bpf_map_update_elem(&syscall_inflight, &tid, args, BPF_ANY))	\
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

/* What the exit needs of a kind's arguments (a0..a2, however the caller's
 * tracepoint hands them over), read at its entry: mmap's address is its
 * return value; brk's argument is the new break, and the exit needs the
 * old one. */
static __always_inline void syscall_args(struct syscall_inflight *s, __u64 kind,
					 __u64 a0, __u64 a1, __u64 a2)
{
	s->kind = kind;
	s->addr = s->len = s->len2 = 0;
	switch (kind) {
	case SYSCALL_MMAP:
		s->len = a1;
		break;
	case SYSCALL_MUNMAP:
		s->addr = a0;
		s->len = a1;
		break;
	case SYSCALL_MREMAP:	/* old address, old length, new length */
		s->addr = a0;
		s->len = a1;
		s->len2 = a2;
		break;
	case SYSCALL_BRK:
		s->addr = current_brk();
		break;
	}
}

/* The sys_enter_<sc> program on_enter_<sc>, calling begin(ctx, &args) with
 * the syscall's arguments (kind: its enum syscall_kind); begin decides
 * whether to syscall_enter() them. */
#define MMSCOPE_SYSCALL_ENTER_HOOK(sc, kind, begin)				\
SEC("tracepoint/syscalls/sys_enter_" #sc)					\
int on_enter_##sc(struct trace_event_raw_sys_enter *ctx)			\
{										\
	struct syscall_inflight args;						\
										\
	syscall_args(&args, kind, ctx->args[0], ctx->args[1], ctx->args[2]);	\
	begin(ctx, &args);							\
	return 0;								\
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
