/* SPDX-License-Identifier: GPL-2.0 */
/* A JIT's perf map, /tmp/perf-PID.map: the names of code generated at run
 * time, in the text format perf reads (node --perf-basic-prof, the JVM's
 * perf-map-agent, LuaJIT, .NET's DOTNET_PerfMapEnabled, CPython 3.12's
 * -X perf). One line per code object:
 *     START SIZE NAME
 * START and SIZE in hex (0x optional), NAME the rest of the line (spaces
 * allowed). A JIT appends as it compiles; code freed and its address reused
 * gets a new line, so where lines overlap the later one is the one that
 * holds now. */
#ifndef MMSCOPE_PERFMAP_H
#define MMSCOPE_PERFMAP_H

#include <stddef.h>
#include <stdint.h>

struct perfmap_entry {
	uint64_t start, end;	/* [start, end) */
	const char *name;	/* into the map's text */
	uint32_t line;		/* its line in the file, from 0: later wins */
};

struct perfmap {
	struct perfmap_entry *e;	/* sorted by start, then line */
	uint64_t *max_end;		/* max end of e[0..i], for the lookup */
	size_t n;
	size_t bad_lines;		/* lines that didn't parse, skipped */
	char *text;			/* owned: the names point into it */
};

/* Parses text (taking ownership of it, malloc'd and NUL-terminated) into
 * out. 0, or -ENOMEM (text freed, out empty). */
int perfmap_parse(char *text, struct perfmap *out);
/* Reads and parses the file at path. 0, or -errno (-ENOENT: no map). */
int perfmap_read(const char *path, struct perfmap *out);
void perfmap_free(struct perfmap *m);

/* The code object holding addr: of the lines that cover it, the last one
 * written. NULL when none does, or when finding out would take more than a
 * few thousand steps (a map whose objects overlap by the thousand): the
 * caller then says it doesn't know, never a stale name. */
const struct perfmap_entry *perfmap_find(const struct perfmap *m, uint64_t addr);

#endif
