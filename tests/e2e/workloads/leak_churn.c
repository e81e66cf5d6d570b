/* leaksnoop's benchmark workload: a tight allocate/free loop, timed from
 * inside so start-up and tracer attach/detach don't count. deep: the same
 * loop with 20 frames from malloc's caller down to _start (16 of deep()
 * on main, __libc_start_call_main, __libc_start_main, _start), the
 * unwinder benchmark's stack.
 * usage: leak_churn malloc|deep|eventfd ITERATIONS
 * prints "ns_per_op=N cpu_ns_per_op=C" on stderr: wall clock, and this
 * process's own CPU time (user + system: what a probe running in its
 * context adds, and not what other processes on a shared machine take). */
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "workload.h"

static double clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void malloc_loop(long n)
{
	for (long i = 0; i < n; i++) {
		void *volatile p = malloc(64 + (i & 63));

		free(p);
	}
}

/* Recurses to depth frames, then loops; the store after the call keeps
 * each level a real frame (no tail call). */
static volatile int deep_depth_seen;

static void deep(int frames, long n)
{
	if (frames > 1)
		deep(frames - 1, n);
	else
		malloc_loop(n);
	deep_depth_seen = frames;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "malloc";
	long n = arg_long(argc, argv, 2, 100000);
	double t0, c0;

	if (!strcmp(mode, "malloc")) {
		t0 = clock_ns(CLOCK_MONOTONIC);
		c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		malloc_loop(n);
	} else if (!strcmp(mode, "deep")) {
		t0 = clock_ns(CLOCK_MONOTONIC);
		c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		deep(15, n);	/* + malloc_loop, main and the three below it: 20 */
	} else if (!strcmp(mode, "eventfd")) {
		t0 = clock_ns(CLOCK_MONOTONIC);
		c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		for (long i = 0; i < n; i++) {
			int fd = eventfd(0, 0);

			if (fd < 0)
				die("eventfd");
			close(fd);
		}
	} else {
		fprintf(stderr, "usage: leak_churn malloc|deep|eventfd ITERATIONS\n");
		return 2;
	}
	fprintf(stderr, "ns_per_op=%.1f cpu_ns_per_op=%.1f\n", (clock_ns(CLOCK_MONOTONIC) - t0) / n,
		(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / n);
	return 0;
}
