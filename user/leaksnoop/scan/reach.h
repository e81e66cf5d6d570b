/* SPDX-License-Identifier: GPL-2.0 */
/* Which outstanding heap blocks are still pointed to: valgrind memcheck's
 * leak kinds, computed from a copy of the process's memory.
 *
 * Pure: the scan (scan.c) feeds it the process's memory and registers; it
 * keeps, per block, only what the classification needs (the pointers found
 * in the block's contents, whether a root points at it, its first two
 * words), so a multi-GiB heap is never held in leaksnoop's memory.
 *
 * The rules are memcheck's (mc_leakcheck.c, valgrind 3.19):
 * - roots are registers and every aligned word of memory that is not
 *   inside a traced block; a block's own words only count once the block
 *   is reached ("propagate through the traced blocks' contents");
 * - a word points into a block when block.addr <= word < block.addr + size
 *   (a zero-size block covers one byte); at block.addr it is a start
 *   pointer, anywhere else an interior pointer;
 * - still reachable: reached from a root through start pointers only;
 *   possibly lost: reached, but only through a path with an interior
 *   pointer (an interior pointer that one of memcheck's default heuristics
 *   stdstring, length64, newarray or multipleinheritance accepts counts
 *   as a start pointer; the last only with reach_set_vtable_test);
 * - of the blocks never reached, taken in address order, each one still
 *   unclaimed leads a "clique": every unreached block it reaches through any
 *   pointer is indirectly lost (and a clique leader reached this way stops
 *   being one); the leaders that remain are definitely lost.
 * One rule of our own, because the process's malloc is not valgrind's: a
 * word at the header of the glibc malloc chunk that follows a block (in
 * the block's last 8 bytes when the block fills its chunk) is glibc's
 * pointer to that next chunk, not into the block (reach.c).
 * Not reproduced: memcheck only scans words whose bytes are initialised
 * (here every word counts, so stale pointers in uninitialised or freed
 * memory can keep a block reachable: conservative, never a false "lost"). */
#ifndef LEAKSNOOP_REACH_H
#define LEAKSNOOP_REACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* In valgrind's order of severity. LEAK_UNKNOWN (0, what zeroed memory
 * says): not classified (no scan, or a kernel allocation). */
enum leak_kind {
	LEAK_UNKNOWN,
	LEAK_DEFINITE,
	LEAK_INDIRECT,
	LEAK_POSSIBLE,
	LEAK_REACHABLE,
	LEAK_KINDS,
};

/* "definitely lost", "indirectly lost", "possibly lost", "still reachable";
 * "outstanding" when unknown */
const char *leak_kind_words(enum leak_kind k);
/* "definite", "indirect", "possible", "reachable" (valgrind's
 * --show-leak-kinds names; JSON and folded output) */
const char *leak_kind_name(enum leak_kind k);

struct reach_block {
	uint64_t addr, size;
};

struct reach;

/* A classification over these blocks (any order; overlapping ones are
 * cut at the next one's start). NULL when memory is short. */
struct reach *reach_new(const struct reach_block *blocks, size_t n);
void reach_free(struct reach *r);

/* A range of the process's memory, [start, end). */
struct reach_range {
	uint64_t start, end;
};

/* Memory that holds no roots: the blocks in it are still scanned once
 * reached, the rest of it is passed over (the stack of a thread that has
 * exited, an allocator's own mappings: scan.h says when). Any order,
 * copied; replaces the last call's. Before reach_scan. 0, or -ENOMEM. */
int reach_set_nonroots(struct reach *r, const struct reach_range *v, size_t n);
/* Bytes of those ranges, outside any block, reach_scan passed over. */
uint64_t reach_nonroot_bytes(const struct reach *r);

/* Is addr a vtable's address in the process (memcheck's test: in a mapped
 * file, its first non-null words up to 20, two of them at least, pointing
 * into mapped files' executable code)? */
typedef bool (*reach_vtable_fn)(void *ctx, uint64_t addr);
/* Turns on the multipleinheritance heuristic (reach.c): before reach_scan.
 * Without it, an object held only through its second base class is
 * possibly lost. */
void reach_set_vtable_test(struct reach *r, reach_vtable_fn fn, void *ctx);

/* One register of a thread: a root. */
void reach_add_root_word(struct reach *r, uint64_t word);
/* len bytes of the process's memory that were at addr: the parts outside
 * the blocks are roots, the parts inside are the blocks' contents. Ranges
 * may come in any order and in pieces. 0, or -ENOMEM. */
int reach_scan(struct reach *r, uint64_t addr, const void *buf, size_t len);
/* Lowest block address and end of the highest block: memory outside
 * [lo, hi) can still hold roots, but no block contents. */
void reach_span(const struct reach *r, uint64_t *lo, uint64_t *hi);

/* The kind of every block, in the order given to reach_new; indirect (may
 * be NULL) gets, for each definitely lost block, the bytes indirectly lost
 * through it (valgrind's "N (D direct, I indirect) bytes"). 0, or -ENOMEM. */
int reach_classify(struct reach *r, uint8_t *kinds, uint64_t *indirect);

#endif
