// SPDX-License-Identifier: GPL-2.0
/* faulttop's side of the books (books.h). */
#include <stdio.h>
#include "books.h"
#include "memsample.h"

#define MAX_GROWING_PROCS 256	/* the verdict names 8; more only sorts */

int ft_books_growing_procs(struct row *const *rows, int n, struct mem_proc_growth *out, int max)
{
	int k = 0;

	for (int i = 0; i < n && k < max; i++) {
		const struct mem_info *m = &rows[i]->mem;

		if (rows[i]->is_thread || rows[i]->exited || !m->valid || !m->uss_growing)
			continue;
		out[k].pid = rows[i]->tgid;
		snprintf(out[k].comm, sizeof(out[k].comm), "%s", rows[i]->comm);
		out[k].rate = m->uss_slope;
		out[k].rise = m->uss_slope * trend_span(&m->uss_trend);
		k++;
	}
	return k;
}

static void read_sample(struct ft_books *b, double now_s)
{
	struct mem_sample s;

	b->err = mem_sample_read(&s, now_s);
	if (!b->err)
		mem_ledger_add(&b->ledger, &s);	/* -ENOMEM: caches untracked */
	mem_sample_free(&s);
}

void ft_books_interval(struct ft_books *b, struct procs *procs, double now_s, double cadence_s)
{
	struct mem_proc_growth grow[MAX_GROWING_PROCS];
	struct row **rows;
	int n;

	if (now_s >= b->next_read_s) {
		read_sample(b, now_s);
		/* from the last due time, so the cadence doesn't drift by the
		 * refresh loop's lateness */
		b->next_read_s = b->next_read_s && now_s - b->next_read_s < cadence_s ?
				 b->next_read_s + cadence_s : now_s + cadence_s;
	}
	rows = procs_rows(procs, false, &n);
	n = ft_books_growing_procs(rows, n, grow, MAX_GROWING_PROCS);
	mem_ledger_verdict(&b->ledger, &mem_default_thresholds, grow, n, &b->verdict);
}

void ft_books_free(struct ft_books *b)
{
	mem_ledger_free(&b->ledger);
}
