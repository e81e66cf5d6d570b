/* SPDX-License-Identifier: GPL-2.0 */
/* Growable arrays: the one growth rule every table in the tools uses. */
#ifndef MMSCOPE_VEC_H
#define MMSCOPE_VEC_H

#include <stdlib.h>

/* Room for element number len in items (capacity *cap, elements of
 * elem_size): returns items itself while there is room, else a doubled copy
 * (at least 64 elements) with *cap updated, or NULL — items untouched — when
 * memory is short. */
static inline void *vec_reserve(void *items, size_t *cap, size_t len, size_t elem_size)
{
	size_t grown;
	void *bigger;

	if (len < *cap)
		return items;
	grown = *cap ? *cap * 2 : 64;
	bigger = realloc(items, grown * elem_size);
	if (bigger)
		*cap = grown;
	return bigger;
}

#endif
