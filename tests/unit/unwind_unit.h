/* SPDX-License-Identifier: GPL-2.0 */
/* What the unwind tables' unit tests (test_unwind_*.c) share. */
#ifndef MMSCOPE_UNWIND_UNIT_H
#define MMSCOPE_UNWIND_UNIT_H

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include "unwind_table.h"

/* The table of the ELF file at path; false when it has none. */
static inline bool build_for(const char *path, struct uw_table *t)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err;

	memset(t, 0, sizeof(*t));
	if (fd < 0)
		return false;
	err = uw_table_build_fd(fd, t);
	close(fd);
	return err == 0;
}

#endif
