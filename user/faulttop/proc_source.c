// SPDX-License-Identifier: GPL-2.0
/* The source side of faulttop's aggregator: what procs.c reads besides the
 * collector's records (the process's maps and exe link, its smaps_rollup,
 * the clock), behind struct procs_reader. */
#include <stdio.h>
#include <unistd.h>
#include "clock.h"
#include "procs.h"

static int read_maps(void *ctx, pid_t tgid, struct vma_list *maps, char *exe, size_t exe_size)
{
	char path[64];
	ssize_t n;
	int err;

	(void)ctx;
	exe[0] = '\0';
	err = procfs_read_pid_maps(tgid, maps);
	if (err < 0)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)tgid);
	n = readlink(path, exe, exe_size - 1);
	exe[n > 0 ? n : 0] = '\0';
	return 0;
}

static int read_rollup(void *ctx, pid_t pid, struct mem_rollup *out)
{
	(void)ctx;
	return procfs_read_pid_rollup(pid, out);
}

static double now_s(void *ctx)
{
	(void)ctx;
	return monotonic_s();
}

const struct procs_reader procs_reader_proc = {
	.maps = read_maps, .rollup = read_rollup, .now_s = now_s,
};
