// SPDX-License-Identifier: GPL-2.0
/* Where the reports go (report_file.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "report_file.h"

/* Where the reports go: stdout, or --log-file's FILE, close-on-exec so
 * that the command never writes into it. NULL after printing why. */
FILE *reports_open(const char *log_path)
{
	FILE *f;

	if (!log_path)
		return stdout;
	f = fopen(log_path, "we");
	if (!f)
		fprintf(stderr, "leaksnoop: cannot write %s: %s\n", log_path, strerror(errno));
	return f;
}

/* 0, or -1 after printing why the file's last writes failed. */
int reports_close(FILE *out, const char *log_path)
{
	if (out == stdout || !fclose(out))
		return 0;
	fprintf(stderr, "leaksnoop: writing %s: %s\n", log_path, strerror(errno));
	return -1;
}
