/* SPDX-License-Identifier: GPL-2.0 */
/* faulttop's aggregator: turns per-thread records and events from the
 * collector into per-thread and per-process rows with totals since start
 * and deltas for the last interval. */
#ifndef FAULTTOP_PROCS_H
#define FAULTTOP_PROCS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "counters.h"
#include "faulttop.h"
#include "memledger.h"
#include "procfs.h"
#include "trend.h"

struct mem_info {
	bool valid;			/* read at least once */
	uint64_t vss, rss, pss, uss;	/* bytes */
	double read_at;			/* when, seconds on the monotonic clock */
	struct trend uss_trend;
	double uss_slope;		/* bytes per second over the trend window */
	bool uss_growing;		/* steady growth: a leak suspect */
};

struct last_signal {
	int sig, code;			/* 0 when none yet */
	uint64_t addr, ip;
	pid_t tid;
};

/* What a view shows for one process (or thread, in thread mode). */
struct row {
	pid_t id;			/* pid, or tid in thread mode */
	pid_t tgid, ppid;
	char comm[FT_COMM_LEN + 1];
	bool is_thread;
	bool exited;			/* gone during this interval */
	uint64_t start_ns;		/* task->start_time: tells a reused PID apart */
	uint64_t cgroup_id;
	struct counters total;		/* since faulttop started (or since birth) */
	struct counters delta;		/* during the last interval */
	struct mem_info mem;		/* processes only */
	struct last_signal last_sig;
	int nr_threads;
};

struct sys_totals {
	double interval_s;
	uint64_t faults, major, segv, sigbus;		/* this interval */
	uint64_t segv_total;
	uint64_t drops, map_full;			/* lost events, cumulative */
	struct meminfo mem;
	int nr_procs, nr_threads;
	/* the books (books.c), read every --mem-interval; NULL before the
	 * first reading. They live as long as the loop. */
	const struct mem_ledger *books;
	const struct mem_verdict *verdict;
};

struct procs;

/* What procs reads besides what the collector feeds it: the source side
 * (proc_source.c: /proc and the clock). Tests pass their own. */
struct procs_reader {
	/* /proc/PID/maps into maps and the /proc/PID/exe link into exe (""
	 * when unreadable). 0, or -errno when the process is gone. */
	int (*maps)(void *ctx, pid_t tgid, struct vma_list *maps, char *exe, size_t exe_size);
	/* /proc/PID/smaps_rollup. 0 or -errno. */
	int (*rollup)(void *ctx, pid_t pid, struct mem_rollup *out);
	double (*now_s)(void *ctx);	/* CLOCK_MONOTONIC, seconds */
	void *ctx;
};

/* The real one. */
extern const struct procs_reader procs_reader_proc;

struct procs *procs_new(uint64_t start_ns, const struct procs_reader *reader);
void procs_free(struct procs *p);

/* Feed from the collector. */
void procs_on_task(struct procs *p, const struct ft_task *rec, uint64_t generation);
void procs_on_task_free(struct procs *p, const struct ft_task *rec);
void procs_on_fault(struct procs *p, const struct ft_ev_fault *e);
void procs_on_signal(struct procs *p, const struct ft_ev_signal *e);

/* Closes an interval: computes totals and deltas for every row, marks what
 * exited, and drops what was shown exited last time. generation is the
 * task-iterator pass just fed. */
void procs_end_interval(struct procs *p, uint64_t generation, double now_s, double interval_s);

/* The rows of the interval just ended: processes, or threads. The array is
 * owned by procs and valid until the next procs_end_interval. */
struct row **procs_rows(struct procs *p, bool threads, int *n);

/* Reads smaps_rollup (through the reader) for the row's process if its
 * last reading is older than cadence_s; updates the USS trend. */
void procs_refresh_memory(struct procs *p, struct row *r, double now_s, double cadence_s);

#endif
