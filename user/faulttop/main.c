// SPDX-License-Identifier: GPL-2.0
/* faulttop: a live, top-like view of page faults per process.
 *
 * main.c owns the refresh loop: the config (options.c, parsed once, read
 * only) and the view state (what is shown; the TUI's intents change it,
 * nothing else). collector.c talks to BPF, procs.c aggregates, view_*.c
 * print, tui_*.c hold the TUI's logic without the terminal. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "books.h"
#include "cgroup.h"
#include "clock.h"
#include "collector.h"
#include "config.h"
#include "feature_probe.h"
#include "metrics.h"
#include "options.h"
#include "procfs.h"
#include "stack_reserve.h"
#include "view.h"
#include "view_vmas.h"
#include "vma_source.h"

#define MEM_ROWS_PER_FRAME 64	/* smaps_rollup walks page tables: read few */

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int check_pids_exist(const struct faulttop_config *cfg)
{
	for (int i = 0; i < cfg->nr_pids; i++) {
		if (!procfs_pid_exists(cfg->pids[i])) {
			fprintf(stderr, "faulttop: no process with PID %d\n", cfg->pids[i]);
			return -1;
		}
	}
	return 0;
}

static int resolve_cgroup(const char *path, uint64_t *id)
{
	if (!path || cgroup2_id(path, id) == 0)
		return 0;
	fprintf(stderr, "faulttop: no cgroup v2 directory %s\n", path);
	return -1;
}

/* ---- one frame ----------------------------------------------------------- */

struct loop_state {
	const struct faulttop_config *cfg;	/* parsed once; read only */
	enum faulttop_output output;	/* the config's, or batch without a terminal */
	struct view_state view;		/* what is shown; the TUI's intents change it */
	struct procs *procs;
	struct collector *coll;
	struct metrics *metrics;	/* --listen, else NULL */
	uint64_t generation;
	double last_s;
	uint64_t segv_total;
	struct sys_totals sys;
	struct ft_books books;		/* the books, every --mem-interval */
	struct vmas *vmas;		/* the VMA view's process, or NULL */
	struct vma_source *vsrc;	/* ... and what reads /proc for it */
	struct vmas_snapshot vmas_shown;
};

static void sum_system(struct loop_state *st, struct row **rows, int n, double interval)
{
	struct sys_totals *s = &st->sys;

	memset(s, 0, sizeof(*s));
	s->interval_s = interval;
	for (int i = 0; i < n; i++) {
		const struct counters *d = &rows[i]->delta;

		s->faults += d->min_flt + d->maj_flt;
		s->major += d->maj_flt;
		s->segv += counters_segv(d);
		s->sigbus += d->sigbus;
		if (!rows[i]->exited) {
			s->nr_procs++;
			s->nr_threads += rows[i]->nr_threads;
		}
	}
	st->segv_total += s->segv;
	s->segv_total = st->segv_total;
	collector_loss(st->coll, &s->drops, &s->map_full);
	procfs_read_meminfo(&s->mem);
}

static bool sorts_by_memory(enum sort_key k)
{
	return k == SORT_RSS || k == SORT_PSS || k == SORT_USS || k == SORT_USS_TREND;
}

/* Selects the rows to show, sorted once; reads smaps_rollup only for the
 * shown ones: the first rows of the sort, or, when the sort is by memory,
 * every row before sorting. */
static void build_frame(struct loop_state *st, struct view_frame *f, double now)
{
	const struct faulttop_config *cfg = st->cfg;
	int n, limit;
	struct row **rows = procs_rows(st->procs, st->view.threads, &n);
	bool keep_idle = st->output == FT_OUT_TUI || cfg->all;
	bool by_memory = sorts_by_memory(st->view.sort);

	n = filter_rows(rows, n, keep_idle, &st->view);
	if (by_memory) {
		for (int i = 0; i < n; i++)
			procs_refresh_memory(st->procs, rows[i], now, cfg->mem_interval_s);
		sort_rows(rows, n, &st->view);
	} else {
		sort_rows(rows, n, &st->view);
		limit = n < MEM_ROWS_PER_FRAME ? n : MEM_ROWS_PER_FRAME;
		if (cfg->max_rows && limit > cfg->max_rows)
			limit = cfg->max_rows;
		for (int i = 0; i < limit; i++)
			procs_refresh_memory(st->procs, rows[i], now, cfg->mem_interval_s);
	}
	if (cfg->max_rows && n > cfg->max_rows)
		n = cfg->max_rows;
	f->now_s = now;
	f->wall_time = wall_s();
	f->sys = st->sys;
	f->rows = rows;
	f->nr_rows = n;
	f->threads = st->view.threads;
	f->sample_pct = collector_sample_pct(st->coll);
	f->has_syscalls = collector_has_syscalls(st->coll);
	f->no_access_why = collector_no_access_why(st->coll);
	f->vmas = NULL;
	if (st->vmas && vmas_snapshot(st->vmas, &st->vmas_shown, now, st->view.vma_sort,
				      st->view.vma_ascending) == 0) {
		f->vmas = &st->vmas_shown;
		f->vma_drops = collector_vma_drops(st->coll);
	}
}

/* ---- the VMA view's process ----------------------------------------------------- */

static void on_vma_fault(void *ctx, const struct ft_ev_vma_fault *e)
{
	vmas_on_fault(ctx, e);
}

static void on_vma_signal(void *ctx, const struct ft_ev_signal *e)
{
	vmas_on_signal(ctx, e->sig, e->code, e->addr, e->error_code);
}

static void stop_watch(struct loop_state *st)
{
	if (!st->vmas)
		return;
	collector_unwatch(st->coll);
	vma_source_free(st->vsrc);
	st->vsrc = NULL;
	vmas_free(st->vmas);
	st->vmas = NULL;
	vmas_snapshot_free(&st->vmas_shown);
}

/* Watches the process the view state names (none: stops). Its baseline
 * (/proc/PID/stat) and first smaps come before the events start, so that
 * the table never holds a fault its process row doesn't. */
static void sync_watch(struct loop_state *st)
{
	pid_t pid = st->view.vmas_pid;
	struct watch_sink sink = { on_vma_fault, on_vma_signal, NULL };

	if (st->vmas && vmas_tgid(st->vmas) == pid)
		return;
	stop_watch(st);
	if (!pid)
		return;
	st->vmas = vmas_new(pid);
	st->vsrc = st->vmas ? vma_source_new(st->vmas) : NULL;
	if (!st->vsrc) {
		fprintf(stderr, "faulttop: out of memory\n");
		stop_watch(st);
		return;
	}
	if (collector_no_access_why(st->coll))
		vmas_access_unknown(st->vmas);
	vma_source_read_now(st->vsrc, monotonic_s());
	/* the baseline; no reading is due yet */
	vma_source_refresh(st->vsrc, monotonic_s(), st->cfg->mem_interval_s);
	sink.ctx = st->vmas;
	if (collector_watch(st->coll, pid, &sink))
		stop_watch(st);
}

static int end_interval(struct loop_state *st)
{
	double now;
	int n, err;
	struct row **procs_all;

	collector_drain(st->coll);
	err = collector_read_tasks(st->coll, ++st->generation);
	if (err) {
		fprintf(stderr, "faulttop: reading tasks failed: %s\n", strerror(-err));
		return err;
	}
	collector_drain(st->coll);	/* last words that raced with the iterator */
	now = monotonic_s();
	procs_end_interval(st->procs, st->generation, now, now - st->last_s);
	procs_all = procs_rows(st->procs, false, &n);
	sum_system(st, procs_all, n, now - st->last_s);
	ft_books_interval(&st->books, st->procs, now, st->cfg->mem_interval_s);
	if (st->books.ledger.samples) {
		st->sys.books = &st->books.ledger;
		st->sys.verdict = &st->books.verdict;
	}
	if (st->vmas)
		vma_source_refresh(st->vsrc, now, st->cfg->mem_interval_s);
	st->last_s = now;
	return 0;
}

static void render(struct loop_state *st, const struct view_frame *f)
{
	bool maps = st->cfg->maps && f->vmas;

	switch (st->output) {
	case FT_OUT_TUI: tui_draw(f); break;
	case FT_OUT_BATCH: (maps ? view_vmas_text : view_text_frame)(stdout, f); break;
	case FT_OUT_JSON: (maps ? view_vmas_json : view_json_frame)(stdout, f); break;
	case FT_OUT_NONE: break;
	}
}

/* Waits until the next refresh, draining events and serving keys. */
static int wait_interval(struct loop_state *st, struct view_frame *f)
{
	double deadline = st->last_s + st->cfg->interval_s;

	while (!exiting) {
		double remain = deadline - monotonic_s();
		int err;

		if (remain <= 0)
			return 0;
		if (st->output == FT_OUT_TUI) {
			struct tui_intent in = tui_wait(remain < 0.05 ? (int)(remain * 1000) + 1 : 50);

			if (in.kind == TUI_QUIT)
				return 1;
			if (view_state_apply(&st->view, &in)) {
				sync_watch(st);
				build_frame(st, f, monotonic_s());
				tui_draw(f);
			}
			err = collector_poll(st->coll, 0);
		} else {
			err = collector_poll(st->coll, remain < 0.1 ? (int)(remain * 1000) + 1 : 100);
		}
		if (err && err != -EINTR) {
			fprintf(stderr, "faulttop: polling events failed: %s\n", strerror(-err));
			return err;
		}
	}
	return 1;
}

static int run(struct loop_state *st)
{
	struct view_frame f = {};
	long frames = 0;
	int err;

	/* a first pass sets everybody's starting point */
	if ((err = collector_read_tasks(st->coll, ++st->generation)))
		return err;
	sync_watch(st);
	if (st->cfg->maps && !st->vmas)
		return -EINVAL;		/* said why */
	st->last_s = monotonic_s();
	procs_end_interval(st->procs, st->generation, st->last_s, 0);

	while (!exiting) {
		err = wait_interval(st, &f);
		if (err)
			return err > 0 ? 0 : err;
		if ((err = end_interval(st)))
			return err;
		if (st->metrics)
			metrics_interval(st->metrics, st->procs, &st->sys,
					 collector_has_syscalls(st->coll), st->last_s);
		if (st->output == FT_OUT_TUI && tui_paused())
			continue;
		if (st->output != FT_OUT_NONE) {
			build_frame(st, &f, st->last_s);
			render(st, &f);
		}
		if (ferror(stdout))
			return 0;	/* reader went away (e.g. | head): done */
		if (st->cfg->count && ++frames >= st->cfg->count)
			break;
	}
	return 0;
}

static int start_metrics(struct loop_state *st)
{
	struct metrics_opts o = {
		.addr = (const struct sockaddr *)&st->cfg->listen_addr, .addr_len = st->cfg->listen_len,
		.top_n = st->cfg->top_n, .pids = st->cfg->pids, .nr_pids = st->cfg->nr_pids,
		.mem_interval_s = st->cfg->mem_interval_s, .version = FAULTTOP_VERSION_NUMBER,
	};

	st->metrics = metrics_start(&o);
	return st->metrics ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct faulttop_config config;
	const struct faulttop_config *cfg = &config;
	struct collector_opts copts = {};
	struct loop_state st = { .cfg = cfg };
	int err;

	stack_reserve(STACK_RESERVE_BYTES);
	if (faulttop_parse_args(argc, argv, &config))
		return 2;
	if (cfg->exit_now)
		return 0;
	st.output = cfg->output;
	if (st.output == FT_OUT_TUI && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)))
		st.output = FT_OUT_BATCH;
	view_state_init(&st.view, cfg);
	if (check_bpf_prerequisites("faulttop") || check_pids_exist(cfg) ||
	    resolve_cgroup(cfg->cgroup_path, &st.view.cgroup_id))
		return 1;
	libbpf_log_setup(cfg->verbose);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	st.procs = procs_new(monotonic_ns(), &procs_reader_proc);
	if (!st.procs) {
		fprintf(stderr, "faulttop: out of memory\n");
		return 1;
	}
	copts.sample_pct = cfg->sample_pct;
	copts.ringbuf_bytes = cfg->ringbuf_bytes;
	copts.max_threads = cfg->max_threads;
	st.coll = collector_open(&copts, st.procs);
	if (!st.coll) {
		procs_free(st.procs);
		return 1;
	}
	if (st.output == FT_OUT_TUI && tui_init(&st.view))
		st.output = FT_OUT_BATCH;
	if (cfg->listen && start_metrics(&st)) {
		collector_close(st.coll);
		procs_free(st.procs);
		return 1;
	}
	err = run(&st);
	stop_watch(&st);
	metrics_stop(st.metrics);
	ft_books_free(&st.books);
	if (st.output == FT_OUT_TUI)
		tui_fini();
	collector_close(st.coll);
	procs_free(st.procs);
	return err != 0;
}
