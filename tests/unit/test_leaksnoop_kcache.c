// SPDX-License-Identifier: GPL-2.0
/* Caches whose frees are not all seen (kcache_check.c) through the model:
 * which caches the evidence names, that their blocks leave the records
 * (counted apart), and what the renderers say. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include "model.h"
#include "render.h"
#include "unit.h"

#define MS 1000000ULL
#define NOW (10000 * MS)
#define EPI 0xffff888100a00000ULL		/* struct kmem_cache * of eventpoll_epi */
#define FILP 0xffff888100b00000ULL		/* ... of filp */
#define SITE_EPI 0xffffffff81758d17ULL		/* do_epoll_ctl+0x3f7 */
#define SITE_EVENTFD 0xffffffff8175d574ULL	/* do_eventfd+0x34 */
#define SITE_PIPE 0xffffffff81700100ULL		/* alloc_pipe_info+0x40 */

static const struct leak_model_config cfg = { .older_than_ms = 0, .top = 20 };

static struct ls_agg_key cache_key(uint64_t cache, uint64_t site)
{
	return (struct ls_agg_key){ .site = site, .cache = cache, .stack_id = -1,
				    .src = SRC_KMEM_CACHE };
}

static struct ls_agg_key kmalloc_key(uint64_t site)
{
	return (struct ls_agg_key){ .site = site, .stack_id = -1, .src = SRC_KMALLOC };
}

static void add_blocks(struct leak_snapshot *s, struct ls_agg_key key, uint64_t base, int n,
		       uint64_t size)
{
	for (int i = 0; i < n; i++) {
		struct leak_block b = { .addr = base + (uint64_t)i * size, .size = size,
					.ts = NOW - 1000 * MS, .key = key };

		CHECK(leak_snapshot_add_block(s, &b) == 0);
	}
}

static void add_cache(struct leak_snapshot *s, uint64_t cache, const char *name)
{
	struct leak_cache_name c = { .cache = cache };

	snprintf(c.name, sizeof(c.name), "%s", name);
	CHECK(leak_snapshot_add_cache(s, &c) == 0);
}

static void add_allocated(struct leak_snapshot *s, struct ls_agg_key key, uint64_t count)
{
	struct leak_total t = { .key = key, .agg = { .alloc_count = count } };

	CHECK(leak_snapshot_add_total(s, &t) == 0);
}

static void set_missed(struct leak_snapshot *s, uint64_t key, uint64_t count)
{
	s->missed = realloc(s->missed, (s->nr_missed + 1) * sizeof(*s->missed));
	s->missed[s->nr_missed++] = (struct kcache_missed){ key, count };
}

static int build(struct leak_report *r, const struct leak_snapshot *s)
{
	struct leak_history h = { .start_ns = 1000 * MS };
	struct leak_report_meta meta = { .pid = 42, .comm = "w", .final = true };

	return leak_report_build(r, s, &cfg, &h, &meta);
}

static uint64_t shown_blocks(const struct leak_report *r, uint32_t src, uint64_t cache,
			     uint64_t site)
{
	uint64_t n = 0;

	for (size_t i = 0; i < r->nr_records; i++)
		if (r->records[i].key.src == src && r->records[i].key.cache == cache &&
		    r->records[i].key.site == site)
			n += r->records[i].blocks;
	return n;
}

/* What a renderer writes of r, NUL-terminated, into text. */
static void rendered(const struct leak_report *r, void (*render)(FILE *, const struct leak_report *),
		     char *text, size_t size)
{
	FILE *f = fmemopen(text, size, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	render(f, r);
	fclose(f);
}

/* 20,000 epoll items allocated, 3,500 still in the table, 12,852 of them
 * found reallocated while held: the cache is named, its blocks are not
 * listed; filp, with no evidence, keeps its 3 blocks listed. */
static void test_missed_frees_name_the_cache(void)
{
	struct leak_snapshot s = { .now_ns = NOW };
	struct leak_report r;

	add_cache(&s, EPI, "eventpoll_epi");
	add_cache(&s, FILP, "filp");
	add_blocks(&s, cache_key(EPI, SITE_EPI), 0xffff888200000000ULL, 3500, 128);
	add_blocks(&s, cache_key(FILP, 0xffffffff816dee3cULL), 0xffff888300000000ULL, 3, 192);
	add_allocated(&s, cache_key(EPI, SITE_EPI), 20000);
	set_missed(&s, EPI, 12852);
	CHECK(build(&r, &s) == 0);
	CHECK_U64(r.nr_unseen, 1);
	if (r.nr_unseen == 1) {
		CHECK_STR(r.unseen[0].name, "eventpoll_epi");
		CHECK_U64(r.unseen[0].held_blocks, 3500);
		CHECK_U64(r.unseen[0].held_bytes, 3500 * 128);
		CHECK_U64(r.unseen[0].missed, 12852);
		CHECK_U64(r.unseen[0].allocated, 20000);
		CHECK(r.unseen[0].slab_active == -1);	/* no slabinfo read */
	}
	CHECK_U64(shown_blocks(&r, SRC_KMEM_CACHE, EPI, SITE_EPI), 0);
	CHECK_U64(shown_blocks(&r, SRC_KMEM_CACHE, FILP, 0xffffffff816dee3cULL), 3);
	CHECK_U64(r.not_shown.unseen_blocks, 3500);
	CHECK_U64(r.not_shown.unseen_bytes, 3500 * 128);
	CHECK_U64(r.summary[SRC_KMEM_CACHE].out_blocks, 3);
	leak_report_free(&r);
	leak_snapshot_free(&s);
}

/* More blocks held than /proc/slabinfo says the whole cache has in use:
 * frees were missed even with no reallocation seen. As many as it has:
 * no evidence, the blocks stay listed. */
static void test_more_held_than_the_cache_holds(void)
{
	struct leak_snapshot s = { .now_ns = NOW };
	struct leak_report r;
	static const char slab_text[] =
		"slabinfo - version: 2.1\n"
		"eventpoll_epi        330    608    128   32    1 : tunables    0    0    0 : "
		"slabdata     19     19      0\n"
		"filp                   3    608    192   21    1 : tunables    0    0    0 : "
		"slabdata     19     19      0\n";

	add_cache(&s, EPI, "eventpoll_epi");
	add_cache(&s, FILP, "filp");
	add_blocks(&s, cache_key(EPI, SITE_EPI), 0xffff888200000000ULL, 331, 128);
	add_blocks(&s, cache_key(FILP, 0xffffffff816dee3cULL), 0xffff888300000000ULL, 3, 192);
	CHECK(memstat_parse_slabinfo(slab_text, &s.slabs) == 0);
	s.have_slabs = true;
	CHECK(build(&r, &s) == 0);
	CHECK_U64(r.nr_unseen, 1);
	if (r.nr_unseen == 1) {
		CHECK_STR(r.unseen[0].name, "eventpoll_epi");
		CHECK(r.unseen[0].slab_active == 330);
		CHECK_U64(r.unseen[0].missed, 0);
	}
	CHECK_U64(shown_blocks(&r, SRC_KMEM_CACHE, FILP, 0xffffffff816dee3cULL), 3);
	leak_report_free(&r);
	leak_snapshot_free(&s);
}

/* kmalloc's size classes are everyone's: a free missed at one call site
 * names that site only; another site's blocks of the same size stay. */
static void test_kmalloc_by_call_site(void)
{
	struct leak_snapshot s = { .now_ns = NOW };
	struct leak_report r;
	char text[4096];

	add_blocks(&s, kmalloc_key(SITE_PIPE), 0xffff888400000000ULL, 5, 64);
	add_blocks(&s, kmalloc_key(SITE_EVENTFD), 0xffff888500000000ULL, 40, 64);
	add_allocated(&s, kmalloc_key(SITE_PIPE), 100);
	set_missed(&s, LS_KMALLOC_SITE_KEY(SITE_PIPE), 2);
	set_missed(&s, EPI, 7);		/* a cache with nothing held: nothing to say */
	CHECK(build(&r, &s) == 0);
	CHECK_U64(r.nr_unseen, 1);
	CHECK_U64(shown_blocks(&r, SRC_KMALLOC, 0, SITE_EVENTFD), 40);
	CHECK_U64(shown_blocks(&r, SRC_KMALLOC, 0, SITE_PIPE), 0);
	CHECK_STR(r.unseen[0].name, "kmalloc at 0xffffffff81700100");
	rendered(&r, leak_render_text, text, sizeof(text));
	CHECK(strstr(text, "kernel: kmalloc at 0xffffffff81700100: frees not all seen "
		      "(100 allocated, 93 freed seen, 2 reallocated while held): 5 blocks "
		      "(320 bytes) held, not reported as outstanding") != NULL);
	rendered(&r, leak_render_json, text, sizeof(text));
	CHECK(strstr(text, "\"kernel_caches_frees_unseen\":[{\"cache\":\"kmalloc at "
		      "0xffffffff81700100\",\"held_blocks\":5,\"held_bytes\":320,\"allocated\":100,"
		      "\"missed_frees\":2,\"slabinfo_active_objs\":null}]") != NULL);
	leak_report_free(&r);
	leak_snapshot_free(&s);
}

static const char *fake_ksym(void *ctx, uint64_t addr, uint64_t *off)
{
	(void)ctx;
	*off = addr - (SITE_PIPE - 0x40);
	return addr >= SITE_PIPE - 0x40 && addr < SITE_PIPE + 0x100 ? "alloc_pipe_info" : NULL;
}

/* The symbolizer names a kmalloc site as records' call sites are named. */
static void test_site_named_by_symbolizer(void)
{
	struct leak_snapshot s = { .now_ns = NOW };
	struct leak_symbolizer sym = { .kernel = fake_ksym };
	struct leak_report r;

	add_blocks(&s, kmalloc_key(SITE_PIPE), 0xffff888400000000ULL, 2, 64);
	set_missed(&s, LS_KMALLOC_SITE_KEY(SITE_PIPE), 1);
	CHECK(build(&r, &s) == 0);
	CHECK(leak_report_symbolize(&r, &sym, true) == 0);
	CHECK_U64(r.nr_unseen, 1);
	CHECK_STR(r.unseen[0].name, "kmalloc at alloc_pipe_info+0x40");
	leak_report_free(&r);
	leak_snapshot_free(&s);
}

int main(void)
{
	RUN(test_missed_frees_name_the_cache);
	RUN(test_more_held_than_the_cache_holds);
	RUN(test_kmalloc_by_call_site);
	RUN(test_site_named_by_symbolizer);
	UNIT_EXIT();
}
