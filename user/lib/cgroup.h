/* SPDX-License-Identifier: GPL-2.0 */
/* cgroup v2 lookups: a directory's cgroup id, as BPF sees it in
 * task->cgroups->dfl_cgrp->kn->id. */
#ifndef MMSCOPE_CGROUP_H
#define MMSCOPE_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where cgroup2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on
 * hybrid systems), from /proc/self/mountinfo. 0 or -ENOENT. */
int cgroup2_mount_point(char *buf, size_t size);

/* The cgroup v2 directory path names (absolute, or relative to the cgroup2
 * mount) into full. 0, -ENOENT (no such cgroup v2 directory) or -errno. */
int cgroup2_dir(const char *path, char *full, size_t size);

/* Calls cb for every process of the cgroup v2 directory dir (a full path)
 * and of the cgroups below it, until cb returns nonzero (returned). 0 or
 * -errno. */
int cgroup2_for_each_pid(const char *dir, int (*cb)(void *ctx, pid_t pid), void *ctx);

/* The id of a cgroup v2 directory given absolute, or relative to the
 * cgroup2 mount. 0, -ENOENT (no such cgroup v2 directory) or -errno. */
int cgroup2_id(const char *path, uint64_t *id);

/* The cgroup v2 path in the text of a /proc/PID/cgroup (its "0::" line),
 * e.g. "/system.slice/foo.service". 0, or -ENOENT when there is none (or
 * it does not fit in size). */
int cgroup2_parse_proc_cgroup(const char *text, char *buf, size_t size);

/* The same read from /proc/<pid>/cgroup: 0 or -errno. */
int cgroup2_path_of_pid(pid_t pid, char *buf, size_t size);

#endif
