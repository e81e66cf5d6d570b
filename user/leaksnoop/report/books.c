// SPDX-License-Identifier: GPL-2.0
/* The books' change during a trace, explained by what the trace holds
 * outstanding (books.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "books.h"
#include "vec.h"

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

void books_jitter_free(struct books_jitter *j)
{
	slabinfo_free(&j->objs);
	memset(j, 0, sizeof(*j));
}

static int jitter_cache_add(struct slabinfo *j, const char *name, int64_t move)
{
	struct slab_cache *c = (struct slab_cache *)memstat_find_slab(j, name);

	if (!c) {
		struct slab_cache *v = vec_reserve(j->c, &j->cap, j->n, sizeof(*v));

		if (!v)
			return -ENOMEM;
		j->c = v;
		c = &j->c[j->n++];
		memset(c, 0, sizeof(*c));
		memcpy(c->name, name, sizeof(c->name));
	}
	if ((uint64_t)move > c->active_objs)
		c->active_objs = (uint64_t)move;
	return 0;
}

int books_jitter_add(struct books_jitter *j, const struct mem_sample *a, const struct mem_sample *b)
{
	int64_t move = abs64(b->books.bucket[MB_UNACCOUNTED] - a->books.bucket[MB_UNACCOUNTED]);

	if (move > j->unaccounted)
		j->unaccounted = move;
	for (size_t i = 0; i < b->slab.n; i++) {
		const struct slab_cache *was = memstat_find_slab(&a->slab, b->slab.c[i].name);
		int64_t d = was ? (int64_t)b->slab.c[i].active_objs - (int64_t)was->active_objs : 0;

		if (jitter_cache_add(&j->objs, b->slab.c[i].name, abs64(d)))
			return -ENOMEM;
	}
	return 0;
}

/* ---- the remainder and the page allocations ------------------------------------ */

/* Frames of the page allocator itself, before the caller that matters. */
static bool allocator_frame(const char *f)
{
	static const char *const prefix[] = {
		"__alloc_pages", "alloc_pages", "__folio_alloc", "folio_alloc", "__alloc_frozen",
		"alloc_frozen", "get_page_from_freelist", "__get_free_pages", "get_zeroed_page",
		"__get_free_page", "get_free_pages", "alloc_slab_page",
	};

	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (!strncmp(f, prefix[i], strlen(prefix[i])))
			return true;
	return false;
}

/* Pages whose stack shows a meminfo field counts them: slab pages (and
 * kmalloc_large, counted in SUnreclaim), vmalloc (kernel stacks too),
 * page tables, percpu chunks. They are not in the remainder. */
static bool other_bucket_frame(const char *f)
{
	static const char *const part[] = {
		"allocate_slab", "new_slab", "kmalloc_large", "vmalloc", "vm_area_alloc_pages",
		"pte_alloc", "pmd_alloc", "pud_alloc", "p4d_alloc", "pgd_alloc", "pagetable_alloc",
		"alloc_thread_stack", "pcpu_",
	};

	for (size_t i = 0; i < sizeof(part) / sizeof(part[0]); i++)
		if (strstr(f, part[i]))
			return true;
	return false;
}

/* off: the resolver's out parameter, the caller's (so that no pointer to a
 * local of ours could leave) */
static const char *frame_func(const struct leak_frame *fr, const struct leak_symbolizer *sym,
			      uint64_t *off)
{
	if (fr->resolved)
		return fr->sym.func;
	if (fr->user || !sym || !sym->kernel)
		return NULL;
	return sym->kernel(sym->kernel_ctx, fr->addr, off);
}

/* A page record: its site (the first frame past the allocator) into site,
 * and whether its stack puts it in another bucket. */
static bool page_record_other(const struct leak_report *rep, const struct leak_record *x,
			      const struct leak_symbolizer *sym, char *site, size_t size)
{
	const struct leak_frame *fr = leak_record_frames(rep, x);
	bool other = false;
	uint64_t off;

	site[0] = 0;
	for (size_t i = 0; i < x->nr_frames; i++) {
		const char *f = frame_func(&fr[i], sym, &off);

		if (!f)
			continue;
		if (other_bucket_frame(f))
			other = true;
		if (!site[0] && !allocator_frame(f))
			snprintf(site, size, "%s", f);
	}
	return other;
}

static void site_add(struct books_explained *b, const char *name, uint64_t bytes)
{
	int i;

	for (i = 0; i < b->nr_sites; i++)
		if (!strcmp(b->sites[i].name, name)) {
			b->sites[i].bytes += bytes;
			break;
		}
	if (i == b->nr_sites) {
		if (b->nr_sites == BOOKS_SITES && b->sites[i - 1].bytes >= bytes)
			return;
		if (b->nr_sites < BOOKS_SITES)
			b->nr_sites++;
		i = b->nr_sites - 1;
		snprintf(b->sites[i].name, sizeof(b->sites[i].name), "%s", name);
		b->sites[i].bytes = bytes;
	}
	for (; i > 0 && b->sites[i].bytes > b->sites[i - 1].bytes; i--) {
		struct books_site t = b->sites[i];

		b->sites[i] = b->sites[i - 1];
		b->sites[i - 1] = t;
	}
}

static void explain_pages(struct books_explained *b, const struct leak_report *rep,
			  const struct leak_symbolizer *sym)
{
	char site[BOOKS_SITE_LEN];

	for (size_t i = 0; i < rep->nr_records; i++) {
		const struct leak_record *x = &rep->records[i];

		if (x->key.src != SRC_PAGE)
			continue;
		if (!x->nr_frames) {
			b->no_stack_bytes += x->bytes;
			continue;
		}
		if (page_record_other(rep, x, sym, site, sizeof(site))) {
			b->other_bucket_bytes += x->bytes;
			continue;
		}
		b->page_bytes += x->bytes;
		site_add(b, site[0] ? site : "(unknown)", x->bytes);
	}
}

/* Why a change can't be explained by a ratio, or NULL when it can. */
static const char *change_unknown(int64_t change, int64_t jitter, int64_t floor)
{
	if (change < 0)
		return "it shrank: what was freed is not traced";
	if (change < floor || change < BOOKS_JITTER_TIMES * jitter)
		return "the change is within the jitter";
	return NULL;
}

static void explain_unaccounted(struct books_explained *b, const struct leak_report *rep)
{
	b->why = change_unknown(b->unaccounted, b->jitter, BOOKS_UNACCOUNTED_FLOOR);
	if (!b->why && !rep->config.kernel_stacks)
		b->why = "page allocations have no stacks without -K: those of slab, vmalloc and "
			 "page tables can't be told apart";
	if (!b->why && b->no_stack_bytes * 10 > (uint64_t)b->unaccounted)
		b->why = "too many page allocations without a stack";
	b->share_known = !b->why;
	if (b->share_known)
		b->share = (double)b->page_bytes / (double)b->unaccounted;
}

/* ---- slab caches ------------------------------------------------------------------ */

static uint64_t traced_blocks_in(const struct leak_report *rep, const char *cache)
{
	uint64_t n = 0;

	for (size_t i = 0; i < rep->nr_records; i++)
		if (rep->records[i].key.src == SRC_KMEM_CACHE &&
		    !strcmp(rep->records[i].cache_name, cache))
			n += rep->records[i].blocks;
	return n;
}

/* Keeps the BOOKS_CACHES that grew most, largest first. */
static void cache_insert(struct books_explained *b, const struct books_cache *c)
{
	int i;

	if (b->nr_caches == BOOKS_CACHES && b->caches[BOOKS_CACHES - 1].bytes >= c->bytes)
		return;
	if (b->nr_caches < BOOKS_CACHES)
		b->nr_caches++;
	i = b->nr_caches - 1;
	b->caches[i] = *c;
	for (; i > 0 && b->caches[i].bytes > b->caches[i - 1].bytes; i--) {
		struct books_cache t = b->caches[i];

		b->caches[i] = b->caches[i - 1];
		b->caches[i - 1] = t;
	}
}

static void explain_cache(struct books_explained *b, const struct slab_cache *was,
			  const struct slab_cache *now, const struct books_jitter *j,
			  const struct leak_report *rep, uint64_t page_size)
{
	const struct slab_cache *jc = memstat_find_slab(&j->objs, now->name);
	struct books_cache c = {
		.objs = (int64_t)now->active_objs - (int64_t)(was ? was->active_objs : 0),
		.bytes = (int64_t)slab_cache_bytes(now, page_size) -
			 (int64_t)(was ? slab_cache_bytes(was, page_size) : 0),
		.jitter_objs = jc ? (int64_t)jc->active_objs : 0,
	};

	if (c.objs * (int64_t)now->objsize < BOOKS_CACHE_FLOOR || c.objs < BOOKS_CACHE_FLOOR_OBJS ||
	    c.objs < BOOKS_JITTER_TIMES * c.jitter_objs)
		return;		/* not growing beyond its jitter */
	memcpy(c.name, now->name, sizeof(c.name));
	c.traced_blocks = traced_blocks_in(rep, c.name);
	if (rep->meta.no_cache_names)
		c.why = "this kernel's tracepoint names no cache";
	else if (!strncmp(c.name, "kmalloc-", 8) || !strncmp(c.name, "dma-kmalloc-", 12))
		c.why = "kmalloc blocks are traced by call site, not by kmalloc cache";
	c.share_known = !c.why;
	if (c.share_known)
		c.share = (double)c.traced_blocks / (double)c.objs;
	cache_insert(b, &c);
}

static void explain_caches(struct books_explained *b, const struct mem_sample *start,
			   const struct mem_sample *now, const struct books_jitter *j,
			   const struct leak_report *rep)
{
	if (start->slab_err || now->slab_err) {
		b->slab_why = "/proc/slabinfo could not be read";
		return;
	}
	for (size_t i = 0; i < now->slab.n; i++)
		explain_cache(b, memstat_find_slab(&start->slab, now->slab.c[i].name),
			      &now->slab.c[i], j, rep, now->page_size);
}

void books_explain(const struct mem_sample *start, const struct mem_sample *now,
		   const struct books_jitter *jitter, const struct leak_report *rep,
		   const struct leak_symbolizer *sym, struct books_explained *out)
{
	memset(out, 0, sizeof(*out));
	out->available = true;
	out->span_s = now->t - start->t;
	out->unaccounted = now->books.bucket[MB_UNACCOUNTED] - start->books.bucket[MB_UNACCOUNTED];
	out->jitter = jitter->unaccounted;
	explain_pages(out, rep, sym);
	explain_unaccounted(out, rep);
	explain_caches(out, start, now, jitter, rep);
}
