// SPDX-License-Identifier: GPL-2.0
/* books_explain() (leaksnoop --kernel and the books) on synthetic samples
 * and reports: the share of the remainder's change the outstanding pages
 * explain, pages of other buckets left out by their stacks, top sites,
 * caches explained by their traced blocks, and the cases where the share
 * can't be known (shrank, within the jitter, no stacks, kmalloc caches). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "books.h"
#include "render.h"
#include "unit.h"

#define MIB ((int64_t)1 << 20)

/* A sample whose remainder is unacc bytes and whose filp cache holds filp
 * active objects (192 B, 21 per page) and kmalloc-64 k64 objects. */
static void sample(struct mem_sample *s, double t, int64_t unacc, uint64_t filp, uint64_t k64)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	s->page_size = 4096;
	s->books.bucket[MB_UNACCOUNTED] = unacc;
	s->slab.c = calloc(2, sizeof(*s->slab.c));
	s->slab.n = s->slab.cap = 2;
	s->slab.c[0] = (struct slab_cache){ .name = "filp", .active_objs = filp, .num_objs = filp,
					    .objsize = 192, .objs_per_slab = 21, .pages_per_slab = 1,
					    .active_slabs = filp / 21, .num_slabs = filp / 21 };
	s->slab.c[1] = (struct slab_cache){ .name = "kmalloc-64", .active_objs = k64, .num_objs = k64,
					    .objsize = 64, .objs_per_slab = 64, .pages_per_slab = 1,
					    .active_slabs = k64 / 64, .num_slabs = k64 / 64 };
}

/* Fake kernel symbols: the frame's address is an index into this table. */
static const char *const syms[] = {
	"__alloc_frozen_pages_noprof", "alloc_pages_mpol", "anon_pipe_write", "vfs_write",
	"__vmalloc_node_range_noprof", "htab_map_alloc", "allocate_slab", "sock_alloc_send_pskb",
};
enum { F_ALLOC, F_MPOL, F_PIPE, F_VFS, F_VMALLOC, F_HTAB, F_SLAB, F_SOCK };

static const char *ksym(void *ctx, uint64_t addr, uint64_t *off)
{
	(void)ctx;
	*off = 0;
	return addr < sizeof(syms) / sizeof(syms[0]) ? syms[addr] : NULL;
}

static const struct leak_symbolizer sym = { .kernel = ksym };

struct fake {
	struct leak_report rep;
	struct leak_record rec[8];
	struct leak_frame fr[32];
};

static void add_rec(struct fake *f, uint32_t src, const char *cache, uint64_t bytes,
		    uint64_t blocks, const int *frames, int nf)
{
	struct leak_record *x = &f->rec[f->rep.nr_records++];

	memset(x, 0, sizeof(*x));
	x->key.src = src;
	x->bytes = bytes;
	x->blocks = blocks;
	snprintf(x->cache_name, sizeof(x->cache_name), "%s", cache ? cache : "");
	x->frame_first = f->rep.nr_frames;
	x->nr_frames = (size_t)nf;
	for (int i = 0; i < nf; i++)
		f->fr[f->rep.nr_frames++] = (struct leak_frame){ .addr = (uint64_t)frames[i] };
}

static void fake_init(struct fake *f, bool stacks)
{
	memset(f, 0, sizeof(*f));
	f->rep.records = f->rec;
	f->rep.frames = f->fr;
	f->rep.config.kernel_stacks = stacks;
}

static const int pipe_stack[] = { F_ALLOC, F_MPOL, F_PIPE, F_VFS };
static const int bpf_stack[] = { F_ALLOC, F_MPOL, F_VMALLOC, F_HTAB };
static const int slab_stack[] = { F_ALLOC, F_SLAB };
static const int sock_stack[] = { F_ALLOC, F_SOCK };

static void explain(struct fake *f, int64_t unacc_change, uint64_t filp_change,
		    const struct books_jitter *j, struct books_explained *out)
{
	struct mem_sample a, b;

	sample(&a, 1.0, 100 * MIB, 2000, 6400);
	sample(&b, 11.0, 100 * MIB + unacc_change, 2000 + filp_change, 6400);
	books_explain(&a, &b, j, &f->rep, &sym, out);
	mem_sample_free(&a);
	mem_sample_free(&b);
}

static void test_pipes_explained_by_pages(void)
{
	struct books_jitter j = { .unaccounted = MIB / 5 };
	struct books_explained b;
	struct fake f;

	fake_init(&f, true);
	add_rec(&f, SRC_PAGE, NULL, 60 * MIB, 15360, bpf_stack, 4);	/* vmalloc: not counted */
	add_rec(&f, SRC_PAGE, NULL, 31 * MIB, 7936, pipe_stack, 4);
	add_rec(&f, SRC_PAGE, NULL, 2 * MIB, 512, slab_stack, 2);	/* slab: not counted */
	add_rec(&f, SRC_PAGE, NULL, MIB / 2, 128, sock_stack, 2);
	add_rec(&f, SRC_KMALLOC, NULL, 5 * MIB, 100, pipe_stack, 4);	/* not a page */
	explain(&f, 32 * MIB, 0, &j, &b);
	CHECK(b.available);
	CHECK(b.unaccounted == 32 * MIB);
	CHECK(b.share_known);
	CHECK_U64(b.page_bytes, 31 * MIB + MIB / 2);
	CHECK_U64(b.other_bucket_bytes, 62 * MIB);
	CHECK(fabs(b.share - 31.5 / 32) < 1e-9);
	CHECK(b.nr_sites == 2);
	CHECK_STR(b.sites[0].name, "anon_pipe_write");
	CHECK_STR(b.sites[1].name, "sock_alloc_send_pskb");
	CHECK(b.span_s == 10.0);
	CHECK(b.nr_caches == 0);
}

static void test_share_unknown(void)
{
	struct books_jitter j = { .unaccounted = MIB / 5 };
	struct books_explained b;
	struct fake f;

	fake_init(&f, true);
	add_rec(&f, SRC_PAGE, NULL, 31 * MIB, 7936, pipe_stack, 4);
	explain(&f, -8 * MIB, 0, &j, &b);		/* shrank */
	CHECK(!b.share_known && strstr(b.why, "shrank"));
	explain(&f, MIB / 2, 0, &j, &b);		/* under the 1 MiB floor */
	CHECK(!b.share_known && strstr(b.why, "jitter"));
	j.unaccounted = 3 * MIB;			/* a jumpy machine: 4 x 3 MiB > 8 MiB */
	explain(&f, 8 * MIB, 0, &j, &b);
	CHECK(!b.share_known && strstr(b.why, "jitter"));
	j.unaccounted = MIB / 5;
	fake_init(&f, false);				/* no -K: no stacks */
	add_rec(&f, SRC_PAGE, NULL, 31 * MIB, 7936, NULL, 0);
	explain(&f, 32 * MIB, 0, &j, &b);
	CHECK(!b.share_known && strstr(b.why, "-K"));
	CHECK_U64(b.no_stack_bytes, 31 * MIB);
}

static void test_cache_explained_by_its_blocks(void)
{
	struct books_jitter j = {};
	struct mem_sample a, c;
	struct books_explained b;
	struct fake f;

	/* the jitter between two readings at rest: filp moved 30 objects */
	sample(&a, 0.0, 0, 2000, 6400);
	sample(&c, 0.1, MIB / 10, 2030, 6400);
	CHECK(books_jitter_add(&j, &a, &c) == 0);
	CHECK(j.unaccounted == MIB / 10);
	mem_sample_free(&a);
	mem_sample_free(&c);
	fake_init(&f, true);
	add_rec(&f, SRC_KMEM_CACHE, "filp", (uint64_t)19900 * 192, 19900, NULL, 0);
	add_rec(&f, SRC_KMEM_CACHE, "dentry", (uint64_t)100 * 192, 100, NULL, 0);
	explain(&f, 0, 20000, &j, &b);
	CHECK(b.nr_caches == 1);
	CHECK_STR(b.caches[0].name, "filp");
	CHECK(b.caches[0].objs == 20000);
	CHECK(b.caches[0].jitter_objs == 30);
	CHECK(b.caches[0].bytes == (int64_t)((2000 + 20000) / 21 - 2000 / 21) * 4096);
	CHECK_U64(b.caches[0].traced_blocks, 19900);
	CHECK(b.caches[0].share_known && fabs(b.caches[0].share - 0.995) < 1e-9);
	/* 200 objects: not growing beyond the floor, not listed */
	explain(&f, 0, 200, &j, &b);
	CHECK(b.nr_caches == 0);
	books_jitter_free(&j);
}

static void test_kmalloc_cache_share_unknown(void)
{
	struct books_jitter j = {};
	struct mem_sample a, c;
	struct books_explained b;
	struct fake f;

	fake_init(&f, true);
	sample(&a, 0.0, 0, 2000, 6400);
	sample(&c, 5.0, 0, 2000, 6400 + 64000);
	books_explain(&a, &c, &j, &f.rep, &sym, &b);
	CHECK(b.nr_caches == 1);
	CHECK_STR(b.caches[0].name, "kmalloc-64");
	CHECK(!b.caches[0].share_known && strstr(b.caches[0].why, "kmalloc"));
	mem_sample_free(&a);
	mem_sample_free(&c);
	/* slabinfo unreadable: caches not compared, and said */
	sample(&a, 0.0, 0, 2000, 6400);
	sample(&c, 5.0, 0, 2000, 6400);
	c.slab_err = -EACCES;
	books_explain(&a, &c, &j, &f.rep, &sym, &b);
	CHECK(b.slab_why != NULL && b.nr_caches == 0);
	mem_sample_free(&a);
	mem_sample_free(&c);
}

static void test_rendered(void)
{
	struct books_jitter j = { .unaccounted = MIB / 5 };
	struct books_explained b;
	struct fake f;
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	fake_init(&f, true);
	add_rec(&f, SRC_PAGE, NULL, 32 * MIB, 8192, pipe_stack, 4);
	add_rec(&f, SRC_KMEM_CACHE, "filp", (uint64_t)19900 * 192, 19900, NULL, 0);
	explain(&f, 32 * MIB, 19900, &j, &b);
	books_render_text(m, &b);
	fclose(m);
	CHECK(strstr(text, "unaccounted +32.0 MiB during the trace") != NULL);
	CHECK(strstr(text, "outstanding page allocations explain 100%: anon_pipe_write 32.0 MiB") != NULL);
	CHECK(strstr(text, "slab cache filp +19900 objects") != NULL);
	CHECK(strstr(text, "traced outstanding filp blocks explain 100% (19900)") != NULL);
	if (!strstr(text, "anon_pipe_write"))
		printf("%s", text);
	free(text);
}

int main(void)
{
	RUN(test_pipes_explained_by_pages);
	RUN(test_share_unknown);
	RUN(test_cache_explained_by_its_blocks);
	RUN(test_kmalloc_cache_share_unknown);
	RUN(test_rendered);
	UNIT_EXIT();
}
