// SPDX-License-Identifier: GPL-2.0
/* The books as Prometheus metrics, so that a fleet can alert on kernel
 * growth: every bucket, the largest slab caches, the buddy allocator's free
 * blocks per zone and order, and the verdict. */
#include "view_books.h"
#include "view_prom.h"

#define PROM_SLAB_TOP 20	/* cache series: the largest; ~20 of ~250 */

static void books_buckets(FILE *o, enum prom_format fmt, const struct mem_ledger *l)
{
	prom_family(o, fmt, "mmscope_memory_bucket_bytes", "gauge",
		    "MemTotal split into buckets that add up to it (faulttop's books); unaccounted is the remainder and may be negative when counters overlap.");
	for (int k = 0; k < MB_NR; k++)
		fprintf(o, "mmscope_memory_bucket_bytes{bucket=\"%s\"} %lld\n", mem_bucket_name(k),
			(long long)l->last.books.bucket[k]);
	prom_family(o, fmt, "mmscope_memory_bucket_growth_bytes_per_second", "gauge",
		    "Least-squares slope of each bucket over faulttop's last samples (--mem-interval apart).");
	for (int k = 0; k < MB_NR; k++)
		fprintf(o, "mmscope_memory_bucket_growth_bytes_per_second{bucket=\"%s\"} %.1f\n",
			mem_bucket_name(k), trend_slope(&l->bucket[k]));
}

static void books_slab(FILE *o, enum prom_format fmt, const struct mem_ledger *l)
{
	size_t top[PROM_SLAB_TOP];
	int n = books_top_caches(&l->last.slab, l->last.page_size, top, PROM_SLAB_TOP);

	if (!n)
		return;
	prom_family(o, fmt, "mmscope_slab_cache_bytes", "gauge",
		    "Pages held by a slab cache (/proc/slabinfo num_slabs x pagesperslab), the largest caches only.");
	for (int i = 0; i < n; i++) {
		const struct slab_cache *c = &l->last.slab.c[top[i]];

		fputs("mmscope_slab_cache_bytes{cache=\"", o);
		prom_label_value(o, c->name);
		fprintf(o, "\"} %llu\n", (unsigned long long)slab_cache_bytes(c, l->last.page_size));
	}
}

static void books_buddy(FILE *o, enum prom_format fmt, const struct buddyinfo *b)
{
	if (!b->n)
		return;
	prom_family(o, fmt, "mmscope_buddy_free_pages", "gauge",
		    "Free pages in blocks of 2^order pages per zone (/proc/buddyinfo count x 2^order): few high orders mean fragmentation.");
	for (int i = 0; i < b->n; i++) {
		/* unsigned, and bounded by the array too: GCC's array-bounds
		 * check under -fsanitize=undefined can't see nr_orders' range */
		for (unsigned ord = 0; ord < (unsigned)b->z[i].nr_orders && ord < BUDDY_MAX_ORDERS; ord++) {
			unsigned long long pages = (unsigned long long)b->z[i].free[ord] << ord;

			fprintf(o, "mmscope_buddy_free_pages{node=\"%d\",zone=\"", b->z[i].node);
			prom_label_value(o, b->z[i].zone);
			fprintf(o, "\",order=\"%u\"} %llu\n", ord, pages);
		}
	}
}

static void books_verdict(FILE *o, enum prom_format fmt, const struct mem_verdict *v)
{
	static const enum mem_where wheres[] = { MEM_WHERE_NONE, MEM_WHERE_USER, MEM_WHERE_KERNEL };

	prom_family(o, fmt, "mmscope_memory_growing", "gauge",
		    "1 for where faulttop's verdict says memory grows (none: steady or not judged yet).");
	for (size_t i = 0; i < sizeof(wheres) / sizeof(wheres[0]); i++)
		fprintf(o, "mmscope_memory_growing{where=\"%s\"} %d\n", mem_where_name(wheres[i]),
			v->where == wheres[i]);
}

void prom_write_books(FILE *o, enum prom_format fmt, const struct sys_totals *s)
{
	if (!s->books)
		return;
	books_buckets(o, fmt, s->books);
	books_slab(o, fmt, s->books);
	books_buddy(o, fmt, &s->books->last.buddy);
	if (s->verdict)
		books_verdict(o, fmt, s->verdict);
}
