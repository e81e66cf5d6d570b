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

/* What the allocator's own mappings were to the scan. */
enum scan_alloc_rule {
	ALLOC_MAPS_ROOTS,	/* roots, as any memory (-p: the safe rule) */
	ALLOC_MAPS_NOT_ROOTS,	/* traced from the start: no roots in them */
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
	/* which roots were taken (the rules: struct scan_input) */
	enum scan_alloc_rule alloc_rule;
	bool registers_roots;		/* false at the exit hold */
	uint32_t exited_stacks;		/* exited threads' stacks passed over */
	uint32_t owned_maps;		/* allocator mappings passed over */
	uint64_t nonroot_bytes;		/* of both, outside blocks, not scanned as roots */
};

/* When the process was stopped: every thread stopped at stopped_ns, the
 * first resumed after resumed_ns (CLOCK_MONOTONIC, as bpf_ktime_get_ns).
 * No thread of it allocated or freed in between. */
struct scan_window {
	uint64_t stopped_ns, resumed_ns;
};

/* A thread started while traced: the stack pointer it started with. */
struct scan_thread {
	uint32_t tid;
	uint64_t first_sp;
};

/* What the scan classifies (the blocks live during its window, see struct
 * scan_blocks), and what it knows of the process's memory. The roots are memcheck's: every thread's registers and
 * every word of writable memory outside the blocks, but for
 * - the stack of a thread that has exited (glibc caches stacks for its
 *   next threads; they hold the dead thread's stale pointers): a region of
 *   stacks that no thread now listed in the process started in (first_sp)
 *   and no stopped thread's stack pointer lies in (the threads alive in
 *   the stop are those; a list read after the resume adds only). Only with
 *   threads_known (else every stack is scanned, as any memory);
 * - the allocator's own mappings (owned), with owned_not_roots: given
 *   when the process was traced from its first instruction, so every
 *   block in them is a traced block and the rest is the allocator's state
 *   (free lists, thread caches, extent metadata: stale pointers to blocks
 *   handed out). Attached later (-p), blocks allocated before are not in
 *   the table: the allocator's memory stays a root, the safe rule;
 * - the registers of a process held at its exit (no code of it runs
 *   again; memcheck's check at exit sees none either). */
struct scan_input {
	const struct reach_block *blocks;
	size_t n;
	const struct reach_range *stacks;	/* thread stack regions */
	size_t nr_stacks;
	const struct scan_thread *threads;
	size_t nr_threads;
	bool threads_known;			/* threads holds every one started */
	const struct reach_range *owned;	/* allocator-owned mappings */
	size_t nr_owned;
	bool owned_not_roots;
};

/* Where the blocks to classify come from (classify.c):
 * - begin: just before the stop: note what changes from now on; false
 *   when it can't (then get is called while stopped);
 * - get: the blocks as they were during w, with what the roots rules
 *   need (in's pointers need not outlive the scan). Called after the
 *   resume, or while still stopped when there is no room to copy the
 *   memory (then w->resumed_ns is the call's time).
 *   0, or -errno. */
struct scan_blocks {
	bool (*begin)(void *ctx);
	int (*get)(void *ctx, const struct scan_window *w, struct scan_input *in);
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
