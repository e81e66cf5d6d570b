/* SPDX-License-Identifier: GPL-2.0 */
/* Slab caches whose frees leaksnoop does not all see, so that their blocks
 * are never called outstanding (pure: part of the model; tested in
 * tests/unit/test_leaksnoop_kcache.c).
 *
 * A kernel block stays in the table until a free event names it. Some
 * frees have none (kmem_cache_free_bulk, 6.18's per-CPU sheaves; kfree_rcu's
 * batches are watched: kfree_batch.c), and the kernel drops an event when
 * a tracing program would nest (a softirq's free during our free program),
 * so a block can be gone while the table holds it. Two facts prove a cache
 * (for kmalloc, a call site: its size class is everyone's) is in that case,
 * and either makes the report name the cache instead of listing its
 * blocks:
 *   missed:  the target allocated at an address the table still held for
 *            this cache: that block was freed unseen (counted in BPF);
 *   slab:    the table holds more of the cache's blocks than /proc/slabinfo
 *            says the whole cache has in use (active_objs, an upper bound).
 * Nothing is guessed: a cache with neither fact keeps its blocks listed. */
#ifndef LEAKSNOOP_KCACHE_CHECK_H
#define LEAKSNOOP_KCACHE_CHECK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "leaksnoop.h"
#include "memstat.h"

struct leak_block;
struct leak_snapshot;

/* One kunseen entry: a cache key and the allocations that found one of its
 * blocks still held. */
struct kcache_missed {
	uint64_t key;		/* struct kmem_cache *, or LS_KMALLOC_SITE_KEY(site) */
	uint64_t count;
};

/* A cache whose frees are not all seen, and what the report says of it. */
struct kcache_unseen {
	uint64_t key;
	char name[96];				/* printable: the cache's, or
						 * "kmalloc at <call site>" */
	uint64_t held_blocks, held_bytes;	/* in the table, not reported */
	uint64_t allocated;			/* target allocations seen */
	uint64_t missed;
	int64_t slab_active;			/* slabinfo's active_objs, -1: unknown */
};

/* The key of a kernel slab block's cache (kmalloc: its call site), 0 for
 * any other block. */
uint64_t kcache_key(const struct leak_block *b);

/* Names the kmalloc call sites of a kcache_check() result by kernel symbol
 * (leak_symbolizer's kernel resolver; NULL leaves addresses). */
void kcache_name_sites(struct kcache_unseen *v, size_t n,
		       const char *(*kernel)(void *ctx, uint64_t addr, uint64_t *offset), void *ctx);

/* The caches of snap's kernel blocks with a missed free or more blocks held
 * than slabinfo's active objects, sorted by key, into *out (malloc'd; NULL
 * when none). 0 or -ENOMEM. */
int kcache_check(const struct leak_snapshot *snap, struct kcache_unseen **out, size_t *nr);

/* The entry of key in a sorted kcache_check() result, or NULL. */
const struct kcache_unseen *kcache_find(const struct kcache_unseen *v, size_t n, uint64_t key);

#endif
