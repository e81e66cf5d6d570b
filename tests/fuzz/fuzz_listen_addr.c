// SPDX-License-Identifier: GPL-2.0
/* Fuzzes netaddr_parse (--listen ADDR:PORT) and prints what it parsed. */
#include "fuzz.h"
#include "netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), buf[64];
	struct sockaddr_storage ss;
	socklen_t len;

	if (netaddr_parse(text, &ss, &len) == 0)
		netaddr_format((struct sockaddr *)&ss, buf, sizeof(buf));
	free(text);
	return 0;
}
