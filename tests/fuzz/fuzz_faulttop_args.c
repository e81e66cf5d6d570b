// SPDX-License-Identifier: GPL-2.0
/* Fuzzes faulttop's command line (env_parse_args): the input is split on
 * NUL bytes into argv, argv[0] included. The parser must never crash or
 * exit, whatever the arguments; its messages are thrown away. */
#include "fuzz_args.h"
#include "env.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	char **argv;
	int argc, rc;

	argv = fuzz_split_args(text, size, &argc);
	rc = fuzz_parse_silently(env_parse_args, argc, argv);
	FUZZ_ASSERT(rc == 0 || rc == 2);
	if (rc == 0 && !env.exit_now) {
		FUZZ_ASSERT(env.nr_pids >= 0 && env.nr_pids <= MAX_PIDS);
		FUZZ_ASSERT(env.sort >= 0 && env.sort < SORT_MAX);
		FUZZ_ASSERT(env.sample_pct >= 0 && env.sample_pct <= 100);
		FUZZ_ASSERT(env.interval_s > 0 && env.mem_interval_s > 0);
	}
	free(argv);
	free(text);
	return 0;
}
