/* SPDX-License-Identifier: GPL-2.0 */
/* /proc/slabinfo (format 2.1, SLUB): what the kernel says each slab cache
 * holds. Text in, structs out (tests/unit/test_slabinfo.c,
 * tests/fuzz/fuzz_slabinfo.c); slabinfo_read() is the only part that
 * touches /proc.
 *
 * What "active" means under SLUB (mm/slub.c get_slabinfo): the cache's
 * objects minus the free ones on the nodes' partial lists. Free objects on
 * a CPU's slab, its partial slabs and (6.18+) its sheaves count as active,
 * so active_objs is an upper bound of the objects in use, not their count,
 * and it moves by up to a few slabs per CPU with nothing allocated. */
#ifndef MMSCOPE_SLABINFO_H
#define MMSCOPE_SLABINFO_H

#include <stddef.h>
#include <stdint.h>

#define SLABINFO_NAME_LEN 64

struct slabinfo_cache {
	char name[SLABINFO_NAME_LEN];	/* as the kernel prints it (no spaces) */
	uint64_t active_objs, num_objs;
	uint64_t objsize, objperslab, pagesperslab;
	uint64_t active_slabs, num_slabs;
};

struct slabinfo {
	struct slabinfo_cache *v;	/* in the file's order */
	size_t n;
};

/* Parses the text of /proc/slabinfo into out (emptied first; free it with
 * slabinfo_free). 0; -EINVAL when the text is not slabinfo 2.x or a cache
 * line is malformed (out is then empty); -ENOMEM. */
int slabinfo_parse(const char *text, struct slabinfo *out);

/* slabinfo_parse() of /proc/slabinfo (readable by root only). 0 or -errno. */
int slabinfo_read(struct slabinfo *out);

/* The cache called name, or NULL. */
const struct slabinfo_cache *slabinfo_find(const struct slabinfo *s, const char *name);

void slabinfo_free(struct slabinfo *s);

#endif
