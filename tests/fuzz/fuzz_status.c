// SPDX-License-Identifier: GPL-2.0
/* Fuzzes procfs_parse_status with /proc/PID/status text ("Name:" is the
 * process's own choice). */
#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct proc_status ps;

	if (procfs_parse_status(text, &ps) == 0) {
		FUZZ_ASSERT(strnlen(ps.name, sizeof(ps.name)) <= PROC_COMM_LEN);
		FUZZ_ASSERT(ps.tgid >= 0 && ps.ppid >= 0);
	}
	free(text);
	return 0;
}
