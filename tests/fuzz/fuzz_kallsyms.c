// SPDX-License-Identifier: GPL-2.0
/* Fuzzes ksyms_parse with /proc/kallsyms text (module names come from
 * whoever loaded the module), then resolves addresses in the table. */
#include "fuzz.h"
#include "symbolize.h"

static void check_resolve(const struct ksyms *k, uint64_t addr)
{
	uint64_t offset = UINT64_MAX;
	const char *name = ksyms_resolve(k, addr, &offset);

	if (!name)
		return;
	/* a name, and a symbol start at or below addr */
	FUZZ_ASSERT(name[0] != '\0' && offset <= addr);
	/* lookups by name see every symbol (names may repeat: no more) */
	(void)ksyms_address(k, name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t addrs[] = {
		0, 1, 0xffffffff81000000ULL, 0xffffffffc0000000ULL, UINT64_MAX,
	};
	char *text = fuzz_text(data, size);
	struct ksyms *k = ksyms_parse(text);
	size_t i;

	free(text);	/* the table keeps its own copy */
	if (!k)
		return 0;
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		check_resolve(k, addrs[i]);
	/* an address taken from the input: lands inside its symbols */
	if (size >= 8) {
		uint64_t a;

		memcpy(&a, data + size - 8, sizeof(a));
		check_resolve(k, a);
	}
	(void)ksyms_address(k, "_stext");
	ksyms_free(k);
	return 0;
}
