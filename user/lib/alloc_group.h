/* SPDX-License-Identifier: GPL-2.0 */
/* Arrays allocated one by one and freed together: a message and the tables
 * it points into (pprof's Profile and its parts, the samples and frames
 * leaksnoop hands to it). Adding an array cannot forget its free. */
#ifndef MMSCOPE_ALLOC_GROUP_H
#define MMSCOPE_ALLOC_GROUP_H

#include <stddef.h>
#include <stdlib.h>

/* the most arrays of one group: pprof's message has 11 */
#define ALLOC_GROUP_MAX 16

struct alloc_group {
	void *parts[ALLOC_GROUP_MAX];
	int n;
};

/* A zeroed array of n elements of size bytes, owned by g: room for one when
 * n is 0, so that NULL only means memory is short (or the group is full,
 * which a unit test of its user would show at once). */
static inline void *alloc_group_calloc(struct alloc_group *g, size_t n, size_t size)
{
	void *v;

	if (g->n == ALLOC_GROUP_MAX)
		return NULL;
	v = calloc(n ? n : 1, size);
	if (v)
		g->parts[g->n++] = v;
	return v;
}

/* Frees every array of g; g is empty after. */
static inline void alloc_group_free(struct alloc_group *g)
{
	for (int i = 0; i < g->n; i++)
		free(g->parts[i]);
	g->n = 0;
}

#endif
