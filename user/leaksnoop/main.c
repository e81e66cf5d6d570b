// SPDX-License-Identifier: GPL-2.0
/* leaksnoop: what a process allocates and does not give back, and from
 * which line — user heap, address space and kernel allocations.
 *
 * main.c owns the trace loop, options.c the command line; attach.c loads and
 * attaches the BPF programs, target.c runs or watches the process,
 * trace_set.c keeps the traced processes (several: -p list, -f, --cgroup). A report
 * goes source.c (reads the tables) -> model.c (builds it, pure) ->
 * render_*.c (print it). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "attach.h"
#include "classify.h"
#include "clock.h"
#include "config.h"
#include "dl_hook.h"
#include "feature_probe.h"
#include "fmt.h"
#include "options.h"
#include "phases.h"
#include "procfs.h"
#include "report_file.h"
#include "proc_set.h"
#include "state.h"
#include "render.h"
#include "source.h"
#include "stack_reserve.h"
#include "symbolize.h"
#include "target.h"
#include "unwinder.h"
#include "leaksnoop.skel.h"

#define SNAPSHOT_REFRESH_S	2.0
#define SNAPSHOT_FIRST_S	0.5	/* after a command's exec */

/* SIGINT/SIGTERM so far: the first ends the trace (a final report); one
 * that comes during a scan cancels the scan (the process resumes at once). */
static volatile sig_atomic_t exiting;
static volatile sig_atomic_t exit_signal;	/* the last of them */

static void on_signal(int sig)
{
	exit_signal = sig;
	exiting = exiting + 1;
}

static void on_sigchld(int sig)
{
	(void)sig;	/* only to cut a sleep short */
}


/* ---- symbols ------------------------------------------------------------------ */





/* Gives the BPF unwinder the tables of what the process maps now. A
 * command's tables wait for its exec, like its snapshot. */
static void unwind_update(struct state *st)
{
	if (!st->uw || st->target.exited)
		return;
	if (st->target.child && !st->loader.skel->bss->counting)
		return;
	if (unwinder_sync(st->uw) == 0)
		st->uw_synced = true;
}


static void read_comm(struct state *st)
{
	if (st->main)
		proc_read_names(st->main);
}

/* The one traced process exec'd (BPF counted it): the blocks of the image
 * it replaced went with that image's memory, not leaked; its symbols and
 * unwind tables name files no longer mapped. Under -- CMD this runs at
 * ptrace's exec stop, before the new image runs; under -p within a loop
 * turn. A set's processes (-f, -p lists, --cgroup) are not followed so. */
static void image_follow(struct state *st)
{
	struct traced_proc *p = st->main;
	struct leak_forgotten gone;
	double t0 = monotonic_s();
	__u32 execs;

	if (!p || st->cfg->proc_set || !st->loader.skel)
		return;
	execs = __atomic_load_n(&st->loader.skel->bss->image_execs, __ATOMIC_ACQUIRE);
	if (execs == st->execs_seen)
		return;
	st->execs_seen = execs;
	proc_forget_image(p, st->loader.skel->bss->image_exec_ns, &gone);
	read_comm(st);
	unwind_update(st);
	allocators_recheck(st);
	/* -p: a snapshot now (the process may be gone before the 2 s look),
	 * lazy: symbols open when a report needs them, even after the exit
	 * (a full one took 0.5-1.3 s at load 15 here, delaying the loop); a
	 * command's waits (see main) */
	if (st->target.child)
		st->last_refresh = monotonic_s() - SNAPSHOT_REFRESH_S + SNAPSHOT_FIRST_S;
	else
		snapshot_update_proc(st, p, true);
	if (st->cfg->verbose)
		fprintf(stderr, "leaksnoop: the process exec'd (now %s): %llu blocks (%llu bytes) of "
			"the image it replaced went with it, not leaked (followed in %.1f ms)\n",
			p->comm, (unsigned long long)gone.blocks, (unsigned long long)gone.bytes,
			(monotonic_s() - t0) * 1e3);
}

static void on_exec(void *ctx)
{
	image_follow(ctx);
}

/* BPF stopped the command at ld.so's _dl_debug_state: its mappings
 * changed; the tables go in before it runs the new code. */
static bool on_sigstop(void *ctx, pid_t tid)
{
	struct state *st = ctx;

	if (!unwinder_take_stop(st->uw, tid))
		return false;
	st->uw_synced = true;
	allocators_recheck(st);
	return true;
}

/* Before load: a running process's tables are built now (on several
 * threads), so the pool can be sized for them. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);	/* every thread's, the table builders' too */
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void unwind_prepare(struct state *st, struct unwind_plan *plan)
{
	double t0 = monotonic_s(), c0 = cpu_s();

	plan->stop_on_dl = st->target.traced;
	if (!st->cfg->user || !st->has_target || st->cfg->frame_pointers)
		return;
	st->uw = unwinder_new(st->target.pid);
	for (size_t i = 0; st->uw && i < st->procs.n; i++)
		if (st->procs.v[i] != st->main)
			unwinder_add(st->uw, st->procs.v[i]->pid);
	if (!st->uw || st->cfg->cmd)
		return;
	unwinder_sync(st->uw);
	plan->rows = unwinder_rows_built(st->uw);
	st->uw_build_s = monotonic_s() - t0;
	st->uw_build_cpu_s = cpu_s() - c0;
}

/* After load: the pool is mapped and filled, the ld.so hook's attach
 * started (hook_finish() takes its link). */
static void hook_start(struct state *st, struct dl_hook *h)
{
	int err;

	memset(h, 0, sizeof(*h));
	if (!st->uw)
		return;
	err = unwinder_bind(st->uw, st->loader.skel);
	if (err) {
		fprintf(stderr, "leaksnoop: warning: the unwind table pool can't be mapped (%s): "
			"frame-pointer stacks only\n", strerror(-err));
		unwinder_free(st->uw);
		st->uw = NULL;
		return;
	}
	/* a command has not exec'd yet: its ld.so is the one we run on (and
	 * --cgroup's, before it has a process); a set's hook is for every
	 * process (BPF tells them apart) */
	dl_hook_start(h, st->uw, st->cfg->cmd ? 0 : st->target.pid,
		      st->cfg->proc_set ? -1 : st->target.pid, st->loader.multi);
}

static void hook_finish(struct state *st, struct dl_hook *h)
{
	int err = dl_hook_finish(h, &st->loader);

	if (err && st->cfg->verbose)
		fprintf(stderr, "leaksnoop: no ld.so hook (%s): new libraries get tables within 2 s\n",
			strerror(-err));
}

/* -p: the process's tables go in now. */
static void unwind_start(struct state *st)
{
	double t0 = monotonic_s(), c0 = cpu_s();

	if (!st->uw || st->cfg->cmd)
		return;
	unwind_update(st);
	if (st->cfg->verbose) {
		struct unwind_stats us;

		unwinder_get_stats(st->uw, &us);
		fprintf(stderr, "leaksnoop: unwind tables for %zu mappings in %.0f ms (%.0f ms "
			"CPU)\n", us.mappings, (st->uw_build_s + monotonic_s() - t0) * 1e3,
			(st->uw_build_cpu_s + cpu_s() - c0) * 1e3);
	}
}

/* -v: what the tables cost; always: what they couldn't cover. */
static void unwind_report(const struct state *st)
{
	struct unwind_stats us;

	if (!st->uw)
		return;
	unwinder_get_stats(st->uw, &us);
	if (st->cfg->verbose) {
		fprintf(stderr, "leaksnoop: unwind tables: %zu files, %zu rows (%zu of %zu KiB), built in "
			"%.1f ms over %u syncs (%zu read from the table cache, %zu stored); %zu "
			"executable files without CFI\n", us.files, us.rows, us.rows * 8 / 1024,
			us.rows_max * 8 / 1024, us.build_ms, us.syncs, us.tables_cached, us.tables_stored,
			us.files_no_cfi);
		fprintf(stderr, "leaksnoop: stack walks: %llu reused from the walk cache, %llu walked in "
			"full\n", (unsigned long long)us.walks_cached, (unsigned long long)us.walks_full);
	}
	if (us.files_too_big || us.mappings_dropped)
		fprintf(stderr, "leaksnoop: warning: %zu files' unwind tables did not fit the pool and %zu "
			"mappings the list: their frames were walked by frame pointers\n",
			us.files_too_big, us.mappings_dropped);
	if (us.procs_dropped)
		fprintf(stderr, "leaksnoop: warning: %zu processes had no unwind tables (more than the "
			"unwinder holds): their stacks were walked by frame pointers\n", us.procs_dropped);
}

/* Does this report stop the process to classify its blocks? Only when
 * there are user heap blocks to classify. */
static bool wants_scan(const struct state *st, bool final)
{
	return st->has_target && st->cfg->user && st->loader.heap_traced &&
	       (final ? st->cfg->scan : st->cfg->scan_intervals);
}

/* The command stopped at its exit: its last chance to be looked at. Its
 * uprobes start closing first (~60-120 ms of grace periods, detach.c),
 * while the snapshot and the scan run. */
static void on_exit_hold(void *ctx)
{
	struct state *st = ctx;

	if (st->cfg->cmd && !st->released)
		return;	/* killed before its exec: a copy of leaksnoop, not the command */
	/* a set's other processes still run: their probes stay */
	if (!st->cfg->proc_set && target_single_threaded(st->target.pid)) {
		loader_detach_user(&st->loader);
		if (st->cfg->verbose)
			fprintf(stderr, "leaksnoop: the command's last thread is at its exit: its "
				"uprobes are detaching\n");
	}
	snapshot_update_proc(st, st->main, true);
	st->main->source.usyms = st->main->usyms;
	if (wants_scan(st, true))
		classify_at_exit(&st->main->classifier);
}

static void render(FILE *out, const struct leak_report *rep, enum leaksnoop_output output)
{
	switch (output) {
	case LS_OUT_TEXT: leak_render_text(out, rep); break;
	case LS_OUT_JSON: leak_render_json(out, rep); break;
	case LS_OUT_FOLDED: leak_render_folded(out, rep); break;
	}
	fflush(out);
}

/* A set's processes added up (folded stacks have no place for it) */
static void render_set_summary(FILE *out, const struct leak_set_summary *sum,
			       enum leaksnoop_output output)
{
	if (output == LS_OUT_TEXT)
		leak_render_set_summary_text(out, sum);
	else if (output == LS_OUT_JSON)
		leak_render_set_summary_json(out, sum);
}

static void write_profile(struct state *st, const struct traced_proc *p,
			  const struct leak_report *rep, const char *path)
{
	struct usym_snapshot *usyms = p ? proc_usyms(&st->procs, p) : NULL;
	struct leak_pprof_opts o = {
		.path = path, .start_wall_ns = st->start_wall_ns,
		.module_of = usyms ? leak_source_module_of : NULL, .module_ctx = usyms,
	};
	int err = leak_render_pprof(rep, &o);

	if (err) {
		fprintf(stderr, "leaksnoop: cannot write profile %s: %s\n", path, strerror(-err));
		st->pprof_failed = true;
	}
}

/* --pprof FILE: every report replaces FILE; with -i, report N is kept as
 * FILE.N too, so that two can be compared (pprof -diff_base). A set's
 * processes each have their own profile: FILE.PID (and FILE.PID.N). */
static void write_profiles(struct state *st, const struct traced_proc *p,
			   const struct leak_report *rep)
{
	char base[4096], numbered[4096];
	int nr = p ? p->history.nr_reports : 0;

	if (!st->cfg->proc_set || !p)
		snprintf(base, sizeof(base), "%s", st->cfg->pprof_path);
	else if ((size_t)snprintf(base, sizeof(base), "%s.%d", st->cfg->pprof_path,
				  (int)p->pid) >= sizeof(base))
		return;
	write_profile(st, p, rep, base);
	if (st->cfg->interval_s &&
	    (size_t)snprintf(numbered, sizeof(numbered), "%s.%d", base, nr + 1) < sizeof(numbered))
		write_profile(st, p, rep, numbered);
}

/* One report: source (and scan) -> model -> renderer. Returns the number
 * of records found (after filters) that are leaks: definitely or
 * indirectly lost once classified, else every candidate; or -errno. */
static int build_and_render(struct state *st, struct traced_proc *p, bool final, bool exited)
{
	struct leak_report_meta meta = {
		.pid = p ? p->pid : 0, .final = final, .exited = exited,
		.no_cache_names = st->cfg->kernel && !st->loader.has_cache_names,
		.batch_why = st->cfg->kernel && !st->loader.batch_frees ? st->loader.batch_why : NULL,
		.user = st->cfg->user, .heap_traced = st->loader.heap_traced, .heap_why = st->loader.heap_why,
		.allocs = st->loader.allocs, .nr_allocs = st->loader.nr_allocs,
		.in_set = st->cfg->proc_set, .ppid = p ? p->ppid : 0, .cmdline = p ? p->cmdline : "",
		.alloc_table_entries = bpf_map__max_entries(st->loader.skel->maps.uallocs),
	};
	struct usym_snapshot *usyms = p ? proc_usyms(&st->procs, p) : NULL;
	struct leak_symbolizer sym = leak_source_symbolizer(usyms, st->ksyms);
	struct leak_history *history = p ? &p->history : &st->whole_history;
	struct leak_snapshot snap;
	struct leak_report rep;
	int err;

	if (p) {
		p->source.usyms = usyms;
		err = classify_read(&p->classifier, wants_scan(st, final) && !p->exited, exited,
				    &snap, &meta.scan);
		memcpy(meta.comm, p->comm, sizeof(meta.comm));
	} else {
		err = leak_source_read(&st->whole, exited, &snap);
	}
	if (err)
		return err;
	if (st->cfg->verbose)
		leak_render_scan_cost(stderr, &meta.scan);
	/* the final report has what it needs from the tables: the probes
	 * start closing while it is built (detach.c) */
	if (final && (!st->cfg->proc_set || p == st->procs.v[st->procs.n - 1]))
		loader_detach_all(&st->loader);
	err = leak_report_build(&rep, &snap, &st->model, history, &meta);
	leak_snapshot_free(&snap);
	if (err)
		return err;
	/* folded output and profiles have every record, the others the top of
	 * each source */
	if (leak_report_symbolize(&rep, &sym, st->cfg->output == LS_OUT_FOLDED || st->cfg->pprof_path))
		fprintf(stderr, "leaksnoop: warning: out of memory: inlined frames not shown\n");
	rep.meta.books = books_tracker_report(&st->books, &rep, &sym);
	render(st->out, &rep, st->cfg->output);
	if (st->cfg->pprof_path)
		write_profiles(st, p, &rep);
	if (st->cfg->proc_set)
		leak_set_summary_add(&st->set_sum, &rep);
	err = leak_history_advance(history, &rep);
	if (!err) {
		size_t leaks = rep.meta.scan.done ? rep.lost_records : leak_report_candidates(&rep);

		err = (int)(leaks > INT32_MAX ? INT32_MAX : leaks);
	}
	leak_report_free(&rep);
	return err;
}

/* One report: each process's (the whole system's without one), and for
 * a set their sum. exited: the command or -p process has. Returns the
 * leaks found (see build_and_render), all processes, or -errno. */
static int emit(struct state *st, bool final, bool exited)
{
	int n = 0;

	image_follow(st);
	if (!exited)
		snapshot_update(st, false);
	if (!final)	/* the refresh puts the periodic look off: its re-check here */
		allocators_recheck(st);
	memset(&st->set_sum, 0, sizeof(st->set_sum));
	st->set_sum.final = final;
	if (!st->has_target)
		n = build_and_render(st, NULL, final, exited);
	for (size_t i = 0; i < st->procs.n && n >= 0; i++) {
		struct traced_proc *p = st->procs.v[i];
		int got = build_and_render(st, p, final, p == st->main ? exited : p->exited);

		n = got < 0 ? got : (n > INT32_MAX - got ? INT32_MAX : n + got);
	}
	if (n >= 0 && st->cfg->proc_set)
		render_set_summary(st->out, &st->set_sum, st->cfg->output);
	if (n < 0)
		fprintf(stderr, "leaksnoop: reading the allocation tables failed: %s\n", strerror(-n));
	return n;
}

/* Reading /proc/kallsyms takes ~100 ms here: done on a thread while the
 * BPF programs load (another ~100-150 ms); needed from the attach on. */
static void *load_ksyms(void *errp)
{
	struct ksyms *k = ksyms_load();

	if (!k)
		*(int *)errp = errno;
	return k;
}

/* kallsyms is read on a thread while the unwind tables are built (-p) and
 * the programs load (see load_ksyms); the attach needs it. 0, or -1 after printing why. */
static int load_and_attach(struct state *st, struct unwind_plan *plan)
{
	const struct leaksnoop_config *cfg = st->cfg;
	pthread_t ksyms_thread;
	struct dl_hook hook;
	int err, ksyms_err = 0;
	bool ksyms_started = cfg->kernel &&
			     !pthread_create(&ksyms_thread, NULL, load_ksyms, &ksyms_err);

	unwind_prepare(st, plan);
	err = loader_open(&st->loader, cfg, st->target.pid, !cfg->cmd, plan);
	if (ksyms_started)
		pthread_join(ksyms_thread, (void **)&st->ksyms);
	else if (cfg->kernel)
		st->ksyms = load_ksyms(&ksyms_err);
	if (cfg->kernel && !st->ksyms)
		fprintf(stderr, "leaksnoop: warning: /proc/kallsyms: %s; kernel frames print as "
			"addresses\n", strerror(ksyms_err));
	if (err || set_seed(st))
		return -1;
	phase_mark(PH_LOADED);
	hook_start(st, &hook);
	err = loader_attach(&st->loader, st->ksyms, st->target.pid);
	hook_finish(st, &hook);
	if (err)
		return -1;
	phase_mark(PH_ATTACHED);
	return 0;
}

/* ---- the trace loop --------------------------------------------------------------- */

/* Waits up to left seconds; true when the trace ends with the process: a
 * set goes on without its first -p process, but the command's exit ends
 * it (its children's records are reported as they are then). */
static bool wait_until(struct state *st, double left)
{
	int ms = (int)(left * 1000) + 1;

	if (st->main && !st->target.exited)
		return target_wait(&st->target, ms > 0 ? ms : 1) && (!st->cfg->proc_set || st->cfg->cmd);
	if (left > 0)
		usleep((useconds_t)(left * 1e6));
	return false;
}

/* A signal ended the trace. A terminal's Ctrl-C reaches the whole process
 * group: the command may have taken it first and be held at its exit
 * already (its leak kinds taken there), or be gone. Then it is let end
 * and reported as exited: stopping a process that is going fails. */
static bool command_ending(struct state *st)
{
	struct target *t = &st->target;

	if (!st->main || !t->child || !t->traced)
		return false;
	if (target_wait(t, 0))
		return true;
	return t->held_at_exit && target_wait(t, 5000);
}

/* Returns the number of records in the final report (or -1 on error). */
static int trace(struct state *st)
{
	const struct leaksnoop_config *cfg = st->cfg;
	double start = monotonic_s(), next_report = start + cfg->interval_s;
	bool exited = false;
	int found;

	for (;;) {
		double now = monotonic_s(), wake = now + 0.2;

		if (exiting)
			break;
		image_follow(st);
		if (cfg->duration_s && now >= start + cfg->duration_s)
			break;
		if (cfg->interval_s && now >= next_report) {
			if (emit(st, false, false) < 0)
				return -1;
			if (ferror(st->out))
				break;	/* the reader went away (| head): done */
			next_report += cfg->interval_s;
			if (next_report < now)
				next_report = now + cfg->interval_s;
		}
		/* ld.so's hook (-p: no stop): the symbols too, or a report
		 * before the 2 s look cuts stacks at the new library's frames */
		if (st->has_target && (unwinder_maps_changed(st->uw) ||
				       now - st->last_refresh >= SNAPSHOT_REFRESH_S)) {
			snapshot_update(st, false);
			unwind_update(st);
			allocators_recheck(st);	/* --frame-pointers has no ld.so hook */
		} else if (st->uw && !st->uw_synced) {
			unwind_update(st);
		}
		if (st->has_target && st->target.child)
			read_comm(st);	/* the command's name after exec */
		set_poll(st);
		if (cfg->duration_s && wake > start + cfg->duration_s)
			wake = start + cfg->duration_s;
		if (cfg->interval_s && wake > next_report)
			wake = next_report;
		if (set_over(st) || wait_until(st, wake - now)) {
			exited = true;
			break;
		}
	}
	if (!exited && exiting)
		exited = command_ending(st);
	set_poll(st);	/* workers that forked and exited within the last turn */
	phase_mark(PH_ENDED);
	found = emit(st, true, exited);
	phase_mark(PH_REPORTED);
	return found;
}

/* The command started (held before its exec), or -p's first process
 * watched. 0, or -1 after printing why. */
static int start_target(struct state *st)
{
	st->target.pidfd = st->target.go_fd = st->target.err_fd = -1;
	st->target.on_exit_hold = on_exit_hold;
	st->target.on_exec = on_exec;
	st->target.on_sigstop = on_sigstop;
	st->target.ctx = st;
	if (st->cfg->cmd)
		return target_spawn(&st->target, st->cfg->cmd) ? -1 : 0;
	if (st->cfg->pid)
		return target_open_pid(&st->target, st->cfg->pid) ? -1 : 0;
	return 0;
}

/* After the trace: the exit status (--error-exitcode when leaks were
 * found, else the command's), the command ended if a signal or a duration
 * ended the trace before it. found: trace()'s. */
static int trace_exit_code(struct state *st, int found)
{
	const struct leaksnoop_config *cfg = st->cfg;

	if (cfg->cmd && !st->target.exited)
		target_kill(&st->target, SIGTERM);
	if (found < 0)
		return 1;
	if (cfg->error_exitcode && found > 0)
		return cfg->error_exitcode;
	return cfg->cmd ? target_exit_code(&st->target) : 0;
}

int main(int argc, char **argv)
{
	struct leaksnoop_config config;
	const struct leaksnoop_config *cfg = &config;
	struct state st = { .cfg = cfg, .signals = &exiting };
	struct unwind_plan plan = {};
	int rc = 0;

	stack_reserve(STACK_RESERVE_BYTES);
	phase_mark(PH_START);
	if (leaksnoop_parse_args(argc, argv, &config))
		return 2;
	if (cfg->exit_now)
		return 0;
	st.has_target = cfg->pid || cfg->cmd || cfg->cgroup;
	if (check_bpf_prerequisites("leaksnoop"))
		return 1;
	for (int i = 0; i < cfg->nr_pids; i++)
		if (!procs_pid_exists_or_say(cfg->pids[i]))
			return 1;
	if (cfg->pprof_path && leak_pprof_check_writable(cfg->pprof_path))
		return 1;
	st.out = reports_open(cfg->log_path);
	if (!st.out)
		return 1;
	libbpf_log_setup(cfg->verbose);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	{
		struct sigaction sa = { .sa_handler = on_sigchld };	/* no SA_RESTART */

		sigaction(SIGCHLD, &sa, NULL);
	}

	if (start_target(&st))
		return 1;
	if (set_collect(&st)) {
		rc = 1;
		goto out;
	}
	if (load_and_attach(&st, &plan)) {
		/* a probe in a process that is gone fails with ENOENT or ESRCH:
		 * say what happened rather than leave only that errno */
		if (cfg->pid && target_wait(&st.target, 0))
			fprintf(stderr, "leaksnoop: process %d exited while leaksnoop was attaching: "
				"nothing traced\n", (int)cfg->pid);
		rc = 1;
		goto out;
	}
	unwind_start(&st);
	st.whole = (struct leak_source){ .skel = st.loader.skel, .kernel = cfg->kernel,
					 .batch_frees = st.loader.batch_frees };
	for (size_t i = 0; i < st.procs.n; i++)
		proc_init(&st, st.procs.v[i]);
	st.model = (struct leak_model_config){ .older_than_ms = cfg->older_than_ms,
					       .min_size = cfg->min_size, .max_size = cfg->max_size,
					       .top = cfg->top, .kernel_stacks = cfg->kernel_stacks,
					       .show_reachable = cfg->show_reachable };
	books_tracker_start(&st.books, cfg->kernel);
	st.whole_history.start_ns = monotonic_ns();
	st.start_wall_ns = wall_ns();
	read_comm(&st);
	if (!cfg->cmd)
		snapshot_update(&st, false);
	if (cfg->verbose && cfg->user)
		loader_say_probed(&st.loader);
	if (cfg->cmd && exiting) {
		fprintf(stderr, "leaksnoop: interrupted before the command started\n");
		rc = 128 + exit_signal;
		goto out;
	}
	if (cfg->cmd && target_release(&st.target)) {
		rc = 127;
		goto out;
	}
	st.released = true;
	phase_mark(PH_RELEASED);
	/* a command held at its exit gets its snapshot there: the first
	 * periodic one waits (a whole one, ~20-90 ms here, right after the
	 * exec would mostly see ld.so alone, and /bin/true be over before) */
	if (cfg->cmd && st.target.traced)
		st.last_refresh = monotonic_s() - SNAPSHOT_REFRESH_S + SNAPSHOT_FIRST_S;
	if (!cfg->cmd && cfg->output == LS_OUT_TEXT && isatty(STDERR_FILENO))
		fprintf(stderr, "leaksnoop: tracing %s... Ctrl-C to report\n",
			cfg->proc_set ? "the processes" : st.has_target ? "the process" :
			"kernel allocations");

	rc = trace_exit_code(&st, trace(&st));
	if (st.pprof_failed && !rc)
		rc = 1;		/* the profile asked for is not there: said on stderr */
out:
	if (cfg->cmd && !st.target.exited && st.target.pid > 0 && rc)
		target_kill(&st.target, SIGKILL);
	unwind_report(&st);
	if (st.loader.skel && cfg->verbose && cfg->user)
		loader_print_prog_costs(&st.loader);
	unwinder_free(st.uw);
	loader_close(&st.loader);
	phase_mark(PH_DETACHED);
	if (cfg->verbose)
		phases_print();
	target_close(&st.target);
	procs_free(&st.procs);
	ksyms_free(st.ksyms);
	leak_history_free(&st.whole_history);
	books_tracker_free(&st.books);
	if (reports_close(st.out, cfg->log_path) && !rc)
		rc = 1;
	return rc;
}
