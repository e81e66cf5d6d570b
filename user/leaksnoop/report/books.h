/* SPDX-License-Identifier: GPL-2.0 */
/* leaksnoop --kernel and the books (user/lib/memacct.h): how much the
 * unaccounted remainder and each growing slab cache changed during the
 * trace, and what share of that the traced outstanding allocations explain
 * (page allocations for the remainder, a cache's own blocks for a cache).
 * Pure: two samples of the books (memsample.c reads them), the jitter
 * measured between readings at rest, and a built report in; numbers out.
 * books_source.c takes the samples, render_books.c prints the result. */
#ifndef LEAKSNOOP_BOOKS_H
#define LEAKSNOOP_BOOKS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "memledger.h"
#include "model.h"

#define BOOKS_SITES 3		/* call sites named for the remainder */
#define BOOKS_CACHES 8		/* growing caches shown */
#define BOOKS_SITE_LEN 96

/* A share is only a result when the change stands out of the jitter:
 * at least BOOKS_JITTER_TIMES the jitter measured, and at least the floor
 * (at rest the remainder moves 0.1-0.2 MiB between readings here; others'
 * pipes and sockets move it by more on a loaded machine). */
#define BOOKS_JITTER_TIMES 4
#define BOOKS_UNACCOUNTED_FLOOR ((int64_t)1 << 20)
#define BOOKS_CACHE_FLOOR ((int64_t)512 << 10)	/* bytes of objects a cache must gain */
#define BOOKS_CACHE_FLOOR_OBJS 256

/* What the jitter was at the start: the largest move between readings
 * taken at rest, of the remainder and of each cache's active objects. */
struct books_jitter {
	int64_t unaccounted;		/* bytes */
	struct slabinfo objs;		/* owned: per cache, active_objs = jitter */
};
void books_jitter_free(struct books_jitter *j);
/* Folds the move between two readings into j. 0 or -ENOMEM. */
int books_jitter_add(struct books_jitter *j, const struct mem_sample *a, const struct mem_sample *b);

struct books_site {
	char name[BOOKS_SITE_LEN];	/* the first frame past the page allocator */
	uint64_t bytes;
};

struct books_cache {
	char name[SLAB_NAME_LEN];
	int64_t objs, bytes;		/* change in active objects; in slab pages held */
	int64_t jitter_objs;
	uint64_t traced_blocks;		/* outstanding blocks traced in this cache */
	bool share_known;
	double share;			/* traced_blocks / objs */
	const char *why;		/* !share_known: why not */
};

struct books_explained {
	bool available;			/* the books could be read */
	char error[96];			/* !available: why not */
	double span_s;			/* between the two samples */
	int64_t unaccounted;		/* change of the remainder, bytes */
	int64_t jitter;			/* of the remainder, bytes */
	uint64_t page_bytes;		/* outstanding page allocations that count */
	uint64_t other_bucket_bytes;	/* those whose stack puts them in another
					 * bucket (slab, vmalloc, page tables,
					 * kernel stacks, percpu) */
	uint64_t no_stack_bytes;	/* without a stack: bucket unknown, not counted */
	bool share_known;
	double share;			/* page_bytes / unaccounted */
	const char *why;		/* !share_known: why not */
	struct books_site sites[BOOKS_SITES];
	int nr_sites;
	struct books_cache caches[BOOKS_CACHES];
	int nr_caches;			/* growing, largest change first */
	const char *slab_why;		/* caches not compared: why (NULL: compared) */
};

/* Explains the change from start to now by rep's outstanding blocks (every
 * record, not only the shown ones); sym's kernel resolver names the frames
 * symbolize left unresolved (may be NULL). Pure. */
void books_explain(const struct mem_sample *start, const struct mem_sample *now,
		   const struct books_jitter *jitter, const struct leak_report *rep,
		   const struct leak_symbolizer *sym, struct books_explained *out);

/* The text "BOOKS" block and the JSON "books" object (render_books.c). */
struct json;
void books_render_text(FILE *f, const struct books_explained *b);
void books_render_json(struct json *j, const struct books_explained *b);

#endif
