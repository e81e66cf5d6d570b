// SPDX-License-Identifier: GPL-2.0
/* leaksnoop's model: a report built from a snapshot of the tables. See
 * model.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc_group.h"
#include "fmt.h"
#include "model.h"
#include "vec.h"

static const char *const src_names[SRC_MAX] = {
	[SRC_USER] = "user", [SRC_KMALLOC] = "kmalloc", [SRC_KMEM_CACHE] = "kmem_cache",
	[SRC_PAGE] = "page", [SRC_MMAP] = "mmap", [SRC_UPAGE] = "user_pages",
	[SRC_ALLOC_MAP] = "allocator_mapping", [SRC_THREAD_STACK] = "thread_stack",
};
static const char *const src_titles[SRC_MAX] = {
	[SRC_USER] = "user heap", [SRC_KMALLOC] = "kmalloc", [SRC_KMEM_CACHE] = "kmem_cache",
	[SRC_PAGE] = "pages", [SRC_MMAP] = "mmap regions", [SRC_UPAGE] = "user pages",
	[SRC_ALLOC_MAP] = "allocator maps", [SRC_THREAD_STACK] = "thread stacks",
};

bool leak_src_is_user(uint32_t src)
{
	return src == SRC_USER || leak_src_is_region(src);
}

bool leak_src_is_region(uint32_t src)
{
	return src == SRC_MMAP || leak_src_is_labelled(src);
}

bool leak_src_is_labelled(uint32_t src)
{
	return src == SRC_ALLOC_MAP || src == SRC_THREAD_STACK;
}

bool leak_report_incomplete(const struct leak_report *r)
{
	return r->stats[STAT_ALLOC_MAP_FULL] || r->stats[STAT_AGG_MAP_FULL] ||
	       r->stats[STAT_INFLIGHT_FULL] || r->stats[STAT_SCAN_LOG_LOST];
}

size_t leak_report_candidates(const struct leak_report *report)
{
	size_t n = 0;

	for (size_t i = 0; i < report->nr_records; i++)
		n += !leak_src_is_labelled(report->records[i].key.src);
	return n;
}

const char *leak_src_name(uint32_t src)
{
	return src_names[src % SRC_MAX];
}

const char *leak_src_title(uint32_t src)
{
	return src_titles[src % SRC_MAX];
}

/* ---- snapshot ------------------------------------------------------------------ */

/* Appends *elem to the growable array *items (length *len, capacity *cap). */
static int append(void **items, size_t *len, size_t *cap, const void *elem, size_t size)
{
	char *v = vec_reserve(*items, cap, *len, size);

	if (!v)
		return -ENOMEM;
	memcpy(v + *len * size, elem, size);
	*items = v;
	(*len)++;
	return 0;
}

int leak_snapshot_add_block(struct leak_snapshot *s, const struct leak_block *b)
{
	return append((void **)&s->blocks, &s->nr_blocks, &s->cap_blocks, b, sizeof(*b));
}

int leak_snapshot_add_total(struct leak_snapshot *s, const struct leak_total *t)
{
	return append((void **)&s->totals, &s->nr_totals, &s->cap_totals, t, sizeof(*t));
}

int leak_snapshot_add_stack(struct leak_snapshot *s, const struct leak_stack *st)
{
	return append((void **)&s->stacks, &s->nr_stacks, &s->cap_stacks, st, sizeof(*st));
}

int leak_snapshot_add_cache(struct leak_snapshot *s, const struct leak_cache_name *c)
{
	return append((void **)&s->caches, &s->nr_caches, &s->cap_caches, c, sizeof(*c));
}

void leak_snapshot_free(struct leak_snapshot *s)
{
	free(s->blocks);
	free(s->totals);
	free(s->stacks);
	free(s->caches);
	free(s->missed);
	slabinfo_free(&s->slabs);
	free(s->threads);
	vma_list_free(&s->maps);
	memset(s, 0, sizeof(*s));
}

/* ---- ordering ------------------------------------------------------------------ */

static int agg_key_cmp(const struct ls_agg_key *a, const struct ls_agg_key *b)
{
	return memcmp(a, b, sizeof(*a));
}

/* A record is a key and a kind. */
static int key_kind_cmp(const struct ls_agg_key *a, uint8_t ka, const struct ls_agg_key *b,
			uint8_t kb)
{
	int c = agg_key_cmp(a, b);

	return c ? c : (int)ka - (int)kb;
}

static int block_cmp(const void *a, const void *b)
{
	const struct leak_block *x = a, *y = b;
	int c = key_kind_cmp(&x->key, x->kind, &y->key, y->kind);

	if (c)
		return c;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void agg_add(struct ls_agg *to, const struct ls_agg *from)
{
	to->alloc_bytes += from->alloc_bytes;
	to->alloc_count += from->alloc_count;
	to->free_bytes += from->free_bytes;
	to->free_count += from->free_count;
}

static int total_cmp(const void *a, const void *b)
{
	return agg_key_cmp(&((const struct leak_total *)a)->key, &((const struct leak_total *)b)->key);
}

static int history_cmp(const void *a, const void *b)
{
	const struct leak_history_entry *x = a, *y = b;

	return key_kind_cmp(&x->key, x->kind, &y->key, y->kind);
}

static int record_key_cmp(const void *a, const void *b)
{
	const struct leak_record *x = a, *y = b;

	return key_kind_cmp(&x->key, x->kind, &y->key, y->kind);
}

/* By source, then outstanding bytes, largest first, then key (stable). */
static int record_bytes_desc(const void *a, const void *b)
{
	const struct leak_record *x = a, *y = b;

	if (x->key.src != y->key.src)
		return (int)x->key.src - (int)y->key.src;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return record_key_cmp(a, b);
}

int leak_stack_ref_cmp(const void *a, const void *b)
{
	const struct leak_stack_ref *x = a, *y = b;

	if (x->kernel != y->kernel)
		return x->kernel ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int stack_cmp(const void *a, const void *b)
{
	return leak_stack_ref_cmp(&((const struct leak_stack *)a)->ref,
				  &((const struct leak_stack *)b)->ref);
}

static int cache_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct leak_cache_name *)a)->cache;
	uint64_t y = ((const struct leak_cache_name *)b)->cache;

	return x < y ? -1 : x > y;
}

/* bsearch that takes an empty (NULL) array */
static void *find_sorted(const void *want, const void *items, size_t n, size_t size,
			 int (*cmp)(const void *, const void *))
{
	return n && items ? bsearch(want, items, n, size, cmp) : NULL;
}

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;	/* totals read a moment before the tables */
}

/* ---- building -------------------------------------------------------------------- */

enum block_fate { BLOCK_SHOWN, BLOCK_SIZE_FILTERED, BLOCK_YOUNG, BLOCK_UNMAPPED, BLOCK_UNSEEN };

static enum block_fate block_fate(const struct leak_block *b, const struct leak_snapshot *snap,
				  const struct leak_report *rep)
{
	const struct leak_model_config *cfg = &rep->config;
	bool exited = rep->meta.exited;
	uint64_t cache = kcache_key(b);

	uint64_t min_age = cfg->older_than_ms * 1000000ULL;
	/* once the process is gone nothing more is freed: every user block
	 * counts; kernel blocks can still be freed by anyone */
	bool age_filter = !exited || !leak_src_is_user(b->key.src);

	if (cache && kcache_find(rep->unseen, rep->nr_unseen, cache))
		return BLOCK_UNSEEN;	/* perhaps freed: never called outstanding */
	if (b->size < cfg->min_size || (cfg->max_size && b->size > cfg->max_size))
		return BLOCK_SIZE_FILTERED;
	if (age_filter && b->ts + min_age > snap->now_ns)
		return BLOCK_YOUNG;
	/* a region unmapped by a path we don't follow (munmap inside a region) */
	if (leak_src_is_region(b->key.src) && snap->have_maps && !vma_list_find(&snap->maps, b->addr))
		return BLOCK_UNMAPPED;
	return BLOCK_SHOWN;
}

/* What only the build needs, sized by the snapshot and freed together:
 * every kernel block, the merged totals, the snapshot with its stacks and
 * caches sorted (so that records find theirs). */
struct build_scratch {
	struct alloc_group arrays;
	struct leak_block *live;
	size_t nr_live;
	struct leak_total *tot;
	size_t nr_tot;
	struct leak_snapshot lookups;
};

static int scratch_alloc(struct build_scratch *s, const struct leak_snapshot *snap)
{
	struct alloc_group *g = &s->arrays;

	s->lookups = *snap;
	s->live = alloc_group_calloc(g, snap->nr_blocks, sizeof(*s->live));
	s->tot = alloc_group_calloc(g, snap->nr_totals, sizeof(*s->tot));
	s->lookups.stacks = alloc_group_calloc(g, snap->nr_stacks, sizeof(*snap->stacks));
	s->lookups.caches = alloc_group_calloc(g, snap->nr_caches, sizeof(*snap->caches));
	return s->live && s->tot && s->lookups.stacks && s->lookups.caches ? 0 : -ENOMEM;
}

/* Sorted copies: the shown blocks into report->blocks, every kernel block
 * (filtered or not: a kernel key's frees are allocated minus live) into
 * live, which has room for every block. */
static int split_blocks(struct leak_report *rep, const struct leak_snapshot *snap,
			struct leak_block *live, size_t *nr_live)
{
	size_t n = snap->nr_blocks ? snap->nr_blocks : 1;

	rep->blocks = malloc(n * sizeof(*rep->blocks));
	*nr_live = 0;
	if (!rep->blocks)
		return -ENOMEM;
	for (size_t i = 0; i < snap->nr_blocks; i++) {
		const struct leak_block *b = &snap->blocks[i];
		struct leak_not_shown *ns = &rep->not_shown;

		if (!leak_src_is_user(b->key.src))
			live[(*nr_live)++] = *b;
		switch (block_fate(b, snap, rep)) {
		case BLOCK_SIZE_FILTERED: ns->size_filtered++; break;
		case BLOCK_YOUNG: ns->young_blocks++; ns->young_bytes += b->size; break;
		case BLOCK_UNMAPPED: ns->unmapped++; break;
		case BLOCK_UNSEEN: ns->unseen_blocks++; ns->unseen_bytes += b->size; break;
		case BLOCK_SHOWN: rep->blocks[rep->nr_blocks++] = *b; break;
		}
	}
	if (rep->nr_blocks)
		qsort(rep->blocks, rep->nr_blocks, sizeof(*rep->blocks), block_cmp);
	if (*nr_live)
		qsort(live, *nr_live, sizeof(*live), block_cmp);
	return 0;
}

/* One record per run of equal keys in the sorted shown blocks. */
static int group_records(struct leak_report *rep)
{
	size_t cap = 0;

	for (size_t i = 0; i < rep->nr_blocks; i++) {
		const struct leak_block *b = &rep->blocks[i];
		struct leak_record *x = rep->nr_records ? &rep->records[rep->nr_records - 1] : NULL;

		if (!x || key_kind_cmp(&x->key, x->kind, &b->key, b->kind)) {
			x = vec_reserve(rep->records, &cap, rep->nr_records, sizeof(*x));
			if (!x)
				return -ENOMEM;
			rep->records = x;
			x = &rep->records[rep->nr_records++];
			memset(x, 0, sizeof(*x));
			x->key = b->key;
			x->kind = b->kind;
			x->oldest_ts = b->ts;
			x->block_first = i;
		}
		x->bytes += b->size;
		x->blocks++;
		x->block_count++;
		x->indirect_bytes += b->indirect_bytes;
		if (b->ts < x->oldest_ts)
			x->oldest_ts = b->ts;
	}
	return 0;
}

/* The snapshot's totals, sorted, one per key (a key in several slots or
 * CPUs adds up), with kernel keys' frees derived from live: into v, which
 * has room for every total. Returns how many there are. */
static size_t merge_totals(const struct leak_snapshot *snap, const struct leak_block *live,
			   size_t nr_live, struct leak_total *v)
{
	size_t o = 0;

	if (snap->nr_totals) {
		memcpy(v, snap->totals, snap->nr_totals * sizeof(*v));
		qsort(v, snap->nr_totals, sizeof(*v), total_cmp);
	}
	for (size_t i = 0; i < snap->nr_totals; i++) {
		if (o && !total_cmp(&v[o - 1], &v[i])) {
			agg_add(&v[o - 1].agg, &v[i].agg);
		} else {
			v[o++] = v[i];
		}
	}
	/* the kernel side counts no frees: freed = allocated - still live */
	for (size_t i = 0, l = 0; i < o; i++) {
		uint64_t bytes = 0, blocks = 0;

		if (leak_src_is_user(v[i].key.src))
			continue;
		while (l < nr_live && agg_key_cmp(&live[l].key, &v[i].key) < 0)
			l++;
		for (; l < nr_live && !agg_key_cmp(&live[l].key, &v[i].key); l++) {
			bytes += live[l].size;
			blocks++;
		}
		v[i].agg.free_bytes = minus(v[i].agg.alloc_bytes, bytes);
		v[i].agg.free_count = minus(v[i].agg.alloc_count, blocks);
	}
	return o;
}

static const struct leak_history_entry *previous(const struct leak_history *h,
						 const struct ls_agg_key *key, uint8_t kind)
{
	struct leak_history_entry want = { .key = *key, .kind = kind };

	return find_sorted(&want, h->prev, h->nr_prev, sizeof(want), history_cmp);
}

/* Record i's growth since the last report: against the same stack and
 * kind. A stack the last report did not classify (an -i report without
 * --scan before a final one) has no such record: its growth is the whole
 * stack's, carried by its first record (the others have none), so that
 * the records of a stack still add up. */
static void fill_growth(struct leak_report *rep, size_t i, const struct leak_history *h)
{
	struct leak_record *x = &rep->records[i];
	const struct leak_history_entry *p = previous(h, &x->key, x->kind);
	int64_t bytes = 0, blocks = 0;

	if (p || x->kind == LEAK_UNKNOWN || !(p = previous(h, &x->key, LEAK_UNKNOWN))) {
		x->growth_bytes = (int64_t)x->bytes - (p ? (int64_t)p->bytes : 0);
		x->growth_blocks = (int64_t)x->blocks - (p ? (int64_t)p->blocks : 0);
		x->is_new = !p;
		return;
	}
	x->growth_of_stack = true;
	if (!x->stack_first)
		return;
	for (size_t j = i; j < rep->nr_records && !agg_key_cmp(&rep->records[j].key, &x->key); j++) {
		bytes += (int64_t)rep->records[j].bytes;
		blocks += (int64_t)rep->records[j].blocks;
	}
	x->growth_bytes = bytes - (int64_t)p->bytes;
	x->growth_blocks = blocks - (int64_t)p->blocks;
}

/* Totals and growth per record; per-source summaries. */
static void fill_figures(struct leak_report *rep, const struct leak_total *tot, size_t nr_tot,
			 const struct leak_history *h)
{
	for (size_t i = 0; i < nr_tot; i++) {
		agg_add(&rep->summary[tot[i].key.src % SRC_MAX].totals, &tot[i].agg);
	}
	/* records are in key then kind order here: a stack's are adjacent */
	for (size_t i = 0; i < rep->nr_records; i++) {
		struct leak_record *x = &rep->records[i];
		const struct leak_total *t = find_sorted(&(struct leak_total){ .key = x->key }, tot,
							 nr_tot, sizeof(*t), total_cmp);
		struct leak_source_summary *s = &rep->summary[x->key.src % SRC_MAX];

		x->stack_first = !i || agg_key_cmp(&rep->records[i - 1].key, &x->key);
		if (t)
			x->totals = t->agg;
		fill_growth(rep, i, h);
		s->out_bytes += x->bytes;
		s->out_blocks += x->blocks;
		s->records++;
		if (x->key.src == SRC_USER) {
			rep->kinds[x->kind % LEAK_KINDS].bytes += x->bytes;
			rep->kinds[x->kind % LEAK_KINDS].blocks += x->blocks;
		}
		if (x->kind == LEAK_DEFINITE || x->kind == LEAK_INDIRECT)
			rep->lost_records++;
	}
	for (int k = 0; k < SRC_MAX; k++) {
		struct leak_source_summary *s = &rep->summary[k];
		int64_t net = (int64_t)(s->totals.alloc_bytes - s->totals.free_bytes);
		double iv = rep->meta.interval_s;

		s->growth_bytes_per_s = iv > 0 ? (double)(net - h->prev_net[k]) / iv : 0;
	}
}

static int add_frame(struct leak_report *rep, size_t *cap, uint64_t addr, bool user)
{
	struct leak_frame *f = vec_reserve(rep->frames, cap, rep->nr_frames, sizeof(*f));

	if (!f)
		return -ENOMEM;
	rep->frames = f;
	f = &rep->frames[rep->nr_frames++];
	memset(f, 0, sizeof(*f));
	f->addr = addr;
	f->user = user;
	return 0;
}

/* Each record's frames (unresolved): a kernel record's call site first,
 * then its captured stack; and its cache's name. */
static int attach_frames(struct leak_report *rep, const struct leak_snapshot *snap)
{
	size_t cap = 0;
	int err = 0;

	for (size_t i = 0; i < rep->nr_records && !err; i++) {
		struct leak_record *x = &rep->records[i];
		bool user = leak_src_is_user(x->key.src);
		struct leak_stack want = { .ref = { .id = x->key.stack_id, .kernel = !user } };
		const struct leak_stack *st = x->key.stack_id < 0 ? NULL :
			find_sorted(&want, snap->stacks, snap->nr_stacks, sizeof(*st), stack_cmp);
		struct leak_cache_name cw = { .cache = x->key.cache };
		const struct leak_cache_name *c = x->key.cache ?
			find_sorted(&cw, snap->caches, snap->nr_caches, sizeof(*c), cache_cmp) : NULL;

		x->frame_first = rep->nr_frames;
		if (!user && x->key.site)
			err = add_frame(rep, &cap, x->key.site, false);
		for (uint32_t j = 0; st && j < st->nr_ips && j < LS_MAX_FRAMES && st->ips[j] && !err; j++)
			err = add_frame(rep, &cap, st->ips[j], user);
		x->nr_frames = rep->nr_frames - x->frame_first;
		if (c)	/* the kernel names the cache: print it escaped */
			fmt_printable(x->cache_name, sizeof(x->cache_name), c->name);
	}
	return err;
}

/* Ranks count every record, as valgrind numbers its loss records. Still
 * reachable records are counted but not listed in the text unless asked
 * for (valgrind's default too); JSON and folded output carry them all. */
static void rank_records(struct leak_report *rep)
{
	int rank[SRC_MAX] = {}, listed[SRC_MAX][2] = {};

	if (rep->nr_records)
		qsort(rep->records, rep->nr_records, sizeof(*rep->records), record_bytes_desc);
	for (size_t i = 0; i < rep->nr_records; i++) {
		struct leak_record *x = &rep->records[i];
		uint32_t s = x->key.src % SRC_MAX;

		x->rank = ++rank[s];
		x->hidden = x->kind == LEAK_REACHABLE && !rep->config.show_reachable;
		/* the top of the listed records and, apart, of the hidden ones:
		 * big still reachable caches never push a lost block out */
		x->in_top = !rep->config.top || ++listed[s][x->hidden] <= rep->config.top;
	}
}

static void sort_copy(void *to, const void *items, size_t n, size_t size,
		      int (*cmp)(const void *, const void *))
{
	if (!n)
		return;
	memcpy(to, items, n * size);
	qsort(to, n, size, cmp);
}

int leak_report_build(struct leak_report *rep, const struct leak_snapshot *snap,
		      const struct leak_model_config *config, const struct leak_history *h,
		      const struct leak_report_meta *meta)
{
	struct build_scratch t = { 0 };
	uint64_t since = h->nr_reports ? h->prev_ns : h->start_ns;
	int err;

	memset(rep, 0, sizeof(*rep));
	rep->config = *config;
	rep->meta = *meta;
	rep->now_ns = snap->now_ns;
	rep->meta.elapsed_s = (double)(snap->now_ns - h->start_ns) / 1e9;
	rep->meta.interval_s = (double)(snap->now_ns - since) / 1e9;
	rep->meta.has_previous = h->nr_reports > 0;
	memcpy(rep->stats, snap->stats, sizeof(rep->stats));
	rep->kernel_missed = snap->kernel_missed;

	err = scratch_alloc(&t, snap);
	if (!err)
		err = kcache_check(snap, &rep->unseen, &rep->nr_unseen);
	if (!err)
		err = split_blocks(rep, snap, t.live, &t.nr_live);
	if (!err)
		err = group_records(rep);
	if (!err) {
		t.nr_tot = merge_totals(snap, t.live, t.nr_live, t.tot);
		fill_figures(rep, t.tot, t.nr_tot, h);
		rank_records(rep);
		sort_copy(t.lookups.stacks, snap->stacks, snap->nr_stacks, sizeof(*snap->stacks),
			  stack_cmp);
		sort_copy(t.lookups.caches, snap->caches, snap->nr_caches, sizeof(*snap->caches),
			  cache_cmp);
		err = attach_frames(rep, &t.lookups);
	}
	alloc_group_free(&t.arrays);
	if (err)
		leak_report_free(rep);
	return err;
}

void leak_report_free(struct leak_report *rep)
{
	free(rep->records);
	free(rep->blocks);
	free(rep->frames);
	free(rep->unseen);
	memset(rep, 0, sizeof(*rep));
}

/* ---- history --------------------------------------------------------------------------- */

int leak_history_advance(struct leak_history *h, const struct leak_report *rep)
{
	struct leak_history_entry *v = malloc((rep->nr_records ? rep->nr_records : 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < rep->nr_records; i++) {
		v[i].key = rep->records[i].key;
		v[i].kind = rep->records[i].kind;
		v[i].bytes = rep->records[i].bytes;
		v[i].blocks = rep->records[i].blocks;
	}
	if (rep->nr_records)
		qsort(v, rep->nr_records, sizeof(*v), history_cmp);
	free(h->prev);
	h->prev = v;
	h->nr_prev = rep->nr_records;
	for (int k = 0; k < SRC_MAX; k++)
		h->prev_net[k] = (int64_t)(rep->summary[k].totals.alloc_bytes -
					   rep->summary[k].totals.free_bytes);
	h->prev_ns = rep->now_ns;
	h->nr_reports++;
	return 0;
}

void leak_history_free(struct leak_history *h)
{
	free(h->prev);
	h->prev = NULL;
	h->nr_prev = 0;
}

void leak_set_summary_add(struct leak_set_summary *sum, const struct leak_report *report)
{
	sum->processes++;
	sum->exited += report->meta.exited;
	sum->scanned += report->meta.scan.done;
	for (int src = 0; src < SRC_MAX; src++) {
		sum->out_bytes[src] += report->summary[src].out_bytes;
		sum->out_blocks[src] += report->summary[src].out_blocks;
	}
	for (int k = 0; k < LEAK_KINDS; k++) {
		sum->kinds[k].bytes += report->kinds[k].bytes;
		sum->kinds[k].blocks += report->kinds[k].blocks;
	}
	sum->lost_records += report->lost_records;
}
