// SPDX-License-Identifier: GPL-2.0
/* faulttop: a live, top-like view of page faults per process.
 *
 * main.c owns the command line and the refresh loop; collector.c talks to
 * BPF, procs.c aggregates, view_*.c print. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cgroup.h"
#include "collector.h"
#include "env.h"
#include "feature_probe.h"
#include "options.h"
#include "procfs.h"
#include "view.h"

#define MEM_ROWS_PER_FRAME 64	/* smaps_rollup walks page tables: read few */

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int check_pids_exist(void)
{
	for (int i = 0; i < env.nr_pids; i++) {
		if (!procfs_pid_exists(env.pids[i])) {
			fprintf(stderr, "faulttop: no process with PID %d\n", env.pids[i]);
			return -1;
		}
	}
	return 0;
}

static int resolve_cgroup(void)
{
	if (!env.cgroup_path)
		return 0;
	if (cgroup2_id(env.cgroup_path, &env.cgroup_id) == 0)
		return 0;
	fprintf(stderr, "faulttop: no cgroup v2 directory %s\n", env.cgroup_path);
	return -1;
}

/* ---- one frame ----------------------------------------------------------- */

struct loop_state {
	struct procs *procs;
	struct collector *coll;
	uint64_t generation;
	double last_s;
	uint64_t segv_total;
	struct sys_totals sys;
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

static bool sorts_by_memory(void)
{
	return env.sort == SORT_RSS || env.sort == SORT_PSS || env.sort == SORT_USS ||
	       env.sort == SORT_USS_TREND;
}

/* Selects the rows to show; reads smaps_rollup only for the shown ones
 * (all of them when sorting by memory). */
static void build_frame(struct loop_state *st, struct frame *f, double now)
{
	int n, limit;
	struct row **rows = procs_rows(st->procs, env.threads, &n);
	bool keep_idle = env.mode == OUT_TUI || env.all;

	n = select_rows(rows, n, keep_idle);
	limit = sorts_by_memory() ? n : (n < MEM_ROWS_PER_FRAME ? n : MEM_ROWS_PER_FRAME);
	if (env.max_rows && limit > env.max_rows && !sorts_by_memory())
		limit = env.max_rows;
	for (int i = 0; i < limit; i++)
		procs_refresh_memory(st->procs, rows[i], now, env.mem_interval_s);
	if (sorts_by_memory())
		n = select_rows(rows, n, true);	/* sort again, now with memory */
	if (env.max_rows && n > env.max_rows)
		n = env.max_rows;
	f->now_s = now;
	f->wall_time = wall_s();
	f->sys = st->sys;
	f->rows = rows;
	f->nr_rows = n;
	f->threads = env.threads;
	f->sample_pct = collector_sample_pct(st->coll);
	f->has_syscalls = collector_has_syscalls(st->coll);
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
	st->last_s = now;
	return 0;
}

static void render(struct loop_state *st, const struct frame *f)
{
	(void)st;
	switch (env.mode) {
	case OUT_TUI: tui_draw(f); break;
	case OUT_BATCH: view_text_frame(stdout, f); break;
	case OUT_JSON: view_json_frame(stdout, f); break;
	}
}

/* Waits until the next refresh, draining events and serving keys. */
static int wait_interval(struct loop_state *st, struct frame *f)
{
	double deadline = st->last_s + env.interval_s;

	while (!exiting) {
		double remain = deadline - monotonic_s();
		int err;

		if (remain <= 0)
			return 0;
		if (env.mode == OUT_TUI) {
			enum tui_action a = tui_wait(remain < 0.05 ? (int)(remain * 1000) + 1 : 50);

			if (a == TUI_QUIT)
				return 1;
			if (a == TUI_REDRAW) {
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
	struct frame f = {};
	long frames = 0;
	int err;

	/* a first pass sets everybody's starting point */
	if ((err = collector_read_tasks(st->coll, ++st->generation)))
		return err;
	st->last_s = monotonic_s();
	procs_end_interval(st->procs, st->generation, st->last_s, 0);

	while (!exiting) {
		err = wait_interval(st, &f);
		if (err)
			return err > 0 ? 0 : err;
		if ((err = end_interval(st)))
			return err;
		if (env.mode == OUT_TUI && tui_paused())
			continue;
		build_frame(st, &f, st->last_s);
		render(st, &f);
		if (ferror(stdout))
			return 0;	/* reader went away (e.g. | head): done */
		if (env.count && ++frames >= env.count)
			break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct collector_opts copts = {};
	struct loop_state st = {};
	struct timespec ts;
	int err;

	if (env_parse_args(argc, argv))
		return 2;
	if (env.exit_now)
		return 0;
	if (env.mode == OUT_TUI && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)))
		env.mode = OUT_BATCH;
	if (check_bpf_prerequisites("faulttop") || check_pids_exist() || resolve_cgroup())
		return 1;
	libbpf_log_setup(env.verbose);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	st.procs = procs_new((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
	if (!st.procs) {
		fprintf(stderr, "faulttop: out of memory\n");
		return 1;
	}
	copts.sample_pct = env.sample_pct;
	copts.ringbuf_bytes = env.ringbuf_bytes;
	copts.max_threads = env.max_threads;
	st.coll = collector_open(&copts, st.procs);
	if (!st.coll) {
		procs_free(st.procs);
		return 1;
	}
	if (env.mode == OUT_TUI && tui_init()) {
		env.mode = OUT_BATCH;
	}
	err = run(&st);
	if (env.mode == OUT_TUI)
		tui_fini();
	collector_close(st.coll);
	procs_free(st.procs);
	return err != 0;
}
