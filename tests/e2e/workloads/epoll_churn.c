/* An event loop's churn: N short-lived descriptors (eventfds; UDP sockets
 * with "sock"; pipes with "pipe", the read end watched) each added to an
 * epoll set and closed, H of them held. Every add allocates an epitem (cache eventpoll_epi); every close
 * removes it, and since ~6.9 the kernel frees it through kfree_rcu, which
 * batches the frees. Stops before the churn, after it (H epitems held),
 * and after closing the held ones.
 * usage: epoll_churn [N] [H] [eventfd|sock|pipe] */
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include "workload.h"

/* A new descriptor of kind (argv[3]) to watch; a pipe's write end goes
 * to *other (else -1). */
static int short_lived(const char *kind, int *other)
{
	int fd, p[2];

	*other = -1;
	if (!strcmp(kind, "pipe")) {
		if (pipe(p))
			die("pipe");
		*other = p[1];
		return p[0];
	}
	fd = !strcmp(kind, "sock") ? socket(AF_INET, SOCK_DGRAM, 0) : eventfd(0, 0);
	if (fd < 0)
		die(kind);
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
	const char *kind = argc > 3 ? argv[3] : "eventfd";
	int ep = epoll_create1(0), kept[64], kept_other[64];
	long nkept = 0;

	if (ep < 0)
		die("epoll_create1");
	if (held > 64)
		held = 64;
	pause_for_test();
	for (long i = 0; i < n; i++) {
		int other, fd = short_lived(kind, &other);

		watch(ep, fd);
		if (nkept < held) {
			kept[nkept] = fd;
			kept_other[nkept++] = other;
			continue;
		}
		close(fd);	/* the epitem goes with the last reference */
		if (other >= 0)
			close(other);
	}
	pause_for_test();
	for (long i = 0; i < nkept; i++) {
		close(kept[i]);
		if (kept_other[i] >= 0)
			close(kept_other[i]);
	}
	pause_for_test();
	return 0;
}
