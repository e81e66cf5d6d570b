// SPDX-License-Identifier: GPL-2.0
/* The blocks of a scan's window: see scan_window.h. */
#include <errno.h>
#include "scan_window.h"

static bool after_stop(const struct leak_block *b, const struct scan_window *w)
{
	return b->key.src == SRC_USER && b->ts >= w->stopped_ns;
}

int scan_window_blocks(struct leak_snapshot *snap, const struct ls_freed *freed, size_t nr_freed,
		       const struct scan_window *w, size_t *appended)
{
	size_t kept = 0;

	*appended = 0;
	for (size_t i = 0; i < snap->nr_blocks; i++)
		if (!after_stop(&snap->blocks[i], w))
			snap->blocks[kept++] = snap->blocks[i];
	snap->nr_blocks = kept;
	for (size_t i = 0; i < nr_freed; i++) {
		const struct ls_freed *f = &freed[i];
		struct leak_block b = leak_block_of(f->addr, &f->a);

		if (f->a.src != SRC_USER || f->a.ts >= w->stopped_ns || f->free_ts <= w->resumed_ns)
			continue;
		if (leak_snapshot_add_block(snap, &b))
			return -ENOMEM;
		(*appended)++;
	}
	return 0;
}
