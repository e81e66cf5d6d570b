/* SPDX-License-Identifier: GPL-2.0 */
/* /proc/PID/smaps: every VMA's header line (as in /proc/PID/maps) and its
 * memory (Size = VSS, Rss, Pss, private and swapped bytes). Takes text, like
 * the other parsers in procfs.h, so it is unit-tested and fuzzed. */
#ifndef MMSCOPE_SMAPS_H
#define MMSCOPE_SMAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "procfs.h"

struct smaps_vma {
	struct vma vma;			/* the header line; vma.path owned */
	uint64_t size, rss, pss, swap;	/* bytes */
	uint64_t private_clean, private_dirty, private_hugetlb;
	uint64_t anonymous;
};

/* USS: the pages only this process maps. */
static inline uint64_t smaps_uss(const struct smaps_vma *s)
{
	return s->private_clean + s->private_dirty + s->private_hugetlb;
}

struct smaps_list {
	struct smaps_vma *v;		/* sorted by start, as the kernel gives them */
	size_t n, cap;
};

/* Parses the whole smaps text. A "Key: value" line belongs to the header
 * above it; lines before the first header, keys we don't use and lines
 * that don't parse are skipped. Returns 0 or -ENOMEM (out left empty). */
int procfs_parse_smaps(const char *text, struct smaps_list *out);
void smaps_list_free(struct smaps_list *l);
/* Binary search; NULL when addr is in no VMA. */
const struct smaps_vma *smaps_list_find(const struct smaps_list *l, uint64_t addr);
/* Index of the first VMA starting above addr (n when none). */
size_t smaps_list_index_above(const struct smaps_list *l, uint64_t addr);

/* Reads and parses /proc/PID/smaps: 0 or -errno (-ENOENT: gone). */
int procfs_read_pid_smaps(pid_t pid, struct smaps_list *out);

#endif
