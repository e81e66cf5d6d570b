// SPDX-License-Identifier: GPL-2.0
/* Which memory holds no roots for leaksnoop's scan (scan_roots.c): the
 * frames of exited threads' stacks, the allocator's own mappings when the
 * process was traced from its start. */
#include <stdlib.h>
#include "scan_roots.h"
#include "unit.h"

#define MiB	(1ULL << 20)
#define S1	0x7f0000000000ULL	/* three 8 MiB thread stacks */
#define S2	(S1 + 8 * MiB)
#define S3	(S2 + 8 * MiB)
#define TOP(s)	((s) + 8 * MiB - 0x2000)	/* below TLS and the descriptor */

static const struct reach_range stacks[] = {
	{ S1, S1 + 8 * MiB }, { S2, S2 + 8 * MiB }, { S3, S3 + 8 * MiB },
};
/* tid 11 ran on S1 and exited, 12 runs on S2, 13 exited, 14 took its
 * cached stack S3 over and runs */
static const struct scan_thread threads[] = {
	{ 11, TOP(S1) }, { 12, TOP(S2) }, { 13, TOP(S3) }, { 14, TOP(S3) },
};
static const struct reach_range owned[] = { { 0x7e0000000000ULL, 0x7e0000400000ULL } };

static struct scan_input input(bool known, bool from_start)
{
	return (struct scan_input){ .stacks = stacks, .nr_stacks = 3, .threads = threads,
				    .nr_threads = 4, .threads_known = known, .owned = owned,
				    .nr_owned = 1, .owned_not_roots = from_start };
}

/* Live now: the main thread (no region), 12 and 14 (stopped, their stack
 * pointers deep in their stacks). S1's frames hold no roots; its top, the
 * dead thread's TLS and descriptor that glibc keeps, still does. */
static void test_exited_stack_frames(void)
{
	struct thr live[] = { { .tid = 10, .sp = 0x7ffc00000000ULL },
			      { .tid = 12, .sp = S2 + 0x1000 }, { .tid = 14, .sp = S3 + 0x5000 } };
	struct scan_input in = input(true, true);
	struct scan_stats st = { 0 };
	struct reach_range *v;
	size_t n;

	CHECK(scan_nonroot_ranges(&in, live, 3, &v, &n, &st) == 0);
	CHECK_U64(n, 2);
	CHECK_U64(v[0].start, S1);
	CHECK_U64(v[0].end, TOP(S1));
	CHECK_U64(v[1].start, owned[0].start);
	CHECK_U64(v[1].end, owned[0].end);
	CHECK_U64(st.exited_stacks, 1);
	CHECK_U64(st.owned_maps, 1);
	CHECK_U64(st.alloc_rule, ALLOC_MAPS_NOT_ROOTS);
	free(v);
}

/* At the exit hold the other threads are dying, not stopped: no stack
 * pointer read, but listed, so their stacks stay roots. */
static void test_dying_thread_keeps_its_stack(void)
{
	struct thr listed[] = { { .tid = 10, .sp = 0x7ffc00000000ULL }, { .tid = 12, .gone = true } };
	struct scan_input in = input(true, true);
	struct scan_stats st = { 0 };
	struct reach_range *v;
	size_t n;

	CHECK(scan_nonroot_ranges(&in, listed, 2, &v, &n, &st) == 0);
	CHECK_U64(st.exited_stacks, 2);		/* S1; S3 (13 and 14 both gone) */
	CHECK_U64(n, 3);
	CHECK_U64(v[0].start, S1);
	CHECK_U64(v[1].start, S3);
	CHECK_U64(v[1].end, TOP(S3));
	free(v);
}

/* -p (not from the start): the allocator's mappings stay roots; a thread
 * table that may have missed threads: every stack stays a root. */
static void test_safe_rules(void)
{
	struct thr live[] = { { .tid = 12, .sp = S2 + 0x1000 } };
	struct scan_input in = input(false, false);
	struct scan_stats st = { 0 };
	struct reach_range *v;
	size_t n;

	CHECK(scan_nonroot_ranges(&in, live, 1, &v, &n, &st) == 0);
	CHECK_U64(n, 0);
	CHECK_U64(st.exited_stacks, 0);
	CHECK_U64(st.owned_maps, 0);
	CHECK_U64(st.alloc_rule, ALLOC_MAPS_ROOTS);
	free(v);
}

int main(void)
{
	RUN(test_exited_stack_frames);
	RUN(test_dying_thread_keeps_its_stack);
	RUN(test_safe_rules);
	UNIT_EXIT();
}
