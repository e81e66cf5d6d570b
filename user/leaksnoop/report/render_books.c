// SPDX-License-Identifier: GPL-2.0
/* The books' block of a report (books.h), in text and JSON: only prints. */
#include <inttypes.h>
#include <stdio.h>
#include "books.h"
#include "json.h"

#define MIB (1024.0 * 1024.0)

static void text_unaccounted(FILE *f, const struct books_explained *b)
{
	fprintf(f, "  unaccounted %+.1f MiB during the trace (jitter %.1f MiB); ",
		(double)b->unaccounted / MIB, (double)b->jitter / MIB);
	if (!b->share_known) {
		fprintf(f, "share explained unknown: %s (outstanding page allocations: %.1f MiB)\n",
			b->why, (double)b->page_bytes / MIB);
		return;
	}
	fprintf(f, "outstanding page allocations explain %.0f%%%s", 100.0 * b->share,
		b->nr_sites ? ":" : "");
	for (int i = 0; i < b->nr_sites; i++)
		fprintf(f, "%s %s %.1f MiB", i ? "," : "", b->sites[i].name,
			(double)b->sites[i].bytes / MIB);
	fprintf(f, "\n");
}

static void text_cache(FILE *f, const struct books_cache *c)
{
	fprintf(f, "  slab cache %s %+" PRId64 " objects (%+.1f MiB) during the trace; ", c->name,
		c->objs, (double)c->bytes / MIB);
	if (c->share_known)
		fprintf(f, "traced outstanding %s blocks explain %.0f%% (%" PRIu64 ")\n", c->name,
			100.0 * c->share, c->traced_blocks);
	else
		fprintf(f, "share explained unknown: %s\n", c->why);
}

void books_render_text(FILE *f, const struct books_explained *b)
{
	if (!b)
		return;
	if (!b->available) {
		fprintf(f, "\nBOOKS: not available (%s)\n", b->error);
		return;
	}
	fprintf(f, "\nBOOKS (/proc/meminfo and /proc/slabinfo over %.1f s of the trace)\n", b->span_s);
	text_unaccounted(f, b);
	if (b->other_bucket_bytes || b->no_stack_bytes)
		fprintf(f, "  not counted: %.1f MiB of page allocations in other buckets (slab, vmalloc, "
			"page tables), %.1f MiB without a stack\n", (double)b->other_bucket_bytes / MIB,
			(double)b->no_stack_bytes / MIB);
	if (b->slab_why)
		fprintf(f, "  slab caches: not compared (%s)\n", b->slab_why);
	for (int i = 0; i < b->nr_caches; i++)
		text_cache(f, &b->caches[i]);
}

/* share, or null with why */
static void json_share(struct json *j, bool known, double share, const char *why)
{
	if (known)
		json_f64(j, "share_explained", share);
	else
		json_null(j, "share_explained");
	json_str(j, "unknown_why", known ? NULL : why);
}

static void json_caches(struct json *j, const struct books_explained *b)
{
	json_arr_begin(j, "slab_caches");
	for (int i = 0; i < b->nr_caches; i++) {
		const struct books_cache *c = &b->caches[i];

		json_obj_begin(j, NULL);
		json_str(j, "cache", c->name);
		json_i64(j, "change_objects", c->objs);
		json_i64(j, "change_bytes", c->bytes);
		json_i64(j, "jitter_objects", c->jitter_objs);
		json_u64(j, "traced_blocks", c->traced_blocks);
		json_share(j, c->share_known, c->share, c->why);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void books_render_json(struct json *j, const struct books_explained *b)
{
	if (!b) {
		json_null(j, "books");
		return;
	}
	json_obj_begin(j, "books");
	json_bool(j, "available", b->available);
	if (!b->available) {
		json_str(j, "error", b->error);
		json_obj_end(j);
		return;
	}
	json_f64(j, "span_s", b->span_s);
	json_obj_begin(j, "unaccounted");
	json_i64(j, "change_bytes", b->unaccounted);
	json_i64(j, "jitter_bytes", b->jitter);
	json_u64(j, "page_bytes", b->page_bytes);
	json_u64(j, "other_bucket_page_bytes", b->other_bucket_bytes);
	json_u64(j, "no_stack_page_bytes", b->no_stack_bytes);
	json_share(j, b->share_known, b->share, b->why);
	json_arr_begin(j, "sites");
	for (int i = 0; i < b->nr_sites; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "site", b->sites[i].name);
		json_u64(j, "bytes", b->sites[i].bytes);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	json_str(j, "slab_error", b->slab_why);
	json_caches(j, b);
	json_obj_end(j);
}
