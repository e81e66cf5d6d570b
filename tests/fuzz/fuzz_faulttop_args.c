// SPDX-License-Identifier: GPL-2.0
/* Fuzzes faulttop's command line (faulttop_parse_args): the input is split on
 * NUL bytes into argv, argv[0] included. The parser must never crash or
 * exit, whatever the arguments; its messages are thrown away. */
#include "fuzz_args.h"
#include "config.h"
#include "options.h"

static struct faulttop_config cfg;

static int parse(int argc, char **argv)
{
	return faulttop_parse_args(argc, argv, &cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	char **argv;
	int argc, rc;

	argv = fuzz_split_args(text, size, &argc);
	rc = fuzz_parse_silently(parse, argc, argv);
	FUZZ_ASSERT(rc == 0 || rc == 2);
	if (rc == 0 && !cfg.exit_now) {
		FUZZ_ASSERT(cfg.nr_pids >= 0 && cfg.nr_pids <= MAX_PIDS);
		FUZZ_ASSERT(cfg.sort >= 0 && cfg.sort < SORT_MAX);
		FUZZ_ASSERT(cfg.sample_pct >= 0 && cfg.sample_pct <= 100);
		FUZZ_ASSERT(cfg.interval_s > 0 && cfg.mem_interval_s > 0);
	}
	free(argv);
	free(text);
	return 0;
}
