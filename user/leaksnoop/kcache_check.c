// SPDX-License-Identifier: GPL-2.0
/* Slab caches whose frees are not all seen: see kcache_check.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fmt.h"
#include "kcache_check.h"
#include "model.h"
#include "vec.h"

uint64_t kcache_key(const struct leak_block *b)
{
	if (b->key.src == SRC_KMEM_CACHE && b->key.cache)
		return b->key.cache;
	if (b->key.src == SRC_KMALLOC)
		return LS_KMALLOC_KEY(b->size);
	return 0;
}

static int unseen_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct kcache_unseen *)a)->key, y = ((const struct kcache_unseen *)b)->key;

	return x < y ? -1 : x > y;
}

const struct kcache_unseen *kcache_find(const struct kcache_unseen *v, size_t n, uint64_t key)
{
	struct kcache_unseen want = { .key = key };

	return n ? bsearch(&want, v, n, sizeof(*v), unseen_cmp) : NULL;
}

/* Every cache of the snapshot's kernel blocks with what the table holds of
 * it, sorted by key, into a malloc'd array. */
static struct kcache_unseen *held_per_cache(const struct leak_snapshot *snap, size_t *nr)
{
	struct kcache_unseen *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < snap->nr_blocks; i++) {
		uint64_t key = kcache_key(&snap->blocks[i]);
		struct kcache_unseen *c = NULL;

		if (!key)
			continue;
		for (size_t j = n; j-- > 0 && !c;)	/* blocks come in runs of a cache */
			if (v[j].key == key)
				c = &v[j];
		if (!c) {
			struct kcache_unseen *grown = vec_reserve(v, &cap, n, sizeof(*v));

			if (!grown) {
				free(v);
				return NULL;
			}
			v = grown;
			c = &v[n++];
			memset(c, 0, sizeof(*c));
			c->key = key;
			c->slab_active = -1;
		}
		c->held_blocks++;
		c->held_bytes += snap->blocks[i].size;
	}
	if (n)
		qsort(v, n, sizeof(*v), unseen_cmp);
	*nr = n;
	return v ? v : calloc(1, sizeof(*v));
}

/* The cache's name (the kernel's bytes, printable) and what slabinfo says
 * it has in use; kmalloc keys are named by size and not looked up: their
 * blocks spread over kmalloc-N, kmalloc-cg-N and kmalloc-rnd-*-N. */
static void describe(struct kcache_unseen *c, const struct leak_snapshot *snap)
{
	const struct slabinfo_cache *s;

	if (LS_IS_KMALLOC_KEY(c->key)) {
		snprintf(c->name, sizeof(c->name), "kmalloc-%llu",
			 (unsigned long long)(c->key & 0xffffffffffffULL));
		return;
	}
	for (size_t i = 0; i < snap->nr_caches; i++)
		if (snap->caches[i].cache == c->key)
			fmt_printable(c->name, sizeof(c->name), snap->caches[i].name);
	s = c->name[0] && snap->have_slabs ? slabinfo_find(&snap->slabs, c->name) : NULL;
	if (s)
		c->slab_active = (int64_t)s->active_objs;
	for (size_t i = 0; i < snap->nr_totals; i++)
		if (snap->totals[i].key.src == SRC_KMEM_CACHE && snap->totals[i].key.cache == c->key)
			c->allocated += snap->totals[i].agg.alloc_count;
}

static bool frees_unseen(const struct kcache_unseen *c)
{
	return c->missed || (c->slab_active >= 0 && c->held_blocks > (uint64_t)c->slab_active);
}

int kcache_check(const struct leak_snapshot *snap, struct kcache_unseen **out, size_t *nr)
{
	size_t n = 0, kept = 0;
	struct kcache_unseen *v = held_per_cache(snap, &n);

	*out = NULL;
	*nr = 0;
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < snap->nr_missed; i++) {
		struct kcache_unseen *c = (struct kcache_unseen *)kcache_find(v, n, snap->missed[i].key);

		if (c)
			c->missed += snap->missed[i].count;
	}
	for (size_t i = 0; i < n; i++) {
		describe(&v[i], snap);
		if (frees_unseen(&v[i]))
			v[kept++] = v[i];
	}
	if (!kept) {
		free(v);
		return 0;
	}
	*out = v;
	*nr = kept;
	return 0;
}
