/* SPDX-License-Identifier: GPL-2.0 */
/* Which of the process's memory holds no roots for the scan (the rules:
 * struct scan_input in scan.h): the stacks of exited threads, and, traced
 * from the start, the allocator's own mappings. Pure; private to scan.c. */
#ifndef LEAKSNOOP_SCAN_ROOTS_H
#define LEAKSNOOP_SCAN_ROOTS_H

#include <stddef.h>
#include "reach.h"
#include "scan.h"
#include "scan_freeze.h"

/* The ranges that hold no roots, given the threads the stop found (v[0..n),
 * each listed in /proc/PID/task then; sp: its stack pointer, 0 if not
 * read): malloc'd into *out (count *nr_out), counted in st. 0, or -ENOMEM. */
int scan_nonroot_ranges(const struct scan_input *in, const struct thr *v, size_t n,
			struct reach_range **out, size_t *nr_out, struct scan_stats *st);

#endif
