/* SPDX-License-Identifier: GPL-2.0 */
/* What the tools' argp parsers share: running argp so that it never exits
 * (the parsers are fuzzed) and never sees a hostile argv[0], and the number
 * parsing they have in common. */
#ifndef MMSCOPE_ARGPARSE_UTIL_H
#define MMSCOPE_ARGPARSE_UTIL_H

#include <argp.h>
#include <errno.h>

/* argp runs with ARGP_NO_EXIT: an error is reported with argp_error and
 * turned into EINVAL, which stops the parse. */
#define BAD_ARG(state, ...) (argp_error(state, __VA_ARGS__), EINVAL)

/* argp_parse with ARGP_NO_EXIT | ARGP_NO_HELP (errors come back, and
 * help/version are the tool's own options, so nothing exits from inside the
 * parser) and with `name` standing in for argv[0] during the parse; argv[0]
 * is restored before returning. input is passed on as state->input.
 * Returns argp_parse's result. */
error_t argparse_run(const struct argp *argp, const char *name, int argc, char **argv,
		     void *input);

/* The whole of s is a decimal number in (0, max] (so not nan): stores it
 * and returns 0, else -EINVAL. */
int argparse_positive(const char *s, double max, double *out);

/* argparse_positive for an option's argument: a bad one is reported as
 * "invalid WHAT: ARG" through argp_error. */
error_t argparse_positive_opt(const char *arg, struct argp_state *state, const char *what,
			      double max, double *out);

#endif
