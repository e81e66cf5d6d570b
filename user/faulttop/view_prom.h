/* SPDX-License-Identifier: GPL-2.0 */
/* faulttop's metrics view: one interval as the Prometheus text format
 * (0.0.4) or OpenMetrics 1.0.0, a pure function of the model. The metric
 * names and labels are an interface (issue 12): change them only with care.
 *
 * Per-process series only for the processes prom_select picks (the top N by
 * fault rate plus the PIDs asked for), each labelled with its start time so a
 * reused PID is a new series and no counter goes backwards; per-cgroup
 * series from cgstats, complete whatever per-process series were cut. */
#ifndef FAULTTOP_VIEW_PROM_H
#define FAULTTOP_VIEW_PROM_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "cgstats.h"
#include "procs.h"

enum prom_format { PROM_TEXT, PROM_OPENMETRICS };

struct prom_frame {
	const struct row *const *procs;		/* the exported processes */
	int nr_procs;
	int nr_procs_seen;			/* all processes of the interval */
	const struct cgroup_stat *const *cgroups;	/* sorted by id */
	int nr_cgroups;
	const struct sys_totals *sys;
	bool has_syscalls;			/* mmap/brk counters exist */
	const char *version, *kernel;		/* build_info */
};

/* Content types of the two formats, for the HTTP response. */
const char *prom_content_type(enum prom_format fmt);

/* The format a scraper asks for in its Accept header (NULL: none given):
 * OpenMetrics when it weighs application/openmetrics-text above text/plain,
 * as Prometheus does, else the text format. */
enum prom_format prom_negotiate(const char *accept);

/* Picks the processes to export from rows (processes, not threads): the
 * top_n with the most faults (minor + major) in the interval, then every
 * process in pids that is not among them. out has room for n; returns how
 * many were picked, in that order. */
int prom_select(struct row *const *rows, int n, int top_n, const pid_t *pids, int nr_pids,
		const struct row **out);

/* A family's HELP and TYPE lines; a label value, escaped. */
void prom_family(FILE *o, enum prom_format fmt, const char *name, const char *type,
		 const char *help);
void prom_label_value(FILE *o, const char *s);
/* The books' families (view_prom_books.c); nothing before the first reading. */
void prom_write_books(FILE *o, enum prom_format fmt, const struct sys_totals *s);

/* Writes the frame in fmt. Returns 0, or -1 if out failed. */
int view_prom_write(FILE *out, const struct prom_frame *f, enum prom_format fmt);

#endif
