// SPDX-License-Identifier: GPL-2.0
/* Fuzzes leaksnoop's command line (env_parse_args): the input is split on
 * NUL bytes into argv, argv[0] included, "--" and a command after it too.
 * The parser must never crash or exit, whatever the arguments, and what it
 * accepts must be a configuration main can run; its messages are thrown
 * away. */
#include "fuzz_args.h"
#include "env.h"
#include "options.h"

/* What main relies on once the parse succeeded. */
static void check_env(void)
{
	FUZZ_ASSERT(!(env.pid && env.cmd));
	FUZZ_ASSERT(env.pid >= 0);
	FUZZ_ASSERT(!env.cmd || env.cmd[0]);
	FUZZ_ASSERT(!(env.cmd && env.duration_s));
	FUZZ_ASSERT(env.duration_s >= 0 && env.interval_s >= 0);
	FUZZ_ASSERT(env.user || env.kernel);
	FUZZ_ASSERT(!env.user || env.pid || env.cmd);
	FUZZ_ASSERT(!env.max_size || env.min_size <= env.max_size);
	FUZZ_ASSERT(env.top >= 0);
	FUZZ_ASSERT(env.error_exitcode >= 0 && env.error_exitcode <= 255);
	FUZZ_ASSERT(env.max_allocs >= 1024 && env.max_allocs <= 1U << 26);
	FUZZ_ASSERT(env.mode == OUT_TEXT || env.mode == OUT_JSON || env.mode == OUT_FOLDED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	char **argv;
	int argc, rc;

	argv = fuzz_split_args(text, size, &argc);
	rc = fuzz_parse_silently(env_parse_args, argc, argv);
	FUZZ_ASSERT(rc == 0 || rc == 2);
	/* argv[0] is the caller's again: argp only borrowed the slot */
	FUZZ_ASSERT(argv[0] == text);
	if (rc == 0 && !env.exit_now)
		check_env();
	free(argv);
	free(text);
	return 0;
}
