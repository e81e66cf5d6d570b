// SPDX-License-Identifier: GPL-2.0
/* The text report, modelled on valgrind's leak report. */
#include <inttypes.h>
#include <limits.h>
#include "fmt.h"
#include "books.h"
#include "render.h"

/* 1234567 -> "1,234,567", like valgrind. */
static char *commas(char *buf, size_t size, uint64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v), o = 0;

	for (int i = 0; i < n && o + 2 < (int)size; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}

/* Which allocators the user heap comes from, or loudly that it is not
 * traced: an empty heap must never pass for a clean one. */
static void text_allocators(FILE *f, const struct leak_report_meta *m)
{
	char shown[PATH_MAX];

	if (!m->user)
		return;
	if (!m->heap_traced) {
		fprintf(f, "   user heap: NOT TRACED (%s)\n", m->heap_why ? m->heap_why : "no allocator");
		return;
	}
	for (int i = 0; i < m->nr_allocs; i++)
		fprintf(f, "   allocator: %s, %s (%d functions)\n", m->allocs[i].family,
			fmt_printable(shown, sizeof(shown), m->allocs[i].path), m->allocs[i].nr_funcs);
}

/* Said first: a report missing allocations must not pass for a whole one. */
static void text_incomplete(FILE *f, const struct leak_report *r)
{
	const uint64_t *st = r->stats;
	char b1[32], b2[32];

	if (!leak_report_incomplete(r))
		return;
	fprintf(f, "   INCOMPLETE REPORT:");
	if (st[STAT_ALLOC_MAP_FULL])
		fprintf(f, " %s allocations were not recorded (the allocation table of %s entries "
			"was full: --max-allocs);", commas(b1, sizeof(b1), st[STAT_ALLOC_MAP_FULL]),
			commas(b2, sizeof(b2), r->meta.alloc_table_entries));
	if (st[STAT_AGG_MAP_FULL] || st[STAT_INFLIGHT_FULL])
		fprintf(f, " %s allocations missed a stack's totals or an in-flight slot;",
			commas(b1, sizeof(b1), st[STAT_AGG_MAP_FULL] + st[STAT_INFLIGHT_FULL]));
	if (st[STAT_SCAN_LOG_LOST])
		fprintf(f, " %s frees during the scan were not logged;",
			commas(b1, sizeof(b1), st[STAT_SCAN_LOG_LOST]));
	fprintf(f, " outstanding totals are too low%s\n", r->meta.scan.done ?
		", and leak kinds are lower bounds: blocks not recorded are in no count, their "
		"contents counted as roots, so a block called reachable or possibly lost may be "
		"lost" : "");
}

static void text_header(FILE *f, const struct leak_report *r)
{
	const struct leak_report_meta *m = &r->meta;

	if (m->pid) {
		char comm[sizeof(m->comm)];

		/* the process names itself: never print its bytes raw */
		fmt_printable(comm, sizeof(comm), m->comm);
		fprintf(f, "==%d== leaksnoop report%s: pid %d (%s), traced %.1f s%s\n", m->pid,
			m->final ? "" : " (interval)", m->pid, comm, m->elapsed_s,
			m->exited ? ", process exited" : "");
		if (m->in_set) {
			char cmd[512];

			fprintf(f, "==%d== command: %s", m->pid, m->cmdline && m->cmdline[0] ?
				fmt_printable(cmd, sizeof(cmd), m->cmdline) : "(unknown: gone before it was read)");
			if (m->ppid)
				fprintf(f, " (forked from %d)", m->ppid);
			fputc('\n', f);
		}
	} else {
		fprintf(f, "==kernel== leaksnoop report%s: whole system, traced %.1f s\n",
			m->final ? "" : " (interval)", m->elapsed_s);
	}
	text_allocators(f, m);
	text_incomplete(f, r);
}

static void text_record(FILE *f, const struct leak_report *r, const struct leak_record *x)
{
	const struct leak_frame *fr = leak_record_frames(r, x);
	uint32_t s = x->key.src % SRC_MAX;
	char b1[32], b2[32], b3[32], b4[32], text[384];

	if (x->kind == LEAK_UNKNOWN)
		fprintf(f, "\n%s bytes in %s blocks are outstanding in record %d of %d [%s%s%s]\n",
			commas(b1, sizeof(b1), x->bytes), commas(b2, sizeof(b2), x->blocks), x->rank,
			r->summary[s].records, leak_src_title(s), x->cache_name[0] ? ": " : "",
			x->cache_name);
	else if (x->indirect_bytes)	/* valgrind: "N (D direct, I indirect) bytes" */
		fprintf(f, "\n%s (%s direct, %s indirect) bytes in %s blocks are %s in loss record "
			"%d of %d [%s]\n", commas(b1, sizeof(b1), x->bytes + x->indirect_bytes),
			commas(b2, sizeof(b2), x->bytes), commas(b3, sizeof(b3), x->indirect_bytes),
			commas(b4, sizeof(b4), x->blocks), leak_kind_words(x->kind), x->rank,
			r->summary[s].records, leak_src_title(s));
	else
		fprintf(f, "\n%s bytes in %s blocks are %s in loss record %d of %d [%s]\n",
			commas(b1, sizeof(b1), x->bytes), commas(b2, sizeof(b2), x->blocks),
			leak_kind_words(x->kind), x->rank, r->summary[s].records, leak_src_title(s));
	for (size_t j = 0; j < x->nr_frames; j++)
		fprintf(f, "   %s 0x%" PRIx64 ": %s\n", j ? "by" : "at", fr[j].addr,
			leak_frame_text(&fr[j], text, sizeof(text)));
	if (!x->nr_frames)
		fprintf(f, "   (no stack: %s)\n", (s == SRC_PAGE || s == SRC_UPAGE) && !r->config.kernel_stacks ?
			"page allocations have no call site; -K captures stacks" : "capture failed");
	fprintf(f, "   here: allocated %s bytes in %s blocks, freed %s bytes in %s blocks",
		commas(b1, sizeof(b1), x->totals.alloc_bytes),
		commas(b2, sizeof(b2), x->totals.alloc_count),
		commas(b3, sizeof(b3), x->totals.free_bytes),
		commas(b4, sizeof(b4), x->totals.free_count));
	if (r->meta.has_previous && (!x->growth_of_stack || x->stack_first))
		fprintf(f, "; %s%s%" PRId64 " bytes, %+" PRId64 " blocks since the last report%s",
			x->growth_of_stack ? "the stack's, unclassified then: " : "",
			x->growth_bytes >= 0 ? "+" : "", x->growth_bytes, x->growth_blocks,
			x->is_new ? " (new)" : "");
	fprintf(f, "\n");
}

/* Which roots the scan took (scan.h): the rule for the allocator's own
 * mappings always named, since it decides what jemalloc & co.'s caches
 * make of the kinds. */
static void text_roots(FILE *f, const struct scan_stats *c)
{
	char b1[32];

	fprintf(f, "   roots: %s, writable memory outside the blocks", c->registers_roots ?
		"registers" : "no registers (the process was at its exit)");
	if (c->exited_stacks)
		fprintf(f, " but %u exited threads' cached stacks", c->exited_stacks);
	if (c->alloc_rule == ALLOC_MAPS_NOT_ROOTS)
		fprintf(f, "%s the allocator's own mappings (%u; traced from its start, every block "
			"is known)", c->exited_stacks ? " and" : " but", c->owned_maps);
	else
		fprintf(f, ", the allocator's own mappings included (attached to a running "
			"process: blocks allocated before are unknown)");
	if (c->nonroot_bytes)
		fprintf(f, "; %s bytes passed over", commas(b1, sizeof(b1), c->nonroot_bytes));
	fprintf(f, "\n");
}

/* valgrind's LEAK SUMMARY, in its words, and what the scan cost. */
static void text_leak_summary(FILE *f, const struct leak_report *r)
{
	static const char *const label[LEAK_KINDS] = {
		[LEAK_DEFINITE] = "definitely lost", [LEAK_INDIRECT] = "indirectly lost",
		[LEAK_POSSIBLE] = "  possibly lost", [LEAK_REACHABLE] = "still reachable",
	};
	const struct leak_scan_meta *sc = &r->meta.scan;
	char b1[32], b2[32];

	if (!sc->attempted)
		return;
	if (!sc->done) {
		fprintf(f, "\nLEAK SUMMARY: not available (%s): the user blocks above are "
			"outstanding, not classified\n", sc->why);
		return;
	}
	fprintf(f, "\nLEAK SUMMARY%s (user heap; the process was stopped %.1f ms to scan %s bytes "
		"of %u threads)\n", leak_report_incomplete(r) ? " (INCOMPLETE: see the top)" : "",
		sc->cost.stopped_ms, commas(b1, sizeof(b1), sc->cost.bytes_scanned),
		sc->cost.threads);
	text_roots(f, &sc->cost);
	/* pages present but refused by process_vm_readv: what they point to
	 * may be called lost */
	if (sc->cost.unreadable_bytes)
		fprintf(f, "   warning: %s bytes of present memory could not be read; blocks only "
			"they point to may be wrongly lost\n",
			commas(b1, sizeof(b1), sc->cost.unreadable_bytes));
	for (int k = LEAK_DEFINITE; k < LEAK_KINDS; k++)
		fprintf(f, "   %s: %s bytes in %s blocks\n", label[k],
			commas(b1, sizeof(b1), r->kinds[k].bytes),
			commas(b2, sizeof(b2), r->kinds[k].blocks));
	if (r->kinds[LEAK_REACHABLE].blocks && !r->config.show_reachable)
		fprintf(f, "Reachable blocks (those to which a pointer was found) are not shown.\n"
			"To see them, rerun with: --show-reachable\n");
	for (uint32_t s = 0; s < SRC_MAX; s++)
		if (!leak_src_is_user(s) && (r->summary[s].out_blocks || r->summary[s].totals.alloc_count)) {
			fprintf(f, "Kernel allocations stay outstanding: reachability from user "
				"memory doesn't apply to them.\n");
			break;
		}
	if (r->summary[SRC_MMAP].out_blocks)
		fprintf(f, "mmap regions stay outstanding (valgrind doesn't classify them either); "
			"their contents count as roots as the line \"roots\" says.\n");
}

static void text_summary(FILE *f, const struct leak_report *r)
{
	char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32];

	fprintf(f, "\nSUMMARY%s\n",
		r->meta.exited ? " (at exit: every block the process still held)" : "");
	if (r->meta.user && !r->meta.heap_traced)
		fprintf(f, "  %-13s not traced: %s\n", leak_src_title(SRC_USER),
			r->meta.heap_why ? r->meta.heap_why : "");
	for (uint32_t s = 0; s < SRC_MAX; s++) {
		const struct leak_source_summary *m = &r->summary[s];
		double rate = m->growth_bytes_per_s;
		char rb[16];

		if (!m->totals.alloc_count && !m->out_blocks)
			continue;
		if (leak_src_is_labelled(s)) {
			fprintf(f, "  %-13s %s bytes in %s regions (%s, not leaks)\n", leak_src_title(s),
				commas(b1, sizeof(b1), m->out_bytes), commas(b2, sizeof(b2), m->out_blocks),
				s == SRC_ALLOC_MAP ? "mapped by the allocator itself" : "live or cached");
			continue;
		}
		fmt_bytes(rb, sizeof(rb), (uint64_t)(rate < 0 ? -rate : rate));
		fprintf(f, "  %-13s outstanding %s bytes in %s blocks; allocated %s bytes in %s blocks, "
			"freed %s bytes in %s blocks; growth %s%s/s\n", leak_src_title(s),
			commas(b1, sizeof(b1), m->out_bytes), commas(b2, sizeof(b2), m->out_blocks),
			commas(b3, sizeof(b3), m->totals.alloc_bytes),
			commas(b4, sizeof(b4), m->totals.alloc_count),
			commas(b5, sizeof(b5), m->totals.free_bytes),
			commas(b6, sizeof(b6), m->totals.free_count),
			rate < 0 ? "-" : "", rb);
	}
	if (r->stats[STAT_BRK_GROW] || r->stats[STAT_BRK_SHRINK])
		fprintf(f, "  %-13s grew %s bytes, shrank %s bytes\n", "brk heap",
			commas(b1, sizeof(b1), r->stats[STAT_BRK_GROW]),
			commas(b2, sizeof(b2), r->stats[STAT_BRK_SHRINK]));
}

/* "eventpoll_epi: frees not all visible on this kernel (...): N blocks
 * (B bytes) not reported as outstanding", a line per cache. */
static void text_unseen_caches(FILE *f, const struct leak_report *r)
{
	for (size_t i = 0; i < r->nr_unseen; i++) {
		const struct kcache_unseen *c = &r->unseen[i];
		char b1[32], b2[32], b3[32], b4[32];

		fprintf(f, "  kernel: %s: frees not all seen (", c->name);
		if (c->allocated)
			fprintf(f, "%s allocated, %s freed seen, ", commas(b1, sizeof(b1), c->allocated),
				commas(b2, sizeof(b2), c->allocated > c->held_blocks + c->missed ?
				       c->allocated - c->held_blocks - c->missed : 0));
		fprintf(f, "%s reallocated while held", commas(b3, sizeof(b3), c->missed));
		if (c->slab_active >= 0)
			fprintf(f, ", slabinfo says the cache holds %s",
				commas(b4, sizeof(b4), (uint64_t)c->slab_active));
		fprintf(f, "): %s blocks (%s bytes) held, not reported as outstanding\n",
			commas(b1, sizeof(b1), c->held_blocks), commas(b2, sizeof(b2), c->held_bytes));
	}
}

static void text_health(FILE *f, const struct leak_report *r)
{
	const struct leak_not_shown *ns = &r->not_shown;
	const uint64_t *st = r->stats;
	char b1[32], b2[32], b3[32], b4[32];

	if (ns->young_blocks || ns->size_filtered || ns->unmapped)
		fprintf(f, "  not shown: %s blocks (%s bytes) younger than %" PRIu64 " ms, %s outside the "
			"size limits, %s regions no longer mapped\n",
			commas(b1, sizeof(b1), ns->young_blocks), commas(b2, sizeof(b2), ns->young_bytes),
			r->config.older_than_ms, commas(b3, sizeof(b3), ns->size_filtered),
			commas(b4, sizeof(b4), ns->unmapped));
	fprintf(f, "  health: %" PRIu64 " allocations not recorded (table full), %" PRIu64
		" without a stack, %" PRIu64 " frees of blocks allocated before tracing, %" PRIu64
		" failed allocations (not leaks), %" PRIu64 " in-flight slots lost\n",
		st[STAT_ALLOC_MAP_FULL], st[STAT_STACK_FAIL], st[STAT_UNKNOWN_FREE],
		st[STAT_FAILED_ALLOC], st[STAT_INFLIGHT_FULL] + st[STAT_AGG_MAP_FULL]);
	if (r->meta.no_cache_names)
		fprintf(f, "  kernel: kmem_cache blocks without cache names (this kernel's "
			"kmem_cache_alloc tracepoint carries no cache: before 6.1)\n");
	if (st[STAT_PROCS_FULL])
		fprintf(f, "  health: %" PRIu64 " processes could not join the trace (its process table "
			"was full): NOT traced\n", st[STAT_PROCS_FULL]);
	if (st[STAT_OWN_FOOTPRINT])
		fprintf(f, "  not counted: %" PRIu64 " kernel allocations for leaksnoop's own probes "
			"(uprobe bookkeeping)\n", st[STAT_OWN_FOOTPRINT]);
	if (st[STAT_OWN_BPF])
		fprintf(f, "  not counted: %" PRIu64 " kernel allocations for leaksnoop's own BPF "
			"maps (the BPF allocator's refills in the target's context)\n", st[STAT_OWN_BPF]);
	if (r->meta.batch_why)
		fprintf(f, "  kernel: kfree_rcu's batched frees are not watched (%s): blocks freed "
			"that way stay in the table; the caches below say where that was seen\n",
			r->meta.batch_why);
	text_unseen_caches(f, r);
	if (st[STAT_FREE_BUSY])
		fprintf(f, "  health: %" PRIu64 " kernel frees not applied (the table was busy in an "
			"interrupted program)\n", st[STAT_FREE_BUSY]);
	if (r->kernel_missed)
		fprintf(f, "  health: %" PRIu64 " kernel allocation events missed (the kernel skips "
			"nested tracing programs): a missed free shows its block as outstanding\n",
			r->kernel_missed);
}

void leak_render_scan_cost(FILE *out, const struct leak_scan_meta *sc)
{
	const struct scan_stats *c = &sc->cost;
	char b1[32], b2[32];

	if (!sc->attempted || !c->stopped_ms)
		return;
	fprintf(out, "leaksnoop: scan: stopped %.1f ms = freeze %.1f + registers %.1f + memory %.1f "
		"(pagemap %.1f, copy %.1f) + tables %.1f + marking %.1f + resume %.1f ms; %s bytes "
		"scanned, %s of them read while stopped (the rest pre-copied); before the stop %.0f "
		"ms (+ %.1f ms until the first thread was asked to stop), after the resume: tables "
		"%.0f ms, marking %.0f ms%s\n", c->stopped_ms,
		c->freeze_ms, c->registers_ms, c->memory_ms, c->pagemap_ms, c->copy_ms, c->tables_ms,
		c->mark_ms, c->resume_ms, commas(b1, sizeof(b1), c->bytes_scanned),
		commas(b2, sizeof(b2), c->bytes_copied_stopped), c->before_ms, c->seize_ms,
		c->after_tables_ms,
		c->after_mark_ms, c->tables_in_stop ? " (no room to copy the memory, or no log of "
		"the frees: tables read and memory marked while stopped)" : "");
}

void leak_render_text(FILE *out, const struct leak_report *r)
{
	text_header(out, r);
	for (size_t i = 0; i < r->nr_records; i++)
		if (r->records[i].in_top && !r->records[i].hidden)
			text_record(out, r, &r->records[i]);
	text_leak_summary(out, r);
	text_summary(out, r);
	books_render_text(out, r->meta.books);
	text_health(out, r);
	fflush(out);
}

void leak_render_set_summary_text(FILE *out, const struct leak_set_summary *s)
{
	char b1[32], b2[32];

	fprintf(out, "\n==set== leaksnoop%s: %d processes (%d exited)\n",
		s->final ? "" : " (interval)", s->processes, s->exited);
	for (uint32_t src = 0; src < SRC_MAX; src++)
		if (s->out_blocks[src] && !leak_src_is_labelled(src))
			fprintf(out, "  %-13s outstanding %s bytes in %s blocks, all processes\n",
				leak_src_title(src), commas(b1, sizeof(b1), s->out_bytes[src]),
				commas(b2, sizeof(b2), s->out_blocks[src]));
	if (!s->scanned)
		return;
	fprintf(out, "  LEAK SUMMARY of the %d processes scanned:\n", s->scanned);
	for (int k = LEAK_DEFINITE; k < LEAK_KINDS; k++)
		fprintf(out, "   %s: %s bytes in %s blocks\n", leak_kind_words(k),
			commas(b1, sizeof(b1), s->kinds[k].bytes),
			commas(b2, sizeof(b2), s->kinds[k].blocks));
	fflush(out);
}
