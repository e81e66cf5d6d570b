/* SPDX-License-Identifier: GPL-2.0 */
/* Leak kinds for a report: reads the source's snapshot once scan.c has
 * resumed the process, with the log of the frees since just before the
 * stop, so that the blocks classified are exactly the ones in memory
 * during it (scan_window.h), and sets each user block's kind. At the exit hold of a
 * command the scan runs then (the final report comes once the process is
 * gone) and its verdicts wait for that report. */
#ifndef LEAKSNOOP_CLASSIFY_H
#define LEAKSNOOP_CLASSIFY_H

#include <signal.h>
#include <stddef.h>
#include "model.h"
#include "source.h"
#include "target.h"

struct held_verdict {
	uint64_t addr;
	uint8_t kind;
	uint64_t indirect_bytes;
};

struct classifier {
	const struct leak_source *source;
	struct target *target;
	const volatile sig_atomic_t *signals;	/* bumped by SIGINT/SIGTERM */
	bool warned;				/* said once why kinds are missing */
	/* the exit hold's scan */
	struct held_verdict *held;
	size_t nr_held;
	struct leak_scan_meta held_meta;
};

/* The snapshot for a report, with kinds when scan is true: 0, or -errno
 * (snap empty). meta says what the scan did; a failed scan still gives the
 * snapshot, without kinds, after one line on stderr. */
int classify_read(struct classifier *c, bool scan, bool exited, struct leak_snapshot *snap,
		  struct leak_scan_meta *meta);
/* At the exit hold: scans now, for the final report. */
void classify_at_exit(struct classifier *c);
void classify_free(struct classifier *c);

#endif
