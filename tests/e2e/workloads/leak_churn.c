/* leaksnoop's benchmark workload: a tight allocate/free loop, timed from
 * inside so start-up and tracer attach/detach don't count.
 * usage: leak_churn malloc|eventfd ITERATIONS
 * prints "ns_per_op=N" on stderr. */
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "workload.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "malloc";
	long n = arg_long(argc, argv, 2, 100000);
	double t0;

	if (!strcmp(mode, "malloc")) {
		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			void *volatile p = malloc(64 + (i & 63));

			free(p);
		}
	} else if (!strcmp(mode, "eventfd")) {
		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			int fd = eventfd(0, 0);

			if (fd < 0)
				die("eventfd");
			close(fd);
		}
	} else {
		fprintf(stderr, "usage: leak_churn malloc|eventfd ITERATIONS\n");
		return 2;
	}
	fprintf(stderr, "ns_per_op=%.1f\n", (now_ns() - t0) / n);
	return 0;
}
