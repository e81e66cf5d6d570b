// SPDX-License-Identifier: GPL-2.0
/* Fuzzes leaksnoop's command line (leaksnoop_parse_args): the input is split on
 * NUL bytes into argv, argv[0] included, "--" and a command after it too.
 * The parser must never crash or exit, whatever the arguments, and what it
 * accepts must be a configuration main can run; its messages are thrown
 * away. */
#include "fuzz_args.h"
#include "config.h"
#include "options.h"

static struct leaksnoop_config cfg;

static int parse(int argc, char **argv)
{
	return leaksnoop_parse_args(argc, argv, &cfg);
}

/* What main relies on once the parse succeeded. */
static void check_config(void)
{
	FUZZ_ASSERT(!(cfg.pid && cfg.cmd));
	FUZZ_ASSERT(cfg.pid >= 0);
	FUZZ_ASSERT(!cfg.cmd || cfg.cmd[0]);
	FUZZ_ASSERT(!(cfg.cmd && cfg.duration_s));
	FUZZ_ASSERT(cfg.duration_s >= 0 && cfg.interval_s >= 0);
	FUZZ_ASSERT(cfg.user || cfg.kernel);
	FUZZ_ASSERT(!cfg.user || cfg.pid || cfg.cmd || cfg.cgroup);
	FUZZ_ASSERT(cfg.nr_pids >= 0 && cfg.nr_pids <= LS_MAX_PIDS);
	FUZZ_ASSERT(!cfg.nr_pids || cfg.pids[0] == cfg.pid);
	FUZZ_ASSERT(!cfg.pid == !cfg.nr_pids);
	for (int i = 0; i < cfg.nr_pids; i++)
		FUZZ_ASSERT(cfg.pids[i] > 0);
	FUZZ_ASSERT(!cfg.cgroup || (!cfg.pid && !cfg.cmd));
	FUZZ_ASSERT(!cfg.follow || cfg.pid || cfg.cmd);
	FUZZ_ASSERT(cfg.proc_set == (cfg.nr_pids > 1 || cfg.follow || cfg.cgroup));
	FUZZ_ASSERT(!cfg.max_size || cfg.min_size <= cfg.max_size);
	FUZZ_ASSERT(cfg.top >= 0);
	FUZZ_ASSERT(cfg.error_exitcode >= 0 && cfg.error_exitcode <= 255);
	/* 0: sized from MemAvailable at load (attach.c) */
	FUZZ_ASSERT(!cfg.max_allocs || (cfg.max_allocs >= 1024 && cfg.max_allocs <= 1U << 26));
	FUZZ_ASSERT(cfg.output == LS_OUT_TEXT || cfg.output == LS_OUT_JSON ||
		    cfg.output == LS_OUT_FOLDED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	char **argv;
	int argc, rc;

	argv = fuzz_split_args(text, size, &argc);
	rc = fuzz_parse_silently(parse, argc, argv);
	FUZZ_ASSERT(rc == 0 || rc == 2);
	/* argv[0] is the caller's again: argp only borrowed the slot */
	FUZZ_ASSERT(argv[0] == text);
	if (rc == 0 && !cfg.exit_now)
		check_config();
	free(argv);
	free(text);
	return 0;
}
