// SPDX-License-Identifier: GPL-2.0
/* Fuzzes perfmap_parse with /tmp/perf-PID.map text (written by the traced
 * process's JIT: anything at all), then looks addresses up in the result. */
#include "fuzz.h"
#include "perfmap.h"

/* What the lookup returns must hold addr, and no later line may too. */
static void check_find(const struct perfmap *m, uint64_t addr)
{
	const struct perfmap_entry *e = perfmap_find(m, addr);

	if (!e)
		return;
	FUZZ_ASSERT(e->start <= addr && addr < e->end);
	for (size_t i = 0; i < m->n; i++)
		FUZZ_ASSERT(!(m->e[i].start <= addr && addr < m->e[i].end) || m->e[i].line <= e->line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perfmap m;

	if (perfmap_parse(fuzz_text(data, size), &m) != 0)
		return 0;
	for (size_t i = 0; i < m.n; i++) {
		FUZZ_ASSERT(m.e[i].start < m.e[i].end && m.e[i].name[0] != '\0');
		FUZZ_ASSERT(!strchr(m.e[i].name, '\n'));
		FUZZ_ASSERT(!i || m.e[i - 1].start <= m.e[i].start);
		check_find(&m, m.e[i].start);
		check_find(&m, m.e[i].end - 1);
		check_find(&m, m.e[i].end);
	}
	check_find(&m, 0);
	check_find(&m, UINT64_MAX);
	perfmap_free(&m);
	return 0;
}
