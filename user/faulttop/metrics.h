/* SPDX-License-Identifier: GPL-2.0 */
/* faulttop --listen: after each interval, picks the processes to export,
 * reads what the metrics need that the frame may not have (every process's
 * memory, cgroup names), renders both formats and hands them to the HTTP
 * endpoint. Runs on the refresh loop's thread; the endpoint has its own. */
#ifndef FAULTTOP_METRICS_H
#define FAULTTOP_METRICS_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include "procs.h"

struct metrics_opts {
	const struct sockaddr *addr;
	socklen_t addr_len;
	int top_n;			/* --top */
	const pid_t *pids;		/* -p: always exported */
	int nr_pids;
	double mem_interval_s;		/* --mem-interval */
	const char *version;
};

struct metrics;

/* Listens; prints where on stderr. NULL after one line saying why. */
struct metrics *metrics_start(const struct metrics_opts *o);
/* Publishes the interval procs has just closed. */
void metrics_interval(struct metrics *m, struct procs *procs, const struct sys_totals *sys,
		      bool has_syscalls, double now_s);
void metrics_stop(struct metrics *m);

#endif
