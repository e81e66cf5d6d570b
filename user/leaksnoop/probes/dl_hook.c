// SPDX-License-Identifier: GPL-2.0
/* The ld.so hook's attach, overlapped with loader_attach(): registering a
 * uprobe waits in the kernel (14-26 ms here, most of it a grace period),
 * and the two waits overlap. */
#include <string.h>
#include "attach.h"
#include "dl_hook.h"
#include "unwinder.h"

static void *attach_dl_hook(void *arg)
{
	struct dl_hook *h = arg;

	if (h->multi) {
		h->fd = unwinder_attach_dl_hook_multi(h->uw, h->where, h->filter);
		h->err = h->fd < 0 ? h->fd : 0;
	} else {
		h->err = unwinder_attach_dl_hook(h->uw, h->where, h->filter, &h->link);
	}
	return NULL;
}

void dl_hook_start(struct dl_hook *h, struct unwinder *uw, pid_t where, pid_t filter, bool multi)
{
	memset(h, 0, sizeof(*h));
	if (!uw)
		return;
	*h = (struct dl_hook){ .uw = uw, .where = where, .filter = filter, .multi = multi, .fd = -1 };
	h->started = !pthread_create(&h->thread, NULL, attach_dl_hook, h);
	if (!h->started)
		attach_dl_hook(h);
}

int dl_hook_finish(struct dl_hook *h, struct loader *l)
{
	if (!h->uw)
		return 0;
	if (h->started)
		pthread_join(h->thread, NULL);
	if (h->err)
		return h->err;
	/* detached with the loader's links, in parallel */
	return h->multi ? loader_adopt_multi_fd(l, h->fd) : loader_adopt_link(l, h->link);
}
