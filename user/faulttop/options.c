// SPDX-License-Identifier: GPL-2.0
/* faulttop's command line: defaults and option parsing, apart from main so
 * that the parser can be unit-tested and fuzzed. */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "argparse_util.h"
#include "config.h"
#include "netaddr.h"
#include "options.h"
#include "view.h"

#define DEFAULT_SAMPLE_PCT 10

static const struct faulttop_config defaults = {
	.output = FT_OUT_TUI,
	.interval_s = 1.0,
	.sample_pct = DEFAULT_SAMPLE_PCT,
	.mem_interval_s = 5.0,
	.sort = SORT_MINFLT_RATE,
	.top_n = 100,
};

#define FAULTTOP_VERSION "faulttop " FAULTTOP_VERSION_NUMBER
static const char doc[] =
"faulttop: page faults per process, live.\n"
"\n"
"Minor and major fault counts are the kernel's own (exactly what\n"
"/proc/PID/stat says), read without a per-fault hook. Fault regions (text,\n"
"data, heap, stack, anon/file mmap) and access kinds come from a\n"
"page_fault_user hook attached part of the time (--sample) or always\n"
"(--precise); on arm64, which lacks it, from the perf fault events,\n"
"without access kinds. SIGSEGV is split into SEGV_MAPERR (no VMA) and SEGV_ACCERR\n"
"(permissions), with the last address and instruction pointer.\n"
"\n"
"USAGE: faulttop [-b|--json] [-d SECS] [-n COUNT] [-p PID,...] [-C COMM]\n"
"\n"
"EXAMPLES:\n"
"    faulttop                 # live view, sorted by minor faults/s\n"
"    faulttop -b -n 5         # five text frames, like top -b\n"
"    faulttop --json -d 2     # JSON Lines every 2 seconds\n"
"    faulttop -p 1234 -t      # threads of process 1234\n"
"    faulttop --precise -s majflt/s   # classify every fault\n"
"    faulttop --listen 127.0.0.1:9464 # Prometheus/OpenMetrics at /metrics\n"
"    faulttop --maps -p 1234 --precise   # its VMAs, each with its faults\n";

enum {
	OPT_JSON = 0x100, OPT_CGROUP, OPT_PRECISE, OPT_SAMPLE, OPT_MEM_INTERVAL, OPT_RINGBUF,
	OPT_MAX_THREADS, OPT_USAGE, OPT_LISTEN, OPT_TOP, OPT_MAPS,
};

static const struct argp_option opts[] = {
	{ "batch", 'b', NULL, 0, "Batch mode: plain text frames (default when stdout is not a terminal)", 0 },
	{ "json", OPT_JSON, NULL, 0, "Print one JSON object per interval (JSON Lines)", 0 },
	{ "delay", 'd', "SECS", 0, "Refresh interval in seconds (default 1)", 0 },
	{ "iterations", 'n', "COUNT", 0, "Exit after COUNT frames", 0 },
	{ "pid", 'p', "PID[,PID...]", 0, "Show only these processes (always, even idle)", 0 },
	{ "comm", 'C', "COMM", 0, "Show only processes whose name contains COMM", 0 },
	{ "cgroup", OPT_CGROUP, "PATH", 0, "Show only processes in this cgroup v2 (e.g. a container's)", 0 },
	{ "threads", 't', NULL, 0, "One row per thread instead of per process", 0 },
	{ "all", 'a', NULL, 0, "Batch/JSON: show idle processes too", 0 },
	{ "sort", 's', "KEY", 0, "Sort by pid, comm, minflt/s (default), majflt/s, minflt, majflt, "
	  "segv, mmap/s, brk/s, map+/s, vss, rss, pss, uss, uss/s", 0 },
	{ "reverse", 'r', NULL, 0, "Reverse the sort order", 0 },
	{ "max-rows", 'm', "N", 0, "Batch/JSON: at most N rows per frame", 0 },
	{ "precise", OPT_PRECISE, NULL, 0, "Classify every fault (the hook always attached; costs ~15% on a fault storm)", 0 },
	{ "sample", OPT_SAMPLE, "PCT", 0, "Attach the classifying hook PCT% of the time (default 10; 0 = off)", 0 },
	{ "mem-interval", OPT_MEM_INTERVAL, "SECS", 0, "Re-read a process's RSS/PSS/USS at most this often (default 5)", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "BYTES", 0, "Ring buffer size, a power of 2 >= 4096 (default 8 MiB)", 0 },
	{ "max-threads", OPT_MAX_THREADS, "N", 0, "Threads with per-thread BPF counters at once (default 32768)", 0 },
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0, "Serve Prometheus/OpenMetrics metrics on ADDR:PORT at /metrics, "
	  "no TUI (batch/JSON only if asked); no authentication: keep it on localhost or behind a proxy", 0 },
	{ "top", OPT_TOP, "N", 0, "--listen: per-process series for the N processes with the most faults "
	  "(default 100), plus the -p PIDs; per-cgroup series cover every process", 0 },
	{ "maps", OPT_MAPS, NULL, 0, "With one -p PID: its VMAs (like pmap -X, from /proc/PID/smaps) "
	  "with each VMA's minor/major and read/write/exec/protection faults, and its last SEGV "
	  "placed among them; in the TUI, the process screen (Enter on a row)", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose debug output (libbpf log)", 0 },
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Show a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print the version", -1 },
	{},
};

/* Seconds (delay, memory interval): up to 1e6, about 11 days. */
#define MAX_SECS 1e6

static error_t parse_int(const char *arg, struct argp_state *state, const char *what,
			 long lo, long hi, int *out)
{
	long v = 0;
	error_t err = argparse_long_opt(arg, state, what, lo, hi, &v);

	*out = (int)v;
	return err;
}

static error_t parse_u32(const char *arg, struct argp_state *state, const char *what,
			 long lo, long hi, uint32_t *out)
{
	long v = 0;
	error_t err = argparse_long_opt(arg, state, what, lo, hi, &v);

	*out = (uint32_t)v;
	return err;
}

/* The kernel wants a power of two, a multiple of the page size. */
static error_t parse_ringbuf_size(const char *arg, struct argp_state *state)
{
	struct faulttop_config *cfg = state->input;
	error_t err = parse_u32(arg, state, "ring buffer size", 4096, 1L << 30, &cfg->ringbuf_bytes);

	if (!err && (cfg->ringbuf_bytes & (cfg->ringbuf_bytes - 1)))
		return BAD_ARG(state, "ring buffer size must be a power of 2: %s", arg);
	return err;
}

/* -p 12,34 (and -p again adds more). */
static error_t parse_pids(const char *arg, struct argp_state *state)
{
	struct faulttop_config *cfg = state->input;
	const char *bad = NULL;
	size_t bad_len = 0;
	int n = argparse_pid_list(arg, cfg->pids + cfg->nr_pids, MAX_PIDS - cfg->nr_pids, &bad,
				  &bad_len);

	if (n == -E2BIG)
		return BAD_ARG(state, "too many PIDs (at most %d)", MAX_PIDS);
	if (n < 0 && !bad_len)
		return BAD_ARG(state, "invalid PID list: '%s'", arg);
	if (n < 0)
		return BAD_ARG(state, "invalid PID: %.*s", (int)bad_len, bad);
	cfg->nr_pids += n;
	return 0;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct faulttop_config *cfg = state->input;
	long count = 0;
	error_t err;
	int sort;

	switch (key) {
	case 'b': cfg->output = FT_OUT_BATCH; break;
	case OPT_JSON: cfg->output = FT_OUT_JSON; break;
	case 'd': return argparse_positive_opt(arg, state, "delay", MAX_SECS, &cfg->interval_s);
	case 'n':
		err = argparse_long_opt(arg, state, "count", 1, LONG_MAX, &count);
		cfg->count = count;
		return err;
	case 'p': return parse_pids(arg, state);
	case 'C': cfg->comm = arg; break;
	case OPT_CGROUP: cfg->cgroup_path = arg; break;
	case 't': cfg->threads = true; break;
	case 'a': cfg->all = true; break;
	case 's':
		sort = sort_key_parse(arg);
		if (sort < 0)
			return BAD_ARG(state, "unknown sort key: %s", arg);
		cfg->sort = (enum sort_key)sort;
		break;
	case 'r': cfg->sort_ascending = true; break;
	case 'm': return parse_int(arg, state, "row count", 1, INT_MAX, &cfg->max_rows);
	case OPT_PRECISE: cfg->sample_pct = 100; break;
	case OPT_SAMPLE: return parse_int(arg, state, "sample percentage", 0, 100, &cfg->sample_pct);
	case OPT_MEM_INTERVAL:
		return argparse_positive_opt(arg, state, "memory interval", MAX_SECS, &cfg->mem_interval_s);
	case OPT_RINGBUF: return parse_ringbuf_size(arg, state);
	case OPT_MAX_THREADS: return parse_u32(arg, state, "thread count", 1, 1 << 22, &cfg->max_threads);
	case OPT_LISTEN:
		if (netaddr_parse(arg, &cfg->listen_addr, &cfg->listen_len))
			return BAD_ARG(state, "invalid listen address (want ADDR:PORT, [IPV6]:PORT or localhost:PORT): %s", arg);
		cfg->listen = true;
		break;
	case OPT_TOP: return parse_int(arg, state, "process count", 0, 1 << 20, &cfg->top_n);
	case OPT_MAPS: cfg->maps = true; break;
	case 'v': cfg->verbose = true; break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		cfg->exit_now = true;
		break;
	case OPT_USAGE:	/* argp's error hint names --usage: keep the promise */
		argp_state_help(state, stdout, ARGP_HELP_USAGE);
		cfg->exit_now = true;
		break;
	case 'V':
		printf("%s\n", FAULTTOP_VERSION);
		cfg->exit_now = true;
		break;
	case ARGP_KEY_ARG: return BAD_ARG(state, "unexpected argument: %s", arg);
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int faulttop_parse_args(int argc, char **argv, struct faulttop_config *cfg)
{
	static const struct argp argp = { opts, parse_arg, NULL, doc, NULL, NULL, NULL };

	*cfg = defaults;
	/* -h/--help/--usage/-V are ours (argparse_run passes ARGP_NO_HELP), so
	 * nothing exits from inside the parser; argp sees "faulttop" as argv[0] */
	if (argparse_run(&argp, "faulttop", argc, argv, cfg))
		return 2;
	if (cfg->maps && cfg->nr_pids != 1) {
		fprintf(stderr, "faulttop: --maps needs exactly one -p PID\n");
		return 2;
	}
	if (cfg->listen && cfg->output == FT_OUT_TUI)
		cfg->output = FT_OUT_NONE;	/* headless: the metrics are the output */
	return 0;
}
