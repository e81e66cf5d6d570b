// SPDX-License-Identifier: GPL-2.0
/* Fuzzes cgroup2_parse_proc_cgroup with /proc/PID/cgroup text. */
#include "fuzz.h"
#include "cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), path[32];

	if (cgroup2_parse_proc_cgroup(text, path, sizeof(path)) == 0)
		FUZZ_ASSERT(path[0] == '/' && strlen(path) < sizeof(path));
	free(text);
	return 0;
}
