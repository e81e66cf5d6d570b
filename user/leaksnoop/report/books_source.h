/* SPDX-License-Identifier: GPL-2.0 */
/* The books' source for leaksnoop --kernel: reads them (memsample.c) when
 * the trace starts, with the jitter at rest, and at each report, and hands
 * the pair to books_explain() (books.h). */
#ifndef LEAKSNOOP_BOOKS_SOURCE_H
#define LEAKSNOOP_BOOKS_SOURCE_H

#include "books.h"

struct books_tracker {
	bool started;
	int err;			/* reading the books at the start failed: -errno */
	struct mem_sample start;	/* the last reading at the start */
	struct books_jitter jitter;
	struct books_explained last;	/* the newest report's */
};

/* Reads the books BOOKS_START_READINGS times, BOOKS_START_GAP_MS apart:
 * the jitter is the largest move between two of them. Only when kernel
 * allocations are traced (else nothing: the report has no books). */
#define BOOKS_START_READINGS 3
#define BOOKS_START_GAP_MS 50
void books_tracker_start(struct books_tracker *t, bool kernel_traced);
/* Reads the books now and explains their change by rep into t->last;
 * returns &t->last (unavailable, with why, when the books can't be read),
 * or NULL when no kernel allocation is traced (not started). */
const struct books_explained *books_tracker_report(struct books_tracker *t,
						   const struct leak_report *rep,
						   const struct leak_symbolizer *sym);
void books_tracker_free(struct books_tracker *t);

#endif
