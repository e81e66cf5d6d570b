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
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "attach.h"
#include "clock.h"
#include "config.h"
#include "feature_probe.h"
#include "fmt.h"
#include "options.h"
#include "procfs.h"
#include "model.h"
#include "render.h"
#include "source.h"
#include "symbolize.h"
#include "target.h"
#include "leaksnoop.skel.h"

#define SNAPSHOT_REFRESH_S	2.0

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
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
	char comm[32];
	struct usym_snapshot *usyms;	/* NULL: user frames print as addresses */
	struct ksyms *ksyms;		/* NULL: kernel frames print as addresses */
	bool has_target;
	double last_refresh;
	int64_t start_wall_ns;		/* for the pprof profile */
	bool pprof_failed;
};

/* Takes or refreshes the snapshot of the process's mappings while it lives.
 * A command's snapshot waits for its exec (before it, it is a copy of us). */
static void snapshot_update(struct state *st)
{
	if (!st->has_target || !st->cfg->user || st->target.exited)
		return;
	if (st->target.child && !st->loader.skel->bss->counting)
		return;
	if (!st->usyms)
		st->usyms = usym_snapshot_take(st->target.pid);
	else
		usym_snapshot_refresh(st->usyms);
	st->last_refresh = monotonic_s();
}

static void on_exit_hold(void *ctx)
{
	struct state *st = ctx;

	snapshot_update(st);
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

/* One report: source -> model -> renderer. Returns the number of
 * outstanding records found (after filters), or -errno. */
static int build_and_render(struct state *st, bool final, bool exited)
{
	struct leak_report_meta meta = {
		.pid = st->target.pid, .final = final, .exited = exited,
		.no_cache_names = st->source.kernel && !st->loader.has_cache_names,
		.user = st->cfg->user, .heap_traced = st->loader.heap_traced, .heap_why = st->loader.heap_why,
		.allocs = st->loader.allocs, .nr_allocs = st->loader.nr_allocs,
	};
	struct leak_symbolizer sym = leak_source_symbolizer(st->usyms, st->ksyms);
	struct leak_snapshot snap;
	struct leak_report rep;
	int err;

	st->source.usyms = st->usyms;
	err = leak_source_read(&st->source, exited, &snap);
	if (err)
		return err;
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
	if (!err)
		err = (int)(leak_report_candidates(&rep) > INT32_MAX ? INT32_MAX :
			    leak_report_candidates(&rep));
	leak_report_free(&rep);
	return err;
}

static int emit(struct state *st, bool final, bool exited)
{
	int n;

	if (!exited)
		snapshot_update(st);
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
		if (st->has_target && now - st->last_refresh >= SNAPSHOT_REFRESH_S)
			snapshot_update(st);
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
	found = emit(st, true, exited);
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
	int found, rc = 0;

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
	st.target.ctx = &st;
	if (cfg->cmd) {
		if (target_spawn(&st.target, cfg->cmd))
			return 1;
	} else if (cfg->pid) {
		if (target_open_pid(&st.target, cfg->pid))
			return 1;
	}
	if (cfg->kernel) {
		st.ksyms = ksyms_load();
		if (!st.ksyms)
			fprintf(stderr, "leaksnoop: warning: /proc/kallsyms: %s; kernel frames print as "
				"addresses\n", strerror(errno));
	}
	if (loader_open(&st.loader, cfg, st.ksyms, st.target.pid, !cfg->cmd) ||
	    loader_attach(&st.loader, st.target.pid)) {
		rc = 1;
		goto out;
	}
	st.source = (struct leak_source){ .skel = st.loader.skel, .pid = st.target.pid,
					  .user = cfg->user, .kernel = cfg->kernel,
					  .has_syscalls = st.loader.has_syscalls,
					  .allocs = st.loader.allocs, .nr_allocs = st.loader.nr_allocs };
	st.model = (struct leak_model_config){ .older_than_ms = cfg->older_than_ms,
					       .min_size = cfg->min_size, .max_size = cfg->max_size,
					       .top = cfg->top, .kernel_stacks = cfg->kernel_stacks };
	st.history.start_ns = monotonic_ns();
	st.start_wall_ns = wall_ns();
	read_comm(&st);
	if (cfg->pid)
		snapshot_update(&st);
	if (cfg->verbose && cfg->user) {
		for (int i = 0; i < st.loader.nr_allocs; i++) {
			char shown[PATH_MAX];

			fprintf(stderr, "leaksnoop: probing %d %s functions in %s%s\n",
				st.loader.allocs[i].nr_funcs, st.loader.allocs[i].family,
				fmt_printable(shown, sizeof(shown), st.loader.allocs[i].path),
				st.loader.multi ? " (uprobe_multi)" : "");
		}
	}
	if (cfg->cmd && target_release(&st.target)) {
		rc = 127;
		goto out;
	}
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
	loader_close(&st.loader);
	target_close(&st.target);
	usym_snapshot_free(st.usyms);
	ksyms_free(st.ksyms);
	leak_history_free(&st.history);
	return rc;
}
