// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdlib.h>
#include "intmap.h"
#include "unit.h"

static void test_put_get_del_many(void)
{
	struct intmap m;
	static int vals[5000];

	intmap_init(&m);
	for (int i = 0; i < 5000; i++)
		CHECK(intmap_put(&m, (uint64_t)i * 7919, &vals[i]) == 0);
	CHECK_U64(m.len, 5000);
	for (int i = 0; i < 5000; i++)
		CHECK(intmap_get(&m, (uint64_t)i * 7919) == &vals[i]);
	/* delete every other key; the rest must still be found (backward shift) */
	for (int i = 0; i < 5000; i += 2)
		CHECK(intmap_del(&m, (uint64_t)i * 7919) == &vals[i]);
	for (int i = 0; i < 5000; i++)
		CHECK(intmap_get(&m, (uint64_t)i * 7919) == (i % 2 ? &vals[i] : NULL));
	CHECK_U64(m.len, 2500);
	CHECK(intmap_del(&m, 12345678) == NULL);
	intmap_free(&m);
}

static void test_overwrite_and_iterate(void)
{
	struct intmap m;
	int a, b;
	uint64_t key, sum = 0;
	void *val;
	size_t n = 0;

	intmap_init(&m);
	CHECK(intmap_get(&m, 1) == NULL);
	intmap_put(&m, 1, &a);
	intmap_put(&m, 1, &b);
	intmap_put(&m, 2, &a);
	CHECK(intmap_get(&m, 1) == &b);
	CHECK_U64(m.len, 2);
	for (size_t i = 0; intmap_next(&m, &i, &key, &val);) {
		sum += key;
		n++;
	}
	CHECK_U64(n, 2);
	CHECK_U64(sum, 3);
	intmap_free(&m);
}

/* keys that collide in the table exercise the wrap-around of probe runs */
static void test_colliding_keys_random_deletes(void)
{
	struct intmap m;
	static int vals[1024];
	bool present[1024] = {};

	intmap_init(&m);
	srand(7);
	for (int round = 0; round < 20000; round++) {
		int k = rand() % 1024;

		if (present[k]) {
			CHECK(intmap_del(&m, (uint64_t)k << 40) == &vals[k]);
			present[k] = false;
		} else {
			intmap_put(&m, (uint64_t)k << 40, &vals[k]);
			present[k] = true;
		}
	}
	for (int k = 0; k < 1024; k++)
		CHECK(intmap_get(&m, (uint64_t)k << 40) == (present[k] ? &vals[k] : NULL));
	intmap_free(&m);
}

static void test_get_or_add(void)
{
	struct intmap m;
	bool created = false;
	uint64_t *a, *b;

	intmap_init(&m);
	a = intmap_get_or_add(&m, 42, sizeof(*a), &created);
	if (!a) {
		CHECK(a != NULL);
		intmap_free(&m);
		return;
	}
	CHECK(created && *a == 0);		/* new, zeroed */
	*a = 7;
	b = intmap_get_or_add(&m, 42, sizeof(*b), &created);
	CHECK(b == a && !created && *b == 7);	/* the same one, not replaced */
	CHECK(intmap_get(&m, 42) == a);
	free(intmap_del(&m, 42));
	intmap_free(&m);
}

int main(void)
{
	RUN(test_put_get_del_many);
	RUN(test_overwrite_and_iterate);
	RUN(test_colliding_keys_random_deletes);
	RUN(test_get_or_add);
	UNIT_EXIT();
}
