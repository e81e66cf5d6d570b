/* SPDX-License-Identifier: GPL-2.0 */
/* leaksnoop's model: one report of what is outstanding (struct leak_report),
 * built from plain data (struct leak_snapshot, which source.c reads from the
 * BPF tables and /proc) with an explicit config. Pure: no BPF, no /proc, no
 * clock, no globals; tests/unit/test_leaksnoop_model.c covers it. The
 * renderers (render.h) only serialize a built report.
 *
 *   source.c: leak_source_read() -> struct leak_snapshot
 *   model.c:  leak_report_build(snapshot, config, history) -> struct leak_report
 *             leak_report_symbolize(report, symbolizer)
 *   render_*.c: leak_render_text/json/folded(FILE *, report)
 *   model.c:  leak_history_advance(history, report)   (for the next growth)
 *
 * How to extend it:
 * - A fact per outstanding block (an address scan's verdict, say): a field in
 *   struct leak_block. snapshot->blocks holds every block the tables had
 *   (address, size, time, stack id); report->blocks holds the shown ones,
 *   grouped so that record r owns blocks[r.block_first, + r.block_count).
 * - A fact per record (a leak kind): a field in struct leak_record, set in a
 *   pass over the record's blocks after leak_report_build().
 * - Report-level facts (allocators probed, a scan's cost): fields in struct
 *   leak_report_meta; the caller fills them, renderers print them.
 * - A renderer: a function (FILE *, const struct leak_report *) in its own
 *   render_<format>.c that only reads the report. Frames print through
 *   leak_frame_text()/leak_frame_name(), sources through leak_src_name().
 */
#ifndef LEAKSNOOP_MODEL_H
#define LEAKSNOOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "allocators.h"
#include "kcache_check.h"
#include "leaksnoop.h"
#include "procfs.h"
#include "reach.h"
#include "scan.h"
#include "symbolize.h"

/* ---- what the source reads (plain data) ------------------------------------ */

/* One outstanding allocation: a uallocs/regions/kallocs entry. key.src says
 * which table (SRC_USER: uallocs, SRC_MMAP: regions, else kallocs). */
struct leak_block {
	uint64_t addr, size;
	uint64_t ts;			/* CLOCK_MONOTONIC ns at allocation */
	struct ls_agg_key key;		/* the record it belongs to */
	/* the scan's verdict (enum leak_kind; LEAK_UNKNOWN: not scanned) and,
	 * for a definitely lost block, the bytes lost through it */
	uint8_t kind;
	/* SRC_ALLOC_MAP: mapped by an allocator that keeps its own state in
	 * its mappings (jemalloc, tcmalloc, mimalloc; not glibc, whose mmap
	 * callers include thread stacks and more): no root when every block
	 * is known (scan.h) */
	bool alloc_owned;
	uint64_t indirect_bytes;
};

/* One key's running totals from one place (the aggs table, or one CPU's
 * ksites slot): several entries may share a key. */
struct leak_total {
	struct ls_agg_key key;
	struct ls_agg agg;
};

/* Which captured stack: its id in the user (stacks) or kernel (kstacks) map. */
struct leak_stack_ref {
	int32_t id;
	bool kernel;
};

/* Orders struct leak_stack_ref (qsort/bsearch). */
int leak_stack_ref_cmp(const void *a, const void *b);

/* One captured stack. */
struct leak_stack {
	struct leak_stack_ref ref;
	uint32_t nr_ips;
	uint64_t ips[LS_MAX_FRAMES];
};

struct leak_cache_name {
	uint64_t cache;				/* struct kmem_cache * */
	char name[LS_CACHE_NAME_LEN + 1];	/* raw bytes from the kernel */
};

struct leak_snapshot {
	uint64_t now_ns;			/* CLOCK_MONOTONIC when read */
	struct leak_block *blocks;
	size_t nr_blocks, cap_blocks;
	struct leak_total *totals;
	size_t nr_totals, cap_totals;
	struct leak_stack *stacks;		/* every stack the blocks name */
	size_t nr_stacks, cap_stacks;
	struct leak_cache_name *caches;		/* every cache the blocks name */
	size_t nr_caches, cap_caches;
	/* the threads started while traced (thread_sps): the regions table's
	 * thread stacks are where their first stack pointers lie; with
	 * have_threads, every one of them */
	struct scan_thread *threads;
	size_t nr_threads;
	bool have_threads;
	bool have_maps;				/* maps: the process's mappings now */
	struct vma_list maps;			/* regions outside them were unmapped */
	uint64_t stats[STAT_MAX];		/* enum ls_stat, summed over CPUs */
	uint64_t kernel_missed;			/* kernel events skipped (recursion) */
	struct kcache_missed *missed;		/* frees missed, per cache (kunseen) */
	size_t nr_missed;
	bool have_slabs;			/* slabs: /proc/slabinfo now */
	struct slabinfo slabs;
};

void leak_snapshot_free(struct leak_snapshot *s);
/* Appenders for the source (and tests): 0 or -ENOMEM. */
int leak_snapshot_add_block(struct leak_snapshot *s, const struct leak_block *b);
int leak_snapshot_add_total(struct leak_snapshot *s, const struct leak_total *t);
int leak_snapshot_add_stack(struct leak_snapshot *s, const struct leak_stack *st);
int leak_snapshot_add_cache(struct leak_snapshot *s, const struct leak_cache_name *c);

/* ---- how a report is built ---------------------------------------------------- */

struct leak_model_config {
	uint64_t older_than_ms;		/* live reports: blocks at least this old */
	uint64_t min_size, max_size;	/* max 0: no limit */
	int top;			/* records shown per source, 0: all */
	bool kernel_stacks;		/* -K: page records have stacks */
	bool show_reachable;		/* list still-reachable records in text too */
};

/* What the previous reports left for the next one's growth figures. */
struct leak_history_entry {
	struct ls_agg_key key;
	uint8_t kind;
	uint64_t bytes, blocks;
};

struct books_explained;

struct leak_history {
	uint64_t start_ns;			/* when tracing began */
	uint64_t prev_ns;			/* the last report's snapshot */
	struct leak_history_entry *prev;	/* sorted by key */
	size_t nr_prev;
	int64_t prev_net[SRC_MAX];		/* allocated - freed, last report */
	int nr_reports;
};

void leak_history_free(struct leak_history *h);

/* What the scan for leak kinds (scan.c) did for this report. */
struct leak_scan_meta {
	bool attempted;			/* kinds were asked for */
	bool done;			/* and the user blocks have them */
	struct scan_stats cost;		/* how long the target was stopped, what was read */
	char why[192];			/* attempted, not done: why not */
};

/* Facts about the report that don't come from the tables. */
struct leak_report_meta {
	pid_t pid;			/* 0: whole system */
	char comm[32];			/* raw, from /proc: print it escaped */
	bool final;			/* the last report */
	bool exited;			/* the process is gone: every user block counts */
	bool no_cache_names;		/* kernel mode on a kernel whose kmem_cache_alloc
					 * tracepoint carries no cache (before 6.1) */
	const char *batch_why;		/* kernel mode, kfree_rcu's batched frees not
					 * watched: why (NULL: watched or no kernel) */
	/* the user heap: which allocators are probed, or why none is */
	bool user;			/* the user heap was asked for */
	bool heap_traced;
	const char *heap_why;		/* !heap_traced: why not */
	const struct allocator_info *allocs;
	int nr_allocs;
	struct leak_scan_meta scan;
	/* one process of several (-p list, -f, --cgroup) */
	bool in_set;
	pid_t ppid;			/* forked from (-f); 0: given */
	const char *cmdline;		/* raw: print it escaped; "" when unknown */
	uint64_t alloc_table_entries;	/* the user allocation table's size */
	/* --kernel: the books' change during the trace and what explains it
	 * (books.h); NULL otherwise */
	const struct books_explained *books;
	/* filled by leak_report_build: */
	double elapsed_s;		/* since tracing began */
	double interval_s;		/* since the last report (or the start) */
	bool has_previous;		/* growth since a last report is known */
};

/* ---- the report ------------------------------------------------------------------ */

/* A frame: the kernel call site, or an address of the captured stack. */
struct leak_frame {
	uint64_t addr;
	bool user;			/* a user return address */
	bool resolved;			/* sym was filled by a symbolizer */
	struct usym sym;		/* kernel frames: func and func_offset */
};

/* One stack (or kernel call site / slab cache) with what is outstanding,
 * and, once scanned, one leak kind: like valgrind's loss records, a stack
 * whose blocks have several kinds has a record per kind. */
struct leak_record {
	struct ls_agg_key key;
	uint8_t kind;				/* enum leak_kind */
	uint64_t indirect_bytes;		/* definitely lost: lost through it */
	uint64_t bytes, blocks;
	uint64_t oldest_ts;
	int64_t growth_bytes, growth_blocks;	/* since the last report */
	bool is_new;				/* not in the last report */
	/* the first record of its stack (in kind order): it alone carries
	 * what is the stack's, not the kind's, where records are added up
	 * (pprof's alloc_*, a growth_of_stack) */
	bool stack_first;
	/* the last report did not classify this stack: the growth is the
	 * whole stack's, on its first record (0 on the others) */
	bool growth_of_stack;
	struct ls_agg totals;			/* allocated/freed here, all time (the
						 * stack's, the same in each of its
						 * records) */
	int rank;				/* 1-based within its source, by bytes */
	bool in_top;				/* within config.top of its source's
						 * listed records (or, hidden, of
						 * the hidden ones) */
	bool hidden;				/* still reachable, not listed in text
						 * unless config.show_reachable */
	char cache_name[LS_CACHE_NAME_LEN + 1];	/* printable; "" when none */
	size_t block_first, block_count;	/* its blocks in report->blocks */
	size_t frame_first, nr_frames;		/* its frames in report->frames */
};

struct leak_source_summary {
	uint64_t out_bytes, out_blocks;		/* shown (after filters) */
	struct ls_agg totals;			/* allocated and freed since tracing began */
	double growth_bytes_per_s;		/* outstanding, since the last report */
	int records;
};

/* Outstanding blocks the report leaves out, and why. */
struct leak_not_shown {
	uint64_t young_blocks, young_bytes;	/* younger than older_than_ms */
	uint64_t size_filtered;			/* outside min_size..max_size */
	uint64_t unmapped;			/* regions unmapped by a path not followed */
	uint64_t unseen_blocks, unseen_bytes;	/* in caches whose frees are not all
						 * seen (report->unseen) */
};

/* valgrind's LEAK SUMMARY lines (user heap, once scanned). */
struct leak_kind_summary {
	uint64_t bytes, blocks;
};

struct leak_report {
	struct leak_model_config config;
	struct leak_report_meta meta;
	uint64_t now_ns;
	struct leak_record *records;	/* by source, then bytes (largest first) */
	size_t nr_records;
	struct leak_block *blocks;	/* the shown blocks, grouped by record */
	size_t nr_blocks;
	struct leak_frame *frames;
	size_t nr_frames;
	struct leak_source_summary summary[SRC_MAX];
	struct leak_kind_summary kinds[LEAK_KINDS];	/* [LEAK_UNKNOWN]: not scanned */
	uint64_t lost_records;		/* records definitely or indirectly lost */
	struct leak_not_shown not_shown;
	uint64_t stats[STAT_MAX];	/* health counters (enum ls_stat) */
	uint64_t kernel_missed;
	struct kcache_unseen *unseen;	/* caches whose blocks are not called
					 * outstanding, sorted by key */
	size_t nr_unseen;
};

/* Builds report from snap (read only). meta's pid, comm, final and exited
 * come from the caller; history may be empty, never NULL. 0 or -ENOMEM
 * (report then empty). */
int leak_report_build(struct leak_report *report, const struct leak_snapshot *snap,
		      const struct leak_model_config *config, const struct leak_history *history,
		      const struct leak_report_meta *meta);
void leak_report_free(struct leak_report *report);

/* Turns addresses into symbols. user: one address as up to max frames (the
 * functions inlined there first, as usym_resolve_frames), their number, or
 * <= 0 when not even the module is known. user_is_code (may be NULL): false
 * when addr is not in the process's code, which ends the stack there.
 * kernel: the symbol at or below addr, NULL if none. Strings must outlive the
 * report (they are the snapshot's or kallsyms'). Any may be NULL. */
struct leak_symbolizer {
	int (*user)(void *ctx, uint64_t addr, struct usym *out, int max);
	bool (*user_is_code)(void *ctx, uint64_t addr);
	void *user_ctx;
	const char *(*kernel)(void *ctx, uint64_t addr, uint64_t *offset);
	void *kernel_ctx;
};

/* Frames one user address may become (itself and the functions inlined):
 * Rust's std::rt::lang_start_internal alone holds 9 inlined levels at its
 * call of main, iterator adaptors more. */
#define LEAK_INLINE_MAX		24

/* Resolves the frames of the records in the top (all of them with all):
 * each user address into its frames (inlined functions as frames of their
 * own), a user stack cut at its first address outside the code. 0, or
 * -ENOMEM (the frames then resolved one per address, none cut). */
int leak_report_symbolize(struct leak_report *report, const struct leak_symbolizer *sym,
			  bool all);

/* A set's processes added up (-p list, -f, --cgroup): one summary after
 * their reports. */
struct leak_set_summary {
	bool final;
	int processes, exited;
	uint64_t out_bytes[SRC_MAX], out_blocks[SRC_MAX];	/* shown, by source */
	struct leak_kind_summary kinds[LEAK_KINDS];
	uint64_t lost_records;
	int scanned;			/* processes whose user blocks have kinds */
};

/* Adds one process's report to sum. */
void leak_set_summary_add(struct leak_set_summary *sum, const struct leak_report *report);

/* Remembers report's records and totals for the next report's growth. 0 or
 * -ENOMEM (history then unchanged). */
int leak_history_advance(struct leak_history *h, const struct leak_report *report);

/* ---- for the renderers ------------------------------------------------------------- */

static inline const struct leak_frame *leak_record_frames(const struct leak_report *r,
							  const struct leak_record *x)
{
	return r->frames + x->frame_first;
}

bool leak_src_is_user(uint32_t src);		/* user heap or mmap regions */
bool leak_src_is_region(uint32_t src);		/* an mmap region, labelled or not */
/* a region labelled as what it is (allocator's own, thread stack): shown
 * apart, never a leak */
bool leak_src_is_labelled(uint32_t src);
/* Whether a table overflowed (allocations or stack totals not recorded) or
 * the scan's log of frees did: then totals and kinds are incomplete, and
 * the report says so at its top. */
bool leak_report_incomplete(const struct leak_report *report);
/* records that are leak candidates (what --error-exitcode counts) */
size_t leak_report_candidates(const struct leak_report *report);
const char *leak_src_name(uint32_t src);	/* "user", "kmalloc", ... */
const char *leak_src_title(uint32_t src);	/* "user heap", "kmalloc", ... */
/* "func (file.c:LINE)", "func+0x1a", "[JIT] name+0x1a", "[JIT] 0x...",
 * "0x..." — printable. Returns buf. */
char *leak_frame_text(const struct leak_frame *f, char *buf, size_t size);
/* The function alone (folded stacks): "func", "libfoo.so+0x12", "[JIT]
 * name", "[JIT] 0x..", "0x..". */
char *leak_frame_name(const struct leak_frame *f, char *buf, size_t size);

#endif
