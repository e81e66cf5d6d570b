// SPDX-License-Identifier: GPL-2.0
/* Fuzzes procfs_parse_smaps with /proc/PID/smaps text: every VMA it returns
 * must be well-formed, and lookups in the list must agree with it. */
#include "fuzz.h"
#include "smaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct smaps_list l;

	if (procfs_parse_smaps(text, &l) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			const struct smaps_vma *v = &l.v[i];

			FUZZ_ASSERT(v->vma.start <= v->vma.end);
			/* a hit is a VMA that holds the address */
			if (v->vma.start < v->vma.end) {
				const struct smaps_vma *f = smaps_list_find(&l, v->vma.start);

				FUZZ_ASSERT(!f || (f->vma.start <= v->vma.start && v->vma.start < f->vma.end));
			}
		}
		FUZZ_ASSERT(smaps_list_index_above(&l, UINT64_MAX) == l.n);
		smaps_list_free(&l);
	}
	free(text);
	return 0;
}
