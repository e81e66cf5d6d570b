/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LEAKSNOOP_OPTIONS_H
#define LEAKSNOOP_OPTIONS_H

struct leaksnoop_config;

/* Fills *cfg from the command line, starting from the defaults, down to
 * what is traced (cfg->user, cfg->kernel). Everything after "--" is the
 * command (cfg->cmd points into argv, whose "--" becomes NULL).
 * Returns 0, or 2 after printing the error (and a usage hint) on stderr.
 * With --help/--usage/--version it prints them and sets cfg->exit_now.
 * Never exits. */
int leaksnoop_parse_args(int argc, char **argv, struct leaksnoop_config *cfg);

#endif
