/* SPDX-License-Identifier: GPL-2.0 */
/* kfree_rcu()'s batched frees, which no kmem tracepoint shows: the hook
 * that watches them (bpf/kfree_batch.bpf.h) and the drain before a report. */
#ifndef LEAKSNOOP_KFREE_BATCH_H
#define LEAKSNOOP_KFREE_BATCH_H

struct loader;
struct leaksnoop_bpf;

/* Before load: whether this kernel lets the batches be watched (else
 * l->batch_why says why, in --kernel mode) and by which variant. */
void kfree_batch_configure(struct loader *l);
/* After load, with l->ksyms: the hook. -1 after printing why when
 * attaching failed; a kernel without the means is not an error. */
int kfree_batch_attach(struct loader *l);
/* Takes out of the kernel table the blocks kfree_rcu() has queued but not
 * freed yet (every CPU's pending pages): before a report reads it, when
 * l->batch_frees. 0 or -errno. */
int kfree_batch_drain(struct leaksnoop_bpf *s);

#endif
