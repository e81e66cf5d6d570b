// SPDX-License-Identifier: GPL-2.0
/* valgrind's leak kinds over a scanned copy of a process's memory; see
 * reach.h for the rules and where they come from. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "alloc_group.h"
#include "reach.h"
#include "vec.h"

/* How a pointer lands in its block; what memcheck's heuristics look at. */
enum ptr_class {
	AT_START,	/* block.addr */
	AT_8,		/* block.addr + 8: length64, newarray */
	AT_24,		/* block.addr + 24: stdstring */
	AT_INTERIOR,	/* anywhere else inside */
};

#define DST_BITS	30
#define DST_MASK	((1U << DST_BITS) - 1)
#define MAX_BLOCKS	DST_MASK

enum state { UNREACHED, INDIRECT, POSSIBLE, REACHABLE };

#define ROOT_POLY	0x80	/* in root[]: the block's first word is a vtable pointer */

/* A word-aligned interior pointer: multipleinheritance may make it a start
 * pointer once every block's vtable pointers are known. */
struct mi_cand {
	uint64_t ptr;
	size_t edge;		/* its edge, or SIZE_MAX: a root's, into block */
	uint32_t block;
};

struct reach {
	size_t n;
	/* sorted by address; [start, lend) is what a pointer may hit (a
	 * zero-size block covers one byte), [start, cend) what its contents
	 * are, both cut at the next block's start */
	uint64_t *start, *lend, *cend, *size;
	uint32_t *orig;			/* index given to reach_new */
	uint64_t *w0, *w1;		/* the first two words (heuristics) */
	uint8_t *root;			/* bit per ptr_class: a root points here so */
	uint64_t lo, hi;		/* what any block covers */
	size_t last;			/* the last block a lookup found */
	/* pointers found in the blocks' contents: src << 32 | class << 30 | dst */
	uint64_t *edges;
	size_t nr_edges, cap_edges;
	/* memory that holds no roots, sorted and merged (reach_set_nonroots) */
	struct reach_range *nonroots;
	size_t nr_nonroots;
	uint64_t nonroot_bytes;		/* outside blocks, passed over there */
	/* multipleinheritance: the test, the addresses of the vtable
	 * pointers inside blocks that start with one, the pointers to try */
	reach_vtable_fn is_vtable;
	void *vt_ctx;
	uint64_t *vt_words;
	size_t nr_vt_words, cap_vt_words;
	struct mi_cand *cands;
	size_t nr_cands, cap_cands;
	struct alloc_group arrays;	/* every per-block array above but edges */
};

static const char *const kind_words[LEAK_KINDS] = {
	[LEAK_DEFINITE] = "definitely lost", [LEAK_INDIRECT] = "indirectly lost",
	[LEAK_POSSIBLE] = "possibly lost", [LEAK_REACHABLE] = "still reachable",
	[LEAK_UNKNOWN] = "outstanding",
};
static const char *const kind_names[LEAK_KINDS] = {
	[LEAK_DEFINITE] = "definite", [LEAK_INDIRECT] = "indirect",
	[LEAK_POSSIBLE] = "possible", [LEAK_REACHABLE] = "reachable",
	[LEAK_UNKNOWN] = "unknown",
};

const char *leak_kind_words(enum leak_kind k)
{
	return kind_words[k < LEAK_KINDS ? k : LEAK_UNKNOWN];
}

const char *leak_kind_name(enum leak_kind k)
{
	return kind_names[k < LEAK_KINDS ? k : LEAK_UNKNOWN];
}

/* ---- building ---------------------------------------------------------------- */

struct sortable {
	uint64_t addr, size;
	uint32_t orig;
};

static int by_addr(const void *a, const void *b)
{
	const struct sortable *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->orig < y->orig ? -1 : x->orig > y->orig;
}

static bool reach_alloc(struct reach *r, size_t n)
{
	struct alloc_group *g = &r->arrays;

	r->start = alloc_group_calloc(g, n, sizeof(*r->start));
	r->lend = alloc_group_calloc(g, n, sizeof(*r->lend));
	r->cend = alloc_group_calloc(g, n, sizeof(*r->cend));
	r->size = alloc_group_calloc(g, n, sizeof(*r->size));
	r->orig = alloc_group_calloc(g, n, sizeof(*r->orig));
	r->w0 = alloc_group_calloc(g, n, sizeof(*r->w0));
	r->w1 = alloc_group_calloc(g, n, sizeof(*r->w1));
	r->root = alloc_group_calloc(g, n, sizeof(*r->root));
	return r->start && r->lend && r->cend && r->size && r->orig && r->w0 && r->w1 && r->root;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

struct reach *reach_new(const struct reach_block *blocks, size_t n)
{
	struct reach *r = calloc(1, sizeof(*r));
	struct sortable *s = malloc((n ? n : 1) * sizeof(*s));

	if (!r || !s || n > MAX_BLOCKS || !reach_alloc(r, n)) {
		free(s);
		reach_free(r);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		s[i] = (struct sortable){ blocks[i].addr, blocks[i].size, (uint32_t)i };
	if (n)
		qsort(s, n, sizeof(*s), by_addr);
	r->n = n;
	for (size_t i = 0; i < n; i++) {
		uint64_t next = i + 1 < n ? s[i + 1].addr : UINT64_MAX;
		uint64_t covers = s[i].size ? s[i].size : 1;

		r->start[i] = s[i].addr;
		r->size[i] = s[i].size;
		r->orig[i] = s[i].orig;
		r->lend[i] = min_u64(s[i].addr + covers, next);
		r->cend[i] = min_u64(s[i].addr + s[i].size, next);
	}
	r->lo = n ? r->start[0] : 0;
	r->hi = n ? r->lend[n - 1] : 0;
	for (size_t i = 0; i + 1 < n; i++)
		if (r->lend[i] > r->hi)
			r->hi = r->lend[i];
	free(s);
	return r;
}

void reach_free(struct reach *r)
{
	if (!r)
		return;
	alloc_group_free(&r->arrays);
	free(r->edges);
	free(r->nonroots);
	free(r->vt_words);
	free(r->cands);
	free(r);
}

void reach_span(const struct reach *r, uint64_t *lo, uint64_t *hi)
{
	*lo = r->lo;
	*hi = r->hi;
}

/* ---- finding the block a word points into -------------------------------------------- */

/* The last block starting at or before addr, or SIZE_MAX. Branch-free
 * (the compare becomes a conditional move): pointers into random blocks
 * defeat the branch predictor, and a mispredicted step costs more than the
 * whole compare. Measured here on 16384 blocks: 3x faster than the
 * branching search. */
static size_t last_at_or_before(const struct reach *r, uint64_t addr)
{
	const uint64_t *base = r->start;
	size_t n = r->n;

	if (!n || addr < base[0])
		return SIZE_MAX;
	while (n > 1) {
		size_t half = n / 2;

		base = base[half] <= addr ? base + half : base;
		n -= half;
	}
	return (size_t)(base - r->start);
}

/* The block word points into, or SIZE_MAX. Most words are not pointers
 * (one compare says so); pointers come in runs into nearby blocks, so the
 * last block found is tried before the binary search. */
static size_t lookup(struct reach *r, uint64_t word)
{
	size_t i;

	if (word - r->lo >= r->hi - r->lo)
		return SIZE_MAX;
	i = r->last;
	if (i < r->n && r->start[i] <= word && word < r->lend[i])
		return i;
	i = last_at_or_before(r, word);
	if (i == SIZE_MAX || word >= r->lend[i])
		return SIZE_MAX;
	r->last = i;
	return i;
}

/* Does word, found to point into block j, point at the header of the
 * malloc chunk that follows it instead? glibc's chunk of an n-byte block is
 * n + 8 rounded up to 16 (32 at least), the next chunk's header starting 16
 * bytes before its end: when n fills the chunk, that header's first word
 * (prev_size, unused while the block is live) lies in the block's last 8
 * bytes. glibc's bins, its arenas' top and free chunks' links point at
 * chunk headers, so each free chunk after such a block made the block look
 * "possibly lost" (2000 threads each leaking five 1000-byte blocks: 1,520
 * blocks possibly lost instead of definitely). The other allocators keep
 * no headers between blocks; there this rule only passes over a pointer at
 * that one offset, 16-aligned within the block's last 8 bytes. */
static bool at_next_chunk_header(const struct reach *r, size_t j, uint64_t word)
{
	uint64_t off = word - r->start[j], size = r->size[j];
	uint64_t chunk = (size + 8 + 15) & ~15ULL;

	if (chunk < 32)
		chunk = 32;
	return off && off == chunk - 16;
}

static enum ptr_class classify_ptr(uint64_t off)
{
	switch (off) {
	case 0: return AT_START;
	case 8: return AT_8;
	case 24: return AT_24;
	default: return AT_INTERIOR;
	}
}

/* ---- taking in memory ----------------------------------------------------------------- */

void reach_set_vtable_test(struct reach *r, reach_vtable_fn fn, void *ctx)
{
	r->is_vtable = fn;
	r->vt_ctx = ctx;
}

/* memcheck's own shortcut: no vtable is word-unaligned or in page 0. */
static bool may_be_vtable(const struct reach *r, uint64_t w)
{
	return r->is_vtable && !(w & 7) && w >= 4096 && r->is_vtable(r->vt_ctx, w);
}

/* A word-aligned pointer into block j that is not at its start. */
static void note_mi_cand(struct reach *r, uint64_t ptr, size_t edge, size_t j)
{
	struct mi_cand *v;

	if (!r->is_vtable || (ptr & 7) || ptr == r->start[j])
		return;
	v = vec_reserve(r->cands, &r->cap_cands, r->nr_cands, sizeof(*v));
	if (!v)
		return;		/* one heuristic less: never a start pointer too many */
	r->cands = v;
	r->cands[r->nr_cands++] = (struct mi_cand){ ptr, edge, (uint32_t)j };
}

void reach_add_root_word(struct reach *r, uint64_t word)
{
	size_t j = lookup(r, word);

	if (j != SIZE_MAX && !at_next_chunk_header(r, j, word)) {
		r->root[j] |= (uint8_t)(1U << classify_ptr(word - r->start[j]));
		note_mi_cand(r, word, SIZE_MAX, j);
	}
}

static int add_edge(struct reach *r, size_t src, size_t dst, enum ptr_class c)
{
	uint64_t e = (uint64_t)src << 32 | (uint64_t)c << DST_BITS | dst;
	uint64_t *v;

	/* an array of pointers to one block is one edge, not thousands */
	if (r->nr_edges && r->edges[r->nr_edges - 1] == e)
		return 0;
	v = vec_reserve(r->edges, &r->cap_edges, r->nr_edges, sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->edges = v;
	r->edges[r->nr_edges++] = e;
	return 0;
}

static uint64_t word_at(const unsigned char *buf, uint64_t base, uint64_t addr)
{
	uint64_t w;

	memcpy(&w, buf + (addr - base), sizeof(w));
	return w;
}

/* Root words at [a, end) (aligned, whole words in the buffer). The loop
 * is the scan's hot path: one subtraction and compare rejects a word that
 * points into no block (most of them). */
static void scan_roots(struct reach *r, const unsigned char *buf, uint64_t base, uint64_t a,
		       uint64_t end)
{
	uint64_t lo = r->lo, span = r->hi - r->lo;

	for (; a + 8 <= end; a += 8) {
		uint64_t w = word_at(buf, base, a);

		if (w - lo < span)
			reach_add_root_word(r, w);
	}
}

/* In a block whose first word is a vtable pointer: the words at [a, end)
 * that are vtable pointers too (where its base classes' parts start). */
static int note_vtable_words(struct reach *r, const unsigned char *buf, uint64_t base,
			     uint64_t a, uint64_t end)
{
	for (; a + 8 <= end; a += 8) {
		uint64_t *v;

		if (!may_be_vtable(r, word_at(buf, base, a)))
			continue;
		v = vec_reserve(r->vt_words, &r->cap_vt_words, r->nr_vt_words, sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->vt_words = v;
		r->vt_words[r->nr_vt_words++] = a;
	}
	return 0;
}

/* Block i's words at [a, end). */
static int scan_block(struct reach *r, size_t i, const unsigned char *buf, uint64_t base,
		      uint64_t a, uint64_t end)
{
	uint64_t lo = r->lo, span = r->hi - r->lo;

	/* the heuristics look at the first two words */
	if (a == r->start[i] && a + 8 <= end) {
		r->w0[i] = word_at(buf, base, a);
		if (may_be_vtable(r, r->w0[i]))
			r->root[i] |= ROOT_POLY;
	}
	if (a <= r->start[i] + 8 && r->start[i] + 16 <= end)
		r->w1[i] = word_at(buf, base, r->start[i] + 8);
	if ((r->root[i] & ROOT_POLY) && note_vtable_words(r, buf, base, a, end))
		return -ENOMEM;
	for (; a + 8 <= end; a += 8) {
		uint64_t w = word_at(buf, base, a);
		size_t j;

		if (w - lo >= span)
			continue;
		j = lookup(r, w);
		if (j == SIZE_MAX || at_next_chunk_header(r, j, w))
			continue;
		if (add_edge(r, i, j, classify_ptr(w - r->start[j])))
			return -ENOMEM;
		note_mi_cand(r, w, r->nr_edges - 1, j);
	}
	return 0;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int by_start(const void *a, const void *b)
{
	const struct reach_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int reach_set_nonroots(struct reach *r, const struct reach_range *v, size_t n)
{
	struct reach_range *c = malloc((n ? n : 1) * sizeof(*c));
	size_t m = 0;

	if (!c)
		return -ENOMEM;
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), by_start);
	for (size_t i = 0; i < n; i++) {
		if (c[i].end <= c[i].start)
			continue;
		if (m && c[i].start <= c[m - 1].end) {
			if (c[i].end > c[m - 1].end)
				c[m - 1].end = c[i].end;
			continue;
		}
		c[m++] = c[i];
	}
	free(r->nonroots);
	r->nonroots = c;
	r->nr_nonroots = m;
	return 0;
}

uint64_t reach_nonroot_bytes(const struct reach *r)
{
	return r->nonroot_bytes;
}

/* The first non-root range that ends after a, or nr_nonroots. */
static size_t nonroot_after(const struct reach *r, uint64_t a)
{
	size_t lo = 0, hi = r->nr_nonroots;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->nonroots[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Root words at [a, end), but for the parts of it that hold no roots. */
static void scan_roots_outside(struct reach *r, const unsigned char *buf, uint64_t base,
			       uint64_t a, uint64_t end)
{
	size_t k = r->nr_nonroots ? nonroot_after(r, a) : 0;

	while (a < end) {
		const struct reach_range *nr = k < r->nr_nonroots ? &r->nonroots[k] : NULL;

		if (!nr || nr->start >= end) {
			scan_roots(r, buf, base, a, end);
			return;
		}
		if (nr->start > a)
			scan_roots(r, buf, base, a, nr->start & ~7ULL);
		/* word-aligned: a word only partly in the range is no root */
		a = nr->start > a ? nr->start : a;
		r->nonroot_bytes += min_u64(nr->end, end) - a;
		a = (min_u64(nr->end, end) + 7) & ~7ULL;
		k++;
	}
}

int reach_scan(struct reach *r, uint64_t addr, const void *buf, size_t len)
{
	const unsigned char *b = buf;
	uint64_t end = addr + len, a = (addr + 7) & ~7ULL;
	size_t i;

	if (end < addr)
		return -EINVAL;
	/* the first block whose contents end after a */
	i = last_at_or_before(r, a);
	if (i == SIZE_MAX || r->cend[i] <= a)
		i = i == SIZE_MAX ? 0 : i + 1;
	while (a + 8 <= end) {
		if (i < r->n && r->start[i] <= a) {
			uint64_t stop = min_u64(r->cend[i], end);

			if (scan_block(r, i, b, addr, a, stop))
				return -ENOMEM;
			/* a word only partly inside the block is neither its
			 * contents nor a root (memcheck scans whole words) */
			a = (r->cend[i] + 7) & ~7ULL;
			if (r->cend[i] > end)
				break;
			i++;
			while (i < r->n && r->cend[i] <= a)
				i++;
		} else {
			uint64_t next = i < r->n ? min_u64(r->start[i], end) : end;
			uint64_t stop = (next + 7) & ~7ULL;	/* the word a block starts in */

			if (stop > end)
				stop = end;
			scan_roots_outside(r, b, addr, a, stop);
			if (stop <= a)
				break;
			a = stop;
		}
	}
	return 0;
}

/* ---- classifying ---------------------------------------------------------------------- */

/* Would memcheck's default heuristics count an interior pointer of class c
 * into block i as a start pointer? (mc_leakcheck.c heuristic_reachedness:
 * stdstring, length64, newarray; their words must lie inside the block.) */
static bool heuristic_accepts(const struct reach *r, size_t i, enum ptr_class c)
{
	uint64_t size = r->size[i];

	if (c == AT_24 && size >= 16) {
		uint64_t length = r->w0[i], capacity = r->w1[i];

		return 24 + capacity + 1 == size && length <= capacity;
	}
	if (c == AT_8 && size >= 8 && r->w0[i] > 0)
		return (size - 8) % r->w0[i] == 0;	/* newarray; length64 is its subset */
	return false;
}

/* memcheck's multipleinheritance heuristic (mc_leakcheck.c): an interior
 * pointer into a block is as good as a start pointer when the block's
 * first word and the word it points at are both vtable pointers (the
 * pointer is a C++ object's second or later base class: struct C : A, B
 * held by a B *). Decided once every block's words are in. */
static void apply_multiple_inheritance(struct reach *r)
{
	if (!r->nr_cands || !r->nr_vt_words)
		return;
	qsort(r->vt_words, r->nr_vt_words, sizeof(*r->vt_words), u64_cmp);
	for (size_t k = 0; k < r->nr_cands; k++) {
		const struct mi_cand *c = &r->cands[k];

		if (!(r->root[c->block] & ROOT_POLY) ||
		    !bsearch(&c->ptr, r->vt_words, r->nr_vt_words, sizeof(uint64_t), u64_cmp))
			continue;
		if (c->edge == SIZE_MAX)
			r->root[c->block] |= 1U << AT_START;
		else	/* the same edge, now at the start */
			r->edges[c->edge] &= ~((uint64_t)3 << DST_BITS);
	}
}

struct graph {
	size_t *first;		/* block i's edges: dst[first[i] .. first[i + 1]) */
	uint32_t *dst;		/* class << 30 | block */
};

static int graph_build(const struct reach *r, struct graph *g)
{
	g->first = calloc(r->n + 1, sizeof(*g->first));
	g->dst = malloc((r->nr_edges ? r->nr_edges : 1) * sizeof(*g->dst));
	if (!g->first || !g->dst)
		return -ENOMEM;
	for (size_t e = 0; e < r->nr_edges; e++)
		g->first[(r->edges[e] >> 32) + 1]++;
	for (size_t i = 0; i < r->n; i++)
		g->first[i + 1] += g->first[i];
	{
		size_t *fill = malloc((r->n ? r->n : 1) * sizeof(*fill));

		if (!fill)
			return -ENOMEM;
		memcpy(fill, g->first, (r->n ? r->n : 1) * sizeof(*fill));
		for (size_t e = 0; e < r->nr_edges; e++)
			g->dst[fill[r->edges[e] >> 32]++] = (uint32_t)r->edges[e];
		free(fill);
	}
	return 0;
}

/* memcheck's mark stack: a block is on it at most once at a time. */
struct marks {
	uint8_t *state;
	bool *pending;
	uint32_t *stack;
	size_t top;
	uint64_t *indirect;	/* a clique leader's indirectly lost bytes */
};

static void push(struct marks *m, size_t i)
{
	if (m->pending[i])
		return;
	m->pending[i] = true;
	m->stack[m->top++] = (uint32_t)i;
}

static size_t pop(struct marks *m)
{
	size_t i = m->stack[--m->top];

	m->pending[i] = false;
	return i;
}

/* lc_push_without_clique_if_a_chunk_ptr: a pointer of class c into block
 * i, found in a root or a block reached only possibly (prior_definite
 * false) or surely. */
static void reach_via(const struct reach *r, struct marks *m, size_t i, enum ptr_class c,
		      bool prior_definite)
{
	bool as_start;

	if (m->state[i] == REACHABLE)
		return;
	as_start = c == AT_START || heuristic_accepts(r, i, c);
	if (as_start && prior_definite) {
		m->state[i] = REACHABLE;
		push(m, i);
	} else if (m->state[i] == UNREACHED) {
		m->state[i] = POSSIBLE;
		push(m, i);
	}
}

static void mark_from_roots(const struct reach *r, const struct graph *g, struct marks *m)
{
	for (size_t i = 0; i < r->n; i++)
		for (int c = AT_START; c <= AT_INTERIOR; c++)
			if (r->root[i] & (1U << c))
				reach_via(r, m, i, (enum ptr_class)c, true);
	while (m->top) {
		size_t i = pop(m);
		bool definite = m->state[i] != POSSIBLE;

		for (size_t e = g->first[i]; e < g->first[i + 1]; e++)
			reach_via(r, m, g->dst[e] & DST_MASK, (enum ptr_class)(g->dst[e] >> DST_BITS),
				  definite);
	}
}

/* lc_push_with_clique_if_a_chunk_ptr over every block left unreached. */
static void gather_cliques(const struct reach *r, const struct graph *g, struct marks *m)
{
	for (size_t leader = 0; leader < r->n; leader++) {
		if (m->state[leader] != UNREACHED)
			continue;
		push(m, leader);
		while (m->top) {
			size_t i = pop(m);

			for (size_t e = g->first[i]; e < g->first[i + 1]; e++) {
				size_t d = g->dst[e] & DST_MASK;

				if (m->state[d] != UNREACHED || d == leader)
					continue;
				push(m, d);
				m->indirect[leader] += r->size[d] + m->indirect[d];
				m->indirect[d] = 0;
				m->state[d] = INDIRECT;
			}
		}
	}
}

int reach_classify(struct reach *r, uint8_t *kinds, uint64_t *indirect)
{
	static const uint8_t kind_of[] = {
		[UNREACHED] = LEAK_DEFINITE, [INDIRECT] = LEAK_INDIRECT,
		[POSSIBLE] = LEAK_POSSIBLE, [REACHABLE] = LEAK_REACHABLE,
	};
	size_t m1 = r->n ? r->n : 1;
	struct graph g = {};
	struct marks m = {
		.state = calloc(m1, sizeof(*m.state)), .pending = calloc(m1, sizeof(*m.pending)),
		.stack = malloc(m1 * sizeof(*m.stack)), .indirect = calloc(m1, sizeof(*m.indirect)),
	};
	int err;

	apply_multiple_inheritance(r);
	err = graph_build(r, &g);
	if (!err && (!m.state || !m.pending || !m.stack || !m.indirect))
		err = -ENOMEM;
	if (!err) {
		mark_from_roots(r, &g, &m);
		gather_cliques(r, &g, &m);
		for (size_t i = 0; i < r->n; i++) {
			kinds[r->orig[i]] = kind_of[m.state[i]];
			if (indirect)
				indirect[r->orig[i]] = m.state[i] == UNREACHED ? m.indirect[i] : 0;
		}
	}
	free(g.first);
	free(g.dst);
	free(m.state);
	free(m.pending);
	free(m.stack);
	free(m.indirect);
	return err;
}
