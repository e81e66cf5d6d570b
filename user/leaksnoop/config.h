/* SPDX-License-Identifier: GPL-2.0 */
/* leaksnoop's configuration: parsed once from the command line
 * (options.c), then read only. */
#ifndef LEAKSNOOP_CONFIG_H
#define LEAKSNOOP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum leaksnoop_output { LS_OUT_TEXT, LS_OUT_JSON, LS_OUT_FOLDED };

#define DEFAULT_OLDER_THAN_MS	500
#define DEFAULT_TOP		20
#define LS_MAX_PIDS		64	/* -p list */

struct leaksnoop_config {
	bool verbose;
	bool follow;			/* -f: children too */
	bool proc_set;			/* several processes: a list, -f or --cgroup */
	pid_t pid;			/* -p: the first one given */
	char **cmd;			/* after "--" */
	pid_t pids[LS_MAX_PIDS];	/* -p: every one given (pids[0] == pid) */
	double duration_s;		/* 0: until the process exits or a signal */
	double interval_s;		/* -i, 0: one report at the end */
	uint64_t older_than_ms;		/* -o */
	uint64_t min_size, max_size;	/* -z/-Z, max 0 = none */
	int top;			/* -T, 0 = all */
	bool user, kernel;		/* what is traced */
	bool mmap;			/* mmap/munmap/mremap/brk (with user) */
	bool kernel_stacks;		/* -K */
	bool pages;			/* page allocator too (kernel mode) */
	const char *lib;		/* --lib */
	const char *cgroup;		/* --cgroup: every process of this cgroup v2 */
	const char *log_path;		/* --log-file: the reports go there, not stdout */
	enum leaksnoop_output output;
	int nr_pids;
	const char *pprof_path;		/* --pprof: also write each report there */
	int error_exitcode;		/* 0: off */
	bool frame_pointers;		/* --frame-pointers: no CFI unwinding */
	bool no_walk_cache;		/* --no-walk-cache: every CFI walk in full */
	bool scan;			/* classify final reports (not --no-scan) */
	bool scan_intervals;		/* --scan: -i reports too */
	bool show_reachable;		/* --show-reachable */
	uint32_t max_allocs;		/* per table */
	bool exit_now;			/* --help, --usage or --version was printed */
};

#endif
