/* An event loop's churn: N short-lived descriptors (eventfds, or UDP
 * sockets with "sock") each added to an epoll set and closed, H of them
 * held. Every add allocates an epitem (cache eventpoll_epi); every close
 * removes it, and since ~6.9 the kernel frees it through kfree_rcu, which
 * batches the frees. Stops before the churn, after it (H epitems held),
 * and after closing the held ones.
 * usage: epoll_churn [N] [H] [sock] */
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include "workload.h"

static int short_lived(int sockets)
{
	int fd = sockets ? socket(AF_INET, SOCK_DGRAM, 0) : eventfd(0, 0);

	if (fd < 0)
		die(sockets ? "socket" : "eventfd");
	return fd;
}

static void watch(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		die("epoll_ctl");
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 20000), held = arg_long(argc, argv, 2, 3);
	int sockets = argc > 3 && !strcmp(argv[3], "sock");
	int ep = epoll_create1(0), kept[64];

	if (ep < 0)
		die("epoll_create1");
	if (held > 64)
		held = 64;
	pause_for_test();
	for (long i = 0; i < n; i++) {
		int fd = short_lived(sockets);

		watch(ep, fd);
		if (i < held)
			kept[i] = fd;
		else
			close(fd);	/* the epitem goes with the last reference */
	}
	pause_for_test();
	for (long i = 0; i < held; i++)
		close(kept[i]);
	pause_for_test();
	return 0;
}
