// SPDX-License-Identifier: GPL-2.0
/* Fuzzes procfs_parse_meminfo with /proc/meminfo text. */
#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct meminfo mi;

	(void)procfs_parse_meminfo(text, &mi);
	free(text);
	return 0;
}
