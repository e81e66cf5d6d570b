/* SPDX-License-Identifier: GPL-2.0 */
/* Where the reports go: stdout, or --log-file's FILE (valgrind's name),
 * so that a command's own output stays its own. */
#ifndef LEAKSNOOP_REPORT_FILE_H
#define LEAKSNOOP_REPORT_FILE_H

#include <stdio.h>

/* stdout when log_path is NULL; else log_path created or truncated,
 * close-on-exec (the command never holds it). NULL after printing why. */
FILE *reports_open(const char *log_path);
/* Closes what reports_open gave: 0, or -1 after printing why the last
 * writes failed. */
int reports_close(FILE *out, const char *log_path);

#endif
