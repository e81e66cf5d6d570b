// SPDX-License-Identifier: GPL-2.0
/* leaksnoop's command line: defaults, option parsing and what is traced,
 * apart from main so that the parser can be fuzzed. */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "argparse_util.h"
#include "config.h"
#include "options.h"

static const struct leaksnoop_config defaults = {
	.older_than_ms = DEFAULT_OLDER_THAN_MS,
	.top = DEFAULT_TOP,
	.output = LS_OUT_TEXT,
	.mmap = true,
	.pages = true,
	.max_allocs = 0,	/* by what the machine can spare (attach.c) */
	.scan = true,
};

/* argp's state->input: the config being filled, and what the options ask
 * for before it is resolved into cfg->user/cfg->kernel. */
struct parse_ctx {
	struct leaksnoop_config *cfg;
	bool only_user, only_kernel;
};

#define LEAKSNOOP_VERSION "leaksnoop 0.1"
/* no argp_program_bug_address: --help names no address nobody reads */
static const char doc[] =
"leaksnoop: outstanding allocations of a process (or of the kernel), by stack.\n"
"\n"
"Traces malloc & co. through uprobes in the allocator the process calls\n"
"(glibc, jemalloc, tcmalloc, mimalloc, static, C++ operator new),\n"
"mmap/munmap/mremap/brk, and the kernel's kmalloc/kmem_cache/page allocations\n"
"made on the process's behalf. Reports what is still allocated when the\n"
"duration ends, on Ctrl-C, or when the process exits, like valgrind's leak\n"
"summary. With neither -p nor a command it traces every kernel allocation (an\n"
"on-demand kmemleak).\n"
"\n"
"A final report stops the process for a moment (ptrace) to scan its registers\n"
"and writable memory, as valgrind and LeakSanitizer do, and says of each user\n"
"block whether it is definitely, indirectly or possibly lost, or still\n"
"reachable. --no-scan leaves the process alone.\n"
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
"    leaksnoop --pprof leaks.pb.gz -p 1234 60   # then: go tool pprof leaks.pb.gz\n"
"    leaksnoop --error-exitcode 3 -- ./unit_tests   # for CI\n"
"    leaksnoop --log-file leaks.txt -- ./wrapper.sh  # the report in a file\n"
"    leaksnoop --show-reachable -p 1234 10  # every kind, reachable ones too\n";

enum {
	OPT_JSON = 0x100, OPT_FOLDED, OPT_USER, OPT_KERNEL, OPT_LIB, OPT_ERROR_EXITCODE,
	OPT_NO_MMAP, OPT_NO_PAGES, OPT_MAX_ALLOCS, OPT_USAGE, OPT_PPROF, OPT_FRAME_POINTERS,
	OPT_SCAN, OPT_NO_SCAN, OPT_SHOW_REACHABLE, OPT_NO_WALK_CACHE, OPT_CGROUP, OPT_LOG_FILE,
};

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID[,PID...]", 0, "Trace these running processes (repeat -p or give a list)", 0 },
	{ "follow", 'f', NULL, 0, "Trace the children the command or the processes fork too "
	  "(each process reported apart)", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0, "Trace every process of this cgroup v2 directory (a "
	  "container, a service), those that start later too", 0 },
	{ "interval", 'i', "SECS", 0, "Report every SECS seconds, with each stack's growth since the last report", 0 },
	{ "older-than", 'o', "MS", 0, "Live reports show blocks at least MS ms old (default 500); "
	  "at process exit every user block counts", 0 },
	{ "min-size", 'z', "BYTES", 0, "Only allocations of at least BYTES", 0 },
	{ "max-size", 'Z', "BYTES", 0, "Only allocations of at most BYTES", 0 },
	{ "top", 'T', "N", 0, "At most N records per kind (default 20, 0 = all)", 0 },
	{ "user", OPT_USER, NULL, 0, "Only the user heap (and mmap regions)", 0 },
	{ "kernel", OPT_KERNEL, NULL, 0, "Only kernel allocations", 0 },
	{ "kernel-stacks", 'K', NULL, 0, "Full kernel stacks, not just the call site (costs more)", 0 },
	{ "lib", OPT_LIB, "PATH", 0, "Probe only this allocator object (default: the ones the process's "
	  "calls bind to, by the dynamic linker's rule)", 0 },
	{ "frame-pointers", OPT_FRAME_POINTERS, NULL, 0, "Walk user stacks by frame pointers only, not by the "
	  "code's CFI (loses frames in code built without them)", 0 },
	{ "no-walk-cache", OPT_NO_WALK_CACHE, NULL, 0, "Walk every user stack in full, never reusing "
	  "a recent identical walk (slower; the stacks are the same)", 0 },
	{ "no-mmap", OPT_NO_MMAP, NULL, 0, "Don't track mmap/munmap/mremap/brk", 0 },
	{ "no-pages", OPT_NO_PAGES, NULL, 0, "Don't track the page allocator", 0 },
	{ "max-allocs", OPT_MAX_ALLOCS, "N", 0, "Size of each allocation table (default: the user heap's from a quarter of "
	  "MemAvailable, up to 4194304 entries, allocated as used; the kernel's 262144)", 0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object per report (JSON Lines)", 0 },
	{ "folded", OPT_FOLDED, NULL, 0, "Folded stacks weighted by outstanding bytes (flamegraph.pl input)", 0 },
	{ "pprof", OPT_PPROF, "FILE", 0, "Also write each report to FILE as a gzipped pprof heap profile "
	  "(go tool pprof, Pyroscope, Parca); with -i, report N also to FILE.N", 0 },
	{ "log-file", OPT_LOG_FILE, "FILE", 0, "Write the reports to FILE (created or truncated) instead "
	  "of stdout: the command's stdout and stderr stay its own", 0 },
	{ "scan", OPT_SCAN, NULL, 0, "Classify the blocks of -i reports too (each stops the process "
	  "briefly); final reports always are", 0 },
	{ "no-scan", OPT_NO_SCAN, NULL, 0, "Never stop the process to classify blocks: every user "
	  "block is reported as outstanding", 0 },
	{ "show-reachable", OPT_SHOW_REACHABLE, NULL, 0, "List still-reachable blocks in the text "
	  "report too (like valgrind's --show-leak-kinds=all); by default they are only counted "
	  "(JSON and folded output always have them)", 0 },
	{ "error-exitcode", OPT_ERROR_EXITCODE, "N", 0, "Exit with N when leaks are reported: "
	  "definitely or indirectly lost blocks (any outstanding ones without a scan)", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose debug output (libbpf log, where each probe sits and why)", 0 },
	/* argp's own -?/--help, --usage and -V/--version, which ARGP_NO_HELP
	 * turns off, plus -h */
	{ "help", '?', NULL, 0, "Give this help list", -1 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print program version", -1 },
	{},
};

/* Seconds of -i: up to 1e7, about four months. */
#define MAX_INTERVAL_S 1e7

/* Numbers are unsigned, in any base strtoull's base 0 takes (so -p 0x10 is
 * PID 16): argparse_ull_opt. */

static error_t add_pid(const char *arg, struct argp_state *state)
{
	struct leaksnoop_config *cfg = ((struct parse_ctx *)state->input)->cfg;
	uint64_t v = 0;

	if (argparse_ull_opt(arg, state, "PID", INT_MAX, &v))
		return EINVAL;
	if (!v)
		return BAD_ARG(state, "invalid PID: %s", arg);
	for (int i = 0; i < cfg->nr_pids; i++)
		if (cfg->pids[i] == (pid_t)v)
			return 0;	/* given twice: traced once */
	if (cfg->nr_pids == LS_MAX_PIDS)
		return BAD_ARG(state, "more than %d PIDs", LS_MAX_PIDS);
	cfg->pids[cfg->nr_pids++] = (pid_t)v;
	cfg->pid = cfg->pids[0];
	return 0;
}

/* -p 1,2,3 (and -p given again): every one traced */
static error_t parse_pids(const char *arg, struct argp_state *state)
{
	char one[32];

	for (const char *p = arg;; p++) {
		size_t n = strcspn(p, ",");

		if (!n || n >= sizeof(one))
			return BAD_ARG(state, "invalid PID list: %s", arg);
		memcpy(one, p, n);
		one[n] = 0;
		if (add_pid(one, state))
			return EINVAL;
		p += n;
		if (!*p)
			return 0;
	}
}

static error_t parse_int(const char *arg, struct argp_state *state, const char *what,
			 unsigned long long hi, int *out)
{
	uint64_t v = 0;
	error_t err = argparse_ull_opt(arg, state, what, hi, &v);

	*out = (int)v;
	return err;
}

static error_t parse_max_allocs(const char *arg, struct argp_state *state)
{
	struct leaksnoop_config *cfg = ((struct parse_ctx *)state->input)->cfg;
	uint64_t v = 0;

	if (argparse_ull_opt(arg, state, "table size", 1U << 26, &v))
		return EINVAL;
	if (v < 1024)
		return BAD_ARG(state, "table size too small: %s", arg);
	cfg->max_allocs = (uint32_t)v;
	return 0;
}

static error_t parse_error_exitcode(const char *arg, struct argp_state *state)
{
	struct leaksnoop_config *cfg = ((struct parse_ctx *)state->input)->cfg;
	if (parse_int(arg, state, "exit code", 255, &cfg->error_exitcode))
		return EINVAL;
	if (!cfg->error_exitcode)
		return BAD_ARG(state, "--error-exitcode must be 1..255");
	return 0;
}

/* The one positional argument, DURATION; anything else belongs after --. */
static error_t parse_duration(const char *arg, struct argp_state *state)
{
	struct leaksnoop_config *cfg = ((struct parse_ctx *)state->input)->cfg;
	if (cfg->duration_s || state->arg_num > 0)
		return BAD_ARG(state, "unexpected argument: %s", arg);
	if (argparse_positive(arg, HUGE_VAL, &cfg->duration_s))
		return BAD_ARG(state, "unexpected argument: %s (a command goes after --)", arg);
	return 0;
}

/* Combinations that make no sense, once every option is in. */
static error_t check_combinations(struct argp_state *state)
{
	const struct parse_ctx *ctx = state->input;
	const struct leaksnoop_config *cfg = ctx->cfg;

	if (ctx->only_user && ctx->only_kernel)
		return BAD_ARG(state, "--user and --kernel exclude each other");
	if (cfg->pid && cfg->cmd)
		return BAD_ARG(state, "-p and a command exclude each other");
	if (cfg->cgroup && (cfg->pid || cfg->cmd))
		return BAD_ARG(state, "--cgroup excludes -p and a command");
	if (cfg->follow && !cfg->pid && !cfg->cmd)
		return BAD_ARG(state, "-f needs -p PID or a command");
	if (cfg->cmd && cfg->duration_s)
		return BAD_ARG(state, "DURATION goes with -p or whole-system mode, not a command");
	if (!cfg->pid && !cfg->cmd && !cfg->cgroup && ctx->only_user)
		return BAD_ARG(state, "--user needs -p PID, --cgroup or a command");
	if (cfg->max_size && cfg->min_size > cfg->max_size)
		return BAD_ARG(state, "-z is larger than -Z");
	if (cfg->scan_intervals && !cfg->scan)
		return BAD_ARG(state, "--scan and --no-scan exclude each other");
	return 0;
}

/* argp's own help and version options exit on the spot, so nothing after
 * them was ever looked at; ending the parse here keeps that (help wins
 * over a bad option further on). leaksnoop_parse_args turns this into 0. */
static error_t printed_stop(struct leaksnoop_config *cfg)
{
	cfg->exit_now = true;
	return ECANCELED;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct parse_ctx *ctx = state->input;
	struct leaksnoop_config *cfg = ctx->cfg;

	switch (key) {
	case 'p': return parse_pids(arg, state);
	case 'f': cfg->follow = true; break;
	case OPT_CGROUP:
		if (!arg[0])
			return BAD_ARG(state, "--cgroup needs a path");
		cfg->cgroup = arg;
		break;
	case 'i': return argparse_positive_opt(arg, state, "interval", MAX_INTERVAL_S, &cfg->interval_s);
	case 'o': return argparse_ull_opt(arg, state, "age", 1ULL << 40, &cfg->older_than_ms);
	case 'z': return argparse_ull_opt(arg, state, "size", ~0ULL, &cfg->min_size);
	case 'Z': return argparse_ull_opt(arg, state, "size", ~0ULL, &cfg->max_size);
	case 'T': return parse_int(arg, state, "count", INT_MAX, &cfg->top);
	case OPT_USER: ctx->only_user = true; break;
	case OPT_KERNEL: ctx->only_kernel = true; break;
	case 'K': cfg->kernel_stacks = true; break;
	case OPT_LIB: cfg->lib = arg; break;
	case OPT_NO_MMAP: cfg->mmap = false; break;
	case OPT_FRAME_POINTERS: cfg->frame_pointers = true; break;
	case OPT_NO_WALK_CACHE: cfg->no_walk_cache = true; break;
	case OPT_NO_PAGES: cfg->pages = false; break;
	case OPT_MAX_ALLOCS: return parse_max_allocs(arg, state);
	case OPT_JSON: cfg->output = LS_OUT_JSON; break;
	case OPT_FOLDED: cfg->output = LS_OUT_FOLDED; break;
	case OPT_PPROF:
		if (!arg[0])
			return BAD_ARG(state, "--pprof needs a file name");
		cfg->pprof_path = arg;
		break;
	case OPT_LOG_FILE:
		if (!arg[0])
			return BAD_ARG(state, "--log-file needs a file name");
		cfg->log_path = arg;
		break;
	case OPT_ERROR_EXITCODE: return parse_error_exitcode(arg, state);
	case OPT_SCAN: cfg->scan_intervals = true; break;
	case OPT_NO_SCAN: cfg->scan = false; break;
	case OPT_SHOW_REACHABLE: cfg->show_reachable = true; break;
	case 'v': cfg->verbose = true; break;
	case '?':
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		return printed_stop(cfg);
	case OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE);
		return printed_stop(cfg);
	case 'V':
		printf("%s\n", LEAKSNOOP_VERSION);
		return printed_stop(cfg);
	case ARGP_KEY_ARG: return parse_duration(arg, state);
	case ARGP_KEY_END: return check_combinations(state);
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* "--" ends the options: what follows is the command, given to it as is
 * (argp never sees it, so its options stay its own). Returns the number of
 * arguments before "--", which becomes the end of argv for argp. */
static int split_command(int argc, char **argv, struct leaksnoop_config *cfg, bool *dash_dash)
{
	*dash_dash = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			if (i + 1 < argc)
				cfg->cmd = &argv[i + 1];
			argv[i] = NULL;
			*dash_dash = true;
			return i;
		}
	}
	return argc;
}

/* What is traced: the user side needs a process, the kernel side is on
 * unless --user. */
static void resolve_tracing(const struct parse_ctx *ctx)
{
	struct leaksnoop_config *cfg = ctx->cfg;
	bool has_target = cfg->pid || cfg->cmd || cfg->cgroup;

	cfg->user = has_target && !ctx->only_kernel;
	cfg->proc_set = cfg->nr_pids > 1 || cfg->follow || cfg->cgroup;
	cfg->kernel = !ctx->only_user;
}

int leaksnoop_parse_args(int argc, char **argv, struct leaksnoop_config *cfg)
{
	static const struct argp argp = { opts, parse_arg, "[DURATION]", doc, NULL, NULL, NULL };
	struct parse_ctx ctx = { .cfg = cfg };
	bool dash_dash;
	int nargs;
	error_t err;

	*cfg = defaults;
	nargs = split_command(argc, argv, cfg, &dash_dash);
	err = argparse_run(&argp, "leaksnoop", nargs, argv, &ctx);
	if (cfg->exit_now)
		return 0;
	if (err)
		return 2;
	if (dash_dash && !cfg->cmd) {
		fprintf(stderr, "leaksnoop: no command after --\n");
		return 2;
	}
	resolve_tracing(&ctx);
	return 0;
}
