/* SPDX-License-Identifier: GPL-2.0 */
/* What an outstanding mmap region is: a thread's stack, the allocator's own
 * mapping (glibc's per-thread arenas reserve 64 MiB each, jemalloc maps
 * extents), or a region the program mapped itself — the only kind that is a
 * leak candidate. Pure. */
#ifndef LEAKSNOOP_REGIONS_H
#define LEAKSNOOP_REGIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "leaksnoop.h"

struct region_facts {
	const uint64_t *thread_sps;	/* each thread's first stack pointer */
	size_t nr_sps;
	const char *const *alloc_files;	/* the allocators' files (any path form) */
	size_t nr_alloc_files;
	/* of those, the ones whose mappings hold only the allocator's own
	 * state and its blocks (not glibc's libc: its mmap callers include
	 * thread stacks, and its arenas' own pointers are handled apart) */
	const char *const *owner_files;
	size_t nr_owner_files;
};

/* SRC_THREAD_STACK when a thread's stack pointer lies in the region (its
 * top, where the stack starts, counts), else SRC_ALLOC_MAP when the code
 * that called mmap() (caller_module: the file it is in, NULL if unknown)
 * is an allocator's, else SRC_MMAP. */
enum ls_src region_kind(const struct region_facts *f, uint64_t addr, uint64_t size,
			const char *caller_module);

/* A SRC_ALLOC_MAP region mapped from caller_module: is it one of
 * owner_files' (the allocator's own state, no root when every block is
 * known)? */
bool region_alloc_owned(const struct region_facts *f, const char *caller_module);

/* True if two paths name the same file by base name ("/lib/x/libc.so.6"
 * and "/usr/lib/x/libc.so.6" after usrmerge). */
bool same_file_name(const char *a, const char *b);

#endif
