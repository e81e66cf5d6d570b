// SPDX-License-Identifier: GPL-2.0
/* The source side of the VMA view: what it reads from /proc for the one
 * watched process. /proc/PID/stat every interval (a short line); smaps at
 * --mem-interval only, since reading it walks every page table of the
 * process (see below); with each smaps reading, the threads' stack pointers, to name their stacks. */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "procfs.h"
#include "vma_source.h"

/* threads whose stacks get a name; a process with more keeps the rest [anon] */
#define MAX_NAMED_STACKS 1024

/* /proc/PID/task/TID/syscall: "NR a1 .. a6 SP PC" while blocked in a
 * syscall, "-1 SP PC" while blocked elsewhere, "running" while on a CPU
 * (then nobody knows its SP). Returns 0 and *sp, or -1. */
int vma_source_parse_syscall_sp(const char *text, uint64_t *sp)
{
	const char *tok[16];
	int n = 0;
	char *end;

	for (const char *p = text; *p && *p != '\n' && n < 16;) {
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break;
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	if (n < 3 || strncmp(tok[n - 2], "0x", 2) != 0)
		return -1;
	errno = 0;
	*sp = strtoull(tok[n - 2], &end, 16);
	return errno || (*end != ' ' && *end != '\n' && *end) ? -1 : 0;
}

static void read_thread_sps(struct vmas *m, pid_t tgid)
{
	char path[64], text[256];
	struct dirent *d;
	DIR *dir;
	int named = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)tgid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir)) && named < MAX_NAMED_STACKS) {
		uint64_t sp;
		char *end;
		long tid = strtol(d->d_name, &end, 10);

		if (*end || tid <= 0 || tid == tgid)	/* "." ".."; the main thread's is [stack] */
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%ld/syscall", (int)tgid, tid);
		if (procfs_read_file(path, text, sizeof(text)) <= 0 ||
		    vma_source_parse_syscall_sp(text, &sp))
			continue;
		vmas_set_thread_sp(m, (pid_t)tid, sp);
		named++;
	}
	closedir(dir);
}

/* ---- smaps, read on a thread of its own ------------------------------------------ */

/* The kernel writes smaps by walking every page table of the process: 14 MB
 * of text and ~0.5-0.65 s for 20,000 mappings here (our parse is a small
 * part of it), long enough to freeze the screen if the main loop waited.
 * So after the first reading a thread reads and parses, and the main loop
 * takes the result when it is done; meanwhile faults in new mappings wait. */
struct vma_source {
	struct vmas *m;
	pthread_t thread;
	bool running;
	atomic_bool done;
	/* the thread's result, read by the main loop once done */
	struct smaps_list list;
	int err;
	double read_ms, parse_ms;
};

static void read_and_parse(struct vma_source *src)
{
	char path[64], *text;
	double t0 = monotonic_s(), t1;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)vmas_tgid(src->m));
	text = procfs_slurp(path, NULL);
	t1 = monotonic_s();
	src->err = text ? procfs_parse_smaps(text, &src->list) : -errno;
	src->read_ms = (t1 - t0) * 1000.0;
	src->parse_ms = (monotonic_s() - t1) * 1000.0;
	free(text);
}

static void *reader_thread(void *arg)
{
	struct vma_source *src = arg;

	read_and_parse(src);
	atomic_store(&src->done, true);
	return NULL;
}

/* Hands a finished reading to the model. */
static void take_reading(struct vma_source *src, double now_s)
{
	if (src->err) {
		vmas_smaps_failed(src->m, src->err, now_s);
		return;
	}
	vmas_set_smaps(src->m, &src->list, now_s, src->read_ms, src->parse_ms);
	read_thread_sps(src->m, vmas_tgid(src->m));
}

struct vma_source *vma_source_new(struct vmas *m)
{
	struct vma_source *src = calloc(1, sizeof(*src));

	if (src)
		src->m = m;
	return src;
}

void vma_source_free(struct vma_source *src)
{
	if (!src)
		return;
	if (src->running)
		pthread_join(src->thread, NULL);
	smaps_list_free(&src->list);
	free(src);
}

void vma_source_read_now(struct vma_source *src, double now_s)
{
	memset(&src->list, 0, sizeof(src->list));
	read_and_parse(src);
	take_reading(src, now_s);
}

/* Starts a reading if one is due, takes one that finished. */
static void poll_smaps(struct vma_source *src, double now_s, double cadence_s)
{
	if (src->running) {
		if (!atomic_load(&src->done))
			return;
		pthread_join(src->thread, NULL);
		src->running = false;
		take_reading(src, now_s);
		return;
	}
	if (!vmas_smaps_due(src->m, now_s, cadence_s))
		return;
	memset(&src->list, 0, sizeof(src->list));
	atomic_store(&src->done, false);
	if (pthread_create(&src->thread, NULL, reader_thread, src) == 0)
		src->running = true;
	else
		vma_source_read_now(src, now_s);
}

void vma_source_refresh(struct vma_source *src, double now_s, double cadence_s)
{
	struct vmas *m = src->m;
	struct proc_stat st;
	int err = procfs_read_pid_stat(vmas_tgid(m), &st);

	if (err == -ENOENT || err == -ESRCH || (!err && st.state == 'Z')) {
		vmas_set_gone(m);
		return;
	}
	if (!err)
		vmas_set_process(m, st.comm, st.minflt, st.majflt);
	poll_smaps(src, now_s, cadence_s);
}
