// SPDX-License-Identifier: GPL-2.0
/* The ledger and its verdict (memledger.h). */
#include "memledger.h"
#include "vec.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1024.0 * 1024.0)

/* Thresholds, measured on a 2-core 6.18 guest with seven other builds
 * running: the unaccounted remainder jitters by 1-4 MiB between samples
 * (per-CPU counters), with r² under 0.3 over 12 samples; a real 32 MiB
 * rise (512 pipes) fits at r² >= 0.8 while it happens. */
const struct mem_thresholds mem_default_thresholds = {
	.min_samples = 4,
	.bucket_rise = 4 * MIB,
	.cache_rise = 1 * MIB,
	.proc_rise = 1 * MIB,
	.min_fit = 0.6,
};

void mem_sample_free(struct mem_sample *s)
{
	slabinfo_free(&s->slab);
}

void mem_ledger_free(struct mem_ledger *l)
{
	mem_sample_free(&l->last);
	free(l->caches);
	memset(l, 0, sizeof(*l));
}

int64_t mem_ledger_history(const struct mem_ledger *l, int i, enum mem_bucket k)
{
	int start = l->hist_n < MEM_HISTORY ? 0 : l->hist_head;

	if (i < 0 || i >= l->hist_n || (unsigned)k >= MB_NR)
		return 0;
	return l->history[(start + i) % MEM_HISTORY][k];
}

static struct mem_cache_track *find_track(const struct mem_ledger *l, const char *name,
					  size_t hint)
{
	/* slabinfo lists the caches in the same order every time: try the
	 * same position first, so a sample costs ~n compares, not n² */
	if (hint < l->nr_caches && strcmp(l->caches[hint].name, name) == 0)
		return &l->caches[hint];
	for (size_t i = 0; i < l->nr_caches; i++)
		if (strcmp(l->caches[i].name, name) == 0)
			return &l->caches[i];
	return NULL;
}

const struct mem_cache_track *mem_ledger_cache(const struct mem_ledger *l, const char *name)
{
	const struct mem_cache_track *t = find_track(l, name, 0);

	return t && t->present ? t : NULL;
}

static struct mem_cache_track *new_track(struct mem_ledger *l, const char *name)
{
	struct mem_cache_track *t = vec_reserve(l->caches, &l->cap_caches, l->nr_caches,
						  sizeof(*t));

	if (!t)
		return NULL;
	l->caches = t;
	t = &l->caches[l->nr_caches++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	return t;
}

static int track_caches(struct mem_ledger *l, const struct mem_sample *s)
{
	int err = 0;

	for (size_t i = 0; i < l->nr_caches; i++)
		l->caches[i].present = false;
	for (size_t i = 0; i < s->slab.n; i++) {
		const struct slab_cache *c = &s->slab.c[i];
		struct mem_cache_track *t = find_track(l, c->name, i);

		if (!t && !(t = new_track(l, c->name))) {
			err = -ENOMEM;
			continue;
		}
		/* a name twice (a merged alias listed again): the first wins */
		if (t->present)
			continue;
		t->present = true;
		t->objsize = c->objsize;
		trend_add(&t->bytes, s->t, (double)slab_cache_bytes(c, s->page_size));
		trend_add(&t->objs, s->t, (double)c->active_objs);
	}
	return err;
}

int mem_ledger_add(struct mem_ledger *l, struct mem_sample *s)
{
	int64_t *row = l->history[l->hist_head];
	int err;

	for (int k = 0; k < MB_NR; k++) {
		trend_add(&l->bucket[k], s->t, (double)s->books.bucket[k]);
		row[k] = s->books.bucket[k];
	}
	l->hist_head = (l->hist_head + 1) % MEM_HISTORY;
	if (l->hist_n < MEM_HISTORY)
		l->hist_n++;
	err = track_caches(l, s);
	l->interval_s = l->samples ? s->t - l->last.t : 0;
	l->samples++;
	mem_sample_free(&l->last);
	l->last = *s;
	memset(&s->slab, 0, sizeof(s->slab));
	return err;
}

/* ---- the verdict ---------------------------------------------------------- */

bool mem_trend_grows(const struct trend *tr, int min_samples, double min_rise, double min_fit,
		     double *rate, double *rise, double *fit)
{
	*rate = trend_slope(tr);
	*rise = *rate * trend_span(tr);
	*fit = trend_fit(tr);
	return tr->n >= min_samples && *rate > 0 && *rise >= min_rise && *fit >= min_fit;
}

static int by_rise_desc(double a, double b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_bucket_growth(const void *a, const void *b)
{
	return by_rise_desc(((const struct mem_growth *)a)->rise, ((const struct mem_growth *)b)->rise);
}

static int cmp_cache_growth(const void *a, const void *b)
{
	return by_rise_desc(((const struct mem_cache_growth *)a)->rise,
			    ((const struct mem_cache_growth *)b)->rise);
}

static int cmp_proc_growth(const void *a, const void *b)
{
	return by_rise_desc(((const struct mem_proc_growth *)a)->rate,
			    ((const struct mem_proc_growth *)b)->rate);
}

static void judge_buckets(const struct mem_ledger *l, const struct mem_thresholds *th,
			  struct mem_verdict *v)
{
	for (int k = 0; k < MB_NR; k++) {
		struct mem_growth g = { .bucket = k };
		enum mem_side side = mem_bucket_side(k);

		if (side == MEM_SIDE_OTHER ||
		    !mem_trend_grows(&l->bucket[k], th->min_samples, th->bucket_rise, th->min_fit,
				     &g.rate, &g.rise, &g.fit))
			continue;
		v->buckets[v->nr_buckets++] = g;
		if (side == MEM_SIDE_USER)
			v->user_rate += g.rate;
		else
			v->kernel_rate += g.rate;
	}
	qsort(v->buckets, (size_t)v->nr_buckets, sizeof(v->buckets[0]), cmp_bucket_growth);
}

/* A cache grows when the memory it holds does, or when its objects in use
 * do (objects x size over the threshold): new objects often fill the free
 * slots of slabs it already has (20,000 eventfds here: filp +19,700
 * objects, its pages barely). Fills g from whichever grew. */
static bool cache_grows(const struct mem_cache_track *t, const struct mem_thresholds *th,
			struct mem_cache_growth *g)
{
	double orate, ofit;
	bool by_objs = t->objsize &&
		mem_trend_grows(&t->objs, th->min_samples, th->cache_rise / (double)t->objsize,
				th->min_fit, &orate, &g->objs_rise, &ofit);

	if (mem_trend_grows(&t->bytes, th->min_samples, th->cache_rise, th->min_fit,
			    &g->rate, &g->rise, &g->fit))
		return true;
	if (!by_objs)
		return false;
	g->rate = orate * (double)t->objsize;
	g->rise = g->objs_rise * (double)t->objsize;
	g->fit = ofit;
	return true;
}

/* Every growing cache, sorted, the first MEM_VERDICT_MAX kept. Returns
 * their summed rate. */
static double judge_caches(const struct mem_ledger *l, const struct mem_thresholds *th,
			   struct mem_verdict *v)
{
	struct mem_cache_growth *all = calloc(l->nr_caches ? l->nr_caches : 1, sizeof(*all));
	double sum = 0, orate, ofit;
	int n = 0;

	if (!all)
		return 0;
	for (size_t i = 0; i < l->nr_caches; i++) {
		const struct mem_cache_track *t = &l->caches[i];
		struct mem_cache_growth *g = &all[n];

		if (!t->present || !cache_grows(t, th, g))
			continue;
		snprintf(g->name, sizeof(g->name), "%s", t->name);
		mem_trend_grows(&t->objs, 2, 0, 0, &orate, &g->objs_rise, &ofit);
		g->bytes = (uint64_t)trend_last(&t->bytes);
		sum += g->rate;
		n++;
	}
	qsort(all, (size_t)n, sizeof(*all), cmp_cache_growth);
	v->nr_caches = n < MEM_VERDICT_MAX ? n : MEM_VERDICT_MAX;
	memcpy(v->caches, all, (size_t)v->nr_caches * sizeof(*all));
	free(all);
	return sum;
}

static double judge_procs(const struct mem_thresholds *th, const struct mem_proc_growth *procs,
			  int nr_procs, struct mem_verdict *v)
{
	struct mem_proc_growth *all = calloc(nr_procs > 0 ? (size_t)nr_procs : 1, sizeof(*all));
	double sum = 0;
	int n = 0;

	if (!all)
		return 0;
	for (int i = 0; i < nr_procs; i++) {
		if (procs[i].rate <= 0 || procs[i].rise < th->proc_rise)
			continue;
		all[n++] = procs[i];
		sum += procs[i].rate;
	}
	qsort(all, (size_t)n, sizeof(*all), cmp_proc_growth);
	v->nr_procs = n < MEM_VERDICT_MAX ? n : MEM_VERDICT_MAX;
	memcpy(v->procs, all, (size_t)v->nr_procs * sizeof(*all));
	free(all);
	return sum;
}

const char *mem_where_name(enum mem_where w)
{
	switch (w) {
	case MEM_WHERE_USER: return "user";
	case MEM_WHERE_KERNEL: return "kernel";
	default: return "none";
	}
}

/* ---- the sentence --------------------------------------------------------- */

struct sbuf {
	char *s;
	size_t size, len;
};

static void put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (b->len >= b->size)
		return;
	va_start(ap, fmt);
	w = vsnprintf(b->s + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		b->len = b->len + (size_t)w < b->size ? b->len + (size_t)w : b->size - 1;
}

/* The growing buckets of one side, each after *sep (then ", "). */
static void say_buckets(struct sbuf *b, const struct mem_verdict *v, enum mem_side side,
			const char **sep)
{
	for (int i = 0; i < v->nr_buckets; i++) {
		const struct mem_growth *g = &v->buckets[i];

		if (mem_bucket_side(g->bucket) != side)
			continue;
		put(b, "%s%s %+.1f MiB (%+.2f MiB/s, fit %.2f)", *sep, mem_bucket_name(g->bucket),
		    g->rise / MIB, g->rate / MIB, g->fit);
		*sep = ", ";
	}
}

static void say_kernel(struct sbuf *b, const struct mem_verdict *v)
{
	const char *sep = "";

	say_buckets(b, v, MEM_SIDE_KERNEL, &sep);
	if (v->nr_caches)
		put(b, "%sslab caches", *sep ? "; " : "");
	for (int i = 0; i < v->nr_caches; i++)
		put(b, "%s %s %+.1f MiB (%+.0f objects)", i ? "," : "", v->caches[i].name,
		    v->caches[i].rise / MIB, v->caches[i].objs_rise);
}

static void say_user(struct sbuf *b, const struct mem_verdict *v)
{
	const char *sep = "";

	for (int i = 0; i < v->nr_procs; i++) {
		put(b, "%spid %d (%s) USS %+.2f MiB/s", sep, (int)v->procs[i].pid, v->procs[i].comm,
		    v->procs[i].rate / MIB);
		sep = ", ";
	}
	say_buckets(b, v, MEM_SIDE_USER, &sep);
}

static void write_sentence(const struct mem_verdict *v, char *out, size_t size)
{
	struct sbuf b = { out, size, 0 };
	bool user = v->user_rate > 0, kernel = v->kernel_rate > 0;

	out[0] = '\0';
	if (!v->enough) {
		put(&b, "not judged yet: %d sample%s of the %d a trend needs", v->samples,
		    v->samples == 1 ? "" : "s", mem_default_thresholds.min_samples);
		return;
	}
	if (v->where == MEM_WHERE_NONE) {
		put(&b, "steady: no bucket, slab cache or process grew over %.1f s (%d samples)",
		    v->span_s, v->samples);
		return;
	}
	put(&b, "growing in %s: ", v->where == MEM_WHERE_KERNEL ? "the kernel" : "user space");
	if (v->where == MEM_WHERE_KERNEL)
		say_kernel(&b, v);
	else
		say_user(&b, v);
	if (user && kernel) {
		put(&b, "; also %s: ", v->where == MEM_WHERE_KERNEL ? "user space" : "the kernel");
		if (v->where == MEM_WHERE_KERNEL)
			say_user(&b, v);
		else
			say_kernel(&b, v);
	}
	put(&b, " [over %.1f s, %d samples]", v->span_s, v->samples);
}

void mem_ledger_verdict(const struct mem_ledger *l, const struct mem_thresholds *th,
			const struct mem_proc_growth *procs, int nr_procs, struct mem_verdict *v)
{
	double cache_rate, proc_rate;

	memset(v, 0, sizeof(*v));
	v->samples = l->bucket[MB_FREE].n;
	v->span_s = trend_span(&l->bucket[MB_FREE]);
	v->enough = v->samples >= th->min_samples;
	if (v->enough) {
		judge_buckets(l, th, v);
		cache_rate = judge_caches(l, th, v);
		proc_rate = judge_procs(th, procs, nr_procs, v);
		/* a cache's growth is inside a slab bucket's: count the larger
		 * view of the same pages once, not both */
		v->kernel_rate = fmax(v->kernel_rate, cache_rate);
		v->user_rate = fmax(v->user_rate, proc_rate);
		if (v->kernel_rate > 0 || v->user_rate > 0)
			v->where = v->kernel_rate >= v->user_rate ? MEM_WHERE_KERNEL : MEM_WHERE_USER;
	}
	write_sentence(v, v->sentence, sizeof(v->sentence));
}
