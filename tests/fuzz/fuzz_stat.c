// SPDX-License-Identifier: GPL-2.0
/* Fuzzes procfs_parse_stat with /proc/PID/stat text: a traced process picks
 * its own comm, so everything between the parentheses is hostile. */
#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct proc_stat st;

	if (procfs_parse_stat(text, &st) == 0) {
		/* the comm is always cut to fit, and terminated */
		FUZZ_ASSERT(strnlen(st.comm, sizeof(st.comm)) <= PROC_COMM_LEN);
		FUZZ_ASSERT(st.pid >= 0 && st.ppid >= 0);
	}
	free(text);
	return 0;
}
