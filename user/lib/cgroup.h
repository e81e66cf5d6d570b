/* SPDX-License-Identifier: GPL-2.0 */
/* cgroup v2 lookups: a directory's cgroup id, as BPF sees it in
 * task->cgroups->dfl_cgrp->kn->id. */
#ifndef MMSCOPE_CGROUP_H
#define MMSCOPE_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* Where cgroup2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on
 * hybrid systems), from /proc/self/mountinfo. 0 or -ENOENT. */
int cgroup2_mount_point(char *buf, size_t size);

/* The id of a cgroup v2 directory given absolute, or relative to the
 * cgroup2 mount. 0, -ENOENT (no such cgroup v2 directory) or -errno. */
int cgroup2_id(const char *path, uint64_t *id);

#endif
