// SPDX-License-Identifier: GPL-2.0
/* Fuzzes faulttop's command line (env_parse_args): the input is split on
 * NUL bytes into argv, argv[0] included. The parser must never crash or
 * exit, whatever the arguments; its messages are thrown away. */
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
