// SPDX-License-Identifier: GPL-2.0
/* Unit tests for user/lib/perfmap.c: perf-map text in, code objects out;
 * lines as node --perf-basic-prof writes them (copied from a node 20 map). */
#include "unit.h"
#include "perfmap.h"

#include <errno.h>
#include <stdlib.h>

static struct perfmap parse(const char *text)
{
	struct perfmap m;

	CHECK_U64(perfmap_parse(strdup(text), &m), 0);
	return m;
}

static const char *name_at(const struct perfmap *m, uint64_t addr)
{
	const struct perfmap_entry *e = perfmap_find(m, addr);

	return e ? e->name : "(none)";
}

static void test_node_lines(void)
{
	struct perfmap m = parse(
		"7f3c1e0c2040 5c Builtin:ArgumentsAdaptorTrampoline\n"
		"7f3c1e0c20c0 1c4 Builtin:CallFunction_ReceiverIsAny\n"
		"3a8f4c7c2a0 1e8 JS:~grow /tmp/work/script.js:3\n"
		"3a8f4c7c540 2d4 JS:*grow /tmp/work/script.js:3\n");

	CHECK_U64(m.n, 4);
	CHECK_U64(m.bad_lines, 0);
	CHECK_STR(name_at(&m, 0x7f3c1e0c2040), "Builtin:ArgumentsAdaptorTrampoline");
	CHECK_STR(name_at(&m, 0x7f3c1e0c209b), "Builtin:ArgumentsAdaptorTrampoline");
	CHECK_STR(name_at(&m, 0x7f3c1e0c209c), "(none)");	/* the gap before the next */
	CHECK_STR(name_at(&m, 0x3a8f4c7c540 + 0x10), "JS:*grow /tmp/work/script.js:3");	/* spaces kept */
	CHECK_STR(name_at(&m, 0x3a8f4c7c2a0), "JS:~grow /tmp/work/script.js:3");
	CHECK_STR(name_at(&m, 0x1000), "(none)");
	CHECK_STR(name_at(&m, UINT64_MAX), "(none)");
	perfmap_free(&m);
}

/* Code moved or freed and the address reused: the later line holds. */
static void test_later_line_wins(void)
{
	struct perfmap m = parse(
		"1000 100 old_big\n"
		"1040 10 old_small\n"
		"1000 20 new_at_start\n"
		"1040 8 newer_small\n");

	CHECK_STR(name_at(&m, 0x1000), "new_at_start");
	CHECK_STR(name_at(&m, 0x101f), "new_at_start");
	CHECK_STR(name_at(&m, 0x1020), "old_big");	/* only the big one covers it */
	CHECK_STR(name_at(&m, 0x1044), "newer_small");
	CHECK_STR(name_at(&m, 0x104c), "old_small");	/* past newer_small's 8 bytes */
	CHECK_STR(name_at(&m, 0x10ff), "old_big");
	CHECK_STR(name_at(&m, 0x1100), "(none)");
	perfmap_free(&m);
}

static void test_bad_lines_skipped(void)
{
	struct perfmap m = parse(
		"0x2000 0x10 with_0x\r\n"
		"\n"
		"zzzz 10 not_hex\n"
		"3000 0 empty_object\n"
		"4000 10\n"				/* no name */
		"4000 10 \n"				/* empty name */
		"ffffffffffffffff 2 wraps\n"
		"11112222333344445 10 seventeen_digits\n"
		"5000  10 two_spaces\n"
		"6000 10 last_line_without_newline");

	CHECK_U64(m.n, 2);
	CHECK_U64(m.bad_lines, 7);
	CHECK_STR(name_at(&m, 0x2008), "with_0x");	/* the \r gone */
	CHECK_STR(name_at(&m, 0x3000), "(none)");
	CHECK_STR(name_at(&m, 0x4000), "(none)");
	CHECK_STR(name_at(&m, 0x600f), "last_line_without_newline");
	perfmap_free(&m);
}

static void test_empty_and_missing(void)
{
	struct perfmap m = parse("");

	CHECK_U64(m.n, 0);
	CHECK(perfmap_find(&m, 0) == NULL);
	perfmap_free(&m);
	CHECK_U64(perfmap_read("/nonexistent/perf-1.map", &m), -ENOENT);
	CHECK(perfmap_find(&m, 0) == NULL);
}

/* One object spanning thousands of later ones: past the scan bound the
 * lookup says it doesn't know rather than name a stale object. */
static void test_overlap_bound(void)
{
	size_t n = 6000, len = 0;
	char *text = malloc(n * 32 + 64);
	struct perfmap m;

	len += (size_t)sprintf(text + len, "%x %x %s\n", 0x10000, 0x100000, "huge");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%zx %x f%zu\n", 0x10000 + 16 * i, 8, i);
	CHECK_U64(perfmap_parse(text, &m), 0);
	CHECK_STR(name_at(&m, 0x10000 + 16 * 5 + 4), "f5");	/* near the start: found */
	CHECK_STR(name_at(&m, 0x10000 + 16 * 5 + 12), "huge");
	CHECK(perfmap_find(&m, 0x10000 + 16 * 5999 + 12) == NULL);	/* too far back */
	perfmap_free(&m);
}

int main(void)
{
	RUN(test_node_lines);
	RUN(test_later_line_wins);
	RUN(test_bad_lines_skipped);
	RUN(test_empty_and_missing);
	RUN(test_overlap_bound);
	UNIT_EXIT();
}
