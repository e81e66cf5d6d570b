// SPDX-License-Identifier: GPL-2.0
/* Fuzzes leaksnoop's command line (env_parse_args): the input is split on
 * NUL bytes into argv, argv[0] included, "--" and a command after it too.
 * The parser must never crash or exit, whatever the arguments, and what it
 * accepts must be a configuration main can run; its messages are thrown
 * away. */
#include <stdio.h>
#include "fuzz.h"
#include "env.h"
#include "options.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

/* argv pointing into text, one entry per NUL-separated piece, NULL-ended
 * as main() gets it. */
static char **split_args(char *text, size_t size, int *argc)
{
	size_t n = 1, i;
	char **argv;

	for (i = 0; i < size; i++)
		n += text[i] == '\0';
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		abort();
	argv[0] = text;
	for (i = 0, n = 1; i < size; i++)
		if (text[i] == '\0')
			argv[n++] = text + i + 1;
	*argc = (int)n;
	return argv;
}

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
	FILE *out = stdout, *err = stderr;
	char **argv;
	int argc, rc;

	argv = split_args(text, size, &argc);
	/* argp prints through the stdout/stderr streams; swapping the FILE
	 * pointers (not fds 1 and 2) silences it while sanitizer and libFuzzer
	 * reports, which write to fd 2, still show. */
	stdout = devnull;
	stderr = devnull;
	rc = env_parse_args(argc, argv);
	stdout = out;
	stderr = err;
	FUZZ_ASSERT(rc == 0 || rc == 2);
	/* argv[0] is the caller's again: argp only borrowed the slot */
	FUZZ_ASSERT(argv[0] == text);
	if (rc == 0 && !env.exit_now)
		check_env();
	free(argv);
	free(text);
	return 0;
}
