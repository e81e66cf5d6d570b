/* SPDX-License-Identifier: GPL-2.0 */
/* faulttop's side of the books (user/lib/memledger.h): a sample of
 * /proc/{meminfo,vmstat,slabinfo,buddyinfo,zoneinfo} every --mem-interval
 * into the ledger, and after every interval a verdict that also weighs the
 * processes whose USS trend grows. */
#ifndef FAULTTOP_BOOKS_H
#define FAULTTOP_BOOKS_H

#include "memledger.h"
#include "procs.h"

struct ft_books {
	struct mem_ledger ledger;
	struct mem_verdict verdict;
	double next_read_s;		/* monotonic; 0: read now */
	int err;			/* -errno of the last meminfo read, 0 */
};

/* Reads a sample if one is due (every cadence_s), then judges with the
 * growing processes among procs' rows. */
void ft_books_interval(struct ft_books *b, struct procs *procs, double now_s, double cadence_s);
void ft_books_free(struct ft_books *b);

/* The processes among rows whose USS trend grows (procs.c's steady-growth
 * test), as the verdict takes them. Returns how many went into out (room
 * for max). */
int ft_books_growing_procs(struct row *const *rows, int n, struct mem_proc_growth *out, int max);

#endif
