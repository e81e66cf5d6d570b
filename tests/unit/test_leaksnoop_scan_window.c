// SPDX-License-Identifier: GPL-2.0
/* The blocks of a scan's window (scan_window.c): the table read after the
 * resume plus the log of frees, against the blocks a stop at [STOP, RESUME]
 * saw, for each way an allocation and a free can fall around the window. */
#include <stdlib.h>
#include "scan_window.h"
#include "unit.h"

#define STOP	1000
#define RESUME	2000

static const struct scan_window win = { STOP, RESUME };

static void add_user(struct leak_snapshot *s, uint64_t addr, uint64_t ts)
{
	struct leak_block b = { .addr = addr, .size = 16, .ts = ts, .key = { .src = SRC_USER } };

	leak_snapshot_add_block(s, &b);
}

static struct ls_freed freed(uint64_t addr, uint64_t alloc_ts, uint64_t free_ts)
{
	return (struct ls_freed){ .addr = addr, .free_ts = free_ts,
				  .a = { .size = 16, .ts = alloc_ts, .stack_id = 7, .src = SRC_USER } };
}

static bool has(const struct leak_snapshot *s, uint64_t addr, size_t upto)
{
	for (size_t i = 0; i < upto; i++)
		if (s->blocks[i].addr == addr)
			return true;
	return false;
}

/* Allocated before the stop, still in the table: live in the window. A
 * table entry made after the resume: not (dropped). */
static void test_table_entries_by_age(void)
{
	struct leak_snapshot s = { 0 };
	size_t appended;

	add_user(&s, 0x100, 10);
	add_user(&s, 0x200, RESUME + 5);
	CHECK(scan_window_blocks(&s, NULL, 0, &win, &appended) == 0);
	CHECK_U64(appended, 0);
	CHECK_U64(s.nr_blocks, 1);
	CHECK(has(&s, 0x100, s.nr_blocks));
	leak_snapshot_free(&s);
}

/* Freed after the resume, allocated before the stop: live in the window,
 * appended last (for the scan; the report drops them). Freed before the
 * stop, or allocated after the resume: not. */
static void test_logged_frees(void)
{
	struct leak_snapshot s = { 0 };
	struct ls_freed log[] = {
		freed(0x300, 10, RESUME + 1),		/* live in the window */
		freed(0x400, 10, STOP - 1),		/* gone before it */
		freed(0x500, STOP - 5, STOP - 1),	/* allocated and freed before */
		freed(0x600, RESUME + 1, RESUME + 9),	/* allocated and freed after */
	};
	size_t appended;

	add_user(&s, 0x100, 10);
	CHECK(scan_window_blocks(&s, log, 4, &win, &appended) == 0);
	CHECK_U64(appended, 1);
	CHECK_U64(s.nr_blocks, 2);
	CHECK_U64(s.blocks[1].addr, 0x300);
	CHECK_U64(s.blocks[1].key.stack_id, 7);
	CHECK(!has(&s, 0x400, s.nr_blocks) && !has(&s, 0x500, s.nr_blocks) &&
	      !has(&s, 0x600, s.nr_blocks));
	leak_snapshot_free(&s);
}

/* An address freed after the resume and allocated again at once: the table
 * has the new block (dropped), the log the old one (live in the window):
 * one block at that address, the old one. */
static void test_address_reused_after_resume(void)
{
	struct leak_snapshot s = { 0 };
	struct ls_freed log[] = { freed(0x100, 10, RESUME + 1) };
	size_t appended;

	add_user(&s, 0x100, RESUME + 2);
	CHECK(scan_window_blocks(&s, log, 1, &win, &appended) == 0);
	CHECK_U64(s.nr_blocks, 1);
	CHECK_U64(s.blocks[0].ts, 10);
	leak_snapshot_free(&s);
}

/* Other tables' blocks (regions, kernel) are not the window's business. */
static void test_other_sources_kept(void)
{
	struct leak_snapshot s = { 0 };
	struct leak_block r = { .addr = 0x900, .size = 4096, .ts = RESUME + 3,
				.key = { .src = SRC_MMAP } };
	size_t appended;

	leak_snapshot_add_block(&s, &r);
	CHECK(scan_window_blocks(&s, NULL, 0, &win, &appended) == 0);
	CHECK_U64(s.nr_blocks, 1);
	leak_snapshot_free(&s);
}

int main(void)
{
	RUN(test_table_entries_by_age);
	RUN(test_logged_frees);
	RUN(test_address_reused_after_resume);
	RUN(test_other_sources_kept);
	UNIT_EXIT();
}
