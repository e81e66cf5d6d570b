// SPDX-License-Identifier: GPL-2.0
/* The source side of the VMA view: what it reads from /proc for the one
 * watched process. /proc/PID/stat every interval (a short line); smaps at
 * --mem-interval only, since reading it walks every page table of the
 * process (measured in docs/vmas.md: ~N ms per 1,000 mappings); with each
 * smaps reading, the threads' stack pointers, to name their stacks. */
#include <dirent.h>
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
		int tid = atoi(d->d_name);

		if (tid <= 0 || tid == tgid)	/* the main thread's is [stack] */
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)tgid, tid);
		if (procfs_read_file(path, text, sizeof(text)) <= 0 ||
		    vma_source_parse_syscall_sp(text, &sp))
			continue;
		vmas_set_thread_sp(m, tid, sp);
		named++;
	}
	closedir(dir);
}

void vma_source_read_smaps(struct vmas *m, double now_s)
{
	pid_t tgid = vmas_tgid(m);
	struct smaps_list l = { 0 };
	double t0 = monotonic_s();
	int err = procfs_read_pid_smaps(tgid, &l);

	if (err) {
		vmas_smaps_failed(m, err, now_s);
		return;
	}
	vmas_set_smaps(m, &l, now_s, (monotonic_s() - t0) * 1000.0);
	read_thread_sps(m, tgid);
}

void vma_source_refresh(struct vmas *m, double now_s, double cadence_s)
{
	struct proc_stat st;
	int err = procfs_read_pid_stat(vmas_tgid(m), &st);

	if (err == -ENOENT || err == -ESRCH || (!err && st.state == 'Z')) {
		vmas_set_gone(m);
		return;
	}
	if (!err)
		vmas_set_process(m, st.comm, st.minflt, st.majflt);
	if (vmas_smaps_due(m, now_s, cadence_s))
		vma_source_read_smaps(m, now_s);
}
