/* Holds N eventfds (each kmallocs its eventfd_ctx and gets a struct file),
 * then closes them. Stops itself before opening, after opening and after
 * closing so the test can look at each state. PACE_US microseconds between
 * two eventfds spread the opening over time (0: at once).
 * usage: leak_eventfd [N] [PACE_US] */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>
#include "workload.h"

#define MAX_HELPERS 16

/* Opens n eventfds into fds; spreads them over time when pace_us. */
static void open_eventfds(int *fds, long n, long pace_us)
{
	for (long i = 0; i < n; i++) {
		if ((fds[i] = eventfd(0, 0)) < 0)
			die("eventfd");
		if (pace_us && i % 100 == 99)
			usleep((useconds_t)(pace_us * 100));
	}
}

/* A process may hold RLIMIT_NOFILE descriptors (20,000 here, and only
 * CAP_SYS_RESOURCE raises the hard limit): what does not fit goes to helper
 * children, which open their share, stop, and die with the parent's close. */
static int helpers_for(long *n, long per_proc, long pace_us, pid_t *kids)
{
	int nk = 0;

	while (*n > per_proc && nk < MAX_HELPERS) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			int *fds = calloc((size_t)per_proc, sizeof(*fds));

			if (!fds)
				die("calloc");
			open_eventfds(fds, per_proc, pace_us);
			kill(getpid(), SIGSTOP);
			for (;;)
				pause();	/* until the parent's SIGKILL */
		}
		if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st))
			die("helper");
		kids[nk++] = pid;
		*n -= per_proc;
	}
	return nk;
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 50), pace = arg_long(argc, argv, 2, 0), per_proc;
	pid_t kids[MAX_HELPERS];
	struct rlimit rl;
	int *fds, nk;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
	per_proc = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1 << 30 ? n : (long)rl.rlim_cur - 64;
	pause_for_test();
	nk = helpers_for(&n, per_proc, pace, kids);
	fds = calloc((size_t)(n > 0 ? n : 1), sizeof(*fds));
	if (!fds)
		die("calloc");
	open_eventfds(fds, n, pace);
	pause_for_test();
	for (long i = 0; i < n; i++)
		close(fds[i]);
	for (int k = 0; k < nk; k++) {
		kill(kids[k], SIGKILL);
		waitpid(kids[k], NULL, 0);
	}
	pause_for_test();
	return 0;
}
