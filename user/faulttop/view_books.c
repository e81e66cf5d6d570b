// SPDX-License-Identifier: GPL-2.0
/* The books in faulttop's batch views: the "memory" object of each --json
 * frame and the verdict line of the text frames. Serializes the ledger
 * (user/lib/memledger.h); computes nothing but sums for display. */
#include <string.h>
#include "view.h"
#include "view_books.h"

#define JSON_SLAB_TOP 20	/* the largest caches ... */
#define JSON_SLAB_GROWING 10	/* ... the fastest growing, and the verdict's */

static void json_buckets(struct json *j, const struct mem_books *b)
{
	json_obj_begin(j, "buckets");
	for (int k = 0; k < MB_NR; k++)
		json_i64(j, mem_bucket_name(k), b->bucket[k]);
	json_obj_end(j);
}

static void json_trends(struct json *j, const struct mem_ledger *l)
{
	json_obj_begin(j, "trends");
	for (int k = 0; k < MB_NR; k++) {
		const struct trend *tr = &l->bucket[k];

		json_obj_begin(j, mem_bucket_name(k));
		json_f64(j, "bytes_per_s", trend_slope(tr));
		json_f64(j, "rise_bytes", trend_slope(tr) * trend_span(tr));
		json_f64(j, "fit", trend_fit(tr));
		json_i64(j, "samples", tr->n);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void json_missing(struct json *j, uint64_t missing)
{
	json_arr_begin(j, "missing_fields");
	for (int f = 0; f < MI_NR_FIELDS; f++)
		if (missing & (1ULL << f))
			json_str(j, NULL, meminfo_field_name(f));
	json_arr_end(j);
}

static void json_cache(struct json *j, const struct slab_cache *c, const struct mem_ledger *l)
{
	const struct mem_cache_track *t = mem_ledger_cache(l, c->name);

	json_obj_begin(j, NULL);
	json_str(j, "cache", c->name);
	json_u64(j, "bytes", slab_cache_bytes(c, l->last.page_size));
	json_u64(j, "active_objs", c->active_objs);
	json_u64(j, "num_objs", c->num_objs);
	json_u64(j, "objsize", c->objsize);
	if (t) {
		json_f64(j, "bytes_per_s", trend_slope(&t->bytes));
		json_f64(j, "objs_rise", trend_slope(&t->objs) * trend_span(&t->objs));
	}
	json_obj_end(j);
}

static bool cache_in_verdict(const struct mem_verdict *v, const char *name)
{
	for (int i = 0; v && i < v->nr_caches; i++)
		if (strcmp(v->caches[i].name, name) == 0)
			return true;
	return false;
}

static bool listed(const size_t *idx, int n, size_t i)
{
	for (int k = 0; k < n; k++)
		if (idx[k] == i)
			return true;
	return false;
}

/* The JSON lists ~40 of ~250 caches: the largest, the fastest growing (by
 * their trend's slope), and every one the verdict names. */
static void json_slab(struct json *j, const struct mem_ledger *l, const struct mem_verdict *v)
{
	const struct slabinfo *s = &l->last.slab;
	size_t top[JSON_SLAB_TOP], grow[JSON_SLAB_GROWING];
	int nr_top = books_top_caches(s, l->last.page_size, top, JSON_SLAB_TOP);
	int nr_grow = books_growing_caches(l, grow, JSON_SLAB_GROWING);

	if (l->last.slab_err)
		json_str(j, "slab_error", strerror(-l->last.slab_err));
	json_u64(j, "slab_caches", s->n);
	json_arr_begin(j, "slab");
	for (size_t i = 0; i < s->n; i++)
		if (listed(top, nr_top, i) || listed(grow, nr_grow, i) ||
		    cache_in_verdict(v, s->c[i].name))
			json_cache(j, &s->c[i], l);
	json_arr_end(j);
}

static void json_buddy(struct json *j, const struct buddyinfo *b)
{
	json_arr_begin(j, "buddy");
	for (int i = 0; i < b->n; i++) {
		json_obj_begin(j, NULL);
		json_i64(j, "node", b->z[i].node);
		json_str(j, "zone", b->z[i].zone);
		json_arr_begin(j, "free_blocks");
		for (int o = 0; o < b->z[i].nr_orders && o < BUDDY_MAX_ORDERS; o++)
			json_u64(j, NULL, b->z[i].free[o]);
		json_arr_end(j);
		json_u64(j, "free_pages", buddy_zone_free_pages(&b->z[i]));
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_zones(struct json *j, const struct zoneinfo *z)
{
	json_arr_begin(j, "zones");
	for (int i = 0; i < z->n; i++) {
		const struct zone_wmark *w = &z->z[i];

		json_obj_begin(j, NULL);
		json_i64(j, "node", w->node);
		json_str(j, "zone", w->zone);
		json_u64(j, "free_pages", w->free);
		json_u64(j, "min", w->min);
		json_u64(j, "low", w->low);
		json_u64(j, "high", w->high);
		json_u64(j, "managed", w->managed);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_verdict(struct json *j, const struct mem_verdict *v)
{
	json_obj_begin(j, "verdict");
	json_str(j, "where", mem_where_name(v->where));
	json_str(j, "sentence", v->sentence);
	json_bool(j, "judged", v->enough);
	json_i64(j, "samples", v->samples);
	json_f64(j, "span_s", v->span_s);
	json_f64(j, "user_bytes_per_s", v->user_rate);
	json_f64(j, "kernel_bytes_per_s", v->kernel_rate);
	json_arr_begin(j, "buckets");
	for (int i = 0; i < v->nr_buckets; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "bucket", mem_bucket_name(v->buckets[i].bucket));
		json_f64(j, "bytes_per_s", v->buckets[i].rate);
		json_f64(j, "rise_bytes", v->buckets[i].rise);
		json_f64(j, "fit", v->buckets[i].fit);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_arr_begin(j, "caches");
	for (int i = 0; i < v->nr_caches; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "cache", v->caches[i].name);
		json_f64(j, "bytes_per_s", v->caches[i].rate);
		json_f64(j, "rise_bytes", v->caches[i].rise);
		json_f64(j, "objs_rise", v->caches[i].objs_rise);
		json_f64(j, "fit", v->caches[i].fit);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_arr_begin(j, "pids");
	for (int i = 0; i < v->nr_procs; i++)
		json_i64(j, NULL, v->procs[i].pid);
	json_arr_end(j);
	json_arr_begin(j, "procs");
	for (int i = 0; i < v->nr_procs; i++) {
		json_obj_begin(j, NULL);
		json_i64(j, "pid", v->procs[i].pid);
		json_str(j, "comm", v->procs[i].comm);
		json_f64(j, "uss_bytes_per_s", v->procs[i].rate);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

void view_json_books(struct json *j, const struct sys_totals *s)
{
	const struct mem_ledger *l = s->books;

	if (!l)
		return;
	json_obj_begin(j, "memory");
	json_f64(j, "read_at", l->last.t);
	json_u64(j, "page_size", l->last.page_size);
	json_u64(j, "mem_total", l->last.books.mem_total);
	json_buckets(j, &l->last.books);
	json_bool(j, "unaccounted_negative", l->last.books.bucket[MB_UNACCOUNTED] < 0);
	json_bool(j, "vmap_stack", l->last.books.vmap_stack);
	json_missing(j, l->last.books.missing);
	json_trends(j, l);
	json_slab(j, l, s->verdict);
	json_buddy(j, &l->last.buddy);
	json_zones(j, &l->last.zones);
	if (s->verdict)
		json_verdict(j, s->verdict);
	json_obj_end(j);
}

void view_text_books(FILE *out, const struct sys_totals *s)
{
	char missing[256];

	if (!s->verdict || !s->books)
		return;
	fprintf(out, "memory: %s\n", s->verdict->sentence);
	if (s->books->last.books.bucket[MB_UNACCOUNTED] < 0)
		fprintf(out, "memory: the counters overlap: unaccounted is negative (%lld bytes)\n",
			(long long)s->books->last.books.bucket[MB_UNACCOUNTED]);
	/* said once: the first frame with books */
	if (s->books->samples == 1 && s->books->last.books.missing)
		fprintf(out, "memory: this kernel has no %s in /proc/meminfo: counted as 0\n",
			memacct_missing_names(s->books->last.books.missing, missing, sizeof(missing)));
}

/* Keeps out[] (n of max) sorted by key, largest first: insertion into a
 * short list, n ~250 caches, max ~20. */
static int insert_top(size_t *out, double *keys, int n, int max, size_t i, double key)
{
	int at = n < max ? n : max;

	while (at > 0 && keys[at - 1] < key)
		at--;
	if (at >= max)
		return n;
	if (n < max)
		n++;
	memmove(out + at + 1, out + at, (size_t)(n - 1 - at) * sizeof(*out));
	memmove(keys + at + 1, keys + at, (size_t)(n - 1 - at) * sizeof(*keys));
	out[at] = i;
	keys[at] = key;
	return n;
}

int books_top_caches(const struct slabinfo *s, uint64_t page_size, size_t *out, int max)
{
	double keys[max > 0 ? max : 1];
	int n = 0;

	for (size_t i = 0; i < s->n; i++)
		n = insert_top(out, keys, n, max, i, (double)slab_cache_bytes(&s->c[i], page_size));
	return n;
}

int books_growing_caches(const struct mem_ledger *l, size_t *out, int max)
{
	double keys[max > 0 ? max : 1];
	int n = 0;

	for (size_t i = 0; i < l->last.slab.n; i++) {
		const struct mem_cache_track *t = mem_ledger_cache(l, l->last.slab.c[i].name);
		double slope = t ? trend_slope(&t->bytes) : 0;

		if (slope > 0)
			n = insert_top(out, keys, n, max, i, slope);
	}
	return n;
}
