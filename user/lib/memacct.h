/* SPDX-License-Identifier: GPL-2.0 */
/* The books: MemTotal split into buckets that do not overlap, from
 * /proc/meminfo and vmstat's nr_zspages, with an "unaccounted" remainder
 * (pages the kernel hands out without a meminfo field: pipe and socket
 * buffers, driver pages) that makes them add up to MemTotal exactly.
 *
 * The overlaps the kernel documents, and how they are undone:
 * - KReclaimable includes SReclaimable: other = KReclaimable - SReclaimable;
 * - Cached includes Shmem: page cache = Buffers + Cached - Shmem + SwapCached;
 * - with VMAP_STACK kernel stacks are vmalloc'd, so VmallocUsed (which
 *   counts only vmalloc()ed pages since 5.3) includes KernelStack;
 * - Mapped, Active/Inactive, Unevictable, AnonHugePages are views of pages
 *   counted elsewhere, never summands.
 * And one the kernel does not document: pages freed to a CPU's per-CPU list
 * are in no meminfo field until they go back to the buddy allocator; since
 * 6.7 those lists grow to hundreds of MiB (measured here: 68 MiB on one
 * CPU at rest, up to high_max 188 MiB), so the books take their count from
 * /proc/zoneinfo's pagesets, or the remainder would be mostly free pages.
 * One overlap cannot be undone from meminfo: a swap-cache page still mapped
 * is in both SwapCached and AnonPages. With per-CPU counter drift, that can
 * make the remainder negative; the books keep it negative (so the sum stays
 * exact) and say so. */
#ifndef MMSCOPE_MEMACCT_H
#define MMSCOPE_MEMACCT_H

#include <stdbool.h>
#include <stdint.h>
#include "procfs.h"

enum mem_bucket {
	MB_FREE,		/* MemFree (+ Unaccepted: handed out on first use) */
	MB_PCP_FREE,		/* free pages on per-CPU lists (zoneinfo): not in MemFree */
	MB_ANON,		/* AnonPages: user anonymous memory */
	MB_PAGE_CACHE,		/* Buffers + Cached - Shmem + SwapCached */
	MB_SHMEM,		/* Shmem: tmpfs, shared anonymous, SysV, memfd */
	MB_SLAB_RECLAIMABLE,	/* SReclaimable */
	MB_SLAB_UNRECLAIMABLE,	/* SUnreclaim */
	MB_KRECLAIMABLE_OTHER,	/* KReclaimable - SReclaimable */
	MB_KERNEL_STACK,	/* KernelStack */
	MB_PAGE_TABLES,		/* PageTables + SecPageTables */
	MB_VMALLOC,		/* VmallocUsed, less KernelStack with VMAP_STACK */
	MB_PERCPU,		/* Percpu */
	MB_HUGETLB,		/* Hugetlb (or HugePages_Total x Hugepagesize) */
	MB_COMPRESSED,		/* zswap/zram: max(Zswap, nr_zspages pages) */
	MB_UNACCOUNTED,		/* the remainder: MemTotal - all the above */
	MB_NR,
};

/* Where a bucket's growth points. */
enum mem_side { MEM_SIDE_USER, MEM_SIDE_KERNEL, MEM_SIDE_OTHER };

struct mem_books {
	uint64_t mem_total;
	int64_t bucket[MB_NR];		/* bytes; only MB_UNACCOUNTED can be < 0 */
	uint64_t missing;		/* meminfo fields absent (1 << MI_*) */
	bool vmap_stack;		/* KernelStack was taken out of VmallocUsed */
	bool has_zspages;		/* vmstat had nr_zspages */
};

/* What the books need besides meminfo. */
struct mem_env {
	uint64_t page_size;
	bool vmap_stack;		/* kernel stacks are vmalloc'd (x86_64, arm64) */
	bool has_zspages;
	uint64_t zspages;		/* vmstat nr_zspages */
	uint64_t pcp_pages;		/* zoneinfo: pages on per-CPU free lists */
};

/* Splits mi into b. Sum of b->bucket[] == mi->mem_total, always. */
void memacct_books(const struct meminfo *mi, const struct mem_env *env, struct mem_books *b);

/* "unaccounted", "slab_unreclaimable", ...: names for JSON and metrics. */
const char *mem_bucket_name(enum mem_bucket k);
/* "unaccounted (pipes, sockets, drivers)": for humans. */
const char *mem_bucket_label(enum mem_bucket k);
enum mem_side mem_bucket_side(enum mem_bucket k);
/* The meminfo fields the books use that mi lacked, as "A, B" into buf
 * ("" when none). Returns buf. */
char *memacct_missing_names(uint64_t missing, char *buf, size_t size);

#endif
