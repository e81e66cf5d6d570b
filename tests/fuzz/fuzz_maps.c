// SPDX-License-Identifier: GPL-2.0
/* Fuzzes procfs_parse_maps with /proc/PID/maps text (paths are whatever
 * the process named its files, spaces and newlines included), then looks
 * addresses up in the result with vma_list_find. */
#include "fuzz.h"
#include "procfs.h"

/* Whatever the lookup returns must hold addr, even when the fuzzed listing
 * isn't sorted as the kernel's is (then it may miss, never lie). */
static void check_find(const struct vma_list *l, uint64_t addr)
{
	const struct vma *v = vma_list_find(l, addr);

	if (v)
		FUZZ_ASSERT(v->start <= addr && addr < v->end);
}

static void check_vma(const struct vma *v)
{
	FUZZ_ASSERT(v->start <= v->end);
	FUZZ_ASSERT((v->path == NULL) == (v->kind == VMA_ANON));
	if (v->path)
		FUZZ_ASSERT(v->path[0] != '\0' && !strchr(v->path, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct vma_list l = { 0 };
	size_t i;

	if (procfs_parse_maps(text, &l) == 0) {
		for (i = 0; i < l.n; i++) {
			check_vma(&l.v[i]);
			check_find(&l, l.v[i].start);
			check_find(&l, l.v[i].end - 1);
			check_find(&l, l.v[i].end);
		}
		check_find(&l, 0);
		check_find(&l, UINT64_MAX);
		vma_list_free(&l);
	}
	free(text);
	return 0;
}
