// SPDX-License-Identifier: GPL-2.0
/* The processes of one trace (see procs.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "procfs.h"
#include "proc_set.h"
#include "source.h"
#include "symbolize.h"
#include "vec.h"
#include "leaksnoop.h"

struct traced_proc *procs_add(struct proc_set *s, pid_t pid, pid_t ppid)
{
	struct traced_proc *p = calloc(1, sizeof(*p)), **v;

	if (!p)
		return NULL;
	/* an array of pointers: sizeof one pointer is right */
	// NOLINTNEXTLINE(bugprone-sizeof-expression)
	v = vec_reserve(s->v, &s->cap, s->n, sizeof(*s->v));
	if (!v) {
		free(p);
		return NULL;
	}
	s->v = v;
	p->pid = pid;
	p->ppid = ppid;
	p->own.pid = pid;
	p->own.pidfd = p->own.go_fd = p->own.err_fd = -1;
	p->target = &p->own;
	s->v[s->n++] = p;
	return p;
}

struct traced_proc *procs_find(const struct proc_set *s, pid_t pid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i]->pid == pid)
			return s->v[i];
	return NULL;
}

void procs_free(struct proc_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		usym_snapshot_free(s->v[i]->usyms);
		leak_history_free(&s->v[i]->history);
		classify_free(&s->v[i]->classifier);
		free(s->v[i]);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

struct usym_snapshot *proc_usyms(const struct proc_set *s, const struct traced_proc *p)
{
	/* a chain of forks: at most as many steps as there are processes */
	for (size_t depth = 0; p && depth <= s->n; depth++) {
		if (p->usyms)
			return p->usyms;
		if (p->execed || !p->ppid)
			return NULL;
		p = procs_find(s, p->ppid);
	}
	return NULL;
}

bool procs_pid_exists_or_say(pid_t pid)
{
	if (procfs_pid_exists(pid))
		return true;
	fprintf(stderr, "leaksnoop: no process with PID %d\n", (int)pid);
	return false;
}

void proc_read_names(struct traced_proc *p)
{
	char path[64], buf[sizeof(p->cmdline)];
	ssize_t n;

	if (p->exited)
		return;
	leak_source_comm(p->pid, p->comm, sizeof(p->comm));
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)p->pid);
	n = procfs_read_file(path, buf, sizeof(buf));
	if (n <= 0)
		return;		/* gone, or a kernel thread */
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	for (ssize_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = 0;
	memcpy(p->cmdline, buf, (size_t)n + 1);
}

/* A child gone before its command line was read, that never exec'd, ran
 * its parent's: the same one. */
static void inherit_cmdline(const struct proc_set *s, struct traced_proc *p)
{
	const struct traced_proc *parent = p->ppid ? procs_find(s, p->ppid) : NULL;

	if (!p->cmdline[0] && !p->execed && parent)
		memcpy(p->cmdline, parent->cmdline, sizeof(p->cmdline));
}

/* A process exec'd since the last look: its new name, and the caller
 * forgets the old image's blocks. */
static void follow_exec(struct traced_proc *p, const struct ls_proc *v,
			const struct procs_events *ev, void *ctx)
{
	if (!v->exec_ns || v->exec_ns == p->exec_ns)
		return;
	p->exec_ns = v->exec_ns;
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)sizeof(v->comm), v->comm);
	if (!p->exited)
		proc_read_names(p);
	ev->on_exec(ctx, p, v->exec_ns);
}

int procs_poll(struct proc_set *s, int procs_fd, const struct procs_events *ev, void *ctx)
{
	__u32 key, next;
	bool first = true;

	while (!bpf_map_get_next_key(procs_fd, first ? NULL : &key, &next)) {
		struct ls_proc v;
		struct traced_proc *p;

		first = false;
		key = next;
		if (bpf_map_lookup_elem(procs_fd, &key, &v))
			continue;	/* gone meanwhile */
		p = procs_find(s, (pid_t)key);
		if (!p) {
			p = procs_add(s, (pid_t)key, (pid_t)v.ppid);
			if (!p)
				return -ENOMEM;
			snprintf(p->comm, sizeof(p->comm), "%.*s", (int)sizeof(v.comm), v.comm);
			if (!(v.flags & LS_PROC_EXITED))
				proc_read_names(p);
			p->exited = v.flags & LS_PROC_EXITED;
			p->execed = v.flags & LS_PROC_EXECED;
			inherit_cmdline(s, p);
			ev->on_new(ctx, p);
			follow_exec(p, &v, ev, ctx);
			continue;
		}
		p->execed = v.flags & LS_PROC_EXECED;
		if ((v.flags & LS_PROC_EXITED) && !p->exited && !p->target->child)
			p->exited = true;
		follow_exec(p, &v, ev, ctx);
	}
	return 0;
}
