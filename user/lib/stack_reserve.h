/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MMSCOPE_STACK_RESERVE_H
#define MMSCOPE_STACK_RESERVE_H

#include <stddef.h>

/* Stack the tools' deepest paths use (leaksnoop's scan and report peak near
 * 144 KiB of VmStk), with room to spare. */
#define STACK_RESERVE_BYTES ((size_t)512 * 1024)

/* Grows the main thread's stack by bytes now, while memory is plentiful.
 * Under a tight RLIMIT_AS (prlimit --as, a container's limit) the kernel
 * refuses to grow the stack later and the process dies of SIGSEGV in
 * whatever function went one page deeper; grown up front, running short
 * of memory stays a malloc that returns NULL and a one-line error. */
void stack_reserve(size_t bytes);

#endif
