/* SPDX-License-Identifier: GPL-2.0 */
/* The books in faulttop's views (view_books.c, view_tui_books.c, the
 * metrics in view_prom.c). */
#ifndef FAULTTOP_VIEW_BOOKS_H
#define FAULTTOP_VIEW_BOOKS_H

#include <stdio.h>
#include "json.h"
#include "memledger.h"
#include "procs.h"

/* The "memory" member of a --json frame; nothing before the first reading. */
void view_json_books(struct json *j, const struct sys_totals *s);
/* The verdict line of a text frame (and, once, the fields the kernel lacks). */
void view_text_books(FILE *out, const struct sys_totals *s);
/* Indexes into s of its max largest caches, largest first. Returns how many. */
int books_top_caches(const struct slabinfo *s, uint64_t page_size, size_t *out, int max);
/* Indexes into l's newest slabinfo of the max caches whose bytes trend
 * grows fastest, fastest first. Returns how many. */
int books_growing_caches(const struct mem_ledger *l, size_t *out, int max);

#endif
