/* SPDX-License-Identifier: GPL-2.0 */
/* The user blocks that were live while the process was stopped, from the
 * allocation table read after it was resumed and the log of the frees made
 * since just before the stop. Pure (tests/unit/test_leaksnoop_scan_window.c).
 *
 * No thread of the process runs between w.stopped_ns and w.resumed_ns, so
 * every allocation or free of it happened before or after the window,
 * never in it:
 * - a block in the table allocated before the stop (ts < stopped_ns) was
 *   live during it (freed since, it would have left the table);
 * - one allocated after the resume was not: dropped;
 * - a logged free after the resume of a block allocated before the stop
 *   was live during it, though the table no longer has it: added back;
 * - a logged free before the stop: was not live (and not in the table).
 * A block allocated and freed again inside one gap never mixes in: either
 * both before the stop (never seen) or both after (dropped). */
#ifndef LEAKSNOOP_SCAN_WINDOW_H
#define LEAKSNOOP_SCAN_WINDOW_H

#include <stddef.h>
#include "leaksnoop.h"
#include "model.h"
#include "scan.h"

/* The block a table entry (or a logged free) stands for. */
static inline struct leak_block leak_block_of(uint64_t addr, const struct ls_alloc *a)
{
	return (struct leak_block){
		.addr = addr, .size = a->size, .ts = a->ts,
		.key = { .site = a->site, .cache = a->cache, .stack_id = a->stack_id, .src = a->src,
			 .tgid = a->tgid },
	};
}

/* Makes snap's SRC_USER blocks those of window w: drops the ones allocated
 * after the stop, appends the freed ones that were live during it at the
 * end (*appended of them: they are gone now, and the caller drops them
 * from the report once they served the scan). 0, or -ENOMEM. */
int scan_window_blocks(struct leak_snapshot *snap, const struct ls_freed *freed, size_t nr_freed,
		       const struct scan_window *w, size_t *appended);

#endif
