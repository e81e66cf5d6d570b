// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the tools' command-line parsers (see argparse_util.h). */
#include <errno.h>
#include <stdlib.h>
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
