// SPDX-License-Identifier: GPL-2.0
/* Reads the books for leaksnoop --kernel (books_source.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "books_source.h"
#include "clock.h"
#include "memsample.h"

void books_tracker_start(struct books_tracker *t, bool kernel_traced)
{
	struct mem_sample cur;

	memset(t, 0, sizeof(*t));
	if (!kernel_traced)
		return;
	t->started = true;
	for (int i = 0; i < BOOKS_START_READINGS && !t->err; i++) {
		if (i)
			usleep(BOOKS_START_GAP_MS * 1000);
		t->err = mem_sample_read(&cur, monotonic_s());
		if (t->err)
			break;
		if (i && books_jitter_add(&t->jitter, &t->start, &cur))
			t->err = -ENOMEM;
		mem_sample_free(&t->start);
		t->start = cur;		/* owns cur's slab caches now */
	}
}

const struct books_explained *books_tracker_report(struct books_tracker *t,
						   const struct leak_report *rep,
						   const struct leak_symbolizer *sym)
{
	struct mem_sample now;
	int err = t->err;

	if (!t->started)
		return NULL;
	memset(&t->last, 0, sizeof(t->last));
	if (!err)
		err = mem_sample_read(&now, monotonic_s());
	if (err) {
		snprintf(t->last.error, sizeof(t->last.error), "/proc/meminfo: %s", strerror(-err));
		return &t->last;
	}
	books_explain(&t->start, &now, &t->jitter, rep, sym, &t->last);
	mem_sample_free(&now);
	return &t->last;
}

void books_tracker_free(struct books_tracker *t)
{
	mem_sample_free(&t->start);
	books_jitter_free(&t->jitter);
}
