/* SPDX-License-Identifier: GPL-2.0 */
/* What the tools' argp parsers share: running argp so that it never exits
 * (the parsers are fuzzed) and never sees a hostile argv[0], and the number
 * parsing they have in common. */
#ifndef MMSCOPE_ARGPARSE_UTIL_H
#define MMSCOPE_ARGPARSE_UTIL_H

#include <argp.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

/* The whole of s is a decimal integer in [lo, hi]: stores it and returns
 * 0, else -EINVAL. */
int argparse_long(const char *s, long lo, long hi, long *out);

/* The whole of s is an unsigned integer at most hi, in any base strtoull's
 * base 0 takes (0x10, 020): stores it and returns 0, else -EINVAL. */
int argparse_ull(const char *s, unsigned long long hi, uint64_t *out);

/* The two for an option's argument: a bad one is reported as
 * "invalid WHAT: ARG" through argp_error. */
error_t argparse_long_opt(const char *arg, struct argp_state *state, const char *what,
			  long lo, long hi, long *out);
error_t argparse_ull_opt(const char *arg, struct argp_state *state, const char *what,
			 unsigned long long hi, uint64_t *out);

/* A PID list, the one rule of both tools and the TUI: comma-separated
 * decimal PIDs (1..INT_MAX), blanks around each allowed, no empty piece.
 * Returns how many went into pids (at least 1), -E2BIG when there are more
 * than max, or -EINVAL with *bad and *bad_len on the first piece that is not
 * a PID (*bad_len 0: an empty piece). */
int argparse_pid_list(const char *s, pid_t *pids, int max, const char **bad, size_t *bad_len);

#endif
