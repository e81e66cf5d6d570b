// SPDX-License-Identifier: GPL-2.0
/* Folded stacks: "[source:cache];outer;...;inner BYTES" per record, or
 * "[user:definite];..." once the user heap is classified. */
#include <inttypes.h>
#include "render.h"

void leak_render_folded(FILE *out, const struct leak_report *r)
{
	char name[192];

	for (size_t i = 0; i < r->nr_records; i++) {
		const struct leak_record *x = &r->records[i];
		const struct leak_frame *fr = leak_record_frames(r, x);

		fprintf(out, "[%s%s%s]", leak_src_name(x->key.src),
			x->cache_name[0] || x->kind != LEAK_UNKNOWN ? ":" : "",
			x->kind != LEAK_UNKNOWN ? leak_kind_name(x->kind) : x->cache_name);
		for (size_t j = x->nr_frames; j-- > 0;)
			fprintf(out, ";%s", leak_frame_name(&fr[j], name, sizeof(name)));
		fprintf(out, " %" PRIu64 "\n", x->bytes);
	}
	fflush(out);
}
