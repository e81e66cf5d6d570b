// SPDX-License-Identifier: GPL-2.0
/* leaksnoop: what a process allocates and does not give back, and from
 * which line — user heap, address space and kernel allocations.
 *
 * main.c owns the command line and the trace loop; attach.c loads and
 * attaches the BPF programs, target.c runs or watches the process,
 * report.c reads the tables and prints. */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "attach.h"
#include "env.h"
#include "feature_probe.h"
#include "procfs.h"
#include "report.h"
#include "symbolize.h"
#include "target.h"
#include "leaksnoop.skel.h"

#define SNAPSHOT_REFRESH_S	2.0

struct env env = {
	.older_than_ms = DEFAULT_OLDER_THAN_MS,
	.top = DEFAULT_TOP,
	.mode = OUT_TEXT,
	.mmap = true,
	.pages = true,
	.max_allocs = 262144,
};

static volatile sig_atomic_t exiting;
static bool only_user, only_kernel;

const char *argp_program_version = "leaksnoop 0.1";
const char *argp_program_bug_address = "https://github.com/mmscope/mmscope/issues";
static const char doc[] =
"leaksnoop: outstanding allocations of a process (or of the kernel), by stack.\n"
"\n"
"Traces malloc & co. through uprobes in the C library, mmap/munmap/mremap/brk,\n"
"and the kernel's kmalloc/kmem_cache/page allocations made on the process's\n"
"behalf. Reports what is still allocated when the duration ends, on Ctrl-C, or\n"
"when the process exits, like valgrind's leak summary. With neither -p nor a\n"
"command it traces every kernel allocation (an on-demand kmemleak).\n"
"\n"
"USAGE: leaksnoop [OPTIONS] -p PID [DURATION]\n"
"       leaksnoop [OPTIONS] -- CMD [ARGS...]\n"
"       leaksnoop [OPTIONS] [DURATION]          (whole-system kernel mode)\n"
"\n"
"EXAMPLES:\n"
"    leaksnoop -- ./server --port 8080     # trace from the first instruction\n"
"    leaksnoop -p 1234 30                   # attach for 30 seconds\n"
"    leaksnoop -p 1234 -i 10                # every 10 s: what grew, per stack\n"
"    leaksnoop --kernel -K 10               # whole system, kernel stacks\n"
"    leaksnoop --folded -p 1234 60 | flamegraph.pl > leaks.svg\n"
"    leaksnoop --error-exitcode 3 -- ./unit_tests   # for CI\n";

enum {
	OPT_JSON = 0x100, OPT_FOLDED, OPT_USER, OPT_KERNEL, OPT_LIB, OPT_ERROR_EXITCODE,
	OPT_NO_MMAP, OPT_NO_PAGES, OPT_MAX_ALLOCS, OPT_FLOOR,
};

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Trace this running process", 0 },
	{ "interval", 'i', "SECS", 0, "Report every SECS seconds, with each stack's growth since the last report", 0 },
	{ "older-than", 'o', "MS", 0, "Live reports show blocks at least MS ms old (default 500); "
	  "at process exit every user block counts", 0 },
	{ "min-size", 'z', "BYTES", 0, "Only allocations of at least BYTES", 0 },
	{ "max-size", 'Z', "BYTES", 0, "Only allocations of at most BYTES", 0 },
	{ "top", 'T', "N", 0, "At most N records per kind (default 20, 0 = all)", 0 },
	{ "user", OPT_USER, NULL, 0, "Only the user heap (and mmap regions)", 0 },
	{ "kernel", OPT_KERNEL, NULL, 0, "Only kernel allocations", 0 },
	{ "kernel-stacks", 'K', NULL, 0, "Full kernel stacks, not just the call site (costs more)", 0 },
	{ "lib", OPT_LIB, "PATH", 0, "The allocator to probe (default: the C library the process maps)", 0 },
	{ "no-mmap", OPT_NO_MMAP, NULL, 0, "Don't track mmap/munmap/mremap/brk", 0 },
	{ "no-pages", OPT_NO_PAGES, NULL, 0, "Don't track the page allocator", 0 },
	{ "max-allocs", OPT_MAX_ALLOCS, "N", 0, "Size of each allocation table (default 262144)", 0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object per report (JSON Lines)", 0 },
	{ "folded", OPT_FOLDED, NULL, 0, "Folded stacks weighted by outstanding bytes (flamegraph.pl input)", 0 },
	{ "error-exitcode", OPT_ERROR_EXITCODE, "N", 0, "Exit with N when outstanding allocations are reported", 0 },
	{ "bench-empty-probes", OPT_FLOOR, NULL, OPTION_HIDDEN, "Attach the same uprobes with empty programs", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose debug output (libbpf log)", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0 },
	{},
};

static double parse_secs(const char *arg, struct argp_state *state, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v > 0) || v > 1e7)
		argp_error(state, "invalid %s: %s", what, arg);
	return v;
}

static unsigned long long parse_ull(const char *arg, struct argp_state *state, const char *what,
				    unsigned long long hi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || v > hi)
		argp_error(state, "invalid %s: %s", what, arg);
	return v;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'p': env.pid = (pid_t)parse_ull(arg, state, "PID", INT_MAX);
		if (!env.pid)
			argp_error(state, "invalid PID: %s", arg);
		break;
	case 'i': env.interval_s = parse_secs(arg, state, "interval"); break;
	case 'o': env.older_than_ms = parse_ull(arg, state, "age", 1ULL << 40); break;
	case 'z': env.min_size = parse_ull(arg, state, "size", ~0ULL); break;
	case 'Z': env.max_size = parse_ull(arg, state, "size", ~0ULL); break;
	case 'T': env.top = (int)parse_ull(arg, state, "count", INT_MAX); break;
	case OPT_USER: only_user = true; break;
	case OPT_KERNEL: only_kernel = true; break;
	case 'K': env.kernel_stacks = true; break;
	case OPT_LIB: env.lib = arg; break;
	case OPT_NO_MMAP: env.mmap = false; break;
	case OPT_NO_PAGES: env.pages = false; break;
	case OPT_MAX_ALLOCS: env.max_allocs = (uint32_t)parse_ull(arg, state, "table size", 1U << 26);
		if (env.max_allocs < 1024)
			argp_error(state, "table size too small: %s", arg);
		break;
	case OPT_JSON: env.mode = OUT_JSON; break;
	case OPT_FOLDED: env.mode = OUT_FOLDED; break;
	case OPT_ERROR_EXITCODE: env.error_exitcode = (int)parse_ull(arg, state, "exit code", 255);
		if (!env.error_exitcode)
			argp_error(state, "--error-exitcode must be 1..255");
		break;
	case OPT_FLOOR: env.floor = true; break;
	case 'v': env.verbose = true; break;
	case 'h': argp_state_help(state, stdout, ARGP_HELP_STD_HELP); break;
	case ARGP_KEY_ARG:
		if (env.duration_s || state->arg_num > 0)
			argp_error(state, "unexpected argument: %s", arg);
		{
			char *end;

			errno = 0;
			env.duration_s = strtod(arg, &end);
			if (errno || end == arg || *end || !(env.duration_s > 0))
				argp_error(state, "unexpected argument: %s (a command goes after --)", arg);
		}
		break;
	case ARGP_KEY_END:
		if (only_user && only_kernel)
			argp_error(state, "--user and --kernel exclude each other");
		if (env.pid && env.cmd)
			argp_error(state, "-p and a command exclude each other");
		if (env.cmd && env.duration_s)
			argp_error(state, "DURATION goes with -p or whole-system mode, not a command");
		if (!env.pid && !env.cmd && only_user)
			argp_error(state, "--user needs -p PID or a command");
		if (env.max_size && env.min_size > env.max_size)
			argp_error(state, "-z is larger than -Z");
		break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static void on_sigchld(int sig)
{
	(void)sig;	/* only to cut a sleep short */
}

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- symbols ------------------------------------------------------------------ */

struct state {
	struct loader loader;
	struct target target;
	struct reporter rep;
	bool has_target;
	double last_refresh;
};

/* Takes or refreshes the snapshot of the process's mappings while it lives.
 * A command's snapshot waits for its exec (before it, it is a copy of us). */
static void snapshot_update(struct state *st)
{
	if (!st->has_target || !env.user || st->target.exited)
		return;
	if (st->target.child && !st->loader.skel->bss->armed)
		return;
	if (!st->rep.usyms)
		st->rep.usyms = usym_snapshot_take(st->target.pid);
	else
		usym_snapshot_refresh(st->rep.usyms);
	st->last_refresh = monotonic_s();
}

static void on_exit_hold(void *ctx)
{
	struct state *st = ctx;

	snapshot_update(st);
}

static int emit(struct state *st, bool final, bool exited)
{
	struct report_opts o = { .final = final, .exited = exited, .out = stdout };
	int n;

	if (env.floor)
		return 0;
	if (!exited)
		snapshot_update(st);
	n = report_emit(&st->rep, &o);
	if (n < 0)
		fprintf(stderr, "leaksnoop: reading the allocation tables failed: %s\n", strerror(-n));
	return n;
}

static void read_comm(struct state *st)
{
	struct proc_stat ps;

	if (st->has_target && procfs_read_pid_stat(st->target.pid, &ps) == 0)
		snprintf(st->rep.comm, sizeof(st->rep.comm), "%s", ps.comm);
}

/* ---- the trace loop --------------------------------------------------------------- */

/* Returns the number of records in the final report (or -1 on error). */
static int trace(struct state *st)
{
	double start = monotonic_s(), next_report = start + env.interval_s;
	bool exited = false;
	int found;

	for (;;) {
		double now = monotonic_s(), wake = now + 0.2;

		if (exiting)
			break;
		if (env.duration_s && now >= start + env.duration_s)
			break;
		if (env.interval_s && now >= next_report) {
			if (emit(st, false, false) < 0)
				return -1;
			next_report += env.interval_s;
			if (next_report < now)
				next_report = now + env.interval_s;
		}
		if (st->has_target && now - st->last_refresh >= SNAPSHOT_REFRESH_S)
			snapshot_update(st);
		if (st->has_target && st->target.child)
			read_comm(st);	/* the command's name after exec */
		if (env.duration_s && wake > start + env.duration_s)
			wake = start + env.duration_s;
		if (env.interval_s && wake > next_report)
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

static int split_command(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			if (i + 1 < argc)
				env.cmd = &argv[i + 1];
			argv[i] = NULL;
			return i;
		}
	}
	return argc;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, "[DURATION]", doc, NULL, NULL, NULL };
	struct state st = {};
	struct timespec ts;
	int nargs, err, found, rc = 0;
	bool dash_dash;

	nargs = split_command(argc, argv);
	dash_dash = nargs < argc;
	argp_err_exit_status = 2;
	err = argp_parse(&argp, nargs, argv, 0, NULL, NULL);
	if (err)
		return 2;
	if (dash_dash && !env.cmd) {
		fprintf(stderr, "leaksnoop: no command after --\n");
		return 2;
	}
	st.has_target = env.pid || env.cmd;
	env.user = st.has_target && !only_kernel;
	env.kernel = !only_user;
	if (env.floor) {
		env.user = true;
		env.kernel = false;
		if (!st.has_target) {
			fprintf(stderr, "leaksnoop: --bench-empty-probes needs a process\n");
			return 2;
		}
	}
	if (check_bpf_prerequisites("leaksnoop"))
		return 1;
	if (env.pid && !procfs_pid_exists(env.pid)) {
		fprintf(stderr, "leaksnoop: no process with PID %d\n", env.pid);
		return 1;
	}
	libbpf_log_setup(env.verbose);
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
	if (env.cmd) {
		if (target_spawn(&st.target, env.cmd))
			return 1;
	} else if (env.pid) {
		if (target_open_pid(&st.target, env.pid))
			return 1;
	}
	if (loader_open(&st.loader, st.target.pid, !env.cmd) ||
	    loader_attach(&st.loader, st.target.pid)) {
		rc = 1;
		goto out;
	}
	if (env.kernel) {
		st.rep.ksyms = ksyms_load();
		if (!st.rep.ksyms)
			fprintf(stderr, "leaksnoop: warning: /proc/kallsyms: %s; kernel frames print as "
				"addresses\n", strerror(errno));
	}
	st.rep.skel = st.loader.skel;
	st.rep.pid = st.target.pid;
	st.rep.has_syscalls = st.loader.has_syscalls;
	st.rep.lib_path = st.loader.lib_path;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	st.rep.start_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	read_comm(&st);
	if (env.pid)
		snapshot_update(&st);
	if (env.verbose && env.user)
		fprintf(stderr, "leaksnoop: probing %d allocator functions in %s\n",
			st.loader.nr_funcs, st.loader.lib_path);
	if (env.cmd && target_release(&st.target)) {
		rc = 127;
		goto out;
	}
	if (!env.cmd && env.mode == OUT_TEXT && isatty(STDERR_FILENO))
		fprintf(stderr, "leaksnoop: tracing %s... Ctrl-C to report\n",
			st.has_target ? "the process" : "kernel allocations");

	found = trace(&st);
	if (found < 0)
		rc = 1;
	else if (env.error_exitcode && found > 0)
		rc = env.error_exitcode;
	if (env.cmd) {
		/* a signal or a duration ended the trace before the command */
		if (!st.target.exited)
			target_kill(&st.target, SIGTERM);
		if (!(env.error_exitcode && found > 0) && found >= 0)
			rc = target_exit_code(&st.target);
	}
out:
	if (env.cmd && !st.target.exited && st.target.pid > 0 && rc)
		target_kill(&st.target, SIGKILL);
	loader_close(&st.loader);
	target_close(&st.target);
	usym_snapshot_free(st.rep.usyms);
	ksyms_free(st.rep.ksyms);
	reporter_free(&st.rep);
	return rc;
}
