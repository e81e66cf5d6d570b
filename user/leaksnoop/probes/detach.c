// SPDX-License-Identifier: GPL-2.0
/* Detaching leaksnoop's probes without waiting for them one by one.
 *
 * Closing a link returns only after the kernel's grace periods (measured
 * here, 6.18, 2 vCPUs): a uprobe_multi link 57-72 ms (uprobe_unregister_sync:
 * an RCU-tasks-trace and an SRCU grace period), the ld.so hook's perf-event
 * uprobe link 93-124 ms, a raw tracepoint link 0.1 ms alone but 8-16 ms each
 * when they queue on the kernel's text patching. Closed one after another,
 * 20 of them held the exit up for 2.4 s; each on its own thread, the waits
 * overlap. Started early, they also overlap the work that is left: the user
 * heap's probes are closed as soon as the command's last thread stops at
 * its exit (no user code can run again), while its memory is scanned; the
 * kernel's once the final report has read the tables (a free seen later
 * would change nothing in it). loader_close() waits for every close, so
 * nothing stays attached after leaksnoop exits. */
#include <pthread.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "leaksnoop.h"
#include "leaksnoop.skel.h"

static void close_item(const struct detach_item *it)
{
	if (it->link)
		bpf_link__destroy(it->link);
	else
		close(it->fd);
}

static void *close_items(void *arg)
{
	struct detach_job *j = arg;

	for (int i = j->from; i < j->to; i++)
		close_item(&j->d->items[i]);
	return NULL;
}

/* Starts closing items[from, nr_items), spread over the threads left (when
 * none can start, closes them here, in turn). */
static void start_closing(struct detacher *d, int from)
{
	int n = d->nr_items - from, left = DETACH_THREADS - d->nr_threads;
	int per = left > 0 ? (n + left - 1) / left : n;

	for (int i = from; i < d->nr_items; i += per) {
		struct detach_job here = { d, i, i + per > d->nr_items ? d->nr_items : i + per };

		if (d->nr_threads < DETACH_THREADS) {
			struct detach_job *j = &d->jobs[d->nr_threads];

			*j = here;
			if (!pthread_create(&d->threads[d->nr_threads], NULL, close_items, j)) {
				d->nr_threads++;
				continue;
			}
		}
		close_items(&here);
	}
}

static void take_link(struct detacher *d, struct bpf_link *link)
{
	d->items[d->nr_items++] = (struct detach_item){ .link = link, .fd = -1 };
}

static void take_fd(struct detacher *d, int fd)
{
	d->items[d->nr_items++] = (struct detach_item){ .link = NULL, .fd = fd };
}

void loader_detach_user(struct loader *l)
{
	struct detacher *d = &l->detach;
	int from = d->nr_items;

	if (l->user_detached)
		return;
	l->user_detached = true;
	for (int i = l->nr_kernel_links; i < l->nr_links; i++)
		take_link(d, l->links[i]);
	for (int i = 0; i < l->nr_multi; i++)
		take_fd(d, l->multi_fds[i]);
	l->nr_links = l->nr_kernel_links;
	l->nr_multi = 0;
	start_closing(d, from);
}

void loader_detach_all(struct loader *l)
{
	struct detacher *d = &l->detach;
	int from;

	loader_detach_user(l);
	from = d->nr_items;
	for (int i = 0; i < l->nr_links; i++)
		take_link(d, l->links[i]);
	l->nr_links = l->nr_kernel_links = 0;
	start_closing(d, from);
}

void loader_close(struct loader *l)
{
	struct detacher *d = &l->detach;

	loader_detach_all(l);
	for (int i = 0; i < d->nr_threads; i++)
		pthread_join(d->threads[i], NULL);
	d->nr_threads = d->nr_items = 0;
	leaksnoop_bpf__destroy(l->skel);
	l->skel = NULL;
}
