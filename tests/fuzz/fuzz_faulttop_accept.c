// SPDX-License-Identifier: GPL-2.0
/* Fuzzes prom_negotiate with the Accept header a scraper sends. */
#include "fuzz.h"
#include "view_prom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	enum prom_format f = prom_negotiate(text);

	FUZZ_ASSERT(f == PROM_TEXT || f == PROM_OPENMETRICS);
	free(text);
	return 0;
}
