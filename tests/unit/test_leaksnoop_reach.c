// SPDX-License-Identifier: GPL-2.0
/* leaksnoop's reachability model on hand-built heaps: each case is one of
 * memcheck's (memcheck/docs/mc-manual.xml "leak kinds", mc_leakcheck.c) with
 * the kind valgrind gives it. A heap is an array of words standing for
 * the process's memory at BASE; blocks are ranges of it. */
#include <stdbool.h>
#include <stdlib.h>
#include "reach.h"
#include "unit.h"

#define BASE	0x7f0000100000ULL
#define WORDS	4096

struct heap {
	uint64_t mem[WORDS];
	struct reach_block b[64];
	size_t n;
	uint64_t regs[8];
	size_t nregs;
	uint8_t kinds[64];
	uint64_t indirect[64];
	reach_vtable_fn vtable_test;		/* multipleinheritance on */
	struct reach_range nonroots[4];
	size_t nr_nonroots;
};

/* A block of size bytes at word offset w of the heap; returns its address. */
static uint64_t block(struct heap *h, size_t w, uint64_t size)
{
	h->b[h->n].addr = BASE + 8 * w;
	h->b[h->n].size = size;
	h->n++;
	return BASE + 8 * w;
}

static void put(struct heap *h, uint64_t addr, uint64_t value)
{
	h->mem[(addr - BASE) / 8] = value;
}

/* Scans the heap in pieces of chunk bytes (0: in one go) and classifies. */
static int classify_in(struct heap *h, size_t chunk)
{
	struct reach *r = reach_new(h->b, h->n);
	size_t len = sizeof(h->mem);
	int err = 0;

	if (!r)
		return -1;
	if (h->vtable_test)
		reach_set_vtable_test(r, h->vtable_test, NULL);
	if (reach_set_nonroots(r, h->nonroots, h->nr_nonroots)) {
		reach_free(r);
		return -1;
	}
	for (size_t i = 0; i < h->nregs; i++)
		reach_add_root_word(r, h->regs[i]);
	if (!chunk)
		chunk = len;
	for (size_t off = 0; off < len && !err; off += chunk)
		err = reach_scan(r, BASE + off, (const char *)h->mem + off,
				 off + chunk > len ? len - off : chunk);
	if (!err)
		err = reach_classify(r, h->kinds, h->indirect);
	reach_free(r);
	return err;
}

static int classify(struct heap *h)
{
	return classify_in(h, 0);
}

static struct heap *heap_new(void)
{
	return calloc(1, sizeof(struct heap));
}

/* The notes' leak-example: six rounds of p1 = malloc(12288), the last
 * still in a local (here: on the "stack", a word outside every block). */
static void test_notes_example(void)
{
	struct heap *h = heap_new();
	uint64_t p[6];

	for (int i = 0; i < 6; i++)
		p[i] = block(h, 100 + 8 * i, 48);	/* sizes scaled down */
	put(h, BASE + 8ULL * 4000, p[5]);			/* main's local p1 */
	put(h, p[0], 0);
	put(h, p[5] + 8, 1);
	CHECK(classify(h) == 0);
	for (int i = 0; i < 5; i++)
		CHECK_U64(h->kinds[i], LEAK_DEFINITE);
	CHECK_U64(h->kinds[5], LEAK_REACHABLE);
	free(h);
}

/* A register is a root too. */
static void test_register_root(void)
{
	struct heap *h = heap_new();
	uint64_t a = block(h, 10, 32), b = block(h, 20, 32);

	h->regs[h->nregs++] = a;
	put(h, a, b);			/* a -> b: b reachable through a */
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_REACHABLE);
	CHECK_U64(h->kinds[1], LEAK_REACHABLE);
	free(h);
}

/* A linked list whose head is lost: the head definitely, the rest
 * indirectly (memcheck's case 4), the head carrying their bytes. */
static void test_list_lost_head(void)
{
	struct heap *h = heap_new();
	uint64_t n[4];

	for (int i = 0; i < 4; i++)
		n[i] = block(h, 200 + 4 * i, 32);
	for (int i = 0; i < 3; i++)
		put(h, n[i] + 8, n[i + 1]);	/* node->next */
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_DEFINITE);
	for (int i = 1; i < 4; i++)
		CHECK_U64(h->kinds[i], LEAK_INDIRECT);
	CHECK_U64(h->indirect[0], 3 * 32);
	free(h);
}

/* The list again with its nodes allocated in reverse address order: the
 * leader is found later in address order and takes over the clique of
 * the block it points to (a clique leader reached stops being one). */
static void test_list_reverse_addresses(void)
{
	struct heap *h = heap_new();
	uint64_t n[4];

	for (int i = 0; i < 4; i++)
		n[i] = block(h, 400 - 4 * i, 32);	/* head highest */
	for (int i = 0; i < 3; i++)
		put(h, n[i], n[i + 1]);
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_DEFINITE);
	for (int i = 1; i < 4; i++)
		CHECK_U64(h->kinds[i], LEAK_INDIRECT);
	CHECK_U64(h->indirect[0], 3 * 32);
	CHECK_U64(h->indirect[3], 0);
	free(h);
}

/* Only an interior pointer: possibly lost (case 5), and what that block
 * points to, even by a start pointer, is possibly lost too (case 6). */
static void test_interior_only(void)
{
	struct heap *h = heap_new();
	uint64_t a = block(h, 10, 64), b = block(h, 30, 64);

	put(h, BASE + 8ULL * 3000, a + 40);
	put(h, a + 16, b);
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_POSSIBLE);
	CHECK_U64(h->kinds[1], LEAK_POSSIBLE);
	free(h);
}

/* A possibly lost block with a start pointer from a root as well is
 * still reachable, and so is what it points to (the block is rescanned). */
static void test_possible_upgraded(void)
{
	struct heap *h = heap_new();
	uint64_t a = block(h, 10, 64), b = block(h, 30, 64), c = block(h, 50, 64);

	put(h, BASE + 8ULL * 3000, a + 40);	/* interior into a */
	put(h, a, b);				/* a -> b */
	put(h, b, c);				/* b -> c */
	put(h, BASE + 8ULL * 3001, b);		/* and b from a root */
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_POSSIBLE);
	CHECK_U64(h->kinds[1], LEAK_REACHABLE);
	CHECK_U64(h->kinds[2], LEAK_REACHABLE);
	free(h);
}

/* A reachable block's interior pointer makes its target possibly lost. */
static void test_interior_from_reachable(void)
{
	struct heap *h = heap_new();
	uint64_t a = block(h, 10, 64), b = block(h, 30, 64);

	put(h, BASE + 8ULL * 3000, a);
	put(h, a + 8, b + 16);
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_REACHABLE);
	CHECK_U64(h->kinds[1], LEAK_POSSIBLE);
	free(h);
}

/* A cycle nothing points to: the lowest address leads the clique. */
static void test_cycle_lost(void)
{
	struct heap *h = heap_new();
	uint64_t a = block(h, 10, 32), b = block(h, 20, 32), c = block(h, 30, 32);

	put(h, a, b);
	put(h, b, c);
	put(h, c, a);
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_DEFINITE);
	CHECK_U64(h->kinds[1], LEAK_INDIRECT);
	CHECK_U64(h->kinds[2], LEAK_INDIRECT);
	CHECK_U64(h->indirect[0], 64);
	free(h);
}

/* A cycle hanging off a lost block higher up: the outside block leads;
 * the cycle's first leader joins its clique. */
static void test_cycle_below_lost_block(void)
{
	struct heap *h = heap_new();
	uint64_t a = block(h, 10, 32), b = block(h, 20, 32), top = block(h, 30, 32);

	put(h, a, b);
	put(h, b, a);
	put(h, top, a);
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[2], LEAK_DEFINITE);
	CHECK_U64(h->kinds[0], LEAK_INDIRECT);
	CHECK_U64(h->kinds[1], LEAK_INDIRECT);
	CHECK_U64(h->indirect[2], 64);
	CHECK_U64(h->indirect[0], 0);
	free(h);
}

/* A cycle reached from a root through one of its blocks: all reachable. */
static void test_cycle_reachable(void)
{
	struct heap *h = heap_new();
	uint64_t a = block(h, 10, 32), b = block(h, 20, 32);

	put(h, a, b);
	put(h, b, a);
	put(h, BASE + 8ULL * 2000, b);
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_REACHABLE);
	CHECK_U64(h->kinds[1], LEAK_REACHABLE);
	free(h);
}

/* Pointers to itself don't reach a block: still definitely lost. */
static void test_self_pointers(void)
{
	struct heap *h = heap_new();
	uint64_t a = block(h, 10, 64);

	put(h, a, a);
	put(h, a + 8, a + 32);
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_DEFINITE);
	CHECK_U64(h->indirect[0], 0);
	free(h);
}

/* Two lost blocks pointing to one: it is counted once, in one clique. */
static void test_shared_target(void)
{
	struct heap *h = heap_new();
	uint64_t a = block(h, 10, 32), b = block(h, 20, 32), c = block(h, 30, 32);

	put(h, a, c);
	put(h, b, c);
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_DEFINITE);
	CHECK_U64(h->kinds[1], LEAK_DEFINITE);
	CHECK_U64(h->kinds[2], LEAK_INDIRECT);
	CHECK_U64(h->indirect[0] + h->indirect[1], 32);
	free(h);
}

/* One past the end is not a pointer into the block; the last byte is. */
static void test_block_bounds(void)
{
	struct heap *h = heap_new();
	uint64_t a = block(h, 10, 40), b = block(h, 20, 40);

	put(h, BASE + 8ULL * 2000, a + 40);
	put(h, BASE + 8ULL * 2001, b + 39);
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_DEFINITE);
	CHECK_U64(h->kinds[1], LEAK_POSSIBLE);
	free(h);
}

/* malloc(0): a zero-size block covers one byte (mc_leakcheck.c
 * find_chunk_for), else it would always be "definitely lost". */
static void test_zero_size_block(void)
{
	struct heap *h = heap_new();

	block(h, 10, 0);
	put(h, BASE + 8ULL * 2000, BASE + 80);
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_REACHABLE);
	free(h);
}

/* A pointer stored inside a lost block is not a root. */
static void test_block_contents_are_not_roots(void)
{
	struct heap *h = heap_new();
	uint64_t a = block(h, 10, 64), b = block(h, 30, 64);

	put(h, a + 56, b);
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_DEFINITE);
	CHECK_U64(h->kinds[1], LEAK_INDIRECT);
	free(h);
}

/* Words are aligned: a pointer at an odd address is not seen; nor is a
 * word only partly inside a block (its last bytes are the malloc slack). */
static void test_alignment(void)
{
	struct heap *h = heap_new();
	uint64_t a = block(h, 10, 20), b = block(h, 30, 32), c = block(h, 40, 32);
	unsigned char *bytes = (unsigned char *)h->mem;

	memcpy(bytes + 8ULL * 2000 + 3, &b, 8);	/* unaligned root word */
	put(h, a + 16, c);			/* straddles a's end (20) */
	put(h, BASE + 8ULL * 2010, a);
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_REACHABLE);
	CHECK_U64(h->kinds[1], LEAK_DEFINITE);
	CHECK_U64(h->kinds[2], LEAK_DEFINITE);
	free(h);
}

/* memcheck's default heuristics on interior pointers (all of them are on
 * by default in valgrind 3.19): newarray and length64 at +8, stdstring at
 * +24. */
static void test_heuristics(void)
{
	struct heap *h = heap_new();
	uint64_t arr = block(h, 10, 8 + 5 * 16);	/* new T[5], sizeof(T) 16 */
	uint64_t str = block(h, 30, 24 + 10 + 1);	/* std::string, capacity 10 */
	uint64_t bad = block(h, 50, 8 + 5 * 16);	/* count that doesn't divide */
	uint64_t off = block(h, 80, 64);		/* +16: plain interior */

	put(h, arr, 5);
	put(h, str, 3);			/* length */
	put(h, str + 8, 10);		/* capacity */
	put(h, bad, 7);
	put(h, off, 1);
	put(h, BASE + 8ULL * 2000, arr + 8);
	put(h, BASE + 8ULL * 2001, str + 24);
	put(h, BASE + 8ULL * 2002, bad + 8);
	put(h, BASE + 8ULL * 2003, off + 16);
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_REACHABLE);
	CHECK_U64(h->kinds[1], LEAK_REACHABLE);
	CHECK_U64(h->kinds[2], LEAK_POSSIBLE);
	CHECK_U64(h->kinds[3], LEAK_POSSIBLE);
	free(h);
}

/* Two vtables of the "process" (their addresses lie outside the heap, as
 * in a mapped file). */
#define VTABLE_A	0x555555600010ULL
#define VTABLE_B	0x555555600090ULL

static bool two_vtables(void *ctx, uint64_t addr)
{
	(void)ctx;
	return addr == VTABLE_A || addr == VTABLE_B;
}

/* struct C : A, B held only by a B * (C + 16, where B's vtable pointer
 * is): reachable by memcheck's multipleinheritance heuristic, from a root
 * or from a reachable block; not when either word is no vtable pointer,
 * nor without the test (then possibly lost, as before). */
static void test_multiple_inheritance(void)
{
	for (int with_test = 0; with_test < 2; with_test++) {
		struct heap *h = heap_new();
		uint64_t c = block(h, 10, 48);		/* held from a root */
		uint64_t c2 = block(h, 20, 48);		/* held from a block */
		uint64_t owner = block(h, 30, 16);
		uint64_t not_b = block(h, 40, 48);	/* +16 is no vtable pointer */
		uint64_t not_c = block(h, 50, 48);	/* +0 is no vtable pointer */

		h->vtable_test = with_test ? two_vtables : NULL;
		for (int i = 0; i < 2; i++) {
			uint64_t o = i ? c2 : c;

			put(h, o, VTABLE_A);
			put(h, o + 16, VTABLE_B);
		}
		put(h, not_b, VTABLE_A);
		put(h, not_b + 16, 12345);
		put(h, not_c, 12345);
		put(h, not_c + 16, VTABLE_B);
		put(h, BASE + 8ULL * 2000, c + 16);
		put(h, BASE + 8ULL * 2001, owner);
		put(h, owner, c2 + 16);
		put(h, BASE + 8ULL * 2002, not_b + 16);
		put(h, BASE + 8ULL * 2003, not_c + 16);
		CHECK(classify(h) == 0);
		CHECK_U64(h->kinds[0], with_test ? LEAK_REACHABLE : LEAK_POSSIBLE);
		CHECK_U64(h->kinds[1], with_test ? LEAK_REACHABLE : LEAK_POSSIBLE);
		CHECK_U64(h->kinds[2], LEAK_REACHABLE);
		CHECK_U64(h->kinds[3], LEAK_POSSIBLE);
		CHECK_U64(h->kinds[4], LEAK_POSSIBLE);
		free(h);
	}
}

/* Memory that holds no roots (an exited thread's frames, an allocator's
 * own mapping): a pointer there keeps nothing, but a block in it still
 * has its contents scanned once reached; scanned in pieces, the same. */
static void test_nonroot_ranges(void)
{
	for (size_t chunk = 0; chunk <= 24; chunk += 24) {
		struct heap *h = heap_new();
		uint64_t lost = block(h, 10, 32);
		uint64_t in_range = block(h, 1004, 32);	/* inside the range */
		uint64_t child = block(h, 20, 32);
		uint64_t kept = block(h, 30, 32);

		h->nonroots[h->nr_nonroots++] = (struct reach_range){ BASE + 8ULL * 1000,
								      BASE + 8ULL * 1100 };
		put(h, BASE + 8ULL * 1001, lost);		/* a stale pointer */
		put(h, BASE + 8ULL * 3000, in_range);	/* a root outside */
		put(h, in_range, child);
		put(h, BASE + 8ULL * 1100, kept);		/* just past the range */
		CHECK(classify_in(h, chunk) == 0);
		CHECK_U64(h->kinds[0], LEAK_DEFINITE);
		CHECK_U64(h->kinds[1], LEAK_REACHABLE);
		CHECK_U64(h->kinds[2], LEAK_REACHABLE);
		CHECK_U64(h->kinds[3], LEAK_REACHABLE);
		free(h);
	}
}

/* The same heap scanned in pieces of every awkward size classifies the
 * same as in one go: blocks and roots cut across buffer boundaries. */
static void test_pieces(void)
{
	static const size_t chunks[] = { 8, 16, 24, 40, 4096, 12288, 1000 };
	struct heap *h = heap_new();
	uint8_t want[64];
	uint64_t n[8];

	for (int i = 0; i < 8; i++)
		n[i] = block(h, 100 + 37 * i, 8ULL * 37 - 16);
	for (int i = 0; i < 7; i++)
		put(h, n[i] + 8ULL * (uint64_t)(i + 1), n[i + 1] + (i == 3 ? 16 : 0));
	put(h, BASE + 8ULL * 3500, n[2]);
	put(h, BASE + 8ULL * 3600, n[6] + 8ULL * 30);
	CHECK(classify(h) == 0);
	memcpy(want, h->kinds, sizeof(want));
	CHECK_U64(want[0], LEAK_DEFINITE);
	CHECK_U64(want[1], LEAK_INDIRECT);
	CHECK_U64(want[2], LEAK_REACHABLE);
	CHECK_U64(want[3], LEAK_REACHABLE);
	CHECK_U64(want[4], LEAK_POSSIBLE);	/* via an interior pointer */
	CHECK_U64(want[5], LEAK_POSSIBLE);	/* through a possible block */
	CHECK_U64(want[6], LEAK_POSSIBLE);
	CHECK_U64(want[7], LEAK_POSSIBLE);
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		memset(h->kinds, 0xff, sizeof(h->kinds));
		CHECK(classify_in(h, chunks[c]) == 0);
		CHECK(!memcmp(want, h->kinds, h->n));
	}
	free(h);
}

/* Blocks given in any order come back in that order; overlapping ones
 * (a stale entry under a newer block) are cut, not a crash. */
static void test_order_and_overlap(void)
{
	struct heap *h = heap_new();
	uint64_t hi = block(h, 300, 32), lo = block(h, 100, 400);	/* words 100..150 */
	uint64_t in = block(h, 120, 32);				/* inside lo */

	put(h, BASE + 8ULL * 3000, hi);
	put(h, BASE + 8ULL * 3001, in);
	(void)lo;
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_REACHABLE);
	CHECK_U64(h->kinds[1], LEAK_DEFINITE);
	CHECK_U64(h->kinds[2], LEAK_REACHABLE);
	free(h);
}

static void test_empty_and_names(void)
{
	struct reach *r = reach_new(NULL, 0);
	uint64_t mem[4] = { 1, 2, 3, 4 };

	CHECK(r != NULL);
	if (r) {
		CHECK(reach_scan(r, BASE, mem, sizeof(mem)) == 0);
		CHECK(reach_classify(r, NULL, NULL) == 0);
		reach_free(r);
	}
	CHECK_STR(leak_kind_words(LEAK_DEFINITE), "definitely lost");
	CHECK_STR(leak_kind_words(LEAK_INDIRECT), "indirectly lost");
	CHECK_STR(leak_kind_words(LEAK_POSSIBLE), "possibly lost");
	CHECK_STR(leak_kind_words(LEAK_REACHABLE), "still reachable");
	CHECK_STR(leak_kind_name(LEAK_REACHABLE), "reachable");
	CHECK_STR(leak_kind_name(LEAK_UNKNOWN), "unknown");
}

/* glibc's pointers to the next chunk's header (its bins, top, free
 * chunks' links) land in the last 8 bytes of a block that fills its chunk:
 * not a pointer into the block. A 1000-byte block's chunk is 1008 bytes,
 * the next header 992 bytes after the block's start; a 990-byte block's
 * next header (at 992) is past its end; 984 into the 1000-byte block is an
 * ordinary interior pointer. */
static void test_next_chunk_header_is_not_interior(void)
{
	struct heap *h = heap_new();
	uint64_t a = block(h, 10, 1000), b = block(h, 200, 1000), c = block(h, 400, 1000);
	uint64_t d = block(h, 600, 24), e = block(h, 700, 1000);

	put(h, BASE + 8ULL * 3000, a + 992);		/* a free chunk's fd, a root */
	h->regs[h->nregs++] = b + 992;			/* arena's top, in a register */
	put(h, BASE + 8ULL * 3001, c + 984);
	put(h, BASE + 8ULL * 3002, d + 16);		/* 24 bytes: chunk 32, header at 16 */
	put(h, a + 8, e + 992);				/* stale link in a's contents */
	CHECK(classify(h) == 0);
	CHECK_U64(h->kinds[0], LEAK_DEFINITE);
	CHECK_U64(h->kinds[1], LEAK_DEFINITE);
	CHECK_U64(h->kinds[2], LEAK_POSSIBLE);
	CHECK_U64(h->kinds[3], LEAK_DEFINITE);
	CHECK_U64(h->kinds[4], LEAK_DEFINITE);		/* not indirectly lost through a */
	CHECK_U64(h->indirect[0], 0);
	free(h);
}

int main(void)
{
	RUN(test_notes_example);
	RUN(test_register_root);
	RUN(test_list_lost_head);
	RUN(test_list_reverse_addresses);
	RUN(test_interior_only);
	RUN(test_possible_upgraded);
	RUN(test_interior_from_reachable);
	RUN(test_cycle_lost);
	RUN(test_cycle_below_lost_block);
	RUN(test_cycle_reachable);
	RUN(test_self_pointers);
	RUN(test_shared_target);
	RUN(test_block_bounds);
	RUN(test_zero_size_block);
	RUN(test_block_contents_are_not_roots);
	RUN(test_alignment);
	RUN(test_heuristics);
	RUN(test_pieces);
	RUN(test_order_and_overlap);
	RUN(test_empty_and_names);
	RUN(test_next_chunk_header_is_not_interior);
	RUN(test_multiple_inheritance);
	RUN(test_nonroot_ranges);
	UNIT_EXIT();
}
