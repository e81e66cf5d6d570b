/* SPDX-License-Identifier: GPL-2.0 */
/* The counters faulttop keeps for a thread or a process, as one flat array
 * of u64 so that adding and subtracting them is one loop. */
#ifndef FAULTTOP_COUNTERS_H
#define FAULTTOP_COUNTERS_H

#include <stdint.h>
#include "faulttop.h"

struct counters {
	uint64_t min_flt, maj_flt;		/* exact, the kernel's own */
	uint64_t region[REGION_MAX];		/* sampled (or all, --precise) */
	uint64_t access[ACCESS_MAX];
	uint64_t sampled;			/* faults the hook saw */
	uint64_t mmap, munmap, mremap, brk;
	uint64_t bytes_mapped, bytes_unmapped;
	uint64_t segv_maperr, segv_accerr, segv_other, sigbus;
};

#define COUNTERS_N (sizeof(struct counters) / sizeof(uint64_t))

static inline void counters_add(struct counters *a, const struct counters *b)
{
	uint64_t *x = (uint64_t *)a;
	const uint64_t *y = (const uint64_t *)b;

	for (unsigned i = 0; i < COUNTERS_N; i++)
		x[i] += y[i];
}

/* a - b, clamped at 0 per counter. */
static inline struct counters counters_sub(const struct counters *a, const struct counters *b)
{
	struct counters d = { 0 };
	uint64_t *z = (uint64_t *)&d;
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;

	for (unsigned i = 0; i < COUNTERS_N; i++)
		z[i] = x[i] > y[i] ? x[i] - y[i] : 0;
	return d;
}

static inline uint64_t counters_segv(const struct counters *c)
{
	return c->segv_maperr + c->segv_accerr + c->segv_other;
}

#endif
