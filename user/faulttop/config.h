/* SPDX-License-Identifier: GPL-2.0 */
/* faulttop's configuration: parsed once from the command line (options.c),
 * then read only. What the TUI changes at run time (sort, filters, threads)
 * lives in main's struct view_state (view.h), which starts from it. */
#ifndef FAULTTOP_CONFIG_H
#define FAULTTOP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define MAX_PIDS 64

/* FT_OUT_NONE: --listen without -b/--json, metrics only */
enum faulttop_output { FT_OUT_TUI, FT_OUT_BATCH, FT_OUT_JSON, FT_OUT_NONE };

/* Sort keys; the order is the order of the columns. */
enum sort_key {
	SORT_PID, SORT_COMM, SORT_MINFLT_RATE, SORT_MAJFLT_RATE, SORT_MINFLT, SORT_MAJFLT,
	SORT_SEGV, SORT_MMAP_RATE, SORT_BRK_RATE, SORT_MAPPED_RATE, SORT_VSS, SORT_RSS,
	SORT_PSS, SORT_USS, SORT_USS_TREND, SORT_MAX,
};

struct faulttop_config {
	bool verbose;
	enum faulttop_output output;
	double interval_s;		/* -d */
	long count;			/* -n, 0 = forever */
	pid_t pids[MAX_PIDS];		/* -p */
	int nr_pids;
	const char *comm;		/* -C, substring of comm */
	const char *cgroup_path;	/* --cgroup */
	bool threads;			/* -t */
	bool all;			/* -a: idle rows too in batch/json */
	int sample_pct;			/* % of time the per-fault hook is attached */
	double mem_interval_s;		/* smaps_rollup cadence per process */
	enum sort_key sort;
	bool sort_ascending;
	int max_rows;			/* batch/json: 0 = all */
	bool exit_now;			/* --help or --version was printed */
	uint32_t ringbuf_bytes;		/* --ringbuf-size, 0 = default */
	uint32_t max_threads;		/* --max-threads, 0 = default */
	bool listen;			/* --listen: serve /metrics */
	struct sockaddr_storage listen_addr;
	socklen_t listen_len;
	int top_n;			/* --top: processes with their own series */
	bool maps;			/* --maps: the -p process's VMAs */
};

#endif
