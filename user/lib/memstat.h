/* SPDX-License-Identifier: GPL-2.0 */
/* Parsers for the kernel's memory statistics beyond /proc/meminfo:
 * /proc/slabinfo (per slab cache), /proc/buddyinfo (free blocks per order
 * per zone), /proc/zoneinfo (per-zone free pages against the watermarks)
 * and /proc/vmstat's nr_zspages. Text in, structs out, like procfs.h: each
 * takes the file's NUL-terminated text, so they are unit-tested on saved
 * texts of several kernels and fuzzed. */
#ifndef MMSCOPE_MEMSTAT_H
#define MMSCOPE_MEMSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLAB_NAME_LEN 48	/* the kernel's longest names are ~30 */

/* One line of /proc/slabinfo (version 2.1). What "active" means under SLUB
 * (mm/slub.c get_slabinfo): the cache's objects minus the free ones on the
 * nodes' partial lists. Free objects on a CPU's slab, its partial slabs and
 * (6.18+) its sheaves count as active, so active_objs is an upper bound of
 * the objects in use, not their count, and it moves by up to a few slabs per
 * CPU with nothing allocated. */
struct slab_cache {
	char name[SLAB_NAME_LEN];
	uint64_t active_objs, num_objs, objsize, objs_per_slab, pages_per_slab;
	uint64_t active_slabs, num_slabs;
};
struct slabinfo {
	struct slab_cache *c;	/* owned */
	size_t n, cap;
};
/* Parses the whole text. -EINVAL unless it starts with "slabinfo - version:
 * 2.", -ENOMEM; lines that don't parse are skipped. out is reset first. */
int memstat_parse_slabinfo(const char *text, struct slabinfo *out);
void slabinfo_free(struct slabinfo *s);
/* memstat_parse_slabinfo() of /proc/slabinfo (readable by root only): the
 * one reader outside memsample's. 0 or -errno. */
int memstat_read_slabinfo(struct slabinfo *out);
/* The cache called name, or NULL. */
const struct slab_cache *memstat_find_slab(const struct slabinfo *s, const char *name);
/* The memory a cache holds: its slabs' pages (free objects included). */
uint64_t slab_cache_bytes(const struct slab_cache *c, uint64_t page_size);

#define BUDDY_MAX_ORDERS 16	/* MAX_ORDER is 11 on x86 (0..10), up to 13+ elsewhere */
#define MEM_MAX_ZONES 32	/* nodes x zones shown; more are dropped, counted */
#define ZONE_NAME_LEN 16

/* One "Node N, zone NAME c0 c1 ..." line of /proc/buddyinfo. */
struct buddy_zone {
	int node;
	char zone[ZONE_NAME_LEN];
	int nr_orders;
	uint64_t free[BUDDY_MAX_ORDERS];	/* free blocks of 2^order pages */
};
struct buddyinfo {
	struct buddy_zone z[MEM_MAX_ZONES];
	int n;
	int dropped;		/* zones past MEM_MAX_ZONES */
};
/* -EINVAL when no line parses. */
int memstat_parse_buddyinfo(const char *text, struct buddyinfo *out);
/* Free pages a zone's blocks hold (sum of count << order). */
uint64_t buddy_zone_free_pages(const struct buddy_zone *z);

/* One zone of /proc/zoneinfo, in pages. */
struct zone_wmark {
	int node;
	char zone[ZONE_NAME_LEN];
	uint64_t free, min, low, high, managed;
	uint64_t pcp;		/* free pages on its per-CPU lists (pagesets' count) */
};
struct zoneinfo {
	struct zone_wmark z[MEM_MAX_ZONES];
	int n;
	int dropped;
};
/* -EINVAL when no zone parses. */
int memstat_parse_zoneinfo(const char *text, struct zoneinfo *out);

/* /proc/vmstat's nr_zspages (zsmalloc's pages: zram, and zswap on
 * zsmalloc). -ENOENT when the kernel has no such line (no zsmalloc). */
int memstat_parse_vmstat_zspages(const char *text, uint64_t *pages);

#endif
