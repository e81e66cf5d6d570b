// SPDX-License-Identifier: GPL-2.0
/* The traced processes of a run (see state.h): the command or -p's, and a
 * set's (-p list, -f, --cgroup) others as BPF adds them. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "clock.h"
#include "config.h"
#include "state.h"
#include "symbolize.h"
#include "unwinder.h"
#include "leaksnoop.skel.h"

/* A process whose mappings and allocators can be looked at now: alive,
 * and a command only once it has exec'd (before, it is a copy of us). */
static bool proc_live(const struct state *st, const struct traced_proc *p)
{
	if (p->exited || p->target->exited)
		return false;
	return !p->target->child || st->loader.skel->bss->counting;
}

/* Takes or refreshes the snapshot of each process's mappings while it
 * lives. lazy: a first snapshot for a report that follows at once opens
 * symbols and DWARF only where a frame needs them (libc's DWARF alone is
 * ~55 ms of the command held at its exit, here, and /bin/true's report
 * needs none). */
void snapshot_update_proc(struct state *st, struct traced_proc *p, bool lazy)
{
	if (!st->cfg->user || !proc_live(st, p))
		return;
	if (!p->usyms)
		p->usyms = lazy ? usym_snapshot_take_lazy(p->pid) : usym_snapshot_take(p->pid);
	else
		usym_snapshot_refresh(p->usyms);
}

void snapshot_update(struct state *st, bool lazy)
{
	if (!st->has_target)
		return;
	for (size_t i = 0; i < st->procs.n; i++)
		snapshot_update_proc(st, st->procs.v[i], lazy);
	st->last_refresh = monotonic_s();
}

/* The mappings changed (ld.so's _dl_debug_state, or the periodic look):
 * a dlopen may have brought an allocator not probed yet. Once the command
 * has exec'd: before, it is a copy of leaksnoop. */
void allocators_recheck(struct state *st)
{
	if (!st->cfg->user || !st->has_target)
		return;
	for (size_t i = 0; i < st->procs.n; i++)
		if (proc_live(st, st->procs.v[i]) &&
		    attach_user_recheck(&st->loader, st->procs.v[i]->pid) < 0)
			fprintf(stderr, "leaksnoop: warning: probing the allocator of a new library "
				"failed\n");
}

/* What each process's report reads and how it is scanned. */
void proc_init(struct state *st, struct traced_proc *p)
{
	const struct leaksnoop_config *cfg = st->cfg;

	p->source = (struct leak_source){ .skel = st->loader.skel, .pid = p->pid,
					  .user = cfg->user, .kernel = cfg->kernel,
					  .has_syscalls = st->loader.has_syscalls,
					  .batch_frees = st->loader.batch_frees,
					  .allocs = st->loader.allocs, .nr_allocs = st->loader.nr_allocs };
	p->classifier = (struct classifier){ .source = &p->source, .target = p->target,
					     .signals = st->signals };
	p->history.start_ns = monotonic_ns();
}

void proc_forget_image(struct traced_proc *p, __u64 exec_ns, struct leak_forgotten *gone)
{
	if (leak_source_forget_image(&p->source, exec_ns, gone))
		fprintf(stderr, "leaksnoop: warning: forgetting the blocks of the image process %d "
			"replaced by exec failed: some may be reported\n", (int)p->pid);
	usym_snapshot_free(p->usyms);
	p->usyms = p->source.usyms = NULL;
}

/* A set's process maps allocators of its own (it joined, or exec'd). */
static void probe_allocators_of(struct state *st, const struct traced_proc *p)
{
	if (st->cfg->user && attach_user_recheck(&st->loader, p->pid) < 0)
		fprintf(stderr, "leaksnoop: warning: probing the allocator of process %d failed\n",
			(int)p->pid);
}

/* BPF added a process to the set (-f's fork, --cgroup's newcomer): its
 * tables, its allocators if it maps new ones, its report. */
static void on_new_proc(void *ctx, struct traced_proc *p)
{
	struct state *st = ctx;

	proc_init(st, p);
	if (p->exited)
		return;
	if (st->uw && !unwinder_add(st->uw, p->pid))
		st->uw_synced = false;
	probe_allocators_of(st, p);
	if (st->cfg->verbose)
		fprintf(stderr, "leaksnoop: process %d (forked from %d) joined the trace\n",
			(int)p->pid, (int)p->ppid);
}

/* A process of the set exec'd (BPF's exec hook stamped it): as for the
 * one traced process (main.c's image_follow), the blocks of the image it
 * replaced went with that image's memory; its symbols, unwind tables and
 * allocators are the new image's. */
static void on_proc_exec(void *ctx, struct traced_proc *p, __u64 exec_ns)
{
	struct state *st = ctx;
	struct leak_forgotten gone;

	proc_forget_image(p, exec_ns, &gone);
	if (!p->exited && !p->target->exited) {
		st->uw_synced = false;
		probe_allocators_of(st, p);
		snapshot_update_proc(st, p, true);
	}
	if (st->cfg->verbose)
		fprintf(stderr, "leaksnoop: process %d exec'd (now %s): %llu blocks (%llu bytes) of "
			"the image it replaced went with it, not leaked\n", (int)p->pid, p->comm,
			(unsigned long long)gone.blocks, (unsigned long long)gone.bytes);
}

void set_poll(struct state *st)
{
	static const struct procs_events events = { .on_new = on_new_proc, .on_exec = on_proc_exec };

	if (st->cfg->proc_set && procs_poll(&st->procs, bpf_map__fd(st->loader.skel->maps.procs), &events, st))
		fprintf(stderr, "leaksnoop: warning: out of memory: a process is not reported\n");
}

/* -p list: the trace ends once every process has exited. */
bool set_over(const struct state *st)
{
	if (!st->cfg->proc_set || st->cfg->cmd || st->cfg->cgroup)
		return false;
	for (size_t i = 0; i < st->procs.n; i++)
		if (!st->procs.v[i]->exited && !st->procs.v[i]->target->exited)
			return false;
	return true;
}

/* Before the probes: every process the set starts with goes into BPF's
 * map (--cgroup's directory too). 0 or -1 after printing why. */
int set_seed(struct state *st)
{
	char dir[PATH_MAX];
	int err;

	if (!st->cfg->proc_set)
		return 0;
	for (size_t i = 0; i < st->procs.n; i++) {
		err = loader_add_proc(&st->loader, st->procs.v[i]->pid, st->procs.v[i]->comm);
		if (err) {
			fprintf(stderr, "leaksnoop: adding process %d to the trace failed: %s\n",
				(int)st->procs.v[i]->pid, strerror(-err));
			return -1;
		}
	}
	if (!st->cfg->cgroup)
		return 0;
	err = cgroup2_dir(st->cfg->cgroup, dir, sizeof(dir));
	if (!err)
		err = loader_set_cgroup(&st->loader, dir);
	if (err) {
		fprintf(stderr, "leaksnoop: --cgroup %s: %s\n", st->cfg->cgroup, strerror(-err));
		return -1;
	}
	return 0;
}

static int add_listed(void *ctx, pid_t pid)
{
	struct state *st = ctx;

	if (pid <= 0 || pid == getpid() || procs_find(&st->procs, pid))
		return 0;
	if (!procs_add(&st->procs, pid, 0))
		return -ENOMEM;
	proc_read_names(st->procs.v[st->procs.n - 1]);
	return 0;
}

/* The processes known at the start: the command or -p's first (with
 * target), the rest of -p's list, --cgroup's. 0 or -1 after printing why. */
int set_collect(struct state *st)
{
	const struct leaksnoop_config *cfg = st->cfg;
	char dir[PATH_MAX];
	int err;

	if (cfg->pid || cfg->cmd) {
		st->main = procs_add(&st->procs, st->target.pid, 0);
		if (!st->main)
			return -1;
		st->main->target = &st->target;
		proc_read_names(st->main);
	}
	for (int i = 1; i < cfg->nr_pids; i++) {
		if (!procs_pid_exists_or_say(cfg->pids[i]) || add_listed(st, cfg->pids[i]))
			return -1;
	}
	if (!cfg->cgroup)
		return 0;
	err = cgroup2_dir(cfg->cgroup, dir, sizeof(dir));
	if (!err)
		err = cgroup2_for_each_pid(dir, add_listed, st);
	if (err) {
		fprintf(stderr, "leaksnoop: --cgroup %s: %s\n", cfg->cgroup,
			err == -ENOENT ? "no such cgroup v2 directory" : strerror(-err));
		return -1;
	}
	return 0;
}

