// SPDX-License-Identifier: GPL-2.0
/* The memory that holds no roots: see scan_roots.h and scan.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include "scan_roots.h"

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int thread_by_tid(const void *a, const void *b)
{
	uint32_t x = ((const struct scan_thread *)a)->tid, y = ((const struct scan_thread *)b)->tid;

	return x < y ? -1 : x > y;
}

/* Where the threads listed now have their stacks: each one's stack
 * pointer, and the one it started with (a thread seen only as dying, at
 * the exit hold, has no stack pointer read). Sorted; NULL when short of
 * memory. */
static uint64_t *stack_points(const struct scan_input *in, const struct thr *v, size_t n,
			      size_t *nr)
{
	uint64_t *pts = malloc((2 * n + 1) * sizeof(*pts));
	struct scan_thread *byt = malloc((in->nr_threads + 1) * sizeof(*byt));
	size_t m = 0;

	if (!pts || !byt) {
		free(pts);
		free(byt);
		return NULL;
	}
	for (size_t i = 0; i < in->nr_threads; i++)
		byt[i] = in->threads[i];
	qsort(byt, in->nr_threads, sizeof(*byt), thread_by_tid);
	for (size_t i = 0; i < n; i++) {
		struct scan_thread want = { .tid = (uint32_t)v[i].tid };
		const struct scan_thread *t = bsearch(&want, byt, in->nr_threads, sizeof(*byt),
						      thread_by_tid);

		if (v[i].sp)
			pts[m++] = v[i].sp;
		if (t && t->first_sp)
			pts[m++] = t->first_sp;
	}
	free(byt);
	qsort(pts, m, sizeof(*pts), u64_cmp);
	*nr = m;
	return pts;
}

/* The lowest point in (s->start, s->end], or 0. (A stack's first stack
 * pointer may be its top: regions.c counts it in too.) */
static uint64_t lowest_point_in(const struct reach_range *s, const uint64_t *pts, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pts[mid] <= s->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && pts[lo] <= s->end ? pts[lo] : 0;
}

/* Every first stack pointer the table holds, sorted; NULL when short. */
static uint64_t *first_sps(const struct scan_input *in)
{
	uint64_t *v = malloc((in->nr_threads + 1) * sizeof(*v));

	for (size_t i = 0; v && i < in->nr_threads; i++)
		v[i] = in->threads[i].first_sp;
	if (v)
		qsort(v, in->nr_threads, sizeof(*v), u64_cmp);
	return v;
}

/* An exited thread's stack: its frames, below where it started, hold no
 * roots; above that are its static TLS and glibc's thread descriptor,
 * which glibc keeps with the cached stack (the descriptor points to the
 * thread's TLS vector, reused by the next thread): roots still, as in
 * memcheck, which scans the stack above the thread's last stack pointer. */
static struct reach_range frames_of(const struct reach_range *s, const uint64_t *firsts, size_t n)
{
	uint64_t first = lowest_point_in(s, firsts, n);

	return (struct reach_range){ s->start, first ? first & ~7ULL : s->end };
}

int scan_nonroot_ranges(const struct scan_input *in, const struct thr *v, size_t n,
			struct reach_range **out, size_t *nr_out, struct scan_stats *st)
{
	size_t nr_pts = 0, m = 0;
	uint64_t *pts = in->threads_known ? stack_points(in, v, n, &nr_pts) : NULL;
	uint64_t *firsts = in->threads_known ? first_sps(in) : NULL;
	struct reach_range *r = malloc((in->nr_stacks + in->nr_owned + 1) * sizeof(*r));

	*out = NULL;
	*nr_out = 0;
	if (!r || (in->threads_known && (!pts || !firsts))) {
		free(r);
		free(pts);
		free(firsts);
		return -ENOMEM;
	}
	for (size_t i = 0; in->threads_known && i < in->nr_stacks; i++)
		if (!lowest_point_in(&in->stacks[i], pts, nr_pts)) {
			r[m++] = frames_of(&in->stacks[i], firsts, in->nr_threads);
			st->exited_stacks++;
		}
	st->alloc_rule = in->owned_not_roots ? ALLOC_MAPS_NOT_ROOTS : ALLOC_MAPS_ROOTS;
	for (size_t i = 0; in->owned_not_roots && i < in->nr_owned; i++) {
		r[m++] = in->owned[i];
		st->owned_maps++;
	}
	free(pts);
	free(firsts);
	*out = r;
	*nr_out = m;
	return 0;
}
