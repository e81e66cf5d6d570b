// SPDX-License-Identifier: GPL-2.0
/* Fuzzes memstat_parse_buddyinfo with /proc/buddyinfo text. */
#include "fuzz.h"
#include "memstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct buddyinfo b;

	if (memstat_parse_buddyinfo(text, &b) == 0) {
		FUZZ_ASSERT(b.n <= MEM_MAX_ZONES);
		for (int i = 0; i < b.n; i++) {
			FUZZ_ASSERT(b.z[i].nr_orders > 0 && b.z[i].nr_orders <= BUDDY_MAX_ORDERS);
			(void)buddy_zone_free_pages(&b.z[i]);
		}
	}
	free(text);
	return 0;
}
