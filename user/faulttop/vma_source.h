/* SPDX-License-Identifier: GPL-2.0 */
/* Reads /proc for the VMA view's watched process (vma_source.c). */
#ifndef FAULTTOP_VMA_SOURCE_H
#define FAULTTOP_VMA_SOURCE_H

#include <stdint.h>
#include "vmas.h"

/* Its fault counts from /proc/PID/stat, and smaps if cadence_s has passed
 * since the last reading (or none was made); marks it gone when it is. */
void vma_source_refresh(struct vmas *m, double now_s, double cadence_s);
/* smaps now, timed, and the threads' stack pointers. */
void vma_source_read_smaps(struct vmas *m, double now_s);
/* The SP in a /proc/PID/task/TID/syscall line: 0, or -1 when unknown. */
int vma_source_parse_syscall_sp(const char *text, uint64_t *sp);

#endif
