/* SPDX-License-Identifier: GPL-2.0 */
/* leaksnoop's renderers: each writes one built report (model.h) and does
 * nothing else — no tables, no /proc, no options. */
#ifndef LEAKSNOOP_RENDER_H
#define LEAKSNOOP_RENDER_H

#include <stdio.h>
#include "model.h"

/* Modelled on valgrind's leak report: records, SUMMARY, health. */
void leak_render_text(FILE *out, const struct leak_report *r);
/* One JSON object on one line (JSON Lines). */
void leak_render_json(FILE *out, const struct leak_report *r);
/* Folded stacks weighted by outstanding bytes, every record (flamegraph.pl). */
void leak_render_folded(FILE *out, const struct leak_report *r);
/* After a set's reports: the processes added up. */
void leak_render_set_summary_text(FILE *out, const struct leak_set_summary *s);
void leak_render_set_summary_json(FILE *out, const struct leak_set_summary *s);

/* -v: where a scan's stop went, phase by phase, and what ran around it
 * (one stderr line; nothing when no scan ran). */
void leak_render_scan_cost(FILE *out, const struct leak_scan_meta *sc);

/* A pprof heap profile (gzipped profile.proto) of every record, written to
 * path atomically. module_of (may be NULL) names the mapped file a user
 * address is in, for pprof's mappings and their build ids. 0 or -errno. */
struct leak_pprof_opts {
	const char *path;
	int64_t start_wall_ns;		/* when tracing began, ns since the epoch */
	int (*module_of)(void *ctx, uint64_t addr, struct usym_module *out);
	void *module_ctx;
};
int leak_render_pprof(const struct leak_report *r, const struct leak_pprof_opts *o);
/* A profile that can't be written should fail at the start, not after the
 * trace: 0, or -1 after printing why. */
int leak_pprof_check_writable(const char *path);

#endif
