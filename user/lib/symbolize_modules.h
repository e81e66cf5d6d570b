// SPDX-License-Identifier: GPL-2.0
/* Handing a process's mapped ELF files to libdwfl (symbolize_modules.c):
 * the part of a symbolizer snapshot that opens files. */
#ifndef MMSCOPE_SYMBOLIZE_MODULES_H
#define MMSCOPE_SYMBOLIZE_MODULES_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <sys/types.h>
#include "procfs.h"

/* Reports to dwfl every ELF file with code and the vDSO that l (pid's
 * mappings) has and dwfl doesn't yet, keeping what was reported before.
 * Files are opened under root (pid's root directory: "/proc/PID/root", or
 * a path that stays valid after pid is gone), through /proc/PID/map_files
 * when deleted or replaced; their symbols and DWARF are opened now when
 * eager, else on first use. 0 or -errno. */
int usym_report_modules(Dwfl *dwfl, pid_t pid, const char *root, const struct vma_list *l,
			bool eager);

/* Inside dwfl_report_begin_add: hands the open ELF file fd, whose lowest
 * mapping is lowest, to dwfl, which then owns fd (closed in dwfl_end); if it
 * can't be reported, fd is closed. */
void usym_report_fd(Dwfl *dwfl, const char *name, const char *file_name, int fd,
		    const struct vma *lowest);

/* Closes a dwfl_report_begin_add and (eager) opens the symbols and DWARF
 * of what was added. 0 or -EIO. */
int usym_report_end(Dwfl *dwfl, bool eager);

#endif
