/* Fills N pipes with 64 KiB each (16 pages of pipe buffer, allocated at
 * anon_pipe_write, in no /proc/meminfo field), one every PACE_US
 * microseconds, then stops itself holding them; closes them when continued
 * and stops again; ROUNDS times (a test measures each round's rise and
 * fall, so that others' noise averages out).
 * With WAIT_FIRST 1 it stops once before the first pipe (so that a tracer
 * attached by pid sees every one).
 * usage: hold_pipes [N] [PACE_US] [ROUNDS] [WAIT_FIRST] */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "workload.h"

#define PIPE_FILL ((size_t)64 << 10)

/* One round: fill, stop holding, close, stop. */
static void hold_round(int (*fds)[2], long n, long pace, const char *buf)
{
	for (long i = 0; i < n; i++) {
		if (pipe(fds[i]))
			die("pipe");
		if (write(fds[i][1], buf, PIPE_FILL) != (ssize_t)PIPE_FILL)
			die("write");
		if (pace)
			usleep((useconds_t)pace);
	}
	pause_for_test();
	for (long i = 0; i < n; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	pause_for_test();
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 512), pace = arg_long(argc, argv, 2, 0);
	long rounds = arg_long(argc, argv, 3, 1), wait_first = arg_long(argc, argv, 4, 0);
	struct rlimit rl = { .rlim_cur = 2 * n + 64, .rlim_max = 2 * n + 64 };
	static char buf[PIPE_FILL];
	int (*fds)[2] = calloc((size_t)n, sizeof(*fds));

	if (!fds)
		die("calloc");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)(2 * n + 64)) {
		rl.rlim_cur = rl.rlim_max = 2 * n + 64;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			die("setrlimit");
	}
	memset(buf, 'p', sizeof(buf));
	if (wait_first)
		pause_for_test();
	for (long r = 0; r < rounds; r++)
		hold_round(fds, n, pace, buf);
	return 0;
}
