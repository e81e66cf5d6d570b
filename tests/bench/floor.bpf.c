// SPDX-License-Identifier: GPL-2.0
/* The kernel benchmark's floor, outside the production object: empty
 * programs on the four kmem tracepoints leaksnoop --kernel uses (tp_btf, as
 * leaksnoop attaches them) — what any tracer of these events pays before it
 * does anything. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/kmalloc")
int BPF_PROG(empty_kmalloc)
{
	return 0;
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(empty_kmem_cache_alloc)
{
	return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(empty_kfree)
{
	return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(empty_kmem_cache_free)
{
	return 0;
}
