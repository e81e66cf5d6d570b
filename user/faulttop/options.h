/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FAULTTOP_OPTIONS_H
#define FAULTTOP_OPTIONS_H

/* Fills the global env from the command line, starting from the defaults.
 * Returns 0, or 2 after printing the error and a usage hint on stderr.
 * With --help/--version it prints them and sets env.exit_now. Never exits. */
int env_parse_args(int argc, char **argv);

#endif
