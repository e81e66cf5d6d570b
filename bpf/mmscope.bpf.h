/* SPDX-License-Identifier: GPL-2.0 */
/* BPF-side helpers both tools' programs use. Include after vmlinux.h and
 * the libbpf headers. */
#ifndef MMSCOPE_BPF_H
#define MMSCOPE_BPF_H

#define MAX_ERRNO 4095

/* Health counters (drops, full tables...): a per-CPU array with one u64
 * slot per value of the tool's own enum, up to nr; user space sums it with
 * percpu_array_sum(). Defines the map `stats` and stat_add(). */
#define MMSCOPE_STATS_MAP(nr)							\
struct {									\
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);				\
	__uint(max_entries, nr);						\
	__type(key, __u32);							\
	__type(value, __u64);							\
} stats SEC(".maps");								\
										\
static __always_inline void stat_add(__u32 which, __u64 n)			\
{										\
	__u64 *v = bpf_map_lookup_elem(&stats, &which);				\
										\
	if (v)									\
		*v += n;							\
}

/* The value of key in a hash map, created from init when absent; NULL if
 * the map is full (the caller counts that). -EEXIST because another CPU
 * created it in between is fine: the lookup after finds it. */
static __always_inline void *map_lookup_or_init(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/* A syscall's return value is an error when it is in [-4095, -1]. */
static __always_inline bool syscall_failed(long ret)
{
	return (unsigned long)ret >= (unsigned long)-MAX_ERRNO;
}

/* The current process's program break: what brk moved from. From a
 * classic tracepoint, so no BTF task helper (5.11+): a CO-RE read, once
 * per brk call. */
static __always_inline unsigned long current_brk(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, mm, brk);
}

#endif
