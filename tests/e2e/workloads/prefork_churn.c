/* leaksnoop's pre-fork benchmark workload (make bench): a master forks N
 * workers, each runs leak_churn's malloc/free loop and times it from
 * inside, by its own CPU time, so start-up, attach and detach don't count.
 * usage: prefork_churn N ITERATIONS [go]
 *   go: print "worker I PID" for each, wait for a line on stdin, then run
 *       (a tracer attaches to running workers: -p, a -p list).
 * prints "worker I cpu_ns_per_op=C" on stderr per worker. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "workload.h"

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void worker(long i, long n, int start_fd)
{
	char c;
	double c0;

	if (start_fd >= 0 && read(start_fd, &c, 1) < 0)	/* EOF: go */
		die("read");
	c0 = cpu_ns();
	for (long k = 0; k < n; k++) {
		void *volatile p = malloc(64 + (k & 63));

		free(p);
	}
	fprintf(stderr, "worker %ld cpu_ns_per_op=%.1f\n", i, (cpu_ns() - c0) / n);
}

int main(int argc, char **argv)
{
	long nw = arg_long(argc, argv, 1, 2), n = arg_long(argc, argv, 2, 100000);
	int go = argc > 3 && !strcmp(argv[3], "go");
	int start[2];
	char line[16];

	if (pipe(start))
		die("pipe");
	for (long i = 0; i < nw; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(start[1]);
			worker(i, n, go ? start[0] : -1);
			_exit(0);
		}
		if (go)
			printf("worker %ld %d\n", i, (int)pid);
	}
	close(start[0]);
	if (go) {
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			die("stdin");
	}
	close(start[1]);
	while (wait(NULL) > 0)
		;
	return 0;
}
