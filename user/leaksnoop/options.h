/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LEAKSNOOP_OPTIONS_H
#define LEAKSNOOP_OPTIONS_H

/* Fills the global env from the command line, starting from the defaults,
 * down to what is traced (env.user, env.kernel). Everything after "--" is
 * the command (env.cmd points into argv, whose "--" becomes NULL).
 * Returns 0, or 2 after printing the error (and a usage hint) on stderr.
 * With --help/--usage/--version it prints them and sets env.exit_now.
 * Never exits. */
int env_parse_args(int argc, char **argv);

#endif
