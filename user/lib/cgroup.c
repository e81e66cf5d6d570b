// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
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

int cgroup2_id(const char *path, uint64_t *id)
{
	char full[PATH_MAX], mnt[PATH_MAX];
	struct statfs sfs;
	struct stat st;

	if (path[0] == '/') {
		snprintf(full, sizeof(full), "%s", path);
	} else {
		int err = cgroup2_mount_point(mnt, sizeof(mnt));

		if (err)
			return err;
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", mnt, path) >= sizeof(full))
			return -ENAMETOOLONG;
	}
	if (stat(full, &st) || !S_ISDIR(st.st_mode))
		return -ENOENT;
	if (statfs(full, &sfs) || (unsigned long)sfs.f_type != CGROUP2_MAGIC)
		return -ENOENT;
	*id = st.st_ino;	/* kernfs inode number == cgroup id on 64-bit */
	return 0;
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
