// SPDX-License-Identifier: GPL-2.0
/* Fuzzes memstat_parse_slabinfo with /proc/slabinfo text. */
#include "fuzz.h"
#include "memstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct slabinfo s = {};

	if (memstat_parse_slabinfo(text, &s) == 0)
		for (size_t i = 0; i < s.n; i++) {
			FUZZ_ASSERT(s.c[i].name[0] != '\0');
			(void)slab_cache_bytes(&s.c[i], 4096);
		}
	slabinfo_free(&s);
	free(text);
	return 0;
}
