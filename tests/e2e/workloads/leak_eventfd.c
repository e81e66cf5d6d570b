/* Holds N eventfds (each kmallocs its eventfd_ctx and gets a struct file),
 * then closes them. Stops itself before opening, after opening and after
 * closing so the test can look at each state. PACE_US microseconds between
 * two eventfds spread the opening over time (0: at once).
 * usage: leak_eventfd [N] [PACE_US] */
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>
#include "workload.h"

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 50), pace = arg_long(argc, argv, 2, 0);
	int *fds = calloc((size_t)(n > 0 ? n : 1), sizeof(*fds));
	struct rlimit rl;

	if (!fds)
		die("calloc");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)(n + 64)) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)(n + 64);
		if (setrlimit(RLIMIT_NOFILE, &rl))
			die("setrlimit");
	}
	pause_for_test();
	for (long i = 0; i < n; i++) {
		if ((fds[i] = eventfd(0, 0)) < 0)
			die("eventfd");
		if (pace && i % 100 == 99)
			usleep((useconds_t)pace * 100);
	}
	pause_for_test();
	for (long i = 0; i < n; i++)
		close(fds[i]);
	pause_for_test();
	return 0;
}
