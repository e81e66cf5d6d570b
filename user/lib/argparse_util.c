// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the tools' command-line parsers (see argparse_util.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "argparse_util.h"

/* argp prints argv[0] in usage and error messages, and glibc's help
 * formatter (2.36, argp-fmtstream) crashes on some names with blanks in
 * them (found by fuzzing: 14 tabs, 68 letters, 2 tabs, then -h). Whoever
 * execs us picks argv[0], so argp gets the tool's own name instead. */
error_t argparse_run(const struct argp *argp, const char *name, int argc, char **argv,
		     void *input)
{
	char *argv0 = argc > 0 ? argv[0] : NULL;
	error_t err;

	/* argp and getopt only read argv[0]; the cast never leads to a write */
	if (argc > 0)
		argv[0] = (char *)name;
	err = argp_parse(argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, input);
	if (argc > 0)
		argv[0] = argv0;
	return err;
}

int argparse_positive(const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

error_t argparse_positive_opt(const char *arg, struct argp_state *state, const char *what,
			      double max, double *out)
{
	if (argparse_positive(arg, max, out))
		return BAD_ARG(state, "invalid %s: %s", what, arg);
	return 0;
}

int argparse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

int argparse_ull(const char *s, unsigned long long hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	/* strtoull takes "-1" as ULLONG_MAX: a sign is never a size */
	if (errno || end == s || *end || strchr(s, '-') || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

error_t argparse_long_opt(const char *arg, struct argp_state *state, const char *what,
			  long lo, long hi, long *out)
{
	if (argparse_long(arg, lo, hi, out))
		return BAD_ARG(state, "invalid %s: %s", what, arg);
	return 0;
}

error_t argparse_ull_opt(const char *arg, struct argp_state *state, const char *what,
			 unsigned long long hi, uint64_t *out)
{
	if (argparse_ull(arg, hi, out))
		return BAD_ARG(state, "invalid %s: %s", what, arg);
	return 0;
}

/* One piece of a PID list, blanks around it dropped. */
static int parse_pid_piece(const char *p, size_t len, pid_t *out)
{
	char tok[24];
	long v;

	while (len && isspace((unsigned char)*p))
		p++, len--;
	while (len && isspace((unsigned char)p[len - 1]))
		len--;
	if (!len || len >= sizeof(tok))
		return -EINVAL;
	memcpy(tok, p, len);
	tok[len] = '\0';
	if (!isdigit((unsigned char)tok[0]) || argparse_long(tok, 1, INT_MAX, &v))
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

int argparse_pid_list(const char *s, pid_t *pids, int max, const char **bad, size_t *bad_len)
{
	int n = 0;

	for (const char *p = s;; p++) {
		size_t len = strcspn(p, ",");
		pid_t pid;

		if (parse_pid_piece(p, len, &pid)) {
			*bad = p;
			*bad_len = len;
			/* the piece without its blanks (an all-blank one is empty) */
			while (*bad_len && isspace((unsigned char)**bad))
				(*bad)++, (*bad_len)--;
			while (*bad_len && isspace((unsigned char)(*bad)[*bad_len - 1]))
				(*bad_len)--;
			return -EINVAL;
		}
		if (n >= max)
			return -E2BIG;
		pids[n++] = pid;
		p += len;
		if (!*p)
			return n;
	}
}
