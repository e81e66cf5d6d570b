/* Holds N eventfds (each kmallocs its eventfd_ctx), then closes them.
 * Stops itself before opening, after opening and after closing so the
 * test can look at each state.
 * usage: leak_eventfd [N] */
#include <sys/eventfd.h>
#include <unistd.h>
#include "workload.h"

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 50);
	int fds[4096];

	if (n > 4096)
		n = 4096;
	pause_for_test();
	for (long i = 0; i < n; i++)
		if ((fds[i] = eventfd(0, 0)) < 0)
			die("eventfd");
	pause_for_test();
	for (long i = 0; i < n; i++)
		close(fds[i]);
	pause_for_test();
	return 0;
}
