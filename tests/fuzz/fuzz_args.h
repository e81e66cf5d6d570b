/* SPDX-License-Identifier: GPL-2.0 */
/* What the command-line harnesses share: the input split into argv, and a
 * parser call with its messages thrown away. */
#ifndef MMSCOPE_FUZZ_ARGS_H
#define MMSCOPE_FUZZ_ARGS_H

#include <stdio.h>
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

static FILE *fuzz_devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_devnull = fopen("/dev/null", "w");
	if (!fuzz_devnull)
		abort();
	return 0;
}

/* argv pointing into text, one entry per NUL-separated piece, NULL-ended
 * as main() gets it. */
static char **fuzz_split_args(char *text, size_t size, int *argc)
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

/* argp prints through the stdout/stderr streams; swapping the FILE pointers
 * (not fds 1 and 2) silences it while sanitizer and libFuzzer reports, which
 * write to fd 2, still show. */
static int fuzz_parse_silently(int (*parse)(int, char **), int argc, char **argv)
{
	FILE *out = stdout, *err = stderr;
	int rc;

	stdout = fuzz_devnull;
	stderr = fuzz_devnull;
	rc = parse(argc, argv);
	stdout = out;
	stderr = err;
	return rc;
}

#endif
