/* SPDX-License-Identifier: GPL-2.0 */
/* Unwind tables kept on disk between runs, by GNU build id (unwind_cache.c).
 *
 * Building the tables of a process that maps 300 of Debian's libraries
 * takes ~1.3 s of CPU (libdw interprets the CFI of every row); reading them
 * back is a file read per library. Two files with the same build id were
 * linked from the same code, so their CFI is the same. Files without a
 * build id are built every time. */
#ifndef MMSCOPE_UNWIND_CACHE_H
#define MMSCOPE_UNWIND_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include "unwind_table.h"

/* The default directory; MMSCOPE_UNWIND_CACHE=DIR picks another, "off"
 * (or an empty value) none. */
#define UW_CACHE_DEFAULT_DIR "/var/cache/mmscope/unwind"
#define UW_BUILD_ID_HEX (2 * 64 + 1)

struct uw_cache {
	char dir[4096];
	/* the build id of the program that builds the tables: a table is read
	 * back only by the binary that wrote it, so a change to the builder
	 * can never meet tables of the old one */
	char builder[UW_BUILD_ID_HEX];
};

/* Fills c from the environment (see above) and our own executable. false:
 * no cache (turned off, or we have no build id). */
bool uw_cache_open(struct uw_cache *c);

/* The GNU build id of the ELF file open at fd, in hex, into out (size at
 * least UW_BUILD_ID_HEX). false when it has none. */
bool uw_cache_build_id(int fd, char *out, size_t size);

/* Reads the table cached for build_id into t. 0, -ENOENT (not cached), or
 * -EINVAL when the cached file is not one this binary wrote whole (it is
 * then removed). */
int uw_cache_load(const struct uw_cache *c, const char *build_id, struct uw_table *t);

/* Writes t for build_id (creating the directory, mode 0700), atomically: a
 * reader sees the old file or the whole new one. 0 or -errno. */
int uw_cache_store(const struct uw_cache *c, const char *build_id, const struct uw_table *t);

#endif
