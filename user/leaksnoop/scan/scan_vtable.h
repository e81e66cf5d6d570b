/* SPDX-License-Identifier: GPL-2.0 */
/* memcheck's vtable test for the multipleinheritance heuristic (reach.h's
 * reach_vtable_fn), on a live process: its mappings from /proc/PID/maps
 * (read at the first test), the candidate vtable's words through
 * process_vm_readv. A vtable lives in a read-only file mapping and never
 * changes, so the test may run after the process is resumed. Private to
 * scan.c. */
#ifndef LEAKSNOOP_SCAN_VTABLE_H
#define LEAKSNOOP_SCAN_VTABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct vtables;

/* NULL when memory is short (then no multipleinheritance heuristic). */
struct vtables *vtables_new(pid_t pid);
/* reach_vtable_fn; ctx is a struct vtables. */
bool vtables_test(void *ctx, uint64_t addr);
void vtables_free(struct vtables *vt);

#endif
