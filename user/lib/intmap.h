/* SPDX-License-Identifier: GPL-2.0 */
/* A hash map from 64-bit integer keys to pointers (open addressing, linear
 * probing, backward-shift deletion): pids, tids, addresses. */
#ifndef MMSCOPE_INTMAP_H
#define MMSCOPE_INTMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct intmap {
	uint64_t *keys;
	void **vals;		/* NULL marks an empty slot */
	size_t cap, len;
};

void intmap_init(struct intmap *m);
void intmap_free(struct intmap *m);
/* free_val(value) for every value, then intmap_free. */
void intmap_free_all(struct intmap *m, void (*free_val)(void *val));
void *intmap_get(const struct intmap *m, uint64_t key);
/* Sets key to val (val must not be NULL). Returns 0 or -ENOMEM. */
int intmap_put(struct intmap *m, uint64_t key, void *val);
/* key's value; when there is none, a new zeroed value of size bytes
 * (calloc'd: the caller frees it) is added first, and *created says so.
 * NULL when memory is short. */
void *intmap_get_or_add(struct intmap *m, uint64_t key, size_t size, bool *created);
/* Removes key; returns its value or NULL. */
void *intmap_del(struct intmap *m, uint64_t key);

/* Iteration: for (size_t i = 0; intmap_next(m, &i, &k, &v); ) — don't
 * insert while iterating; deleting the current key is not allowed either:
 * collect keys first. */
int intmap_next(const struct intmap *m, size_t *pos, uint64_t *key, void **val);

#endif
