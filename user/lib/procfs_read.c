// SPDX-License-Identifier: GPL-2.0
/* Reading /proc: whole files, and the wrappers that read one and parse it
 * with procfs.c's parsers (which take text, so that they can be fuzzed). */
#include "procfs.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- reading files ------------------------------------------------------- */

ssize_t procfs_read_file(const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd;

	if (!buf || size == 0)
		return -EINVAL;
	buf[0] = '\0';		/* a string even when the open fails */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* /proc files arrive in several short reads; keep going until EOF. */
	len = fd_read_full(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return len;
	buf[len] = '\0';
	return len;
}

char *procfs_slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0, used = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* /proc files report st_size 0, so the size is only known at EOF. */
	err = fd_read_to_end(fd, &buf, &cap, &used, 4096, 1);
	close(fd);
	if (err) {
		free(buf);
		errno = -err;
		return NULL;
	}
	if (len)
		*len = used;
	return buf;
}

/* --- /proc/<pid>/<file> wrappers ------------------------------------------- */

/* Most files fit the stack buffer; a fuller one (a status with huge CPU
 * masks, a long maps) is read again whole rather than cut short. */
struct proc_text {
	char small[8192];
	char *big;
	const char *text;
};

static int proc_text_read(struct proc_text *t, const char *path)
{
	ssize_t len = procfs_read_file(path, t->small, sizeof(t->small));

	t->big = NULL;
	if (len < 0)
		return (int)len;
	t->text = t->small;
	if ((size_t)len < sizeof(t->small) - 1)
		return 0;
	t->big = procfs_slurp(path, NULL);
	if (!t->big)
		return -errno;
	t->text = t->big;
	return 0;
}

static void proc_text_free(struct proc_text *t)
{
	free(t->big);
	t->big = NULL;
}

static void pid_path(char *buf, size_t size, pid_t pid, const char *file)
{
	snprintf(buf, size, "/proc/%d/%s", (int)pid, file);
}

#define PID_PATH_MAX 64

/* Reads path and parses it with parse into out. */
static int read_parsed(const char *path, int (*parse)(const char *text, void *out), void *out)
{
	struct proc_text t;
	int err = proc_text_read(&t, path);

	if (err)
		return err;
	err = parse(t.text, out);
	proc_text_free(&t);
	return err;
}

static int read_pid_parsed(pid_t pid, const char *file,
			   int (*parse)(const char *text, void *out), void *out)
{
	char path[PID_PATH_MAX];

	pid_path(path, sizeof(path), pid, file);
	return read_parsed(path, parse, out);
}

/* The parsers, each with its own out type, behind one signature. */
static int parse_stat(const char *text, void *out)
{
	return procfs_parse_stat(text, out);
}

static int parse_rollup(const char *text, void *out)
{
	return procfs_parse_smaps_rollup(text, out);
}

static int parse_status(const char *text, void *out)
{
	return procfs_parse_status(text, out);
}

static int parse_maps(const char *text, void *out)
{
	return procfs_parse_maps(text, out);
}

static int parse_meminfo(const char *text, void *out)
{
	return procfs_parse_meminfo(text, out);
}

int procfs_read_pid_stat(pid_t pid, struct proc_stat *out)
{
	return read_pid_parsed(pid, "stat", parse_stat, out);
}

int procfs_read_pid_rollup(pid_t pid, struct mem_rollup *out)
{
	return read_pid_parsed(pid, "smaps_rollup", parse_rollup, out);
}

int procfs_read_pid_status(pid_t pid, struct proc_status *out)
{
	return read_pid_parsed(pid, "status", parse_status, out);
}

int procfs_read_pid_maps(pid_t pid, struct vma_list *out)
{
	return read_pid_parsed(pid, "maps", parse_maps, out);
}

int procfs_read_meminfo(struct meminfo *out)
{
	return read_parsed("/proc/meminfo", parse_meminfo, out);
}

bool procfs_pid_exists(pid_t pid)
{
	char path[PID_PATH_MAX];

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return access(path, F_OK) == 0;
}
