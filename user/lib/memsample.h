/* SPDX-License-Identifier: GPL-2.0 */
/* The source of the books: reads /proc/{meminfo,vmstat,slabinfo,buddyinfo,
 * zoneinfo} into a struct mem_sample (memledger.h). The only code of the
 * books that touches /proc. */
#ifndef MMSCOPE_MEMSAMPLE_H
#define MMSCOPE_MEMSAMPLE_H

#include "memledger.h"

/* Reads one sample taken at monotonic time t. Returns 0, or -errno when
 * /proc/meminfo itself can't be read (then s is empty). The other files
 * may fail alone (/proc/slabinfo is root's): their *_err says why. */
int mem_sample_read(struct mem_sample *s, double t);

/* Whether kernel stacks are vmalloc'd: CONFIG_VMAP_STACK, on by default on
 * x86_64 and arm64 since 4.9/4.14 and forced on by Debian's kernels. */
bool mem_kernel_vmap_stack(void);

#endif
