// SPDX-License-Identifier: GPL-2.0
/* Fuzzes slabinfo_parse with /proc/slabinfo text. */
#include "fuzz.h"
#include "slabinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct slabinfo s;

	if (slabinfo_parse(text, &s) == 0) {
		for (size_t i = 0; i < s.n; i++) {
			FUZZ_ASSERT(s.v[i].active_objs <= s.v[i].num_objs);
			FUZZ_ASSERT(memchr(s.v[i].name, '\0', sizeof(s.v[i].name)));
		}
	}
	slabinfo_free(&s);
	free(text);
	return 0;
}
