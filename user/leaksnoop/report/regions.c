// SPDX-License-Identifier: GPL-2.0
/* Labels for mmap regions: see regions.h. */
#include <stdbool.h>
#include <string.h>
#include "regions.h"

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

bool same_file_name(const char *a, const char *b)
{
	return a && b && *base_of(a) && !strcmp(base_of(a), base_of(b));
}

bool region_alloc_owned(const struct region_facts *f, const char *caller_module)
{
	for (size_t i = 0; caller_module && i < f->nr_owner_files; i++)
		if (same_file_name(caller_module, f->owner_files[i]))
			return true;
	return false;
}

enum ls_src region_kind(const struct region_facts *f, uint64_t addr, uint64_t size,
			const char *caller_module)
{
	for (size_t i = 0; i < f->nr_sps; i++)
		if (f->thread_sps[i] > addr && f->thread_sps[i] - addr <= size)
			return SRC_THREAD_STACK;
	for (size_t i = 0; caller_module && i < f->nr_alloc_files; i++)
		if (same_file_name(caller_module, f->alloc_files[i]))
			return SRC_ALLOC_MAP;
	return SRC_MMAP;
}
