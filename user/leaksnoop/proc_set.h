/* SPDX-License-Identifier: GPL-2.0 */
/* The processes of one trace: the command or -p's, and with a set (-p
 * list, -f, --cgroup) every one that joins it. Each has its own records,
 * symbols, history and scan; BPF keeps the set itself (its procs map, by
 * global tgid), and this is user space's view of it. */
#ifndef LEAKSNOOP_PROC_SET_H
#define LEAKSNOOP_PROC_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "classify.h"
#include "model.h"
#include "source.h"
#include "target.h"

struct usym_snapshot;

struct traced_proc {
	pid_t pid;			/* global id */
	pid_t ppid;			/* -f: the traced process it was forked from; 0: given */
	char comm[32];			/* raw, from /proc or BPF: print it escaped */
	char cmdline[256];		/* its arguments joined by spaces; "" when unknown */
	bool exited;			/* gone: its records are what it held at exit */
	bool execed;			/* -f: it exec'd (else it runs its parent's image) */
	__u64 exec_ns;			/* its last exec BPF saw and user space followed; 0: none */
	struct target *target;		/* the command's / -p's own, else &own */
	struct target own;		/* a pid only: what the scan needs */
	struct usym_snapshot *usyms;	/* NULL: user frames print as addresses */
	struct leak_source source;	/* reads this process's records */
	struct leak_history history;
	struct classifier classifier;
	double last_refresh;
};

struct proc_set {
	struct traced_proc **v;		/* in the order they joined */
	size_t n, cap;
};

/* A new process (zeroed, its own target holding pid): NULL when memory is
 * short. */
struct traced_proc *procs_add(struct proc_set *s, pid_t pid, pid_t ppid);
struct traced_proc *procs_find(const struct proc_set *s, pid_t pid);
void procs_free(struct proc_set *s);

/* The symbols p's addresses resolve with: its own, or, for a child of -f
 * that never exec'd and is gone before they were read, its parent's (the
 * same image, mapped at the same addresses). NULL when none. */
struct usym_snapshot *proc_usyms(const struct proc_set *s, const struct traced_proc *p);

/* Whether pid exists; if not, says so on stderr. */
bool procs_pid_exists_or_say(pid_t pid);

/* Its name and command line from /proc (left as they were once it is gone). */
void proc_read_names(struct traced_proc *p);

/* What a poll tells its caller: a process joined (on_new), or one exec'd
 * since the last poll (on_exec, with the exec's bpf_ktime_get_ns: the
 * blocks recorded before it were the old image's). */
struct procs_events {
	void (*on_new)(void *ctx, struct traced_proc *p);
	void (*on_exec)(void *ctx, struct traced_proc *p, __u64 exec_ns);
};

/* What BPF's procs map has (fd): a process not known yet is added and
 * passed to on_new; one that exec'd to on_exec (after on_new if both); one
 * BPF saw exit is marked exited. 0 or -errno. */
int procs_poll(struct proc_set *s, int procs_fd, const struct procs_events *ev, void *ctx);

#endif
