// SPDX-License-Identifier: GPL-2.0
/* Folded stacks: "[source:cache];outer;...;inner BYTES" per record, or
 * "[user:definite];..." once the user heap is classified; one process of
 * several (-p list, -f, --cgroup) has its "comm-PID" as the root frame. */
#include <inttypes.h>
#include "fmt.h"
#include "render.h"

void leak_render_folded(FILE *out, const struct leak_report *r)
{
	char name[192];

	for (size_t i = 0; i < r->nr_records; i++) {
		const struct leak_record *x = &r->records[i];
		const struct leak_frame *fr = leak_record_frames(r, x);

		if (r->meta.in_set) {
			char comm[sizeof(r->meta.comm)];

			/* ';' and ' ' are the format's own: never in a frame */
			fmt_printable(comm, sizeof(comm), r->meta.comm);
			for (char *c = comm; *c; c++)
				if (*c == ';' || *c == ' ')
					*c = '_';
			fprintf(out, "%s-%d;", comm, (int)r->meta.pid);
		}
		fprintf(out, "[%s%s%s]", leak_src_name(x->key.src),
			x->cache_name[0] || x->kind != LEAK_UNKNOWN ? ":" : "",
			x->kind != LEAK_UNKNOWN ? leak_kind_name(x->kind) : x->cache_name);
		for (size_t j = x->nr_frames; j-- > 0;)
			fprintf(out, ";%s", leak_frame_name(&fr[j], name, sizeof(name)));
		fprintf(out, " %" PRIu64 "\n", x->bytes);
	}
	fflush(out);
}
