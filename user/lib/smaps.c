// SPDX-License-Identifier: GPL-2.0
/* /proc/PID/smaps, text in, structs out. The header lines are maps lines
 * (procfs_parse_maps_line); the fields under each are "Key: N kB". */
#include "smaps.h"
#include "sorted.h"
#include "vec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where one key's value goes in a struct smaps_vma. */
struct smaps_field {
	const char *key;
	size_t len;
	size_t offset;
};

#define FIELD(k, m) { k, sizeof(k) - 1, offsetof(struct smaps_vma, m) }
static const struct smaps_field fields[] = {
	FIELD("Size", size),
	FIELD("Rss", rss),
	FIELD("Pss", pss),
	FIELD("Swap", swap),
	FIELD("Private_Clean", private_clean),
	FIELD("Private_Dirty", private_dirty),
	FIELD("Private_Hugetlb", private_hugetlb),
	FIELD("Anonymous", anonymous),
};

/* "Key: value" under the current header. Unknown keys and values that don't
 * parse leave the fields as they were (0). */
static void parse_field(const char *line, const char *end, struct smaps_vma *cur)
{
	const char *colon = memchr(line, ':', (size_t)(end - line));
	size_t keylen;
	uint64_t v;

	if (!colon)
		return;
	keylen = (size_t)(colon - line);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].len != keylen || memcmp(fields[i].key, line, keylen) != 0)
			continue;
		/* blanks, digits, " kB": it stops at the newline */
		if (procfs_parse_kv_value(colon + 1, &v))
			memcpy((char *)cur + fields[i].offset, &v, sizeof(v));
		return;
	}
}

static int push_vma(struct smaps_list *l, const struct vma *v)
{
	struct smaps_vma *nv = vec_reserve(l->v, &l->cap, l->n, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	l->v = nv;
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	l->v[l->n++].vma = *v;
	return 0;
}

int procfs_parse_smaps(const char *text, struct smaps_list *out)
{
	struct smaps_list l = { 0 };

	for (const char *p = text; *p; p = procfs_next_line(p)) {
		const char *end = procfs_line_end(p);
		struct vma v;
		int got = procfs_parse_maps_line(p, end, &v);

		if (got < 0 || (got > 0 && push_vma(&l, &v) < 0)) {
			if (got > 0)
				free(v.path);
			smaps_list_free(&l);
			*out = l;
			return -ENOMEM;
		}
		if (got == 0 && l.n)
			parse_field(p, end, &l.v[l.n - 1]);
	}
	*out = l;
	return 0;
}

void smaps_list_free(struct smaps_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].vma.path);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

size_t smaps_list_index_above(const struct smaps_list *l, uint64_t addr)
{
	if (!l || !l->v)
		return 0;
	return sorted_count_at_or_below(l->v, l->n, sizeof(l->v[0]),
					offsetof(struct smaps_vma, vma.start), addr);
}

const struct smaps_vma *smaps_list_find(const struct smaps_list *l, uint64_t addr)
{
	size_t i = smaps_list_index_above(l, addr);

	if (i == 0)
		return NULL;
	return addr < l->v[i - 1].vma.end ? &l->v[i - 1] : NULL;
}

int procfs_read_pid_smaps(pid_t pid, struct smaps_list *out)
{
	char path[64];
	char *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	text = procfs_slurp(path, NULL);
	if (!text)
		return -errno;
	err = procfs_parse_smaps(text, out);
	free(text);
	return err;
}
