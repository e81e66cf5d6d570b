// SPDX-License-Identifier: GPL-2.0
/* Fuzzes procfs_parse_smaps_rollup with /proc/PID/smaps_rollup text. */
#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct mem_rollup r;

	(void)procfs_parse_smaps_rollup(text, &r);
	free(text);
	return 0;
}
