// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "percpu_stats.h"

int percpu_array_sum(int fd, uint32_t nr_keys, uint64_t *sums)
{
	int ncpu = libbpf_num_possible_cpus();
	/* zeroed: valgrind can't see the kernel fill a per-CPU value */
	uint64_t *vals = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*vals)) : NULL;
	int err = 0;

	if (!vals)
		return ncpu > 0 ? -ENOMEM : ncpu;
	for (uint32_t k = 0; k < nr_keys; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals)) {
			err = -errno;
			continue;
		}
		for (int i = 0; i < ncpu; i++)
			sums[k] += vals[i];
	}
	free(vals);
	return err;
}
