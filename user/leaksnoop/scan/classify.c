// SPDX-License-Identifier: GPL-2.0
/* Leak kinds for a report: scan.c stops the process, the source reads the
 * tables meanwhile, reach.c's verdicts go into the snapshot's blocks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "classify.h"
#include "scan.h"

/* What the scan's callbacks fill: the snapshot of the scan's window. */
struct reading {
	const struct leak_source *source;
	struct leak_snapshot *snap;
	bool have_snap;
	struct leak_scan_log *log;	/* the frees since just before the stop */
	size_t freed_since;		/* blocks at the end of snap, freed after the resume */
	bool from_start;		/* traced from its first instruction */
	struct reach_block *blocks;	/* the user blocks of snap */
	size_t *index;			/* blocks[i] is snap->blocks[index[i]] */
	size_t n;
	struct reach_range *stacks, *owned;	/* regions: scan_input's */
	size_t nr_stacks, nr_owned;
};

static bool log_frees(void *ctx)
{
	struct reading *rd = ctx;

	rd->log = leak_source_log_start(rd->source);
	return rd->log != NULL;
}

/* The regions that are thread stacks, and the allocator's own: the
 * mappings of jemalloc & co. (regions.h), and the brk heap, which only the
 * allocators grow (glibc's main arena, tcmalloc's spans and metadata). */
static void gather_regions(struct reading *rd)
{
	for (size_t i = 0; rd->snap->have_maps && i < rd->snap->maps.n; i++) {
		const struct vma *v = &rd->snap->maps.v[i];

		if (v->kind == VMA_HEAP)
			rd->owned[rd->nr_owned++] = (struct reach_range){ v->start, v->end };
	}
	for (size_t i = 0; i < rd->snap->nr_blocks; i++) {
		const struct leak_block *b = &rd->snap->blocks[i];
		struct reach_range range = { b->addr, b->addr + b->size };

		if (b->key.src == SRC_THREAD_STACK)
			rd->stacks[rd->nr_stacks++] = range;
		else if (b->key.src == SRC_ALLOC_MAP && b->alloc_owned)
			rd->owned[rd->nr_owned++] = range;
	}
}

/* The blocks as they were during w, with what the roots rules need
 * (scan.h's struct scan_input). */
static int read_window(void *ctx, const struct scan_window *w, struct scan_input *in)
{
	struct reading *rd = ctx;
	size_t m;
	int err = rd->log ? leak_source_read_window(rd->source, rd->log, w, rd->snap, &rd->freed_since)
			  : leak_source_read(rd->source, false, rd->snap);

	if (err)
		return err;
	rd->have_snap = true;
	m = rd->snap->nr_blocks ? rd->snap->nr_blocks : 1;
	rd->blocks = malloc(m * sizeof(*rd->blocks));
	rd->index = malloc(m * sizeof(*rd->index));
	rd->stacks = malloc(m * sizeof(*rd->stacks));
	rd->owned = malloc((m + rd->snap->maps.n) * sizeof(*rd->owned));
	if (!rd->blocks || !rd->index || !rd->stacks || !rd->owned)
		return -ENOMEM;
	/* mmap regions are no blocks for valgrind either: their bytes are
	 * roots, but for the stacks and allocator mappings scan.h names */
	for (size_t i = 0; i < rd->snap->nr_blocks; i++) {
		const struct leak_block *b = &rd->snap->blocks[i];

		if (b->key.src != SRC_USER)
			continue;
		rd->blocks[rd->n] = (struct reach_block){ b->addr, b->size };
		rd->index[rd->n++] = i;
	}
	gather_regions(rd);
	*in = (struct scan_input){
		.blocks = rd->blocks, .n = rd->n,
		.stacks = rd->stacks, .nr_stacks = rd->nr_stacks,
		.threads = rd->snap->threads, .nr_threads = rd->snap->nr_threads,
		.threads_known = rd->snap->have_threads,
		.owned = rd->owned, .nr_owned = rd->nr_owned,
		.owned_not_roots = rd->from_start,
	};
	return 0;
}

static int stop_child(void *ctx)
{
	return target_interrupt(ctx);
}

static void resume_child(void *ctx)
{
	target_resume(ctx);
}

static void scan_target_of(const struct classifier *c, bool held, struct scan_target *st)
{
	struct target *t = c->target;

	memset(st, 0, sizeof(*st));
	st->pid = t->pid;
	st->signals = c->signals;
	if (t->child && t->traced) {
		/* leaksnoop holds the command with ptrace already */
		st->traced_tid = t->pid;
		st->traced_held = held;
		st->stop_traced = stop_child;
		st->resume_traced = resume_child;
		st->ctx = t;
	}
}

/* Scans with the snapshot read while stopped; verdicts into snap. */
static int scan_into(struct classifier *c, bool held, struct leak_snapshot *snap,
		     struct leak_scan_meta *meta)
{
	/* a command leaksnoop started is traced from its exec: every block is
	 * in the table */
	struct reading rd = { .source = c->source, .snap = snap, .from_start = c->target->child };
	struct scan_blocks src = { .begin = log_frees, .get = read_window, .ctx = &rd };
	struct scan_target t;
	struct scan_stats st;
	uint8_t *kinds = NULL;
	uint64_t *indirect = NULL;
	size_t n = 0;
	int err;

	scan_target_of(c, held, &t);
	meta->attempted = true;
	err = scan_classify(&t, &src, &kinds, &indirect, &n, &st, meta->why, sizeof(meta->why));
	leak_source_log_stop(rd.log);
	meta->cost = st;
	if (!err) {
		for (size_t i = 0; i < rd.n; i++) {
			snap->blocks[rd.index[i]].kind = kinds[i];
			snap->blocks[rd.index[i]].indirect_bytes = indirect[i];
		}
		meta->done = true;
	}
	/* live while stopped, freed since: scanned as blocks, not reported */
	if (rd.have_snap)
		snap->nr_blocks -= rd.freed_since;
	free(kinds);
	free(indirect);
	free(rd.blocks);
	free(rd.index);
	free(rd.stacks);
	free(rd.owned);
	if (!rd.have_snap)
		return err ? err : -EIO;
	return 0;
}

static void warn_once(struct classifier *c, const struct leak_scan_meta *meta)
{
	if (c->warned || meta->done)
		return;
	c->warned = true;
	fprintf(stderr, "leaksnoop: leak kinds not available: %s; reporting outstanding blocks "
		"without them\n", meta->why);
}

static int verdict_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct held_verdict *)a)->addr, y = ((const struct held_verdict *)b)->addr;

	return x < y ? -1 : x > y;
}

/* The exit hold's verdicts for the blocks of the final snapshot: nothing
 * ran in the process between the two, so the blocks are the same. */
static void apply_held(const struct classifier *c, struct leak_snapshot *snap)
{
	for (size_t i = 0; i < snap->nr_blocks; i++) {
		struct leak_block *b = &snap->blocks[i];
		struct held_verdict want = { .addr = b->addr }, *v;

		if (b->key.src != SRC_USER || !c->nr_held)
			continue;
		v = bsearch(&want, c->held, c->nr_held, sizeof(*v), verdict_cmp);
		if (v) {
			b->kind = v->kind;
			b->indirect_bytes = v->indirect_bytes;
		}
	}
}

int classify_read(struct classifier *c, bool scan, bool exited, struct leak_snapshot *snap,
		  struct leak_scan_meta *meta)
{
	int err;

	memset(meta, 0, sizeof(*meta));
	if (!scan)
		return leak_source_read(c->source, exited, snap);
	if (exited && !c->held_meta.attempted) {
		meta->attempted = true;
		snprintf(meta->why, sizeof(meta->why), "the process exited before it could be "
			 "stopped (with -p it is not held at its exit)");
		warn_once(c, meta);
		return leak_source_read(c->source, exited, snap);
	}
	if (exited) {
		err = leak_source_read(c->source, exited, snap);
		if (err)
			return err;
		*meta = c->held_meta;
		if (meta->done)
			apply_held(c, snap);
		warn_once(c, meta);
		return 0;
	}
	err = scan_into(c, false, snap, meta);
	if (err == -EIO || (err && !meta->done))
		err = leak_source_read(c->source, false, snap);	/* the scan never got to it */
	warn_once(c, meta);
	return err;
}

void classify_at_exit(struct classifier *c)
{
	struct leak_snapshot snap;
	size_t n = 0;

	free(c->held);
	c->held = NULL;
	c->nr_held = 0;
	memset(&c->held_meta, 0, sizeof(c->held_meta));
	if (scan_into(c, true, &snap, &c->held_meta))
		return;
	if (!c->held_meta.done) {
		leak_snapshot_free(&snap);
		return;
	}
	c->held = malloc((snap.nr_blocks ? snap.nr_blocks : 1) * sizeof(*c->held));
	for (size_t i = 0; c->held && i < snap.nr_blocks; i++)
		if (snap.blocks[i].key.src == SRC_USER)
			c->held[n++] = (struct held_verdict){ snap.blocks[i].addr, snap.blocks[i].kind,
							      snap.blocks[i].indirect_bytes };
	c->nr_held = c->held ? n : 0;
	if (n)
		qsort(c->held, n, sizeof(*c->held), verdict_cmp);
	if (!c->held)
		c->held_meta.done = false;
	leak_snapshot_free(&snap);
}

void classify_free(struct classifier *c)
{
	free(c->held);
	c->held = NULL;
	c->nr_held = 0;
}
