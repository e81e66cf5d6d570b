// SPDX-License-Identifier: GPL-2.0
/* The books (memacct.h): meminfo's overlapping counters turned into
 * buckets that add up to MemTotal. Pure: numbers in, numbers out. */
#include "memacct.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name, *label;
	enum mem_side side;
} buckets[MB_NR] = {
	[MB_FREE] = { "free", "free", MEM_SIDE_OTHER },
	[MB_PCP_FREE] = { "pcp_free", "free on per-CPU lists", MEM_SIDE_OTHER },
	[MB_ANON] = { "anon", "user anonymous", MEM_SIDE_USER },
	[MB_PAGE_CACHE] = { "page_cache", "page cache", MEM_SIDE_OTHER },
	[MB_SHMEM] = { "shmem", "shmem/tmpfs", MEM_SIDE_USER },
	[MB_SLAB_RECLAIMABLE] = { "slab_reclaimable", "slab reclaimable", MEM_SIDE_KERNEL },
	[MB_SLAB_UNRECLAIMABLE] = { "slab_unreclaimable", "slab unreclaimable", MEM_SIDE_KERNEL },
	[MB_KRECLAIMABLE_OTHER] = { "kernel_reclaimable_other", "other reclaimable kernel", MEM_SIDE_KERNEL },
	[MB_KERNEL_STACK] = { "kernel_stack", "kernel stacks", MEM_SIDE_KERNEL },
	[MB_PAGE_TABLES] = { "page_tables", "page tables", MEM_SIDE_KERNEL },
	[MB_VMALLOC] = { "vmalloc", "vmalloc", MEM_SIDE_KERNEL },
	[MB_PERCPU] = { "percpu", "per-CPU", MEM_SIDE_KERNEL },
	[MB_HUGETLB] = { "hugetlb", "hugetlb pool", MEM_SIDE_OTHER },
	[MB_COMPRESSED] = { "zswap_zram", "zswap/zram", MEM_SIDE_OTHER },
	[MB_UNACCOUNTED] = { "unaccounted", "unaccounted (pipes, sockets, drivers)", MEM_SIDE_KERNEL },
};

const char *mem_bucket_name(enum mem_bucket k)
{
	return (unsigned)k < MB_NR ? buckets[k].name : "?";
}

const char *mem_bucket_label(enum mem_bucket k)
{
	return (unsigned)k < MB_NR ? buckets[k].label : "?";
}

enum mem_side mem_bucket_side(enum mem_bucket k)
{
	return (unsigned)k < MB_NR ? buckets[k].side : MEM_SIDE_OTHER;
}

/* The fields the books read. A kernel that lacks one (SecPageTables before
 * 6.1, Zswap before 5.19) counts it as 0; Unaccepted and the HugePages_*
 * fallback are optional and never reported missing. */
static const enum meminfo_field summands[] = {
	MI_MEM_TOTAL, MI_MEM_FREE, MI_BUFFERS, MI_CACHED, MI_SWAP_CACHED,
	MI_ANON_PAGES, MI_SHMEM, MI_KRECLAIMABLE, MI_SRECLAIMABLE, MI_SUNRECLAIM,
	MI_KERNEL_STACK, MI_PAGE_TABLES, MI_SEC_PAGE_TABLES, MI_PERCPU,
	MI_VMALLOC_USED, MI_HUGETLB, MI_ZSWAP,
};

/* a - b, or 0 when the counters (sampled at slightly different moments)
 * put b above a */
static uint64_t sub_floor(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static uint64_t hugetlb_bytes(const struct meminfo *mi)
{
	if (mi->present & (1ULL << MI_HUGETLB))
		return mi->hugetlb;
	/* before 4.16: only the default size's pool */
	return mi->hugepages_total * mi->hugepage_size;
}

static uint64_t compressed_bytes(const struct meminfo *mi, const struct mem_env *env)
{
	/* zsmalloc's pages hold zram and, when zswap's pool is zsmalloc (the
	 * only one since 6.15), zswap too: the larger one counts both without
	 * counting zswap twice. */
	uint64_t zs = env->has_zspages ? env->zspages * env->page_size : 0;

	return zs > mi->zswap ? zs : mi->zswap;
}

void memacct_books(const struct meminfo *mi, const struct mem_env *env, struct mem_books *b)
{
	int64_t *k;
	uint64_t stacks_in_vmalloc = 0, sum = 0;

	memset(b, 0, sizeof(*b));
	k = b->bucket;
	b->mem_total = mi->mem_total;
	for (size_t i = 0; i < sizeof(summands) / sizeof(summands[0]); i++)
		if (!(mi->present & (1ULL << summands[i])))
			b->missing |= 1ULL << summands[i];
	if (b->missing & (1ULL << MI_HUGETLB) && mi->present & (1ULL << MI_HUGEPAGES_TOTAL))
		b->missing &= ~(1ULL << MI_HUGETLB);
	if (env->vmap_stack) {
		stacks_in_vmalloc = mi->kernel_stack < mi->vmalloc_used ? mi->kernel_stack : mi->vmalloc_used;
		b->vmap_stack = true;
	}
	b->has_zspages = env->has_zspages;

	k[MB_FREE] = (int64_t)(mi->mem_free + mi->unaccepted);
	k[MB_PCP_FREE] = (int64_t)(env->pcp_pages * env->page_size);
	k[MB_ANON] = (int64_t)mi->anon_pages;
	k[MB_PAGE_CACHE] = (int64_t)(mi->buffers + sub_floor(mi->cached, mi->shmem) + mi->swap_cached);
	k[MB_SHMEM] = (int64_t)mi->shmem;
	k[MB_SLAB_RECLAIMABLE] = (int64_t)mi->sreclaimable;
	k[MB_SLAB_UNRECLAIMABLE] = (int64_t)mi->sunreclaim;
	k[MB_KRECLAIMABLE_OTHER] = (int64_t)sub_floor(mi->kreclaimable, mi->sreclaimable);
	k[MB_KERNEL_STACK] = (int64_t)mi->kernel_stack;
	k[MB_PAGE_TABLES] = (int64_t)(mi->page_tables + mi->sec_page_tables);
	k[MB_VMALLOC] = (int64_t)(mi->vmalloc_used - stacks_in_vmalloc);
	k[MB_PERCPU] = (int64_t)mi->percpu;
	k[MB_HUGETLB] = (int64_t)hugetlb_bytes(mi);
	k[MB_COMPRESSED] = (int64_t)compressed_bytes(mi, env);
	/* A hostile text can hold values near 2^64: clamp every bucket to what
	 * int64 holds so the remainder below stays well defined. */
	for (int i = 0; i < MB_UNACCOUNTED; i++) {
		if (k[i] < 0)
			k[i] = INT64_MAX;
		sum += (uint64_t)k[i];
	}
	/* unsigned arithmetic wraps; the cast turns it into the signed
	 * remainder, so Σ bucket == MemTotal holds modulo 2^64 exactly */
	k[MB_UNACCOUNTED] = (int64_t)(mi->mem_total - sum);
}

char *memacct_missing_names(uint64_t missing, char *buf, size_t size)
{
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (int f = 0; f < MI_NR_FIELDS && size; f++) {
		if (!(missing & (1ULL << f)))
			continue;
		int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", meminfo_field_name(f));

		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
	return buf;
}
