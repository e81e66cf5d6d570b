/* SPDX-License-Identifier: GPL-2.0 */
/* leaksnoop's source: the only code that reads the BPF tables (and the
 * process's /proc files) for a report. It returns plain data (struct
 * leak_snapshot, model.h); model.c builds the report from it. */
#ifndef LEAKSNOOP_SOURCE_H
#define LEAKSNOOP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "model.h"

struct leaksnoop_bpf;
struct usym_snapshot;
struct ksyms;

struct leak_source {
	struct leaksnoop_bpf *skel;
	pid_t pid;			/* 0: whole system */
	bool user, kernel;		/* what is traced */
	bool has_syscalls;		/* the regions table is filled */
	bool batch_frees;		/* kfree_rcu's batches are watched (kfree_batch.c) */
	/* for labelling mmap regions (regions.h): the snapshot that resolves
	 * who called mmap(), and the allocators' files */
	struct usym_snapshot *usyms;
	const struct allocator_info *allocs;
	int nr_allocs;
};

/* Reads every table into snap (zeroed first): totals before the
 * allocation tables, so that an allocation made meanwhile is live but not
 * yet counted rather than counted and taken for freed. exited: the process
 * is gone (its mappings are not read). 0, or -errno with snap empty. */
int leak_source_read(const struct leak_source *src, bool exited, struct leak_snapshot *snap);

/* A scan's log of the user frees from just before the process is stopped
 * (scan.c) to the read of the tables after it is resumed: with it, the
 * read gives the blocks that were live while it was stopped. NULL when
 * the log can't be opened (the read then can only happen while stopped). */
struct leak_scan_log;
struct leak_scan_log *leak_source_log_start(const struct leak_source *src);
/* As leak_source_read, but the user blocks are those of window w (see
 * scan_window.h); *freed_since of them, at the end of snap->blocks, were
 * freed after the resume (for the scan only: drop them from the report). */
int leak_source_read_window(const struct leak_source *src, struct leak_scan_log *log,
			    const struct scan_window *w, struct leak_snapshot *snap,
			    size_t *freed_since);
/* Logging off; log freed (NULL is fine). */
void leak_source_log_stop(struct leak_scan_log *log);

/* What an exec took with the image it replaced. */
struct leak_forgotten {
	uint64_t blocks, bytes;
};

/* The process exec'd at exec_ns (CLOCK_MONOTONIC): its user blocks and
 * mmap regions recorded before went with the old image's memory. They
 * leave the tables, counted as freed. 0 or -errno (then some may stay). */
int leak_source_forget_image(const struct leak_source *src, __u64 exec_ns, struct leak_forgotten *out);

/* The process's name from /proc/PID/stat into buf (untouched when gone). */
void leak_source_comm(pid_t pid, char *buf, size_t size);

/* A symbolizer (model.h) over a user snapshot and kallsyms, either NULL. */
struct leak_symbolizer leak_source_symbolizer(struct usym_snapshot *usyms, struct ksyms *ksyms);

/* The mapped file addr is in, for the pprof renderer's module_of
 * (ctx: a struct usym_snapshot). */
int leak_source_module_of(void *ctx, uint64_t addr, struct usym_module *out);

#endif
