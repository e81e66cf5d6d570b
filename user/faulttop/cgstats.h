/* SPDX-License-Identifier: GPL-2.0 */
/* Per-cgroup totals for the metrics view: every process's faults and
 * signals added up by the cgroup it was in when they happened, so a
 * container's totals are complete whatever per-process series were cut, and
 * never go backwards when its processes exit. Pure: fed rows, told names. */
#ifndef FAULTTOP_CGSTATS_H
#define FAULTTOP_CGSTATS_H

#include <stdbool.h>
#include <stdint.h>
#include "procs.h"

struct cgroup_stat {
	uint64_t id;			/* cgroup v2 id */
	char *name;			/* path below the cgroup2 mount; NULL until named */
	struct counters total;		/* since faulttop started */
	uint64_t vss, rss, pss, uss;	/* sums over its live processes' last readings */
	int nr_procs;			/* live processes in the last interval */
	int idle_intervals;		/* intervals in a row without any process */
};

struct cgstats;

struct cgstats *cgstats_new(void);
void cgstats_free(struct cgstats *s);

/* Adds the interval's deltas of rows (every process of the interval, exited
 * ones included) to their cgroups and recomputes the memory sums and process
 * counts. Returns 0 or -ENOMEM (what could not be added is lost: say so). */
int cgstats_update(struct cgstats *s, struct row *const *rows, int n);

/* Every cgroup seen and not forgotten, sorted by id; valid until the next
 * update, name or forget. */
const struct cgroup_stat *const *cgstats_list(struct cgstats *s, int *n);

/* Names a cgroup (copies name). Returns 0 or -ENOMEM. */
int cgstats_set_name(struct cgstats *s, uint64_t id, const char *name);

/* Drops the cgroups without any process for two intervals (so their
 * last counts are exported once) for which gone(id, name, ctx)
 * says the cgroup no longer exists: cgroup ids are never reused, so such a
 * series can end for good. */
void cgstats_prune(struct cgstats *s, bool (*gone)(uint64_t id, const char *name, void *ctx),
		   void *ctx);

#endif
