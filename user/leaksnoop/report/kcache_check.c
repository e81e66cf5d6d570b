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

static uint64_t kcache_key_of(const struct ls_agg_key *k)
{
	if (k->src == SRC_KMEM_CACHE && k->cache)
		return k->cache;
	if (k->src == SRC_KMALLOC)
		return k->site ? LS_KMALLOC_SITE_KEY(k->site) : LS_KMALLOC_STACK_KEY(k->stack_id);
	return 0;
}

uint64_t kcache_key(const struct leak_block *b)
{
	return kcache_key_of(&b->key);
}

void kcache_name_sites(struct kcache_unseen *v, size_t n,
		       const char *(*kernel)(void *ctx, uint64_t addr, uint64_t *offset), void *ctx)
{
	for (size_t i = 0; i < n && kernel; i++) {
		uint64_t off;
		const char *fn = LS_KEY_TAG(v[i].key) == 1 ? kernel(ctx, LS_KEY_SITE(v[i].key), &off) : NULL;
		char name[sizeof(v[i].name)];

		if (!fn)
			continue;
		snprintf(name, sizeof(name), "kmalloc at %s+0x%llx", fn, (unsigned long long)off);
		fmt_printable(v[i].name, sizeof(v[i].name), name);
	}
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

/* The cache's name (the kernel's bytes, printable), what slabinfo says it
 * has in use, and the allocations seen. A kmalloc site is named by address
 * until kcache_name_sites(); slabinfo can't say what one site holds. */
static void describe(struct kcache_unseen *c, const struct leak_snapshot *snap)
{
	const struct slab_cache *s;

	for (size_t i = 0; i < snap->nr_totals; i++)
		if (kcache_key_of(&snap->totals[i].key) == c->key)
			c->allocated += snap->totals[i].agg.alloc_count;
	if (LS_KEY_TAG(c->key) == 1) {
		snprintf(c->name, sizeof(c->name), "kmalloc at 0x%llx",
			 (unsigned long long)LS_KEY_SITE(c->key));
		return;
	}
	if (LS_KEY_TAG(c->key) == 2) {
		snprintf(c->name, sizeof(c->name), "kmalloc, stack %u", (unsigned)c->key);
		return;
	}
	for (size_t i = 0; i < snap->nr_caches; i++)
		if (snap->caches[i].cache == c->key)
			fmt_printable(c->name, sizeof(c->name), snap->caches[i].name);
	s = c->name[0] && snap->have_slabs ? memstat_find_slab(&snap->slabs, c->name) : NULL;
	if (s)
		c->slab_active = (int64_t)s->active_objs;
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
