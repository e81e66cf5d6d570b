// SPDX-License-Identifier: GPL-2.0
/* Unit tests for user/lib/slabinfo.c on captured /proc/slabinfo text (6.18,
 * SLUB), every truncation of it, and malformed lines. */
#include "unit.h"
#include "slabinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* The head of this machine's /proc/slabinfo, 2026-12-07 (6.18). */
static const char sample[] =
	"slabinfo - version: 2.1\n"
	"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : "
	"tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> "
	"<sharedavail>\n"
	"btrfs_delayed_node      0      0    312   13    1 : tunables    0    0    0 : "
	"slabdata      0      0      0\n"
	"eventpoll_epi        330    608    128   32    1 : tunables    0    0    0 : "
	"slabdata     19     19      0\n"
	"maple_node          1092   1472    256   16    1 : tunables    0    0    0 : "
	"slabdata     92     92      0\n"
	"kmalloc-cg-64        576    576     64   64    1 : tunables    0    0    0 : "
	"slabdata      9      9      0\n"
	"kmalloc-8k            80     84   8192    4    8 : tunables    0    0    0 : "
	"slabdata     21     21      0\n";

static void test_sample(void)
{
	struct slabinfo s;
	const struct slabinfo_cache *c;

	CHECK(slabinfo_parse(sample, &s) == 0);
	CHECK_U64(s.n, 5);
	c = slabinfo_find(&s, "eventpoll_epi");
	CHECK(c != NULL);
	if (c) {
		CHECK_U64(c->active_objs, 330);
		CHECK_U64(c->num_objs, 608);
		CHECK_U64(c->objsize, 128);
		CHECK_U64(c->objperslab, 32);
		CHECK_U64(c->pagesperslab, 1);
		CHECK_U64(c->active_slabs, 19);
		CHECK_U64(c->num_slabs, 19);
	}
	c = slabinfo_find(&s, "kmalloc-8k");
	CHECK(c && c->pagesperslab == 8 && c->objsize == 8192);
	CHECK_STR(s.v[0].name, "btrfs_delayed_node");
	CHECK(slabinfo_find(&s, "kmalloc-64") == NULL);	/* only kmalloc-cg-64 */
	CHECK(slabinfo_find(&s, "eventpoll") == NULL);	/* whole names only */
	slabinfo_free(&s);
	CHECK(s.v == NULL && s.n == 0);
}

static void test_empty_and_foreign(void)
{
	struct slabinfo s;

	CHECK(slabinfo_parse("slabinfo - version: 2.1\n", &s) == 0 && s.n == 0);
	CHECK(slabinfo_parse("", &s) == -EINVAL);
	CHECK(slabinfo_parse("slabinfo - version: 1.1\n", &s) == -EINVAL);
	CHECK(slabinfo_parse("MemTotal: 1000 kB\n", &s) == -EINVAL);
}

static void test_malformed_lines(void)
{
	static const char *const bad[] = {
		/* a field missing */
		"x 1 2 3 4 5 : tunables 0 0 0 : slabdata 1 1\n",
		/* words where numbers go */
		"x a 2 3 4 5 : tunables 0 0 0 : slabdata 1 1 0\n",
		/* more active than there are objects */
		"x 9 2 3 4 5 : tunables 0 0 0 : slabdata 1 1 0\n",
		/* trailing junk */
		"x 1 2 3 4 5 : tunables 0 0 0 : slabdata 1 1 0 junk\n",
		/* a name too long for the struct */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1 2 3 4 5 : tunables 0 0 0 : slabdata 1 1 0\n",
	};
	char text[512];
	struct slabinfo s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "slabinfo - version: 2.1\n%s", bad[i]);
		CHECK(slabinfo_parse(text, &s) == -EINVAL);
		CHECK(s.v == NULL && s.n == 0);
	}
	/* a last line without its newline is whole */
	CHECK(slabinfo_parse("slabinfo - version: 2.1\nx 1 2 3 4 5 : tunables 0 0 0 : "
			     "slabdata 1 1 0", &s) == 0 && s.n == 1);
	slabinfo_free(&s);
}

/* Every prefix of the sample either parses (whole lines only) or is
 * refused: never a crash, never a half-read cache. */
static void test_all_truncations(void)
{
	size_t len = strlen(sample);

	for (size_t n = 0; n < len; n++) {
		char *t = strndup(sample, n);
		struct slabinfo s;
		int err = slabinfo_parse(t, &s);

		CHECK(err == 0 || err == -EINVAL);
		for (size_t i = 0; !err && i < s.n; i++)
			CHECK(s.v[i].active_objs <= s.v[i].num_objs);
		slabinfo_free(&s);
		free(t);
	}
}

static void test_read_this_kernel(void)
{
	struct slabinfo s;
	int err = slabinfo_read(&s);

	if (geteuid() != 0) {
		CHECK(err == -EACCES || err == 0);
	} else {
		CHECK(err == 0 || err == -ENOENT);	/* no SLUB_DEBUG: no file */
		CHECK(err || (s.n > 10 && slabinfo_find(&s, "kmalloc-64")));
	}
	slabinfo_free(&s);
}

int main(void)
{
	RUN(test_sample);
	RUN(test_empty_and_foreign);
	RUN(test_malformed_lines);
	RUN(test_all_truncations);
	RUN(test_read_this_kernel);
	UNIT_EXIT();
}
