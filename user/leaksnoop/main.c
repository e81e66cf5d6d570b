// SPDX-License-Identifier: GPL-2.0
/* leaksnoop: what a process allocates and does not give back, and from
 * which line — user heap, address space and kernel allocations.
 *
 * main.c owns the trace loop, options.c the command line; attach.c loads and
 * attaches the BPF programs, target.c runs or watches the process. A report
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
#include "procfs.h"
#include "model.h"
#include "render.h"
#include "source.h"
#include "symbolize.h"
#include "target.h"
#include "unwind.h"
#include "leaksnoop.skel.h"

#define SNAPSHOT_REFRESH_S	2.0
#define SNAPSHOT_FIRST_S	0.5	/* after a command's exec */

/* SIGINT/SIGTERM so far: the first ends the trace (a final report); one
 * that comes during a scan cancels the scan (the process resumes at once). */
static volatile sig_atomic_t exiting;

/* -v: where the wall time of a run goes, phase by phase */
enum phase { PH_START, PH_LOADED, PH_ATTACHED, PH_RELEASED, PH_ENDED, PH_REPORTED, PH_DETACHED,
	     PH_MAX };
static const char *const phase_names[PH_MAX] = {
	"start", "load", "attach", "release", "trace", "report", "detach",
};
static double phase_at[PH_MAX];

static void phase_mark(enum phase p)
{
	phase_at[p] = monotonic_s();
}

static void phases_print(void)
{
	double prev = phase_at[PH_START];

	fprintf(stderr, "leaksnoop: wall time by phase (ms):");
	for (int p = PH_START + 1; p < PH_MAX; p++) {
		if (!phase_at[p])
			continue;
		fprintf(stderr, " %s %.0f", phase_names[p], (phase_at[p] - prev) * 1e3);
		prev = phase_at[p];
	}
	fprintf(stderr, "; total %.0f\n", (prev - phase_at[PH_START]) * 1e3);
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = exiting + 1;
}

static void on_sigchld(int sig)
{
	(void)sig;	/* only to cut a sleep short */
}


/* ---- symbols ------------------------------------------------------------------ */

struct state {
	const struct leaksnoop_config *cfg;	/* parsed once; read only */
	struct loader loader;
	struct target target;
	struct leak_source source;
	struct leak_model_config model;
	struct leak_history history;
	struct classifier classifier;
	char comm[32];
	struct usym_snapshot *usyms;	/* NULL: user frames print as addresses */
	struct ksyms *ksyms;		/* NULL: kernel frames print as addresses */
	struct unwinder *uw;	/* NULL: frame-pointer stacks (--frame-pointers, no pool) */
	bool has_target;
	bool uw_synced;
	double uw_build_s, uw_build_cpu_s;	/* -p: building the tables before load */
	double last_refresh;
	int64_t start_wall_ns;		/* for the pprof profile */
	bool pprof_failed;
};

/* Takes or refreshes the snapshot of the process's mappings while it lives.
 * A command's snapshot waits for its exec (before it, it is a copy of us).
 * lazy: a first snapshot for a report that follows at once opens symbols
 * and DWARF only where a frame needs them (libc's DWARF alone is ~55 ms of
 * the command held at its exit, here, and /bin/true's report needs none). */
static void snapshot_update(struct state *st, bool lazy)
{
	if (!st->has_target || !st->cfg->user || st->target.exited)
		return;
	if (st->target.child && !st->loader.skel->bss->counting)
		return;
	if (!st->usyms)
		st->usyms = lazy ? usym_snapshot_take_lazy(st->target.pid) :
				   usym_snapshot_take(st->target.pid);
	else
		usym_snapshot_refresh(st->usyms);
	st->last_refresh = monotonic_s();
}

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

/* The mappings changed (ld.so's _dl_debug_state, or the periodic look):
 * a dlopen may have brought an allocator not probed yet. Once the command
 * has exec'd: before, it is a copy of leaksnoop. */
static void allocators_recheck(struct state *st)
{
	if (!st->cfg->user || !st->has_target || st->target.exited)
		return;
	if (st->target.child && !st->loader.skel->bss->counting)
		return;
	if (attach_user_recheck(&st->loader, st->target.pid) < 0)
		fprintf(stderr, "leaksnoop: warning: probing the allocator of a new library failed\n");
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
	if (!st->uw || !st->cfg->pid)
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
	/* a command has not exec'd yet: its ld.so is the one we run on */
	dl_hook_start(h, st->uw, st->cfg->cmd ? 0 : st->target.pid, st->target.pid, st->loader.multi);
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

	if (!st->uw || !st->cfg->pid)
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
}

/* -v: what each user-heap program cost per run, when the kernel counts it
 * (sysctl kernel.bpf_stats_enabled=1; make bench turns it on). */
static void print_prog_costs(const struct state *st)
{
	const struct bpf_program *progs[] = {
		/* uprobe_multi links (6.6+) or one perf-event link per probe */
		st->loader.skel->progs.uprobe_multi_return, st->loader.skel->progs.uprobe_return,
		st->loader.skel->progs.uprobe_multi_entry, st->loader.skel->progs.uprobe_entry,
	};

	for (size_t i = 0; st->cfg->verbose && st->cfg->user && i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(progs[i]);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) || !info.run_cnt)
			continue;
		fprintf(stderr, "leaksnoop: program %s: %llu runs, %.0f ns per run\n",
			bpf_program__name(progs[i]), (unsigned long long)info.run_cnt,
			(double)info.run_time_ns / (double)info.run_cnt);
	}
}

/* Does this report stop the process to classify its blocks? Only when
 * there are user heap blocks to classify. */
static bool wants_scan(const struct state *st, bool final)
{
	return st->has_target && st->cfg->user && st->loader.heap_traced &&
	       (final ? st->cfg->scan : st->cfg->scan_intervals);
}

/* Whether the process has one thread left: then, stopped at its exit, it
 * will never run user code again. A thread that is exiting still counts
 * (it is in /proc/PID/status's Threads until reaped): never too few. */
static bool single_threaded(pid_t pid)
{
	struct proc_status ps;

	return !procfs_read_pid_status(pid, &ps) && ps.threads == 1;
}

/* The command stopped at its exit: its last chance to be looked at. Its
 * uprobes start closing first (~60-120 ms of grace periods, detach.c),
 * while the snapshot and the scan run. */
static void on_exit_hold(void *ctx)
{
	struct state *st = ctx;

	if (single_threaded(st->target.pid)) {
		loader_detach_user(&st->loader);
		if (st->cfg->verbose)
			fprintf(stderr, "leaksnoop: the command's last thread is at its exit: its "
				"uprobes are detaching\n");
	}
	snapshot_update(st, true);
	st->source.usyms = st->usyms;
	if (wants_scan(st, true))
		classify_at_exit(&st->classifier);
}

static void render(const struct leak_report *rep, enum leaksnoop_output output)
{
	switch (output) {
	case LS_OUT_TEXT: leak_render_text(stdout, rep); break;
	case LS_OUT_JSON: leak_render_json(stdout, rep); break;
	case LS_OUT_FOLDED: leak_render_folded(stdout, rep); break;
	}
}

static void write_profile(struct state *st, const struct leak_report *rep, const char *path)
{
	struct leak_pprof_opts o = {
		.path = path, .start_wall_ns = st->start_wall_ns,
		.module_of = st->usyms ? leak_source_module_of : NULL, .module_ctx = st->usyms,
	};
	int err = leak_render_pprof(rep, &o);

	if (err) {
		fprintf(stderr, "leaksnoop: cannot write profile %s: %s\n", path, strerror(-err));
		st->pprof_failed = true;
	}
}

/* --pprof FILE: every report replaces FILE; with -i, report N is kept as
 * FILE.N too, so that two can be compared (pprof -diff_base). */
static void write_profiles(struct state *st, const struct leak_report *rep)
{
	char numbered[4096];

	write_profile(st, rep, st->cfg->pprof_path);
	if (st->cfg->interval_s &&
	    (size_t)snprintf(numbered, sizeof(numbered), "%s.%d", st->cfg->pprof_path,
			     st->history.nr_reports + 1) < sizeof(numbered))
		write_profile(st, rep, numbered);
}

/* One report: source (and scan) -> model -> renderer. Returns the number
 * of records found (after filters) that are leaks: definitely or
 * indirectly lost once classified, else every candidate; or -errno. */
static int build_and_render(struct state *st, bool final, bool exited)
{
	struct leak_report_meta meta = {
		.pid = st->target.pid, .final = final, .exited = exited,
		.no_cache_names = st->source.kernel && !st->loader.has_cache_names,
		.batch_why = st->source.kernel && !st->loader.batch_frees ? st->loader.batch_why : NULL,
		.user = st->cfg->user, .heap_traced = st->loader.heap_traced, .heap_why = st->loader.heap_why,
		.allocs = st->loader.allocs, .nr_allocs = st->loader.nr_allocs,
	};
	struct leak_symbolizer sym = leak_source_symbolizer(st->usyms, st->ksyms);
	struct leak_snapshot snap;
	struct leak_report rep;
	int err;

	st->source.usyms = st->usyms;
	err = classify_read(&st->classifier, wants_scan(st, final), exited, &snap, &meta.scan);
	if (err)
		return err;
	/* the final report has what it needs from the tables: the probes
	 * start closing while it is built (detach.c) */
	if (final)
		loader_detach_all(&st->loader);
	memcpy(meta.comm, st->comm, sizeof(meta.comm));
	err = leak_report_build(&rep, &snap, &st->model, &st->history, &meta);
	leak_snapshot_free(&snap);
	if (err)
		return err;
	/* folded output and profiles have every record, the others the top of
	 * each source */
	if (leak_report_symbolize(&rep, &sym, st->cfg->output == LS_OUT_FOLDED || st->cfg->pprof_path))
		fprintf(stderr, "leaksnoop: warning: out of memory: inlined frames not shown\n");
	render(&rep, st->cfg->output);
	if (st->cfg->pprof_path)
		write_profiles(st, &rep);
	err = leak_history_advance(&st->history, &rep);
	if (!err) {
		size_t leaks = rep.meta.scan.done ? rep.lost_records : leak_report_candidates(&rep);

		err = (int)(leaks > INT32_MAX ? INT32_MAX : leaks);
	}
	leak_report_free(&rep);
	return err;
}

static int emit(struct state *st, bool final, bool exited)
{
	int n;

	if (!exited)
		snapshot_update(st, false);
	if (!final)	/* the refresh puts the periodic look off: its re-check here */
		allocators_recheck(st);
	n = build_and_render(st, final, exited);
	if (n < 0)
		fprintf(stderr, "leaksnoop: reading the allocation tables failed: %s\n", strerror(-n));
	return n;
}

static void read_comm(struct state *st)
{
	if (st->has_target)
		leak_source_comm(st->target.pid, st->comm, sizeof(st->comm));
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
	if (err)
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

static void say_probed(const struct loader *l)
{
	for (int i = 0; i < l->nr_allocs; i++) {
		char shown[PATH_MAX];

		fprintf(stderr, "leaksnoop: probing %d %s functions in %s%s\n", l->allocs[i].nr_funcs,
			l->allocs[i].family, fmt_printable(shown, sizeof(shown), l->allocs[i].path),
			l->multi ? " (uprobe_multi)" : "");
	}
}

/* ---- the trace loop --------------------------------------------------------------- */

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
		if (cfg->duration_s && now >= start + cfg->duration_s)
			break;
		if (cfg->interval_s && now >= next_report) {
			if (emit(st, false, false) < 0)
				return -1;
			if (ferror(stdout))
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
		if (cfg->duration_s && wake > start + cfg->duration_s)
			wake = start + cfg->duration_s;
		if (cfg->interval_s && wake > next_report)
			wake = next_report;
		if (st->has_target) {
			int ms = (int)((wake - now) * 1000) + 1;

			if (target_wait(&st->target, ms > 0 ? ms : 1)) {
				exited = true;
				break;
			}
		} else {
			double left = wake - now;

			if (left > 0)
				usleep((useconds_t)(left * 1e6));
		}
	}
	phase_mark(PH_ENDED);
	found = emit(st, true, exited);
	phase_mark(PH_REPORTED);
	return found;
}

/* A profile that can't be written should fail now, not after the trace. */
static int check_writable(const char *path)
{
	char tmp[4096];
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		fprintf(stderr, "leaksnoop: profile path too long\n");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "leaksnoop: cannot write profile %s: %s\n", path, strerror(errno));
		return -1;
	}
	close(fd);
	unlink(tmp);
	return 0;
}

int main(int argc, char **argv)
{
	struct leaksnoop_config config;
	const struct leaksnoop_config *cfg = &config;
	struct state st = { .cfg = cfg };
	struct unwind_plan plan = {};
	int found, rc = 0;

	phase_mark(PH_START);
	if (leaksnoop_parse_args(argc, argv, &config))
		return 2;
	if (cfg->exit_now)
		return 0;
	st.has_target = cfg->pid || cfg->cmd;
	if (check_bpf_prerequisites("leaksnoop"))
		return 1;
	if (cfg->pid && !procfs_pid_exists(cfg->pid)) {
		fprintf(stderr, "leaksnoop: no process with PID %d\n", cfg->pid);
		return 1;
	}
	if (cfg->pprof_path && check_writable(cfg->pprof_path))
		return 1;
	libbpf_log_setup(cfg->verbose);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	{
		struct sigaction sa = { .sa_handler = on_sigchld };	/* no SA_RESTART */

		sigaction(SIGCHLD, &sa, NULL);
	}

	st.target.pidfd = st.target.go_fd = st.target.err_fd = -1;
	st.target.on_exit_hold = on_exit_hold;
	st.target.on_sigstop = on_sigstop;
	st.target.ctx = &st;
	if (cfg->cmd) {
		if (target_spawn(&st.target, cfg->cmd))
			return 1;
	} else if (cfg->pid) {
		if (target_open_pid(&st.target, cfg->pid))
			return 1;
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
	st.source = (struct leak_source){ .skel = st.loader.skel, .pid = st.target.pid,
					  .user = cfg->user, .kernel = cfg->kernel,
					  .has_syscalls = st.loader.has_syscalls,
					  .batch_frees = st.loader.batch_frees,
					  .allocs = st.loader.allocs, .nr_allocs = st.loader.nr_allocs };
	st.model = (struct leak_model_config){ .older_than_ms = cfg->older_than_ms,
					       .min_size = cfg->min_size, .max_size = cfg->max_size,
					       .top = cfg->top, .kernel_stacks = cfg->kernel_stacks,
					       .show_reachable = cfg->show_reachable };
	st.classifier = (struct classifier){ .source = &st.source, .target = &st.target,
					     .signals = &exiting };
	st.history.start_ns = monotonic_ns();
	st.start_wall_ns = wall_ns();
	read_comm(&st);
	if (cfg->pid)
		snapshot_update(&st, false);
	if (cfg->verbose && cfg->user)
		say_probed(&st.loader);
	if (cfg->cmd && target_release(&st.target)) {
		rc = 127;
		goto out;
	}
	phase_mark(PH_RELEASED);
	/* a command held at its exit gets its snapshot there: the first
	 * periodic one waits (a whole one, ~20-90 ms here, right after the
	 * exec would mostly see ld.so alone, and /bin/true be over before) */
	if (cfg->cmd && st.target.traced)
		st.last_refresh = monotonic_s() - SNAPSHOT_REFRESH_S + SNAPSHOT_FIRST_S;
	if (!cfg->cmd && cfg->output == LS_OUT_TEXT && isatty(STDERR_FILENO))
		fprintf(stderr, "leaksnoop: tracing %s... Ctrl-C to report\n",
			st.has_target ? "the process" : "kernel allocations");

	found = trace(&st);
	if (found < 0)
		rc = 1;
	else if (cfg->error_exitcode && found > 0)
		rc = cfg->error_exitcode;
	if (cfg->cmd) {
		/* a signal or a duration ended the trace before the command */
		if (!st.target.exited)
			target_kill(&st.target, SIGTERM);
		if (!(cfg->error_exitcode && found > 0) && found >= 0)
			rc = target_exit_code(&st.target);
	}
	if (st.pprof_failed && !rc)
		rc = 1;		/* the profile asked for is not there: said on stderr */
out:
	if (cfg->cmd && !st.target.exited && st.target.pid > 0 && rc)
		target_kill(&st.target, SIGKILL);
	unwind_report(&st);
	if (st.loader.skel)
		print_prog_costs(&st);
	unwinder_free(st.uw);
	loader_close(&st.loader);
	phase_mark(PH_DETACHED);
	if (cfg->verbose)
		phases_print();
	target_close(&st.target);
	usym_snapshot_free(st.usyms);
	ksyms_free(st.ksyms);
	leak_history_free(&st.history);
	classify_free(&st.classifier);
	return rc;
}
