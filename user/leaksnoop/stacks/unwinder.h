/* SPDX-License-Identifier: GPL-2.0 */
/* Feeding the BPF CFI unwinder (bpf/unwind.bpf.h): one unwind table per
 * mapped file, built once (cached by device and inode) and written into the
 * shared row pool; per process, its executable mappings with their file's
 * rows and load bias. */
#ifndef LEAKSNOOP_UNWINDER_H
#define LEAKSNOOP_UNWINDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct leaksnoop_bpf;
struct bpf_link;

/* Rows the pool holds by default: 12 MiB, the tables of ~35 libcs. */
#define UNWIND_DEFAULT_ROWS	(1u << 20)

struct unwind_stats {
	size_t files;		/* files with a table in the pool */
	size_t files_no_cfi;	/* executable files without usable CFI: frame pointers */
	size_t files_too_big;	/* tables that didn't fit the pool: frame pointers */
	size_t mappings;	/* executable mappings of every process, last sync */
	size_t procs_dropped;	/* processes beyond UW_MAX_PROCS: frame pointers */
	size_t mappings_dropped;	/* beyond UW_MAX_MAPPINGS: frame pointers */
	size_t rows, rows_max;
	double build_ms;	/* time spent building tables, all syncs */
	size_t tables_cached;	/* read back from the table cache (unwind_cache.h) */
	size_t tables_stored;	/* built and written to it */
	unsigned syncs;
	uint64_t walks_cached;	/* allocations whose walk came from BPF's walk cache */
	uint64_t walks_full;	/* walked in full */
};

struct unwinder;

/* What the loader needs to know before load (see unwind_configure). */
struct unwind_plan {
	bool stop_on_dl;	/* the command is ptraced: BPF may stop it at ld.so's changes */
	size_t rows;		/* rows built already (-p): the pool gets room for them */
};

/* Before the BPF object is loaded: sizes the pool (at least
 * UNWIND_DEFAULT_ROWS, rows_needed and a quarter more), turns CFI unwinding
 * on (cfi) and the ld.so stop. */
void unwind_configure(struct leaksnoop_bpf *skel, bool cfi, bool stop_on_dl, size_t rows_needed);

/* An unwinder for pid, not yet bound to BPF: unwinder_sync() then builds
 * the tables of what pid maps in memory. NULL when memory is short. */
struct unwinder *unwinder_new(pid_t pid);
/* Another process to give tables to (a set: -p list, -f, --cgroup), at
 * the next sync. 0 (or already there), -ENOSPC beyond UW_MAX_PROCS (its
 * stacks are then walked by frame pointers, counted), -errno. */
int unwinder_add(struct unwinder *u, pid_t pid);
/* Rows built so far (for unwind_configure). */
size_t unwinder_rows_built(const struct unwinder *u);
/* After load: maps the pool; the next sync fills it. 0 or -errno. */
int unwinder_bind(struct unwinder *u, struct leaksnoop_bpf *skel);
/* Attaches the _dl_debug_state probe in the ld.so of pid (ours, for a
 * command not yet exec'd: pid 0), for filter; *link gets it (the caller
 * destroys it before the BPF object). 0 or -errno; failing is not fatal:
 * mappings are then re-read every 2 s only. */
int unwinder_attach_dl_hook(struct unwinder *u, pid_t pid, pid_t filter, struct bpf_link **link);
/* The same as one uprobe_multi link (6.6+; on_dl_debug_state loaded for
 * it): closing it waits ~45-65 ms here instead of the perf-event link's
 * ~95-130 ms. Returns the link's fd (the caller closes it) or -errno. */
int unwinder_attach_dl_hook_multi(struct unwinder *u, pid_t pid, pid_t filter);
/* Re-reads every process's mappings, builds what is new (on several
 * threads), and once bound gives BPF their tables. 0 or -errno (every
 * process gone). */
int unwinder_sync(struct unwinder *u);
/* If BPF stopped tid at _dl_debug_state (a SIGSTOP it sent), syncs and
 * returns true: the caller resumes the thread without the signal. */
bool unwinder_take_stop(struct unwinder *u, pid_t tid);
/* True once BPF has seen ld.so change the mappings since the last sync. */
bool unwinder_maps_changed(const struct unwinder *u);
void unwinder_get_stats(const struct unwinder *u, struct unwind_stats *out);
void unwinder_free(struct unwinder *u);

#endif
