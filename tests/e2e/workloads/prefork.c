/* A pre-fork server in miniature, for leaksnoop -f, -p lists and --cgroup:
 * a master forks N workers; worker i (0-based) leaks i+1 blocks of
 * 1000 + 16*i bytes (so each worker's count and size are its own) and
 * allocates and frees as many 512-byte ones.
 *
 * usage: prefork N [go|late]
 *   without "go": the workers leak at once and exit; the master reaps them
 *     and exits (leaksnoop -f -- prefork N).
 *   late: the master prints "master PID" and forks only after a line on
 *     stdin (leaksnoop -f -p MASTER); then as with go, without a second line.
 *   with "go": the master prints "worker I PID" for each, then waits for a
 *     line on stdin; the workers then leak, the master prints "leaked" once
 *     all have, and everyone waits for stdin's end (the test's tracer sees
 *     live processes: -p list, --cgroup). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "workload.h"

static void __attribute__((noinline)) leak_one(size_t size)
{
	char *p = malloc(size);	/* @worker_leak */
	char *q = malloc(512);	/* @worker_freed */

	memset(p, 1, 16);
	memset(q, 2, 16);
	free(q);
	p = NULL;		/* definitely lost */
}

static void work(long i)
{
	for (long k = 0; k <= i; k++)
		leak_one(1000 + 16 * (size_t)i);
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 3);
	int late = argc > 2 && !strcmp(argv[2], "late");
	int go = (argc > 2 && !strcmp(argv[2], "go")) || late;
	int start[2], done[2];
	char line[64], c;

	if (pipe(start) || pipe(done))
		die("pipe");
	if (late) {
		printf("master %d\n", (int)getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			die("stdin");
	}
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(start[1]);
			close(done[0]);
			if (go && read(start[0], &c, 1) < 0)	/* EOF: the master said go */
				die("read");
			work(i);
			if (write(done[1], "x", 1) != 1)
				die("write");
			if (go)
				while (read(0, line, sizeof(line)) > 0)
					;	/* until the test closes stdin */
			_exit(0);
		}
		if (go)
			printf("worker %ld %d\n", i, (int)pid);
	}
	close(start[0]);
	close(done[1]);
	if (go) {
		fflush(stdout);
		if (!late && !fgets(line, sizeof(line), stdin))
			die("stdin");
		close(start[1]);
		for (long i = 0; i < n; i++)
			if (read(done[0], &c, 1) != 1)
				die("done");
		printf("leaked\n");
		fflush(stdout);
		while (fgets(line, sizeof(line), stdin))
			;
	} else {
		close(start[1]);
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
