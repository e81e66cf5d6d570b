// SPDX-License-Identifier: GPL-2.0
/* kfree_rcu()'s batched frees (bpf/kfree_batch.bpf.h): whether this kernel
 * lets leaksnoop watch them, and the hook on the workqueue tracepoint that
 * does. Without it, every block freed through kfree_rcu stays in the table
 * and would be called outstanding: the report then leans on the slab
 * cross-check (slab_check.c) alone. */
#include <stdio.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include "attach.h"
#include "config.h"
#include "feature_probe.h"
#include "kfree_batch.h"
#include "symbolize.h"
#include "leaksnoop.h"
#include "leaksnoop.skel.h"

/* Why the batches cannot be watched here, or NULL when they can: bpf_loop
 * (5.17+), kfree_rcu's list_head layout (6.2+), the workqueue tracepoint. */
static const char *kfree_batch_missing(void)
{
	if (!tp_btf_exists("workqueue_execute_start"))
		return "no workqueue_execute_start tracepoint";
	if (!btf_member_is_array_of("kfree_rcu_cpu", "bulk_head", "list_head") ||
	    !btf_member_is_array_of("kfree_rcu_cpu_work", "bulk_head_free", "list_head"))
		return "kfree_rcu's per-CPU lists are not list_heads (before 6.2)";
	if (!bpf_helper_exists(BPF_FUNC_loop))
		return "no bpf_loop (before 5.17)";
	return NULL;
}

void kfree_batch_configure(struct loader *l)
{
	struct leaksnoop_bpf *s = l->skel;
	const char *why = l->cfg->kernel ? kfree_batch_missing() : "";

	bpf_program__set_autoattach(s->progs.drain_kfree_batches, false);
	if (why) {
		bpf_program__set_autoload(s->progs.on_workqueue_start, false);
		bpf_program__set_autoload(s->progs.on_workqueue_start_raw, false);
		bpf_program__set_autoload(s->progs.drain_kfree_batches, false);
		if (l->cfg->kernel)
			snprintf(l->batch_why, sizeof(l->batch_why), "%s", why);
		return;
	}
	bpf_map__set_max_entries(s->maps.krcps, (__u32)libbpf_num_possible_cpus());
	prog_pick(s->progs.on_workqueue_start, s->progs.on_workqueue_start_raw,
		  tp_btf_usable("workqueue_execute_start", 1, false));
}

int kfree_batch_attach(struct loader *l)
{
	struct leaksnoop_bpf *s = l->skel;
	struct bpf_program *p = bpf_program__autoload(s->progs.on_workqueue_start) ?
				s->progs.on_workqueue_start : s->progs.on_workqueue_start_raw;

	if (!bpf_program__autoload(p))
		return 0;
	s->bss->krc_monitor_fn = l->ksyms ? ksyms_address(l->ksyms, "kfree_rcu_monitor") : 0;
	s->bss->krc_work_fn = l->ksyms ? ksyms_address(l->ksyms, "kfree_rcu_work") : 0;
	if (!s->bss->krc_monitor_fn || !s->bss->krc_work_fn) {
		snprintf(l->batch_why, sizeof(l->batch_why), "kfree_rcu_monitor or kfree_rcu_work "
			 "not in /proc/kallsyms");
		return 0;
	}
	if (add_link(l, bpf_program__attach(p), "workqueue_execute_start"))
		return -1;
	l->batch_frees = true;
	if (l->cfg->verbose)
		fprintf(stderr, "leaksnoop: kfree_rcu batches watched (workqueue_execute_start)\n");
	return 0;
}

int kfree_batch_drain(struct leaksnoop_bpf *s)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	return bpf_prog_test_run_opts(bpf_program__fd(s->progs.drain_kfree_batches), &opts);
}
