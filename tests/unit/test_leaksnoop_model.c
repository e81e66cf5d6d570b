// SPDX-License-Identifier: GPL-2.0
/* leaksnoop's model on synthetic snapshots: filters, grouping, totals and
 * derived kernel frees, growth between reports, ranking, frames; and the
 * renderers on a built report. Expected figures are worked out by hand from
 * the blocks each test lays down. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "render.h"
#include "unit.h"

#define MS 1000000ULL
#define NOW (10000 * MS)	/* the snapshot is read 10 s after boot */
#define START (1000 * MS)	/* tracing began at 1 s */

static const struct leak_model_config cfg_default = { .older_than_ms = 500, .top = 20 };

static struct ls_agg_key ukey(int32_t stack)
{
	return (struct ls_agg_key){ .stack_id = stack, .src = SRC_USER };
}

static void add_block(struct leak_snapshot *s, struct ls_agg_key key, uint64_t addr,
		      uint64_t size, uint64_t age_ms)
{
	struct leak_block b = { .addr = addr, .size = size, .ts = NOW - age_ms * MS, .key = key };

	CHECK(leak_snapshot_add_block(s, &b) == 0);
}

static void add_total(struct leak_snapshot *s, struct ls_agg_key key, uint64_t ab, uint64_t ac,
		      uint64_t fb, uint64_t fc)
{
	struct leak_total t = { .key = key, .agg = { ab, ac, fb, fc } };

	CHECK(leak_snapshot_add_total(s, &t) == 0);
}

static int build(struct leak_report *r, const struct leak_snapshot *s,
		 const struct leak_model_config *cfg, const struct leak_history *h, bool exited)
{
	struct leak_report_meta meta = { .pid = 42, .comm = "w", .final = true, .exited = exited };

	return leak_report_build(r, s, cfg, h, &meta);
}

static const struct leak_record *find_stack(const struct leak_report *r, uint32_t src, int32_t id)
{
	for (size_t i = 0; i < r->nr_records; i++)
		if (r->records[i].key.src == src && r->records[i].key.stack_id == id)
			return &r->records[i];
	return NULL;
}

static void test_groups_blocks_by_stack_and_keeps_their_addresses(void)
{
	struct leak_snapshot s = { .now_ns = NOW };
	struct leak_history h = { .start_ns = START };
	struct leak_report r;
	const struct leak_record *a, *b;

	add_block(&s, ukey(7), 0x3000, 100, 1000);
	add_block(&s, ukey(9), 0x1000, 4000, 2000);
	add_block(&s, ukey(7), 0x2000, 50, 3000);
	CHECK(build(&r, &s, &cfg_default, &h, false) == 0);
	CHECK_U64(r.nr_records, 2);
	CHECK_U64(r.nr_blocks, 3);
	/* largest first within the source */
	CHECK(r.records[0].key.stack_id == 9);
	a = find_stack(&r, SRC_USER, 7);
	b = find_stack(&r, SRC_USER, 9);
	CHECK(a && b);
	if (a && b) {
		CHECK_U64(a->bytes, 150);
		CHECK_U64(a->blocks, 2);
		CHECK_U64(a->oldest_ts, NOW - 3000 * MS);
		CHECK_U64(a->rank, 2);
		CHECK_U64(b->rank, 1);
		/* the record's blocks, each with its address (for a scan) */
		CHECK_U64(a->block_count, 2);
		CHECK_U64(r.blocks[a->block_first].addr, 0x2000);
		CHECK_U64(r.blocks[a->block_first + 1].addr, 0x3000);
		CHECK_U64(r.blocks[b->block_first].size, 4000);
	}
	CHECK_U64(r.summary[SRC_USER].out_bytes, 4150);
	CHECK_U64(r.summary[SRC_USER].out_blocks, 3);
	CHECK_U64(r.summary[SRC_USER].records, 2);
	CHECK(r.meta.elapsed_s > 8.99 && r.meta.elapsed_s < 9.01);
	leak_report_free(&r);
	leak_snapshot_free(&s);
}

static void test_filters_count_what_they_leave_out(void)
{
	struct leak_snapshot s = { .now_ns = NOW };
	struct leak_history h = { .start_ns = START };
	struct leak_model_config cfg = cfg_default;
	struct ls_agg_key region = { .stack_id = 3, .src = SRC_MMAP };
	struct leak_report r;

	cfg.min_size = 10;
	cfg.max_size = 1000;
	add_block(&s, ukey(1), 0x1000, 5, 1000);	/* too small */
	add_block(&s, ukey(1), 0x1100, 5000, 1000);	/* too big */
	add_block(&s, ukey(1), 0x1200, 100, 100);	/* too young (100 < 500 ms) */
	add_block(&s, ukey(1), 0x1300, 200, 600);	/* shown */
	/* the process maps 0x10000-0x20000: a region outside was unmapped */
	CHECK(procfs_parse_maps("10000-20000 rw-p 00000000 00:00 0\n", &s.maps) == 0);
	s.have_maps = true;
	add_block(&s, region, 0x10000, 300, 1000);	/* shown */
	add_block(&s, region, 0x30000, 400, 1000);	/* unmapped */
	CHECK(build(&r, &s, &cfg, &h, false) == 0);
	CHECK_U64(r.not_shown.size_filtered, 2);
	CHECK_U64(r.not_shown.young_blocks, 1);
	CHECK_U64(r.not_shown.young_bytes, 100);
	CHECK_U64(r.not_shown.unmapped, 1);
	CHECK_U64(r.nr_blocks, 2);
	CHECK_U64(r.summary[SRC_USER].out_bytes, 200);
	CHECK_U64(r.summary[SRC_MMAP].out_bytes, 300);
	leak_report_free(&r);
	leak_snapshot_free(&s);
}

static void test_at_exit_every_user_block_counts_but_kernel_ones_age(void)
{
	struct leak_snapshot s = { .now_ns = NOW };
	struct leak_history h = { .start_ns = START };
	struct ls_agg_key k = { .site = 0xffffffff81000000ULL, .stack_id = -1, .src = SRC_KMALLOC };
	struct leak_report r;

	add_block(&s, ukey(1), 0x1000, 64, 1);
	add_block(&s, k, 0xffff888000001000ULL, 128, 1);
	CHECK(build(&r, &s, &cfg_default, &h, true) == 0);
	CHECK_U64(r.summary[SRC_USER].out_blocks, 1);
	CHECK_U64(r.summary[SRC_KMALLOC].out_blocks, 0);
	CHECK_U64(r.not_shown.young_blocks, 1);
	leak_report_free(&r);
	leak_snapshot_free(&s);
}

static void test_totals_merge_and_kernel_frees_are_allocated_minus_live(void)
{
	struct leak_snapshot s = { .now_ns = NOW };
	struct leak_history h = { .start_ns = START };
	struct ls_agg_key k = { .site = 0xffffffff81000010ULL, .stack_id = -1, .src = SRC_KMALLOC };
	struct leak_report r;
	const struct leak_record *x;

	/* the site on two CPUs (ksites) and spilled into aggs: 10+5+1 blocks */
	add_total(&s, k, 1000, 10, 0, 0);
	add_total(&s, k, 500, 5, 0, 0);
	add_total(&s, k, 100, 1, 0, 0);
	/* user totals come with their frees */
	add_total(&s, ukey(4), 900, 9, 600, 6);
	add_total(&s, ukey(4), 100, 1, 100, 1);
	/* three kernel blocks live: one young (still live, so not freed) */
	add_block(&s, k, 0xa000, 100, 1000);
	add_block(&s, k, 0xb000, 100, 1000);
	add_block(&s, k, 0xc000, 100, 10);
	add_block(&s, ukey(4), 0x1000, 300, 1000);
	CHECK(build(&r, &s, &cfg_default, &h, false) == 0);
	x = find_stack(&r, SRC_KMALLOC, -1);
	CHECK(x != NULL);
	if (x) {
		CHECK_U64(x->totals.alloc_bytes, 1600);
		CHECK_U64(x->totals.alloc_count, 16);
		CHECK_U64(x->totals.free_bytes, 1300);
		CHECK_U64(x->totals.free_count, 13);
		CHECK_U64(x->blocks, 2);
	}
	CHECK_U64(r.summary[SRC_KMALLOC].totals.free_count, 13);
	CHECK_U64(r.summary[SRC_USER].totals.alloc_bytes, 1000);
	CHECK_U64(r.summary[SRC_USER].totals.free_bytes, 700);
	x = find_stack(&r, SRC_USER, 4);
	CHECK(x && x->totals.free_count == 7);
	leak_report_free(&r);
	leak_snapshot_free(&s);
}

static void test_growth_since_the_last_report(void)
{
	struct leak_snapshot s1 = { .now_ns = NOW }, s2 = { .now_ns = NOW + 2000 * MS };
	struct leak_history h = { .start_ns = START };
	struct leak_report r;
	const struct leak_record *x;

	add_total(&s1, ukey(1), 1000, 10, 0, 0);
	add_block(&s1, ukey(1), 0x1000, 1000, 1000);
	CHECK(build(&r, &s1, &cfg_default, &h, false) == 0);
	CHECK(!r.meta.has_previous);
	CHECK(r.records[0].is_new);
	CHECK(leak_history_advance(&h, &r) == 0);
	leak_report_free(&r);

	/* 2 s later: stack 1 grew by 3000 bytes net, stack 2 appeared */
	add_total(&s2, ukey(1), 5000, 14, 1000, 1);
	add_total(&s2, ukey(2), 10, 1, 0, 0);
	add_block(&s2, ukey(1), 0x1000, 1000, 3000);
	add_block(&s2, ukey(1), 0x2000, 3000, 1000);
	add_block(&s2, ukey(2), 0x3000, 10, 1000);
	CHECK(build(&r, &s2, &cfg_default, &h, false) == 0);
	CHECK(r.meta.has_previous);
	CHECK(r.meta.interval_s > 1.99 && r.meta.interval_s < 2.01);
	x = find_stack(&r, SRC_USER, 1);
	CHECK(x && !x->is_new && x->growth_bytes == 3000 && x->growth_blocks == 1);
	x = find_stack(&r, SRC_USER, 2);
	CHECK(x && x->is_new && x->growth_bytes == 10);
	/* net outstanding went 1000 -> 4010 in 2 s */
	CHECK(r.summary[SRC_USER].growth_bytes_per_s > 1504.9 &&
	      r.summary[SRC_USER].growth_bytes_per_s < 1505.1);
	leak_report_free(&r);
	leak_history_free(&h);
	leak_snapshot_free(&s1);
	leak_snapshot_free(&s2);
}

static void test_top_ranks_per_source(void)
{
	struct leak_snapshot s = { .now_ns = NOW };
	struct leak_history h = { .start_ns = START };
	struct leak_model_config cfg = cfg_default;
	struct ls_agg_key region = { .stack_id = 1, .src = SRC_MMAP };
	struct leak_report r;
	int in_top = 0;

	cfg.top = 2;
	for (int i = 0; i < 5; i++)
		add_block(&s, ukey(i), 0x1000 + (uint64_t)i * 0x100, 10 + (uint64_t)i, 1000);
	add_block(&s, region, 0x100000, 4096, 1000);
	CHECK(build(&r, &s, &cfg, &h, false) == 0);
	for (size_t i = 0; i < r.nr_records; i++)
		in_top += r.records[i].in_top;
	CHECK_U64(in_top, 3);	/* two user records, the one region */
	CHECK(r.records[0].key.stack_id == 4 && r.records[0].in_top);
	CHECK(r.records[2].rank == 3 && !r.records[2].in_top);
	CHECK(find_stack(&r, SRC_MMAP, 1)->rank == 1);
	leak_report_free(&r);
	leak_snapshot_free(&s);
}

static void add_kind_block(struct leak_snapshot *s, struct ls_agg_key key, uint64_t addr,
			   uint64_t size, uint8_t kind, uint64_t indirect)
{
	struct leak_block b = { .addr = addr, .size = size, .ts = NOW - 1000 * MS, .key = key,
				.kind = kind, .indirect_bytes = indirect };

	CHECK(leak_snapshot_add_block(s, &b) == 0);
}

static const struct leak_record *find_kind(const struct leak_report *r, int32_t id, uint8_t kind)
{
	for (size_t i = 0; i < r->nr_records; i++)
		if (r->records[i].key.stack_id == id && r->records[i].kind == kind)
			return &r->records[i];
	return NULL;
}

/* Once scanned, a stack has a record per leak kind (valgrind's loss
 * records); the LEAK SUMMARY adds the user heap's kinds up; still
 * reachable records are ranked but listed only when asked for; what
 * --error-exitcode counts is the definitely and indirectly lost records;
 * the stack's all-time figures are on each record, marked once. */
static void test_kinds_split_a_stack_into_loss_records(void)
{
	struct leak_snapshot s = { .now_ns = NOW };
	struct leak_history h = { .start_ns = START };
	struct leak_model_config cfg = cfg_default;
	struct ls_agg_key region = { .stack_id = 9, .src = SRC_MMAP };
	const struct leak_record *d, *i, *re, *p;
	struct leak_report r;
	int firsts = 0;

	add_total(&s, ukey(1), 7000, 7, 0, 0);
	add_kind_block(&s, ukey(1), 0x1000, 1000, LEAK_DEFINITE, 2000);
	add_kind_block(&s, ukey(1), 0x2000, 1000, LEAK_DEFINITE, 1000);
	add_kind_block(&s, ukey(1), 0x3000, 1000, LEAK_INDIRECT, 0);
	add_kind_block(&s, ukey(1), 0x4000, 1000, LEAK_INDIRECT, 0);
	add_kind_block(&s, ukey(1), 0x5000, 1000, LEAK_INDIRECT, 0);
	add_kind_block(&s, ukey(1), 0x6000, 1000, LEAK_REACHABLE, 0);
	add_kind_block(&s, ukey(2), 0x7000, 500, LEAK_POSSIBLE, 0);
	add_kind_block(&s, ukey(3), 0x8000, 9000, LEAK_REACHABLE, 0);
	add_kind_block(&s, region, 0x100000, 4096, LEAK_UNKNOWN, 0);
	CHECK(build(&r, &s, &cfg, &h, true) == 0);
	CHECK_U64(r.summary[SRC_USER].records, 5);
	d = find_kind(&r, 1, LEAK_DEFINITE);
	i = find_kind(&r, 1, LEAK_INDIRECT);
	re = find_kind(&r, 1, LEAK_REACHABLE);
	p = find_kind(&r, 2, LEAK_POSSIBLE);
	CHECK(d && i && re && p);
	if (d && i && re && p) {
		CHECK(d->bytes == 2000 && d->blocks == 2 && d->indirect_bytes == 3000);
		CHECK(i->bytes == 3000 && i->blocks == 3);
		CHECK(d->totals.alloc_count == 7 && i->totals.alloc_count == 7);
		CHECK(d->stack_first && !i->stack_first && !re->stack_first && p->stack_first);
		CHECK(!d->hidden && !i->hidden && !p->hidden && re->hidden);
		CHECK(d->rank == 3 && re->rank == 4);	/* by bytes; reachable ones counted */
	}
	for (size_t k = 0; k < r.nr_records; k++)
		firsts += r.records[k].stack_first;
	CHECK_U64(firsts, 4);			/* stacks 1, 2, 3 and the region */
	CHECK(r.kinds[LEAK_DEFINITE].bytes == 2000 && r.kinds[LEAK_DEFINITE].blocks == 2);
	CHECK(r.kinds[LEAK_INDIRECT].bytes == 3000 && r.kinds[LEAK_INDIRECT].blocks == 3);
	CHECK(r.kinds[LEAK_POSSIBLE].bytes == 500 && r.kinds[LEAK_POSSIBLE].blocks == 1);
	CHECK(r.kinds[LEAK_REACHABLE].bytes == 10000 && r.kinds[LEAK_REACHABLE].blocks == 2);
	CHECK_U64(r.kinds[LEAK_UNKNOWN].blocks, 0);	/* mmap regions are not the heap's */
	CHECK_U64(r.lost_records, 2);
	leak_report_free(&r);
	cfg.show_reachable = true;
	CHECK(build(&r, &s, &cfg, &h, true) == 0);
	re = find_kind(&r, 1, LEAK_REACHABLE);
	CHECK(re && !re->hidden);
	leak_report_free(&r);
	/* -T 1: the largest listed record and, apart, the largest hidden one */
	cfg.show_reachable = false;
	cfg.top = 1;
	CHECK(build(&r, &s, &cfg, &h, true) == 0);
	CHECK(find_kind(&r, 3, LEAK_REACHABLE)->in_top);		/* 9000 bytes, hidden */
	CHECK(find_kind(&r, 1, LEAK_INDIRECT)->in_top);		/* 3000, the largest listed */
	CHECK(!find_kind(&r, 1, LEAK_DEFINITE)->in_top);
	CHECK(!find_kind(&r, 1, LEAK_REACHABLE)->in_top);
	leak_report_free(&r);
	leak_snapshot_free(&s);
}

/* An -i report without kinds, then a classified final one: a stack's
 * growth is the whole stack's, on its first record, and the stack is not
 * new; a stack classified both times grows per kind. */
static void test_growth_across_a_first_classification(void)
{
	struct leak_snapshot s1 = { .now_ns = NOW }, s2 = { .now_ns = NOW + 2000 * MS };
	struct leak_history h = { .start_ns = START };
	const struct leak_record *d, *re;
	struct leak_report r;

	add_block(&s1, ukey(1), 0x1000, 1000, 1000);
	add_block(&s1, ukey(1), 0x2000, 1000, 1000);
	CHECK(build(&r, &s1, &cfg_default, &h, false) == 0);
	CHECK(leak_history_advance(&h, &r) == 0);
	leak_report_free(&r);

	add_kind_block(&s2, ukey(1), 0x1000, 1000, LEAK_DEFINITE, 0);
	add_kind_block(&s2, ukey(1), 0x2000, 1000, LEAK_DEFINITE, 0);
	add_kind_block(&s2, ukey(1), 0x3000, 1000, LEAK_REACHABLE, 0);
	CHECK(build(&r, &s2, &cfg_default, &h, false) == 0);
	d = find_kind(&r, 1, LEAK_DEFINITE);
	re = find_kind(&r, 1, LEAK_REACHABLE);
	CHECK(d && re);
	if (d && re) {
		CHECK(d->growth_of_stack && re->growth_of_stack);
		CHECK(!d->is_new && !re->is_new);
		CHECK(d->growth_bytes == 1000 && d->growth_blocks == 1);
		CHECK(re->growth_bytes == 0 && re->growth_blocks == 0);
	}
	CHECK(leak_history_advance(&h, &r) == 0);
	leak_report_free(&r);
	/* classified again, one more reachable block */
	add_kind_block(&s2, ukey(1), 0x4000, 1000, LEAK_REACHABLE, 0);
	CHECK(build(&r, &s2, &cfg_default, &h, false) == 0);
	d = find_kind(&r, 1, LEAK_DEFINITE);
	re = find_kind(&r, 1, LEAK_REACHABLE);
	CHECK(d && re && !d->growth_of_stack && !re->growth_of_stack);
	CHECK(d && d->growth_bytes == 0);
	CHECK(re && re->growth_bytes == 1000 && re->growth_blocks == 1);
	leak_report_free(&r);
	leak_history_free(&h);
	leak_snapshot_free(&s1);
	leak_snapshot_free(&s2);
}

static int fake_user(void *ctx, uint64_t addr, struct usym *out, int max)
{
	(void)ctx, (void)max;
	if (addr != 0x401233)	/* return address 0x401234, minus one */
		return -ENOENT;
	*out = (struct usym){ .module = "/bin/w", .func = "make_leak", .file = "w.c", .line = 12 };
	return 1;
}

/* 0x401234: inline_leaf inlined into outer; 0x402000: a plain caller;
 * 0x7f...: not code (a stale frame pointer). */
static int fake_user_inlined(void *ctx, uint64_t addr, struct usym *out, int max)
{
	(void)ctx;
	if (addr == 0x402000 - 1) {
		out[0] = (struct usym){ .module = "/bin/w", .func = "main", .file = "w.c", .line = 30 };
		return 1;
	}
	if (addr != 0x401233)
		return -ENOENT;
	out[0] = (struct usym){ .module = "/bin/w", .func = "inline_leaf", .file = "w.h", .line = 3,
				.inlined = true };
	if (max < 2)
		return 1;
	out[1] = (struct usym){ .module = "/bin/w", .func = "outer", .file = "w.c", .line = 20 };
	return 2;
}

static bool fake_is_code(void *ctx, uint64_t addr)
{
	(void)ctx;
	return addr < 0x7f0000000000ULL;
}

/* One address with an inlined function becomes two frames; the stack ends
 * at the first address outside the code, even with code after it. */
static void test_symbolize_inlined_and_cut_at_non_code(void)
{
	struct leak_history h = { .start_ns = START };
	struct leak_snapshot s = {};
	struct leak_report r;
	struct leak_stack st = { .ref = { .id = 6 }, .nr_ips = 4,
				 .ips = { 0x401234, 0x402000, 0x7f0000001000, 0x402000 } };
	struct leak_symbolizer sym = { .user = fake_user_inlined, .user_is_code = fake_is_code };
	const struct leak_record *u;
	char buf[256];

	s.now_ns = NOW;
	CHECK(leak_snapshot_add_stack(&s, &st) == 0);
	add_block(&s, ukey(6), 0x1000, 100, 1000);
	add_total(&s, ukey(6), 100, 1, 0, 0);
	CHECK(build(&r, &s, &cfg_default, &h, false) == 0);
	CHECK(leak_report_symbolize(&r, &sym, false) == 0);
	u = find_stack(&r, SRC_USER, 6);
	CHECK(u != NULL);
	if (u) {
		const struct leak_frame *f = leak_record_frames(&r, u);

		CHECK_U64(u->nr_frames, 3);
		CHECK_STR(leak_frame_text(&f[0], buf, sizeof(buf)), "inline_leaf (w.h:3)");
		CHECK(f[0].sym.inlined && f[0].addr == 0x401234);
		CHECK_STR(leak_frame_text(&f[1], buf, sizeof(buf)), "outer (w.c:20)");
		CHECK(f[1].addr == 0x401234 && !f[1].sym.inlined);
		CHECK_STR(leak_frame_text(&f[2], buf, sizeof(buf)), "main (w.c:30)");
	}
	leak_report_free(&r);
	leak_snapshot_free(&s);
}

static const char *fake_kernel(void *ctx, uint64_t addr, uint64_t *off)
{
	(void)ctx;
	*off = addr - 0xffffffff81000000ULL;
	return "kmalloc_caller";
}

static void build_symbolized(struct leak_report *r, struct leak_snapshot *s)
{
	struct leak_history h = { .start_ns = START };
	struct leak_stack st = { .ref = { .id = 5 }, .nr_ips = 2, .ips = { 0x401234, 0x7f0000001000 } };
	struct ls_agg_key k = { .site = 0xffffffff81000020ULL, .cache = 0xc0, .stack_id = -1,
				.src = SRC_KMEM_CACHE };
	struct leak_cache_name c = { .cache = 0xc0, .name = "dentry\x1b[31m" };
	struct leak_symbolizer sym = { .user = fake_user, .kernel = fake_kernel };

	s->now_ns = NOW;
	CHECK(leak_snapshot_add_stack(s, &st) == 0);
	CHECK(leak_snapshot_add_cache(s, &c) == 0);
	add_block(s, ukey(5), 0x1000, 1234567, 1000);
	add_block(s, k, 0xffff888000000000ULL, 192, 1000);
	add_total(s, ukey(5), 1234567, 1, 0, 0);
	CHECK(build(r, s, &cfg_default, &h, false) == 0);
	CHECK(leak_report_symbolize(r, &sym, false) == 0);
}

static void test_frames_site_first_then_stack_symbolized(void)
{
	struct leak_snapshot s = {};
	struct leak_report r;
	const struct leak_record *u, *k;
	char buf[384];

	build_symbolized(&r, &s);
	u = find_stack(&r, SRC_USER, 5);
	k = find_stack(&r, SRC_KMEM_CACHE, -1);
	CHECK(u && k);
	if (u && k) {
		const struct leak_frame *f = leak_record_frames(&r, u);

		CHECK_U64(u->nr_frames, 2);
		CHECK(f[0].resolved && !f[1].resolved);
		CHECK_STR(leak_frame_text(&f[0], buf, sizeof(buf)), "make_leak (w.c:12)");
		CHECK_STR(leak_frame_name(&f[0], buf, sizeof(buf)), "make_leak");
		CHECK_STR(leak_frame_name(&f[1], buf, sizeof(buf)), "0x7f0000001000");
		f = leak_record_frames(&r, k);
		CHECK_U64(k->nr_frames, 1);
		CHECK_STR(leak_frame_text(&f[0], buf, sizeof(buf)), "kmalloc_caller+0x20");
		/* the kernel names the cache; an escape sequence never goes out raw */
		CHECK_STR(k->cache_name, "dentry?[31m");
	}
	leak_report_free(&r);
	leak_snapshot_free(&s);
}

/* Runs a renderer into a string (free it). */
static char *render(void (*fn)(FILE *, const struct leak_report *), const struct leak_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f, r);
	fclose(f);
	return buf;
}

static void test_renderers_serialize_the_model(void)
{
	struct leak_snapshot s = {};
	struct leak_report r;
	char *text, *json, *folded;

	build_symbolized(&r, &s);
	text = render(leak_render_text, &r);
	json = render(leak_render_json, &r);
	folded = render(leak_render_folded, &r);
	CHECK(text && json && folded);
	if (text && json && folded) {
		CHECK(strstr(text, "==42== leaksnoop report: pid 42 (w), traced 9.0 s\n"));
		CHECK(strstr(text, "\n1,234,567 bytes in 1 blocks are outstanding in record 1 of 1 "
			      "[user heap]\n   at 0x401234: make_leak (w.c:12)\n"));
		CHECK(strstr(text, "[kmem_cache: dentry?[31m]\n   at 0xffffffff81000020: "
			      "kmalloc_caller+0x20\n"));
		CHECK(strstr(text, "here: allocated 1,234,567 bytes in 1 blocks, freed 0 bytes"));
		CHECK(strstr(text, "  health: 0 allocations not recorded"));
		CHECK(!strstr(text, "since the last report"));
		CHECK(strstr(json, "\"source\":\"user\",\"bytes\":1234567,\"blocks\":1"));
		CHECK(strstr(json, "\"func\":\"make_leak\",\"file\":\"w.c\",\"line\":12"));
		CHECK(strstr(json, "\"call_site\":\"kmalloc_caller+0x20\""));
		CHECK(strstr(json, "\"oldest_age_s\":1"));
		CHECK(strstr(json, "\"health\":{\"alloc_table_full\":0"));
		CHECK(strchr(json, '\n') == json + strlen(json) - 1);
		CHECK(strstr(folded, "[user];0x7f0000001000;make_leak 1234567\n"));
		CHECK(strstr(folded, "[kmem_cache:dentry?[31m];kmalloc_caller 192\n"));
	}
	free(text);
	free(json);
	free(folded);
	leak_report_free(&r);
	leak_snapshot_free(&s);
}

static void test_empty_snapshot(void)
{
	struct leak_snapshot s = { .now_ns = NOW };
	struct leak_history h = { .start_ns = START };
	struct leak_report r;
	char *text;

	CHECK(build(&r, &s, &cfg_default, &h, false) == 0);
	CHECK_U64(r.nr_records, 0);
	text = render(leak_render_text, &r);
	CHECK(text && strstr(text, "\nSUMMARY\n  health:"));
	free(text);
	CHECK(leak_history_advance(&h, &r) == 0);
	CHECK_U64(h.nr_reports, 1);
	leak_history_free(&h);
	leak_report_free(&r);
}

/* A set's summary adds up the processes' shown blocks, not their hidden
 * ones, and counts the exited ones; the folded root names the process. */
static void test_set_summary_adds_up_processes(void)
{
	struct leak_set_summary sum = { 0 };
	struct leak_history h = { .start_ns = START };
	struct leak_report r;

	for (int pid = 1; pid <= 3; pid++) {
		struct leak_snapshot s = { .now_ns = NOW };
		struct leak_report_meta meta = { .pid = pid, .comm = "w;x", .final = true,
						 .exited = pid == 3, .in_set = true, .ppid = 1,
						 .cmdline = "w --worker" };
		struct ls_agg_key k = ukey(7);

		k.tgid = (uint32_t)pid;
		for (int b = 0; b < pid; b++)	/* worker i: i blocks of 100*i bytes */
			add_block(&s, k, 0x1000 * (uint64_t)(b + 1), 100 * (uint64_t)pid, 1000);
		add_block(&s, k, 0x9000, 5, 10);	/* too young: not shown */
		CHECK(leak_report_build(&r, &s, &cfg_default, &h, &meta) == 0);
		leak_set_summary_add(&sum, &r);
		if (pid == 2) {
			char *buf = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&buf, &len);

			leak_render_folded(f, &r);
			fclose(f);
			CHECK(strncmp(buf, "w_x-2;[user]", 12) == 0);
			free(buf);
		}
		leak_report_free(&r);
		leak_snapshot_free(&s);
	}
	CHECK(sum.processes == 3 && sum.exited == 1);
	/* 1*100 + 2*200 + 3*300, and the exited one's young block counts */
	CHECK(sum.out_blocks[SRC_USER] == 1 + 2 + 3 + 1);
	CHECK(sum.out_bytes[SRC_USER] == 100 + 400 + 900 + 5);
}

int main(void)
{
	RUN(test_groups_blocks_by_stack_and_keeps_their_addresses);
	RUN(test_filters_count_what_they_leave_out);
	RUN(test_at_exit_every_user_block_counts_but_kernel_ones_age);
	RUN(test_totals_merge_and_kernel_frees_are_allocated_minus_live);
	RUN(test_growth_since_the_last_report);
	RUN(test_top_ranks_per_source);
	RUN(test_kinds_split_a_stack_into_loss_records);
	RUN(test_growth_across_a_first_classification);
	RUN(test_frames_site_first_then_stack_symbolized);
	RUN(test_symbolize_inlined_and_cut_at_non_code);
	RUN(test_renderers_serialize_the_model);
	RUN(test_empty_snapshot);
	RUN(test_set_summary_adds_up_processes);
	UNIT_EXIT();
}
