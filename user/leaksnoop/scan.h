/* SPDX-License-Identifier: GPL-2.0 */
/* The conservative scan of a live process, as LeakSanitizer and valgrind
 * do at exit: stop every thread (ptrace), copy the registers and the
 * writable memory (process_vm_readv), resume, then hand reach.c what it
 * found with the blocks of the stop. The only code of leaksnoop that stops the target; it resumes it
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

/* What a scan cost and found. The phases of the stop add up to
 * stopped_ms; what ran before the stop and after the resume is apart. */
struct scan_stats {
	double stopped_ms;	/* from the first thread asked to stop to the last resumed */
	uint64_t bytes_scanned;
	uint32_t threads, mappings;
	uint64_t unreadable_bytes;	/* present pages process_vm_readv refused */
	/* the stop, phase by phase: stopping every thread, their registers,
	 * the memory (its maps, pagemap and copy: memory_ms holds pagemap_ms
	 * and copy_ms), the allocation tables and the marking (both 0 unless
	 * the copy buffer could not be had: tables_in_stop), resuming. freeze
	 * counts from the first thread asked to stop to the last stopped (on a
	 * busy machine threads wait for a CPU to enter their stop); seize_ms,
	 * before it, is listing the threads and seizing the first */
	double freeze_ms, registers_ms, memory_ms, pagemap_ms, copy_ms, tables_ms, mark_ms,
	       resume_ms;
	bool tables_in_stop;
	double seize_ms;
	/* the process running: sizing and pre-copying before the stop; the
	 * tables, then the marking of the copy, after the resume */
	double before_ms, after_tables_ms, after_mark_ms;
	uint64_t bytes_copied_stopped;	/* read while stopped (the rest: pre-copy) */
};

/* When the process was stopped: every thread stopped at stopped_ns, the
 * first resumed after resumed_ns (CLOCK_MONOTONIC, as bpf_ktime_get_ns).
 * No thread of it allocated or freed in between. */
struct scan_window {
	uint64_t stopped_ns, resumed_ns;
};

/* Where the blocks to classify come from (classify.c):
 * - begin: just before the stop: note what changes from now on; false
 *   when it can't (then get is called while stopped);
 * - get: the blocks as they were during w (they need not outlive the
 *   scan). Called after the resume, or while still stopped when there is
 *   no room to copy the memory (then w->resumed_ns is the call's time).
 *   0, or -errno. */
struct scan_blocks {
	bool (*begin)(void *ctx);
	int (*get)(void *ctx, const struct scan_window *w, const struct reach_block **blocks,
		   size_t *n);
	void *ctx;
};

/* Stops the target, copies its registers and memory, resumes it, and
 * classifies the blocks src gives. *kinds (malloc'd, one per block, enum
 * leak_kind) and *indirect (bytes indirectly lost through each definitely
 * lost block) are set on success. On failure returns -errno with one line
 * saying why in why[] (ptrace refused, a thread that would not stop,
 * cancelled by a signal ...). */
int scan_classify(const struct scan_target *t, const struct scan_blocks *src,
		  uint8_t **kinds, uint64_t **indirect, size_t *n, struct scan_stats *st,
		  char *why, size_t why_size);

#endif
