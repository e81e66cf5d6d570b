// SPDX-License-Identifier: GPL-2.0
/* faulttop's aggregator.
 *
 * Ground truth is per thread: the kernel's min_flt/maj_flt and the BPF
 * counters, as the task iterator reads them at each refresh and as
 * sched_process_free reports them one last time. A thread born after
 * faulttop started counts from zero; one that was already running counts
 * from what it had at the first sighting. A process's numbers are the sum of
 * its threads', so a process that lived and died between two refreshes is
 * counted in full, and a process born during the run matches its own
 * /proc/PID/stat exactly. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "intmap.h"
#include "vec.h"
#include "procs.h"

/* how long an unresolved mmap-area address waits before maps are re-read */
#define MAPS_REREAD_S 0.2
/* a thread the iterator stopped listing whose last word never came */
#define VANISHED_GENERATIONS 3

struct proc;

struct pending_fault {
	pid_t tid;
	uint64_t addr;
};

struct thread {
	struct row row;
	struct counters prev;		/* total at the previous interval's end */
	uint64_t start_ns;		/* 0 until a task record names it */
	struct ft_task base, last;	/* counters at first sighting, and now */
	struct counters events;		/* classified faults and signals */
	uint64_t seen_gen;
	bool dead;			/* last is final */
	bool shown_dead;
};

struct proc {
	struct row row;
	struct counters prev;
	struct counters departed;	/* threads that died and were folded in */
	uint64_t start_ns;
	uint64_t seen_gen;		/* last pass that saw one of its threads */
	bool dead, shown_dead;
	struct vma_list maps;
	double maps_read_at;
	bool maps_gone;
	char exe[PATH_MAX];
	/* mmap-area faults at addresses the cached maps don't cover, held
	 * until the next re-read rather than written off as "other" */
	struct pending_fault *pending;
	size_t nr_pending, pending_cap;
};

struct procs {
	struct procs_reader io;		/* /proc and the clock */
	uint64_t start_ns;
	struct intmap threads;		/* tid -> struct thread */
	struct intmap procs;		/* tgid -> struct proc */
	struct row **rows;
	int nr_rows;
	size_t rows_cap;
	double now_s;
	uint64_t generation;		/* the last task-iterator pass */
};

struct procs *procs_new(uint64_t start_ns, const struct procs_reader *reader)
{
	struct procs *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->io = *reader;
	p->start_ns = start_ns;
	intmap_init(&p->threads);
	intmap_init(&p->procs);
	return p;
}

static void proc_destroy(void *val)
{
	struct proc *pr = val;

	vma_list_free(&pr->maps);
	free(pr->pending);
	free(pr);
}

void procs_free(struct procs *p)
{
	if (!p)
		return;
	intmap_free_all(&p->threads, free);
	intmap_free_all(&p->procs, proc_destroy);
	free(p->rows);
	free(p);
}

/* ---- lookup and creation ------------------------------------------------- */

static struct proc *proc_get(struct procs *p, pid_t tgid)
{
	bool created;
	struct proc *pr = intmap_get_or_add(&p->procs, (uint64_t)tgid, sizeof(*pr), &created);

	if (!pr || !created)
		return pr;
	pr->row.id = pr->row.tgid = tgid;
	pr->seen_gen = p->generation;
	return pr;
}

static struct thread *thread_get(struct procs *p, pid_t tid, pid_t tgid)
{
	bool created;
	struct thread *t = intmap_get_or_add(&p->threads, (uint64_t)tid, sizeof(*t), &created);

	if (!t || !created)
		return t;
	t->row.id = tid;
	t->row.tgid = tgid;
	t->row.is_thread = true;
	/* an event can name a task no record will ever describe (its last word
	 * came first): it must still age out */
	t->seen_gen = p->generation;
	return t;
}

/* The thread's counters since faulttop started (or since it was born). */
static struct counters thread_total(const struct thread *t)
{
	struct counters c = t->events;
	const struct ft_task *a = &t->last, *b = &t->base;

	c.min_flt = a->min_flt - b->min_flt;
	c.maj_flt = a->maj_flt - b->maj_flt;
	for (int i = 0; i < REGION_MAX; i++)
		c.region[i] += a->faults.region[i] - b->faults.region[i];
	for (int i = 0; i < ACCESS_MAX; i++)
		c.access[i] += a->faults.access[i] - b->faults.access[i];
	c.sampled += a->faults.total - b->faults.total;
	c.mmap += a->sys.mmap - b->sys.mmap;
	c.munmap += a->sys.munmap - b->sys.munmap;
	c.mremap += a->sys.mremap - b->sys.mremap;
	c.brk += a->sys.brk - b->sys.brk;
	c.bytes_mapped += a->sys.bytes_mapped - b->sys.bytes_mapped;
	c.bytes_unmapped += a->sys.bytes_unmapped - b->sys.bytes_unmapped;
	return c;
}

/* A tid now names another task: the old one is over, fold it into its
 * process so its counts are not lost. */
static void thread_retire(struct procs *p, struct thread *t)
{
	struct proc *pr = intmap_get(&p->procs, (uint64_t)t->row.tgid);
	struct counters total = thread_total(t);

	if (pr)
		counters_add(&pr->departed, &total);
	memset(&t->base, 0, sizeof(t->base));
	memset(&t->last, 0, sizeof(t->last));
	memset(&t->events, 0, sizeof(t->events));
	memset(&t->prev, 0, sizeof(t->prev));
	t->dead = t->shown_dead = false;
	t->start_ns = 0;
}

/* Binds a thread slot to the task a record describes: a new task starts its
 * counts at zero if it was born after we started, else at what it has now. */
static void thread_bind(struct procs *p, struct thread *t, const struct ft_task *rec)
{
	if (t->start_ns && t->start_ns != rec->start_ns)
		thread_retire(p, t);
	if (!t->start_ns) {
		t->start_ns = t->row.start_ns = rec->start_ns;
		/* the BPF maps were born with us, so only the kernel's own
		 * counters can hold counts from before we started */
		if (rec->start_ns < p->start_ns) {
			t->base.min_flt = rec->min_flt;
			t->base.maj_flt = rec->maj_flt;
		}
	}
	t->row.tgid = rec->tgid;
	t->row.ppid = rec->ppid;
	t->row.cgroup_id = rec->cgroup_id;
	memcpy(t->row.comm, rec->comm, FT_COMM_LEN);
	t->row.comm[FT_COMM_LEN] = '\0';
	t->last = *rec;
	/* counters the BPF maps didn't have at first sighting start at zero */
	if (!(rec->flags & FT_TASK_HAS_FAULTS))
		memset(&t->last.faults, 0, sizeof(t->last.faults));
	if (!(rec->flags & FT_TASK_HAS_SYS))
		memset(&t->last.sys, 0, sizeof(t->last.sys));
}

/* A leader with another start time: the PID was handed out again, and this
 * slot's departed threads, exit, maps, memory and last signal were the old
 * process's. Its series ended at what was last shown; the new one counts from
 * zero (a counter that carried the old one's 4053 faults into the new one's
 * series never matched the new process's own /proc/PID/stat). */
static void proc_forget_previous(struct proc *pr)
{
	struct proc fresh = { .row = { .id = pr->row.id, .tgid = pr->row.tgid },
			      .seen_gen = pr->seen_gen,
			      .pending = pr->pending, .pending_cap = pr->pending_cap };

	vma_list_free(&pr->maps);
	*pr = fresh;
}

static void proc_bind(struct proc *pr, const struct ft_task *rec)
{
	if (rec->tid != rec->tgid)
		return;		/* the leader names the process */
	if (pr->start_ns && pr->start_ns != rec->start_ns)
		proc_forget_previous(pr);
	pr->start_ns = pr->row.start_ns = rec->start_ns;
	pr->row.ppid = rec->ppid;
	pr->row.cgroup_id = rec->cgroup_id;
	memcpy(pr->row.comm, rec->comm, FT_COMM_LEN);
	pr->row.comm[FT_COMM_LEN] = '\0';
	pr->row.mem.vss = rec->total_vm_pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

void procs_on_task(struct procs *p, const struct ft_task *rec, uint64_t generation)
{
	struct thread *t = thread_get(p, rec->tid, rec->tgid);
	struct proc *pr = proc_get(p, rec->tgid);

	if (!t || !pr)
		return;
	if (t->dead && t->start_ns == rec->start_ns)
		return;		/* its last word already came */
	thread_bind(p, t, rec);
	proc_bind(pr, rec);
	t->seen_gen = pr->seen_gen = p->generation = generation;
}

void procs_on_task_free(struct procs *p, const struct ft_task *rec)
{
	struct thread *t = thread_get(p, rec->tid, rec->tgid);
	struct proc *pr = proc_get(p, rec->tgid);

	if (!t || !pr)
		return;
	if (t->start_ns && t->start_ns != rec->start_ns && rec->start_ns < t->start_ns)
		return;		/* late word of a task whose tid was reused: retired */
	thread_bind(p, t, rec);
	if (!pr->row.comm[0] || rec->tid == rec->tgid)
		memcpy(pr->row.comm, rec->comm, FT_COMM_LEN);
	if (rec->tid == rec->tgid && !pr->start_ns) {
		/* lived and died between two passes: only its last word names it */
		pr->start_ns = pr->row.start_ns = rec->start_ns;
		pr->row.ppid = rec->ppid;
		pr->row.cgroup_id = rec->cgroup_id;
	}
	t->dead = true;
	if (rec->tid == rec->tgid)
		pr->dead = true;
}

/* ---- classification of mmap-area faults ------------------------------------ */

static void proc_read_maps(const struct procs *p, struct proc *pr, pid_t tgid, double now_s)
{
	vma_list_free(&pr->maps);
	pr->maps_read_at = now_s;
	if (p->io.maps(p->io.ctx, tgid, &pr->maps, pr->exe, sizeof(pr->exe)) < 0)
		pr->maps_gone = true;
}

static int region_of_vma(const struct proc *pr, const struct vma *v)
{
	switch (v->kind) {
	case VMA_HEAP:
		return REGION_HEAP;
	case VMA_STACK:
		return REGION_STACK;
	case VMA_ANON:
		return REGION_ANON;
	case VMA_FILE:
		if (pr->exe[0] && v->path && strcmp(v->path, pr->exe) == 0)
			return v->exec ? REGION_TEXT : REGION_DATA;
		return REGION_FILE;
	case VMA_SPECIAL:
		if (v->path && strncmp(v->path, "[anon:", 6) == 0)
			return REGION_ANON;
		return REGION_OTHER;
	}
	return REGION_OTHER;
}

static int push_pending(struct proc *pr, pid_t tid, uint64_t addr)
{
	struct pending_fault *v = vec_reserve(pr->pending, &pr->pending_cap, pr->nr_pending,
					      sizeof(*v));

	if (!v)
		return -ENOMEM;
	pr->pending = v;
	pr->pending[pr->nr_pending++] = (struct pending_fault){ tid, addr };
	return 0;
}

static int region_in_maps(const struct proc *pr, uint64_t addr)
{
	const struct vma *v = vma_list_find(&pr->maps, addr);

	return v ? region_of_vma(pr, v) : REGION_OTHER;
}

static void count_region(struct procs *p, pid_t tid, pid_t tgid, int region)
{
	struct thread *t = thread_get(p, tid, tgid);

	if (t)
		t->events.region[region]++;
}

/* Maps are re-read on a miss, but at most every MAPS_REREAD_S, so a process
 * that maps thousands of regions doesn't make us read its maps thousands of
 * times: a miss in between waits for the next read. */
void procs_on_fault(struct procs *p, const struct ft_ev_fault *e)
{
	struct proc *pr = proc_get(p, e->tgid);
	double now;

	if (!pr)
		return;
	if (pr->maps_gone || vma_list_find(&pr->maps, e->addr)) {
		count_region(p, e->tid, e->tgid, region_in_maps(pr, e->addr));
		return;
	}
	now = p->io.now_s(p->io.ctx);
	if (pr->maps.n && now - pr->maps_read_at < MAPS_REREAD_S &&
	    push_pending(pr, e->tid, e->addr) == 0)
		return;
	proc_read_maps(p, pr, e->tgid, now);
	count_region(p, e->tid, e->tgid, region_in_maps(pr, e->addr));
}

/* Before an interval closes, what waited gets one fresh read of the maps. */
static void resolve_pending(struct procs *p)
{
	uint64_t key;
	void *val;

	for (size_t i = 0; intmap_next(&p->procs, &i, &key, &val);) {
		struct proc *pr = val;

		if (!pr->nr_pending)
			continue;
		if (!pr->maps_gone)
			proc_read_maps(p, pr, pr->row.tgid, p->io.now_s(p->io.ctx));
		for (size_t k = 0; k < pr->nr_pending; k++)
			count_region(p, pr->pending[k].tid, pr->row.tgid,
				     region_in_maps(pr, pr->pending[k].addr));
		pr->nr_pending = 0;
	}
}

void procs_on_signal(struct procs *p, const struct ft_ev_signal *e)
{
	struct thread *t = thread_get(p, e->tid, e->tgid);
	struct proc *pr = proc_get(p, e->tgid);
	struct last_signal ls = { e->sig, e->code, e->addr, e->ip, e->tid };

	if (!t || !pr)
		return;
	if (e->sig == SIGBUS)
		t->events.sigbus++;
	else if (e->code == SEGV_MAPERR)	/* no VMA there */
		t->events.segv_maperr++;
	else if (e->code == SEGV_ACCERR)	/* the VMA forbids it */
		t->events.segv_accerr++;
	else
		t->events.segv_other++;
	t->row.last_sig = ls;
	pr->row.last_sig = ls;
	if (!t->row.comm[0])
		memcpy(t->row.comm, e->comm, FT_COMM_LEN);
	if (!pr->row.comm[0])
		memcpy(pr->row.comm, e->comm, FT_COMM_LEN);
}

/* ---- closing an interval ---------------------------------------------------- */

static int push_row(struct procs *p, struct row *r)
{
	struct row **rows = vec_reserve(p->rows, &p->rows_cap, (size_t)p->nr_rows,
					sizeof(struct row *));

	if (!rows)
		return -ENOMEM;
	p->rows = rows;
	p->rows[p->nr_rows++] = r;
	return 0;
}

/* Drops what the previous interval showed as exited: threads fold into their
 * process, processes go. */
static void prune_shown_dead(struct procs *p)
{
	uint64_t key;
	void *val;
	size_t n = 0, cap = p->threads.len + p->procs.len;
	uint64_t *doomed = calloc(cap ? cap : 1, sizeof(*doomed));

	if (!doomed)
		return;
	for (size_t i = 0; intmap_next(&p->threads, &i, &key, &val);)
		if (((struct thread *)val)->shown_dead)
			doomed[n++] = key;
	for (size_t k = 0; k < n; k++) {
		struct thread *t = intmap_del(&p->threads, doomed[k]);
		struct proc *pr = intmap_get(&p->procs, (uint64_t)t->row.tgid);
		struct counters total = thread_total(t);

		if (pr)
			counters_add(&pr->departed, &total);
		free(t);
	}
	n = 0;
	for (size_t i = 0; intmap_next(&p->procs, &i, &key, &val);)
		if (((struct proc *)val)->shown_dead)
			doomed[n++] = key;
	for (size_t k = 0; k < n; k++)
		proc_destroy(intmap_del(&p->procs, doomed[k]));
	free(doomed);
}

void procs_end_interval(struct procs *p, uint64_t generation, double now_s, double interval_s)
{
	uint64_t key;
	void *val;

	(void)interval_s;
	p->now_s = now_s;
	p->generation = generation;
	resolve_pending(p);
	prune_shown_dead(p);

	/* processes start from what their departed threads left */
	for (size_t i = 0; intmap_next(&p->procs, &i, &key, &val);) {
		struct proc *pr = val;

		pr->row.total = pr->departed;
		pr->row.nr_threads = 0;
	}
	for (size_t i = 0; intmap_next(&p->threads, &i, &key, &val);) {
		struct thread *t = val;
		struct proc *pr = intmap_get(&p->procs, (uint64_t)t->row.tgid);

		if (!t->dead && generation - t->seen_gen >= VANISHED_GENERATIONS)
			t->dead = true;	/* gone without a last word: keep what we saw */
		t->row.total = thread_total(t);
		t->row.delta = counters_sub(&t->row.total, &t->prev);
		t->prev = t->row.total;
		t->row.exited = t->dead;
		t->shown_dead = t->dead;
		if (pr) {
			counters_add(&pr->row.total, &t->row.total);
			if (!t->dead)
				pr->row.nr_threads++;
		}
	}
	for (size_t i = 0; intmap_next(&p->procs, &i, &key, &val);) {
		struct proc *pr = val;

		/* every thread gone, or only ever named by events and long unseen */
		if (!pr->dead && pr->row.nr_threads == 0 &&
		    (pr->start_ns || generation - pr->seen_gen >= VANISHED_GENERATIONS))
			pr->dead = true;
		pr->row.delta = counters_sub(&pr->row.total, &pr->prev);
		pr->prev = pr->row.total;
		pr->row.exited = pr->dead;
		pr->shown_dead = pr->dead;
	}
}

struct row **procs_rows(struct procs *p, bool threads, int *n)
{
	struct intmap *m = threads ? &p->threads : &p->procs;
	uint64_t key;
	void *val;

	p->nr_rows = 0;
	for (size_t i = 0; intmap_next(m, &i, &key, &val);) {
		struct row *r = val;	/* row is each struct's first member */

		if (!r->comm[0])
			continue;	/* only events so far, no task record yet */
		if (push_row(p, r))
			break;
	}
	*n = p->nr_rows;
	return p->rows;
}

void procs_refresh_memory(struct procs *p, struct row *r, double now_s, double cadence_s)
{
	struct mem_info *m = &r->mem;
	struct mem_rollup roll;

	if (r->is_thread || r->exited)
		return;
	if (m->valid && now_s - m->read_at < cadence_s)
		return;
	if (p->io.rollup(p->io.ctx, r->id, &roll) < 0)
		return;
	m->valid = true;
	m->read_at = now_s;
	m->rss = roll.rss;
	m->pss = roll.pss;
	m->uss = roll.uss;
	trend_add(&m->uss_trend, now_s, (double)roll.uss);
	m->uss_slope = trend_slope(&m->uss_trend);
	/* a leak keeps growing: 4+ samples, never shrinking, up by 64 KiB+ */
	m->uss_growing = trend_growing(&m->uss_trend, 4, 64 * 1024);
}
