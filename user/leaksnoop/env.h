/* SPDX-License-Identifier: GPL-2.0 */
/* leaksnoop's configuration, filled from the command line. */
#ifndef LEAKSNOOP_ENV_H
#define LEAKSNOOP_ENV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum output_mode { OUT_TEXT, OUT_JSON, OUT_FOLDED };

#define DEFAULT_OLDER_THAN_MS	500
#define DEFAULT_TOP		20

struct env {
	bool verbose;
	pid_t pid;			/* -p */
	char **cmd;			/* after "--" */
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
	enum output_mode mode;
	int error_exitcode;		/* 0: off */
	bool floor;			/* --bench-empty-probes: empty programs, no report */
	uint32_t max_allocs;		/* per table */
	bool exit_now;			/* --help, --usage or --version was printed */
};

extern struct env env;

#endif
