/* SPDX-License-Identifier: GPL-2.0 */
/* Reads the BPF tables and prints what is outstanding: text modelled on
 * valgrind's leak report, JSON Lines, or folded stacks. */
#ifndef LEAKSNOOP_REPORT_H
#define LEAKSNOOP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "leaksnoop.h"

struct leaksnoop_bpf;
struct usym_snapshot;
struct ksyms;

/* One stack (or kernel call site / slab cache) with what is outstanding. */
struct rec {
	struct ls_agg_key key;
	uint64_t bytes, blocks;
	uint64_t oldest_ts;
	int64_t growth_bytes, growth_blocks;	/* since the last report */
	bool is_new;				/* not in the last report */
	struct ls_agg totals;			/* BPF's running totals for this key */
};

struct reporter {
	struct leaksnoop_bpf *skel;
	struct usym_snapshot *usyms;	/* may be NULL: frames print as addresses */
	struct ksyms *ksyms;		/* may be NULL */
	pid_t pid;			/* 0: whole system */
	char comm[32];
	uint64_t start_ns;		/* CLOCK_MONOTONIC when tracing began */
	uint64_t prev_ns;
	struct rec *prev;		/* the last report's records, sorted by key */
	size_t nr_prev;
	int64_t prev_net[SRC_MAX];	/* allocated - freed at the last report */
	int nr_reports;
	bool has_syscalls;
	const char *lib_path;
};

struct report_opts {
	bool final;		/* the last report */
	bool exited;		/* the process is gone: all its user blocks count */
	FILE *out;
};

/* Prints one report. Returns the number of outstanding records found
 * (after filters), or -errno. */
int report_emit(struct reporter *r, const struct report_opts *o);
void reporter_free(struct reporter *r);

#endif
