/* SPDX-License-Identifier: GPL-2.0 */
/* leaksnoop's run: what main.c's trace loop and trace_set.c (the traced
 * processes: the command or -p's, and a set's others) share. */
#ifndef LEAKSNOOP_STATE_H
#define LEAKSNOOP_STATE_H

#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include "attach.h"
#include "books_source.h"
#include "model.h"
#include "proc_set.h"
#include "source.h"
#include "target.h"

struct ksyms;
struct unwinder;

struct state {
	const struct leaksnoop_config *cfg;	/* parsed once; read only */
	const volatile sig_atomic_t *signals;	/* SIGINT/SIGTERM so far (main.c) */
	struct loader loader;
	struct target target;		/* the command's or the first -p's */
	struct proc_set procs;		/* every traced process */
	struct traced_proc *main;	/* the one of target; NULL: --cgroup */
	struct leak_model_config model;
	struct leak_set_summary set_sum;	/* a set's report: the processes added up */
	struct leak_source whole;	/* no process: the whole system's kernel side */
	struct leak_history whole_history;
	struct books_tracker books;	/* kernel traced: the books at the start */
	struct ksyms *ksyms;		/* NULL: kernel frames print as addresses */
	struct unwinder *uw;	/* NULL: frame-pointer stacks (--frame-pointers, no pool) */
	bool has_target;
	bool released;		/* -- CMD: let go to its exec (before: leaksnoop's own fork) */
	bool uw_synced;
	double uw_build_s, uw_build_cpu_s;	/* -p: building the tables before load */
	double last_refresh;
	__u32 execs_seen;		/* the image_execs already followed (one process) */
	int64_t start_wall_ns;		/* for the pprof profile */
	bool pprof_failed;
	FILE *out;			/* the reports: stdout or --log-file */
};

/* ---- trace_set.c ---------------------------------------------------------------- */

/* Takes or refreshes the snapshot of each live process's mappings (one,
 * for snapshot_update_proc). */
void snapshot_update_proc(struct state *st, struct traced_proc *p, bool lazy);
void snapshot_update(struct state *st, bool lazy);
/* The mappings changed: a dlopen may have brought an allocator not
 * probed yet, in any live process. */
void allocators_recheck(struct state *st);
/* What a process's report reads and how it is scanned (after the load). */
void proc_init(struct state *st, struct traced_proc *p);
/* p exec'd at exec_ns: the blocks and regions of the image it replaced
 * leave its records (counted in *gone), and its symbols, the old image's,
 * are dropped. */
void proc_forget_image(struct traced_proc *p, __u64 exec_ns, struct leak_forgotten *gone);
/* The processes known at the start (before the load). 0 or -1 after
 * printing why. */
int set_collect(struct state *st);
/* After the load, before the probes: they go into BPF's set. 0 or -1
 * after printing why. */
int set_seed(struct state *st);
/* Newcomers BPF added to the set (-p lists, -f, --cgroup; nothing
 * otherwise): their tables, probes and reports. */
void set_poll(struct state *st);
/* A -p list whose processes have all exited. */
bool set_over(const struct state *st);

#endif
