/* SPDX-License-Identifier: GPL-2.0 */
/* Frees the kmem tracepoints don't show: kfree_rcu()'s batches.
 *
 * kfree_rcu(p, rcu) (kvfree_call_rcu, mm/slab_common.c since 6.14,
 * kernel/rcu/tree.c before) stores p in a per-CPU page of pointers (a
 * struct kvfree_rcu_bulk_data: nr_records, records[]) on krcp->bulk_head[0];
 * after a grace period the pages are handed to kfree_bulk(), which frees
 * every object with no kmem:kfree/kmem_cache_free event (on 6.18, 20,000
 * epoll items closed gave 20,011 kmem_cache_alloc events and 3 frees). The
 * pages are freed from two work items, whose start the workqueue tracepoint
 * shows with the work as argument:
 *   kfree_rcu_monitor(&krcp->monitor_work.work): frees the pages of
 *     krcp->bulk_head[] whose grace period has passed, queues the rest to
 *     an idle krcp->krw_arr[i].bulk_head_free[];
 *   kfree_rcu_work(&krwp->rcu_work.work): frees krwp->bulk_head_free[].
 * So a pointer on either list at its work's start was given up by its owner
 * and is freed within that work or a later one: its block leaves kallocs
 * here. (The third channel, objects chained through their rcu_head when no
 * page could be had, ends in kvfree(): a kfree event.) Channel 1 holds
 * vmalloc pointers, which leaksnoop does not track.
 *
 * Needs bpf_loop (5.17+) and the list_head layout (6.2+); user space loads
 * the hook only then (kfree_batch.c) and says when it could not. */
#ifndef MMSCOPE_KFREE_BATCH_BPF_H
#define MMSCOPE_KFREE_BATCH_BPF_H

/* kallsyms addresses of the two work functions, set by user space before
 * the hook is attached (0: that work is not looked at) */
__u64 krc_monitor_fn, krc_work_fn;

/* every CPU's struct kfree_rcu_cpu seen by the hook (see drain_kfree_batches);
 * sized to the possible CPUs by user space */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u8);
} krcps SEC(".maps");

/* The walk's bound, in steps of one pointer or one page: 2^20 pointers are
 * ~2,000 pages, far beyond the lists seen (a page holds 509 pointers;
 * 20,000 frees in the 5 s between monitor runs fill 40 pages). One pointer
 * per step, not a chunk: the verifier then checks the step once. */
#define KRC_MAX_STEPS	(1 << 20)
#define KRC_MAX_RECORDS	4096		/* a page of pointers holds fewer */

struct krc_walk {
	__u64 head;		/* the list's head: the walk ends back there */
	__u64 node;		/* the kvfree_rcu_bulk_data being read; 0: next one */
	__u64 next;		/* the next list_head to enter */
	__u64 idx, nr;		/* records read, records in node */
};

/* One step: enter the next page, or look at one pointer of this one. */
static int krc_step(__u32 i, struct krc_walk *w)
{
	__u64 off_recs = bpf_core_field_offset(struct kvfree_rcu_bulk_data, records);
	__u64 p;

	if (!w->node) {
		struct kvfree_rcu_bulk_data *b;

		if (!w->next || w->next == w->head)
			return 1;
		b = (void *)(w->next - bpf_core_field_offset(struct kvfree_rcu_bulk_data, list));
		w->nr = BPF_CORE_READ(b, nr_records);
		w->idx = 0;
		w->node = (__u64)b;
		w->next = (__u64)BPF_CORE_READ(b, list.next);
		if (w->nr > KRC_MAX_RECORDS)
			w->nr = 0;	/* not a page of pointers: skip it */
		if (!w->nr)
			w->node = 0;
		return 0;
	}
	if (bpf_probe_read_kernel(&p, sizeof(p), (void *)(w->node + off_recs + w->idx * 8)))
		return 1;
	if (p > ZERO_SIZE_PTR && bpf_map_lookup_elem(&kallocs, &p))
		stat_add(bpf_map_delete_elem(&kallocs, &p) ? STAT_FREE_BUSY : STAT_BATCH_FREE, 1);
	if (++w->idx >= w->nr)
		w->node = 0;
	return 0;
}

/* Every slab pointer on the list at head (a list_head of bulk pages). */
static __always_inline void krc_walk_list(struct list_head *head)
{
	struct krc_walk w = { .head = (__u64)head };

	w.next = (__u64)BPF_CORE_READ(head, next);
	bpf_loop(KRC_MAX_STEPS, krc_step, &w, 0);
}

static __always_inline void krc_seen(struct kfree_rcu_cpu *krcp)
{
	__u64 k = (__u64)krcp;
	__u8 one = 1;

	if (k && !bpf_map_lookup_elem(&krcps, &k))
		bpf_map_update_elem(&krcps, &k, &one, BPF_NOEXIST);
}

static __always_inline int workqueue_start_hook(__u64 *ctx, bool btf)
{
	struct work_struct *work = (struct work_struct *)ctx[0];
	__u64 fn = (__u64)COMPAT_READ(btf, work, func);

	if (!fn || (fn != krc_monitor_fn && fn != krc_work_fn))
		return 0;
	if (fn == krc_monitor_fn) {
		struct kfree_rcu_cpu *krcp = (void *)work -
			bpf_core_field_offset(struct kfree_rcu_cpu, monitor_work.work);

		krc_walk_list(&krcp->bulk_head[0]);
		krc_seen(krcp);
	} else {
		struct kfree_rcu_cpu_work *krwp = (void *)work -
			bpf_core_field_offset(struct kfree_rcu_cpu_work, rcu_work.work);

		krc_walk_list(&krwp->bulk_head_free[0]);
		krc_seen(BPF_CORE_READ(krwp, krcp));
	}
	return 0;
}
COMPAT_TP_HOOK("workqueue_execute_start", on_workqueue_start, workqueue_start_hook)

/* The pages not yet handed to a work: a kfree_rcu() of the last few
 * seconds waits up to KFREE_DRAIN_JIFFIES (5 s) on krcp->bulk_head for the
 * monitor, then for a grace period on krw_arr[].bulk_head_free. Its owner
 * has let go of it: before each report, user space runs this (test run of
 * a raw_tp program) over every krc seen so far, so no such block is
 * reported. The per-CPU krc itself cannot be found otherwise: it is not in
 * kallsyms (no CONFIG_KALLSYMS_ALL), so a typed __ksym fails to load. */
static int krc_drain_one(void *map, const __u64 *krcp_addr, __u8 *unused, void *ctx)
{
	struct kfree_rcu_cpu *krcp = (void *)*krcp_addr;

	krc_walk_list(&krcp->bulk_head[0]);
	krc_walk_list(&krcp->krw_arr[0].bulk_head_free[0]);
	krc_walk_list(&krcp->krw_arr[1].bulk_head_free[0]);
	return 0;
}

SEC("raw_tp")
int drain_kfree_batches(void *ctx)
{
	bpf_for_each_map_elem(&krcps, krc_drain_one, NULL, 0);
	return 0;
}

#endif
