// SPDX-License-Identifier: GPL-2.0
/* One JSON object per report (JSON Lines). */
#include <stddef.h>
#include "books.h"
#include "json.h"
#include "render.h"

static const char *const stat_names[STAT_MAX] = {
	[STAT_ALLOC_MAP_FULL] = "alloc_table_full", [STAT_INFLIGHT_FULL] = "inflight_lost",
	[STAT_AGG_MAP_FULL] = "agg_table_full", [STAT_STACK_FAIL] = "stack_failures",
	[STAT_UNKNOWN_FREE] = "unknown_frees", [STAT_FAILED_ALLOC] = "failed_allocations",
	[STAT_BRK_GROW] = "brk_grow_bytes", [STAT_BRK_SHRINK] = "brk_shrink_bytes",
	[STAT_OWN_FOOTPRINT] = "own_probe_allocations", [STAT_PROCS_FULL] = "processes_not_traced",
	[STAT_BATCH_FREE] = "kfree_rcu_batch_frees",
	[STAT_OWN_BPF] = "own_bpf_allocations", [STAT_FREE_BUSY] = "kernel_frees_not_applied",
	[STAT_SCAN_LOG_LOST] = "scan_log_lost",
};

/* Caches whose frees are not all seen (kcache_check.h): their blocks are
 * not among the records. */
static void json_unseen_caches(struct json *j, const struct leak_report *r)
{
	json_arr_begin(j, "kernel_caches_frees_unseen");
	for (size_t i = 0; i < r->nr_unseen; i++) {
		const struct kcache_unseen *c = &r->unseen[i];

		json_obj_begin(j, NULL);
		json_str(j, "cache", c->name);
		json_u64(j, "held_blocks", c->held_blocks);
		json_u64(j, "held_bytes", c->held_bytes);
		json_u64(j, "allocated", c->allocated);
		json_u64(j, "missed_frees", c->missed);
		if (c->slab_active >= 0)
			json_i64(j, "slabinfo_active_objs", c->slab_active);
		else
			json_null(j, "slabinfo_active_objs");
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_frames(struct json *j, const struct leak_frame *fr, size_t nf)
{
	char text[384];

	json_arr_begin(j, "frames");
	for (size_t i = 0; i < nf; i++) {
		json_obj_begin(j, NULL);
		json_u64(j, "addr", fr[i].addr);
		json_str(j, "func", fr[i].sym.func);
		json_str(j, "file", fr[i].sym.file);
		if (fr[i].sym.file)
			json_i64(j, "line", fr[i].sym.line);
		json_str(j, "module", fr[i].sym.module);
		json_bool(j, "inlined", fr[i].sym.inlined);
		json_bool(j, "jit", fr[i].sym.jit);
		json_str(j, "text", leak_frame_text(&fr[i], text, sizeof(text)));
		json_obj_end(j);
	}
	json_arr_end(j);
}

#define TOTAL(member, key) JSON_U64_FIELD(struct ls_agg, member, key)
/* a record's totals and a source's summary: allocated and freed so far */
static const struct json_u64_field totals_fields[] = {
	TOTAL(alloc_bytes, "allocated_bytes"), TOTAL(alloc_count, "allocated_blocks"),
	TOTAL(free_bytes, "freed_bytes"), TOTAL(free_count, "freed_blocks"),
};
#undef TOTAL

static void json_record(struct json *j, const struct leak_report *r, const struct leak_record *x)
{
	const struct leak_frame *fr = leak_record_frames(r, x);
	char site[384];

	json_obj_begin(j, NULL);
	json_str(j, "source", leak_src_name(x->key.src));
	json_u64(j, "bytes", x->bytes);
	json_u64(j, "blocks", x->blocks);
	if (x->kind != LEAK_UNKNOWN)
		json_str(j, "kind", leak_kind_name(x->kind));
	else
		json_null(j, "kind");
	if (x->kind == LEAK_DEFINITE)
		json_u64(j, "indirect_bytes", x->indirect_bytes);
	json_i64(j, "growth_bytes", x->growth_bytes);
	json_i64(j, "growth_blocks", x->growth_blocks);
	json_bool(j, "growth_of_stack", x->growth_of_stack);
	JSON_U64_TABLE(j, &x->totals, totals_fields);
	json_f64(j, "oldest_age_s", (double)(r->now_ns - x->oldest_ts) / 1e9);
	json_str(j, "cache", x->key.cache ? x->cache_name : NULL);
	json_str(j, "call_site", !leak_src_is_user(x->key.src) && x->nr_frames ?
		 leak_frame_text(&fr[0], site, sizeof(site)) : NULL);
	json_frames(j, fr, x->nr_frames);
	json_obj_end(j);
}

/* "scan": what the scan for leak kinds cost (null: not asked for);
 * "leak_summary": valgrind's four kinds (null: no kinds). */
static void json_leak_summary(struct json *j, const struct leak_report *r)
{
	const struct leak_scan_meta *sc = &r->meta.scan;

	if (!sc->attempted) {
		json_null(j, "scan");
		json_null(j, "leak_summary");
		return;
	}
	json_obj_begin(j, "scan");
	json_bool(j, "done", sc->done);
	json_f64(j, "stopped_ms", sc->cost.stopped_ms);
	json_obj_begin(j, "stop_phases_ms");	/* add up to stopped_ms */
	json_f64(j, "freeze", sc->cost.freeze_ms);
	json_f64(j, "registers", sc->cost.registers_ms);
	json_f64(j, "memory", sc->cost.memory_ms);
	json_f64(j, "tables", sc->cost.tables_ms);
	json_f64(j, "marking", sc->cost.mark_ms);
	json_f64(j, "resume", sc->cost.resume_ms);
	json_obj_end(j);
	json_bool(j, "tables_in_stop", sc->cost.tables_in_stop);
	json_f64(j, "seize_ms", sc->cost.seize_ms);
	json_f64(j, "tables_ms", sc->cost.tables_ms);
	json_f64(j, "pagemap_ms", sc->cost.pagemap_ms);
	json_f64(j, "copy_ms", sc->cost.copy_ms);
	json_f64(j, "before_stop_ms", sc->cost.before_ms);
	json_f64(j, "after_tables_ms", sc->cost.after_tables_ms);
	json_f64(j, "after_marking_ms", sc->cost.after_mark_ms);
	json_u64(j, "bytes_read_stopped", sc->cost.bytes_copied_stopped);
	json_u64(j, "bytes_scanned", sc->cost.bytes_scanned);
	json_u64(j, "unreadable_bytes", sc->cost.unreadable_bytes);
	json_u64(j, "threads", sc->cost.threads);
	json_u64(j, "mappings", sc->cost.mappings);
	json_obj_begin(j, "roots");
	json_bool(j, "registers", sc->cost.registers_roots);
	json_str(j, "allocator_mappings", sc->cost.alloc_rule == ALLOC_MAPS_NOT_ROOTS ?
		 "not_roots" : "roots");
	json_u64(j, "allocator_mappings_passed_over", sc->cost.owned_maps);
	json_u64(j, "exited_thread_stacks", sc->cost.exited_stacks);
	json_u64(j, "nonroot_bytes", sc->cost.nonroot_bytes);
	json_obj_end(j);
	json_str(j, "error", sc->done ? NULL : sc->why);
	json_obj_end(j);
	if (!sc->done) {
		json_null(j, "leak_summary");
		return;
	}
	json_obj_begin(j, "leak_summary");
	for (int k = LEAK_DEFINITE; k < LEAK_KINDS; k++) {
		json_obj_begin(j, leak_kind_name((enum leak_kind)k));
		json_u64(j, "bytes", r->kinds[k].bytes);
		json_u64(j, "blocks", r->kinds[k].blocks);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void json_summary(struct json *j, const struct leak_report *r)
{
	json_obj_begin(j, "summary");
	for (int s = 0; s < SRC_MAX; s++) {
		const struct leak_source_summary *m = &r->summary[s];

		if (!m->totals.alloc_count && !m->out_blocks)
			continue;
		json_obj_begin(j, leak_src_name((uint32_t)s));
		json_u64(j, "outstanding_bytes", m->out_bytes);
		json_u64(j, "outstanding_blocks", m->out_blocks);
		JSON_U64_TABLE(j, &m->totals, totals_fields);
		json_f64(j, "growth_bytes_per_s", m->growth_bytes_per_s);
		json_u64(j, "records", (uint64_t)m->records);
		json_obj_end(j);
	}
	json_obj_end(j);
	json_obj_begin(j, "not_shown");
	json_u64(j, "younger_blocks", r->not_shown.young_blocks);
	json_u64(j, "younger_bytes", r->not_shown.young_bytes);
	json_u64(j, "size_filtered", r->not_shown.size_filtered);
	json_u64(j, "unmapped_regions", r->not_shown.unmapped);
	json_u64(j, "frees_unseen_blocks", r->not_shown.unseen_blocks);
	json_u64(j, "frees_unseen_bytes", r->not_shown.unseen_bytes);
	json_obj_end(j);
	json_unseen_caches(j, r);
	json_obj_begin(j, "health");
	for (int s = 0; s < STAT_MAX; s++)
		json_u64(j, stat_names[s], r->stats[s]);
	json_u64(j, "kernel_events_missed", r->kernel_missed);
	json_bool(j, "kmem_cache_names_missing", r->meta.no_cache_names);
	if (r->meta.batch_why)
		json_str(j, "kfree_rcu_batches_not_watched", r->meta.batch_why);
	json_obj_end(j);
}

static void json_allocators(struct json *j, const struct leak_report_meta *m)
{
	if (!m->user)
		return;
	json_bool(j, "user_heap_traced", m->heap_traced);
	if (!m->heap_traced)
		json_str(j, "user_heap_not_traced", m->heap_why);
	json_arr_begin(j, "allocators");
	for (int i = 0; i < m->nr_allocs; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "name", m->allocs[i].family);
		json_str(j, "file", m->allocs[i].path);
		json_i64(j, "functions", m->allocs[i].nr_funcs);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* "complete": false when a table overflowed; "incomplete" says what was
 * lost (null when complete). */
static void json_incomplete(struct json *j, const struct leak_report *r)
{
	bool incomplete = leak_report_incomplete(r);

	json_bool(j, "complete", !incomplete);
	if (!incomplete) {
		json_null(j, "incomplete");
		return;
	}
	json_obj_begin(j, "incomplete");
	json_u64(j, "allocations_not_recorded", r->stats[STAT_ALLOC_MAP_FULL]);
	json_u64(j, "alloc_table_entries", r->meta.alloc_table_entries);
	json_u64(j, "stack_totals_not_recorded", r->stats[STAT_AGG_MAP_FULL]);
	json_u64(j, "inflight_lost", r->stats[STAT_INFLIGHT_FULL]);
	json_u64(j, "scan_log_lost", r->stats[STAT_SCAN_LOG_LOST]);
	json_bool(j, "kinds_are_lower_bounds", r->meta.scan.done);
	json_obj_end(j);
}

void leak_render_json(FILE *out, const struct leak_report *r)
{
	struct json j;

	json_init(&j, out);
	json_obj_begin(&j, NULL);
	json_str(&j, "type", "report");
	json_bool(&j, "final", r->meta.final);
	if (r->meta.pid) {
		json_i64(&j, "pid", r->meta.pid);
		json_str(&j, "comm", r->meta.comm);
		if (r->meta.in_set) {	/* one process of several */
			json_i64(&j, "ppid", r->meta.ppid);
			json_str(&j, "cmdline", r->meta.cmdline ? r->meta.cmdline : "");
		}
	} else {
		json_null(&j, "pid");
	}
	json_bool(&j, "exited", r->meta.exited);
	json_f64(&j, "elapsed_s", r->meta.elapsed_s);
	json_u64(&j, "older_than_ms", r->config.older_than_ms);
	json_allocators(&j, &r->meta);
	json_incomplete(&j, r);
	json_arr_begin(&j, "records");
	for (size_t i = 0; i < r->nr_records; i++)
		if (r->records[i].in_top)
			json_record(&j, r, &r->records[i]);
	json_arr_end(&j);
	json_leak_summary(&j, r);
	json_summary(&j, r);
	books_render_json(&j, r->meta.books);
	json_obj_end(&j);
	json_line_end(&j);
}

void leak_render_set_summary_json(FILE *out, const struct leak_set_summary *s)
{
	struct json j;

	json_init(&j, out);
	json_obj_begin(&j, NULL);
	json_str(&j, "type", "set_summary");
	json_bool(&j, "final", s->final);
	json_i64(&j, "processes", s->processes);
	json_i64(&j, "exited", s->exited);
	json_obj_begin(&j, "outstanding");
	for (uint32_t src = 0; src < SRC_MAX; src++) {
		json_obj_begin(&j, leak_src_name(src));
		json_u64(&j, "bytes", s->out_bytes[src]);
		json_u64(&j, "blocks", s->out_blocks[src]);
		json_obj_end(&j);
	}
	json_obj_end(&j);
	json_i64(&j, "scanned", s->scanned);
	json_obj_begin(&j, "kinds");
	for (int k = LEAK_DEFINITE; k < LEAK_KINDS; k++) {
		json_obj_begin(&j, leak_kind_name(k));
		json_u64(&j, "bytes", s->kinds[k].bytes);
		json_u64(&j, "blocks", s->kinds[k].blocks);
		json_obj_end(&j);
	}
	json_obj_end(&j);
	json_u64(&j, "lost_records", s->lost_records);
	json_obj_end(&j);
	json_line_end(&j);
}
