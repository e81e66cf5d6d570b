/* SPDX-License-Identifier: GPL-2.0 */
/* Searching arrays sorted by a u64 field (VMAs by start, symbols by
 * address): the one binary search the lookups share. */
#ifndef MMSCOPE_SORTED_H
#define MMSCOPE_SORTED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* How many of the n elements (each size bytes, sorted by the u64 at offset
 * within each) are at or below key: the index of the first one above it.
 * The element before that index is the last one at or below key. */
static inline size_t sorted_count_at_or_below(const void *base, size_t n, size_t size,
					      size_t offset, uint64_t key)
{
	const char *b = base;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t v;

		memcpy(&v, b + mid * size + offset, sizeof(v));
		if (v <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif
