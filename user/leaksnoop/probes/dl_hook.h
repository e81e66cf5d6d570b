/* SPDX-License-Identifier: GPL-2.0 */
/* The ld.so hook (the unwinder's _dl_debug_state uprobe), attached on a
 * thread of its own while the loader attaches the other probes. */
#ifndef LEAKSNOOP_DL_HOOK_H
#define LEAKSNOOP_DL_HOOK_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

struct bpf_link;
struct loader;
struct unwinder;

struct dl_hook {
	struct unwinder *uw;	/* NULL: no hook (no unwinder) */
	pid_t where, filter;
	bool multi;		/* a uprobe_multi link (6.6+): fd */
	struct bpf_link *link;
	int fd;
	int err;
	pthread_t thread;
	bool started;
};

/* Starts attaching the hook on ld.so of where (0: the ld.so we run on, as
 * a command before its exec), for filter's threads. uw NULL: nothing. */
void dl_hook_start(struct dl_hook *h, struct unwinder *uw, pid_t where, pid_t filter, bool multi);

/* Waits for the attach and hands its link to l (closed with l's links).
 * 0, or -errno: no hook (nothing to hand over). */
int dl_hook_finish(struct dl_hook *h, struct loader *l);

#endif
