/* SPDX-License-Identifier: GPL-2.0 */
/* Health counters kept by BPF programs in per-CPU arrays, summed. */
#ifndef MMSCOPE_PERCPU_STATS_H
#define MMSCOPE_PERCPU_STATS_H

#include <stdint.h>

/* sums[k] += the sum over CPUs of slot k, for k < nr_keys, of the
 * BPF_MAP_TYPE_PERCPU_ARRAY (u64 values) at fd. Returns 0 or -errno. */
int percpu_array_sum(int fd, uint32_t nr_keys, uint64_t *sums);

#endif
