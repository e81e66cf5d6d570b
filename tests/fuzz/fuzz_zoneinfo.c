// SPDX-License-Identifier: GPL-2.0
/* Fuzzes memstat_parse_zoneinfo with /proc/zoneinfo text, and the books
 * (memacct_books) and vmstat's nr_zspages on the same bytes read as
 * /proc/meminfo and /proc/vmstat: Σ buckets == MemTotal whatever the text. */
#include "fuzz.h"
#include "memacct.h"
#include "memstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct zoneinfo z;
	struct meminfo mi;
	struct mem_books b = {};
	struct mem_env env = { .page_size = 4096, .vmap_stack = true };

	if (memstat_parse_zoneinfo(text, &z) == 0)
		FUZZ_ASSERT(z.n <= MEM_MAX_ZONES);
	env.has_zspages = memstat_parse_vmstat_zspages(text, &env.zspages) == 0;
	if (procfs_parse_meminfo(text, &mi) == 0) {
		uint64_t sum = 0;

		memacct_books(&mi, &env, &b);
		for (int k = 0; k < MB_NR; k++)
			sum += (uint64_t)b.bucket[k];
		FUZZ_ASSERT(sum == mi.mem_total);
	}
	free(text);
	return 0;
}
