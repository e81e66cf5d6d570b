// SPDX-License-Identifier: GPL-2.0
/* alloc_group: zeroed arrays, room for one when asked for none, a full
 * group says so (NULL) instead of losing an array, freeing empties it.
 * Leaks would show under check-asan (detect_leaks). */
#include <stdint.h>
#include "alloc_group.h"
#include "unit.h"

static void test_zeroed_and_empty_arrays(void)
{
	struct alloc_group g = { 0 };
	uint64_t *v = alloc_group_calloc(&g, 100, sizeof(*v));
	char *none = alloc_group_calloc(&g, 0, sizeof(*none));
	int zero = 1;

	CHECK(v != NULL);
	CHECK(none != NULL);	/* NULL means out of memory, not "0 elements" */
	for (int i = 0; v && i < 100; i++)
		zero &= v[i] == 0;
	CHECK(zero);
	CHECK(none && *none == 0);
	CHECK_U64(g.n, 2);
	alloc_group_free(&g);
	CHECK_U64(g.n, 0);
}

static void test_full_group_refuses(void)
{
	struct alloc_group g = { 0 };
	int got = 0;

	for (int i = 0; i < ALLOC_GROUP_MAX; i++)
		got += alloc_group_calloc(&g, 1, 8) != NULL;
	CHECK_U64(got, ALLOC_GROUP_MAX);
	CHECK(alloc_group_calloc(&g, 1, 8) == NULL);
	CHECK_U64(g.n, ALLOC_GROUP_MAX);
	alloc_group_free(&g);
	CHECK(alloc_group_calloc(&g, 1, 8) != NULL);	/* usable again */
	alloc_group_free(&g);
}

int main(void)
{
	RUN(test_zeroed_and_empty_arrays);
	RUN(test_full_group_refuses);
	UNIT_EXIT();
}
