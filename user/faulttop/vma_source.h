/* SPDX-License-Identifier: GPL-2.0 */
/* Reads /proc for the VMA view's watched process (vma_source.c). */
#ifndef FAULTTOP_VMA_SOURCE_H
#define FAULTTOP_VMA_SOURCE_H

#include <stdint.h>
#include "vmas.h"

struct vma_source;

struct vma_source *vma_source_new(struct vmas *m);
/* Waits for a reading under way. */
void vma_source_free(struct vma_source *src);
/* smaps now (the first reading: the screen has nothing to show before). */
void vma_source_read_now(struct vma_source *src, double now_s);
/* Its fault counts from /proc/PID/stat; smaps on a thread when cadence_s
 * has passed since the last reading, handed to the model when done; marks
 * the process gone when it is. Called once per interval. */
void vma_source_refresh(struct vma_source *src, double now_s, double cadence_s);
/* The SP in a /proc/PID/task/TID/syscall line: 0, or -1 when unknown. */
int vma_source_parse_syscall_sp(const char *text, uint64_t *sp);

#endif
