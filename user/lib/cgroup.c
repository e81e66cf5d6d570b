// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "cgroup.h"
#include "procfs.h"

#define CGROUP2_MAGIC 0x63677270

/* mountinfo: "36 35 98:0 / /mnt rw,noatime shared:1 - cgroup2 cgroup2 rw" —
 * the fs type follows the " - " separator. */
int cgroup2_mount_point(char *buf, size_t size)
{
	char line[4096], root[PATH_MAX], mnt[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) == 2 &&
		    strlen(mnt) < size) {
			strcpy(buf, mnt);
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

int cgroup2_dir(const char *path, char *full, size_t size)
{
	char mnt[PATH_MAX];
	struct statfs sfs;
	struct stat st;

	if (path[0] == '/') {
		if ((size_t)snprintf(full, size, "%s", path) >= size)
			return -ENAMETOOLONG;
	} else {
		int err = cgroup2_mount_point(mnt, sizeof(mnt));

		if (err)
			return err;
		if ((size_t)snprintf(full, size, "%s/%s", mnt, path) >= size)
			return -ENAMETOOLONG;
	}
	if (stat(full, &st) || !S_ISDIR(st.st_mode))
		return -ENOENT;
	if (statfs(full, &sfs) || (unsigned long)sfs.f_type != CGROUP2_MAGIC)
		return -ENOENT;
	return 0;
}

int cgroup2_id(const char *path, uint64_t *id)
{
	char full[PATH_MAX];
	struct stat st;
	int err = cgroup2_dir(path, full, sizeof(full));

	if (err)
		return err;
	if (stat(full, &st))
		return -errno;
	*id = st.st_ino;	/* kernfs inode number == cgroup id on 64-bit */
	return 0;
}

/* dir's cgroup.procs, then its children's, depth first (bounded: a
 * cgroup tree is at most a few levels deep; 16 is far past any seen). */
// NOLINTNEXTLINE(misc-no-recursion): depth-bounded, see above
static int for_each_pid(const char *dir, int depth, int (*cb)(void *ctx, pid_t pid), void *ctx)
{
	char path[PATH_MAX], line[32];
	FILE *f;
	DIR *d;
	struct dirent *e;
	int err = 0;

	if (depth > 16 || (size_t)snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		long pid = strtol(line, NULL, 10);

		if (pid > 0 && pid <= INT_MAX)
			err = cb(ctx, (pid_t)pid);
	}
	fclose(f);
	d = err ? NULL : opendir(dir);
	while (d && !err && (e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		/* bounded by depth (a cgroup tree is a few levels deep) */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < sizeof(path))
			err = for_each_pid(path, depth + 1, cb, ctx);	// NOLINT(misc-no-recursion)
		if (err == -ENOENT)
			err = 0;	/* removed meanwhile */
	}
	if (d)
		closedir(d);
	return err;
}

int cgroup2_for_each_pid(const char *dir, int (*cb)(void *ctx, pid_t pid), void *ctx)
{
	return for_each_pid(dir, 0, cb, ctx);
}

int cgroup2_parse_proc_cgroup(const char *text, char *buf, size_t size)
{
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");

		if (len > 3 && strncmp(line, "0::", 3) == 0 && len - 3 < size && line[3] == '/') {
			memcpy(buf, line + 3, len - 3);
			buf[len - 3] = '\0';
			return 0;
		}
		line += len + (line[len] == '\n');
	}
	return -ENOENT;
}

int cgroup2_path_of_pid(pid_t pid, char *buf, size_t size)
{
	char path[64], text[8192];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	n = procfs_read_file(path, text, sizeof(text));
	if (n < 0)
		return (int)n;
	return cgroup2_parse_proc_cgroup(text, buf, size);
}
