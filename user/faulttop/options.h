/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FAULTTOP_OPTIONS_H
#define FAULTTOP_OPTIONS_H

#define FAULTTOP_VERSION_NUMBER "0.1"

struct faulttop_config;

/* Fills *cfg from the command line, starting from the defaults.
 * Returns 0, or 2 after printing the error and a usage hint on stderr.
 * With --help/--version it prints them and sets cfg->exit_now. Never exits. */
int faulttop_parse_args(int argc, char **argv, struct faulttop_config *cfg);

#endif
