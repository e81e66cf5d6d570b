/* Shared bits of the e2e workloads: they do a known amount of memory work,
 * then stop themselves so the test can read /proc/PID/stat at rest. */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static inline long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* Stops until the test sends SIGCONT. */
static inline void pause_for_test(void)
{
	fflush(stdout);
	raise(SIGSTOP);
}

static inline long arg_long(int argc, char **argv, int i, long dflt)
{
	return argc > i ? strtol(argv[i], NULL, 0) : dflt;
}

static inline void die(const char *what)
{
	perror(what);
	exit(99);
}

#endif
