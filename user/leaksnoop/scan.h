/* SPDX-License-Identifier: GPL-2.0 */
/* The conservative scan of a live process, as LeakSanitizer and valgrind
 * do at exit: stop every thread (ptrace), read the registers and the
 * writable memory (process_vm_readv), resume, and hand reach.c what it
 * found. The only code of leaksnoop that stops the target; it resumes it
 * on every path. */
#ifndef LEAKSNOOP_SCAN_H
#define LEAKSNOOP_SCAN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "reach.h"

struct scan_target {
	pid_t pid;
	/* A thread leaksnoop already traces (the command it started, seized
	 * to hold it at exit): the scan stops and resumes it through these
	 * rather than seizing it a second time. 0: none. */
	pid_t traced_tid;
	bool traced_held;	/* it is already stopped (held at its exit) */
	int (*stop_traced)(void *ctx);		/* 0 once stopped, -errno */
	void (*resume_traced)(void *ctx);
	void *ctx;
	/* bumped by leaksnoop's SIGINT/SIGTERM handler: a signal that comes
	 * during the scan cancels it (the target is resumed at once) */
	const volatile sig_atomic_t *signals;
};

/* What a scan cost and found. */
struct scan_stats {
	double stopped_ms;	/* first thread stopped .. last resumed */
	uint64_t bytes_scanned;
	uint32_t threads, mappings;
	uint64_t unreadable_bytes;	/* present pages process_vm_readv refused */
	/* where the stop went: reading the allocation tables, the pagemap,
	 * copying the memory (the rest: stopping and resuming the threads) */
	double tables_ms, pagemap_ms, copy_ms;
};

/* Called once every thread is stopped: the blocks to classify (the
 * allocation table as it is while nothing can change it). The scan does
 * not keep them past its return. 0, or -errno. */
typedef int (*scan_blocks_fn)(void *ctx, const struct reach_block **blocks, size_t *n);

/* Stops the target, classifies the blocks get_blocks gives, resumes it.
 * *kinds (malloc'd, one per block, enum leak_kind) and *indirect (bytes
 * indirectly lost through each definitely lost block) are set on success.
 * On failure returns -errno with one line saying why in why[] (ptrace
 * refused, a thread that would not stop, cancelled by a signal ...). */
int scan_classify(const struct scan_target *t, scan_blocks_fn get_blocks, void *bctx,
		  uint8_t **kinds, uint64_t **indirect, size_t *n, struct scan_stats *st,
		  char *why, size_t why_size);

#endif
