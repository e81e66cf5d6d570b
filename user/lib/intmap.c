// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include "intmap.h"

static size_t slot_of(const struct intmap *m, uint64_t key)
{
	/* Fibonacci hashing spreads sequential pids over the table */
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 17) & (m->cap - 1);
}

void intmap_init(struct intmap *m)
{
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->len = 0;
}

void intmap_free(struct intmap *m)
{
	free(m->keys);
	free(m->vals);
	intmap_init(m);
}

void *intmap_get(const struct intmap *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (!m->vals[i])
			return NULL;
		if (m->keys[i] == key)
			return m->vals[i];
	}
}

/* Stores key -> val in a table known to have a free slot. */
static void put_no_grow(struct intmap *m, uint64_t key, void *val)
{
	size_t i;

	for (i = slot_of(m, key); m->vals[i]; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return;
		}
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->len++;
}

static int grow(struct intmap *m)
{
	struct intmap bigger = { .cap = m->cap ? m->cap * 2 : 64 };

	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
	if (!bigger.keys || !bigger.vals) {
		free(bigger.keys);
		free(bigger.vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->vals[i])
			put_no_grow(&bigger, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	m->keys = bigger.keys;
	m->vals = bigger.vals;
	m->cap = bigger.cap;
	m->len = bigger.len;
	return 0;
}

int intmap_put(struct intmap *m, uint64_t key, void *val)
{
	if ((m->len + 1) * 4 > m->cap * 3 && grow(m))
		return -ENOMEM;
	put_no_grow(m, key, val);
	return 0;
}

void *intmap_del(struct intmap *m, uint64_t key)
{
	size_t i, j, home;
	void *val;

	if (!m->cap)
		return NULL;
	for (i = slot_of(m, key); m->vals[i] && m->keys[i] != key; i = (i + 1) & (m->cap - 1))
		;
	if (!m->vals[i])
		return NULL;
	val = m->vals[i];
	m->vals[i] = NULL;
	m->len--;
	/* shift later members of the probe run back so lookups still find them */
	for (j = (i + 1) & (m->cap - 1); m->vals[j]; j = (j + 1) & (m->cap - 1)) {
		home = slot_of(m, m->keys[j]);
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			m->vals[j] = NULL;
			i = j;
		}
	}
	return val;
}

int intmap_next(const struct intmap *m, size_t *pos, uint64_t *key, void **val)
{
	for (; *pos < m->cap; (*pos)++) {
		if (m->vals[*pos]) {
			*key = m->keys[*pos];
			*val = m->vals[*pos];
			(*pos)++;
			return 1;
		}
	}
	return 0;
}

void *intmap_get_or_add(struct intmap *m, uint64_t key, size_t size, bool *created)
{
	void *v = intmap_get(m, key);

	*created = false;
	if (v)
		return v;
	v = calloc(1, size);
	if (!v || intmap_put(m, key, v)) {
		free(v);
		return NULL;
	}
	*created = true;
	return v;
}

void intmap_free_all(struct intmap *m, void (*free_val)(void *val))
{
	uint64_t key;
	void *val;

	for (size_t i = 0; intmap_next(m, &i, &key, &val);)
		free_val(val);
	intmap_free(m);
}
