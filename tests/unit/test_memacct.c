// SPDX-License-Identifier: GPL-2.0
/* The books (memacct), the kernel statistics parsers (memstat) and the
 * ledger's verdict (memledger), on saved /proc texts of the kernels
 * mmscope supports (tests/unit/data/memory/<kernel>/) and on constructed
 * series whose answer is known. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "memacct.h"
#include "memledger.h"
#include "memstat.h"
#include "procfs.h"
#include "unit.h"

#define MIB (1024.0 * 1024.0)
#ifndef UNIT_DATA	/* the Makefile's; lint runs without it */
#define UNIT_DATA "tests/unit/data"
#endif

static const char *const kernels[] = { "5.10", "6.1", "6.12", "6.18" };

static char *load(const char *kernel, const char *file)
{
	char path[512];
	char *text;

	snprintf(path, sizeof(path), "%s/memory/%s/%s", UNIT_DATA, kernel, file);
	text = procfs_slurp(path, NULL);
	if (!text)
		printf("  cannot read %s\n", path);
	CHECK(text != NULL);
	return text;
}

/* The oracle: a meminfo value in kB found with strstr/strtoll, not the
 * parser. */
static long long kb(const char *text, const char *key)
{
	size_t len = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, len) == 0 && p[len] == ':')
			return strtoll(p + len + 1, NULL, 10);
	return 0;
}

/* The pages on per-CPU lists, by hand: every "count:" of zoneinfo. */
static long long pcp_pages(const char *zoneinfo)
{
	long long sum = 0;

	for (const char *p = strstr(zoneinfo, "count:"); p; p = strstr(p + 1, "count:"))
		sum += strtoll(p + strlen("count:"), NULL, 10);
	return sum;
}

/* The documented formula (kernel-facts.md), in kB, by hand. */
static long long unaccounted_kb(const char *t)
{
	long long stacks = kb(t, "KernelStack"), vm = kb(t, "VmallocUsed");

	return kb(t, "MemTotal") - kb(t, "MemFree") - kb(t, "Buffers") - kb(t, "Cached") -
	       kb(t, "SwapCached") - kb(t, "AnonPages") - kb(t, "KReclaimable") -
	       kb(t, "SUnreclaim") - stacks - kb(t, "PageTables") - kb(t, "SecPageTables") -
	       kb(t, "Percpu") - (vm > stacks ? vm - stacks : 0) - kb(t, "Hugetlb") -
	       kb(t, "Zswap") - kb(t, "Unaccepted");
}

static void books_of(const char *kernel, struct meminfo *mi, struct mem_books *b)
{
	char *text = load(kernel, "meminfo"), *vmstat = load(kernel, "vmstat");
	char *zones = load(kernel, "zoneinfo");
	struct mem_env env = { .page_size = 4096, .vmap_stack = true };
	struct zoneinfo z;

	memset(b, 0, sizeof(*b));
	if (!text || !vmstat || !zones)
		goto out;
	env.has_zspages = memstat_parse_vmstat_zspages(vmstat, &env.zspages) == 0;
	CHECK(memstat_parse_zoneinfo(zones, &z) == 0);
	for (int i = 0; i < z.n; i++)
		env.pcp_pages += z.z[i].pcp;
	CHECK_U64(env.pcp_pages, pcp_pages(zones));
	CHECK(procfs_parse_meminfo(text, mi) == 0);
	memacct_books(mi, &env, b);
	CHECK_U64(b->bucket[MB_PCP_FREE], pcp_pages(zones) * 4096);
	CHECK(b->bucket[MB_UNACCOUNTED] ==
	      (unaccounted_kb(text) - pcp_pages(zones) * 4) * 1024 || env.zspages);
out:
	free(text);
	free(vmstat);
	free(zones);
}

/* Every kernel's books add up to MemTotal exactly, and each bucket is the
 * field (or the documented difference) it stands for. */
static void test_books_add_up_on_every_kernel(void)
{
	for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++) {
		struct meminfo mi;
		struct mem_books b;
		int64_t sum = 0;

		books_of(kernels[i], &mi, &b);
		for (int k = 0; k < MB_NR; k++)
			sum += b.bucket[k];
		CHECK_U64(sum, mi.mem_total);
		CHECK(mi.mem_total > 0);
		CHECK_U64(b.bucket[MB_SHMEM], mi.shmem);
		CHECK_U64(b.bucket[MB_PAGE_CACHE], mi.buffers + mi.cached - mi.shmem + mi.swap_cached);
		CHECK_U64(b.bucket[MB_SLAB_UNRECLAIMABLE], mi.sunreclaim);
		CHECK_U64(b.bucket[MB_VMALLOC], mi.vmalloc_used - mi.kernel_stack);
		/* a booted machine's remainder: positive, under a tenth */
		CHECK(b.bucket[MB_UNACCOUNTED] > 0 &&
		      b.bucket[MB_UNACCOUNTED] < (int64_t)mi.mem_total / 10);
	}
}

/* SecPageTables came in 6.1, Zswap in 5.19: 5.10 misses both, and says so. */
static void test_books_missing_fields_by_kernel(void)
{
	struct meminfo mi;
	struct mem_books b;
	char names[256];

	books_of("5.10", &mi, &b);
	CHECK(b.missing & (1ULL << MI_SEC_PAGE_TABLES));
	CHECK(b.missing & (1ULL << MI_ZSWAP));	/* 5.19 */
	memacct_missing_names(b.missing, names, sizeof(names));
	CHECK(strstr(names, "SecPageTables") != NULL);
	books_of("6.1", &mi, &b);
	CHECK_U64(b.missing, 0);
	books_of("6.12", &mi, &b);
	CHECK_U64(b.missing, 0);
	books_of("6.18", &mi, &b);
	CHECK_U64(b.missing, 0);
}

/* Counters read at slightly different moments can overlap: the remainder
 * goes negative and the sum still holds. */
static void test_books_negative_remainder(void)
{
	const char *text = "MemTotal: 1000 kB\nMemFree: 600 kB\nAnonPages: 300 kB\n"
			   "SwapCached: 200 kB\n";
	struct mem_env env = { .page_size = 4096 };
	struct meminfo mi;
	struct mem_books b;
	int64_t sum = 0;

	CHECK(procfs_parse_meminfo(text, &mi) == 0);
	memacct_books(&mi, &env, &b);
	CHECK(b.bucket[MB_UNACCOUNTED] == -100LL * 1024);
	for (int k = 0; k < MB_NR; k++)
		sum += b.bucket[k];
	CHECK_U64(sum, 1000 * 1024);
	CHECK(b.missing & (1ULL << MI_SUNRECLAIM));
}

/* zram's zsmalloc pages count once, zswap on zsmalloc not twice. */
static void test_books_compressed(void)
{
	const char *text = "MemTotal: 100000 kB\nMemFree: 50000 kB\nZswap: 800 kB\n";
	struct mem_env env = { .page_size = 4096, .has_zspages = true, .zspages = 1000 };
	struct meminfo mi;
	struct mem_books b;

	CHECK(procfs_parse_meminfo(text, &mi) == 0);
	memacct_books(&mi, &env, &b);
	CHECK_U64(b.bucket[MB_COMPRESSED], 1000 * 4096);
	env.zspages = 10;
	memacct_books(&mi, &env, &b);
	CHECK_U64(b.bucket[MB_COMPRESSED], 800 * 1024);
}

/* Every cache line of every kernel parses; the header lines do not. */
static void test_slabinfo_every_kernel(void)
{
	for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++) {
		char *text = load(kernels[i], "slabinfo");
		struct slabinfo s = {};
		const struct slab_cache *c;
		size_t lines = 0;

		if (!text)
			continue;
		for (const char *p = text; *p; p++)
			lines += *p == '\n';
		CHECK(memstat_parse_slabinfo(text, &s) == 0);
		CHECK_U64(s.n, lines - 2);
		c = memstat_find_slab(&s, "kmalloc-64");
		CHECK(c != NULL);
		if (c) {
			CHECK_U64(c->objsize, 64);
			CHECK(c->active_objs <= c->num_objs);
			CHECK_U64(slab_cache_bytes(c, 4096), c->num_slabs * c->pages_per_slab * 4096);
		}
		CHECK(memstat_find_slab(&s, "filp") != NULL);
		slabinfo_free(&s);
		free(text);
	}
}

static void test_slabinfo_exact_line(void)
{
	const char *text =
		"slabinfo - version: 2.1\n"
		"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n"
		"filp                3264   3264    256   32    2 : tunables    0    0    0 : slabdata    102    102      0\n"
		"broken 1 2 3\n";
	struct slabinfo s = {};

	CHECK(memstat_parse_slabinfo(text, &s) == 0);
	CHECK_U64(s.n, 1);
	if (s.n) {
		CHECK_STR(s.c[0].name, "filp");
		CHECK_U64(s.c[0].active_objs, 3264);
		CHECK_U64(s.c[0].pages_per_slab, 2);
		CHECK_U64(s.c[0].num_slabs, 102);
		CHECK_U64(slab_cache_bytes(&s.c[0], 4096), 102 * 2 * 4096);
	}
	CHECK(memstat_parse_slabinfo("slabinfo - version: 1.1\n", &s) == -EINVAL);
	CHECK(memstat_parse_slabinfo("", &s) == -EINVAL);
	slabinfo_free(&s);
}

/* leaksnoop's cache check looks caches up by their whole name. */
static void test_slabinfo_find_whole_names(void)
{
	const char *text =
		"slabinfo - version: 2.1\n"
		"eventpoll_epi        330    608    128   32    1 : tunables    0    0    0 : slabdata     19     19      0\n"
		"kmalloc-cg-64        576    576     64   64    1 : tunables    0    0    0 : slabdata      9      9      0\n";
	struct slabinfo s = {};
	const struct slab_cache *c;

	CHECK(memstat_parse_slabinfo(text, &s) == 0);
	c = memstat_find_slab(&s, "eventpoll_epi");
	CHECK(c && c->active_objs == 330 && c->num_objs == 608 && c->objs_per_slab == 32);
	CHECK(memstat_find_slab(&s, "kmalloc-64") == NULL);	/* only kmalloc-cg-64 */
	CHECK(memstat_find_slab(&s, "eventpoll") == NULL);
	slabinfo_free(&s);
}

static void test_buddyinfo_every_kernel(void)
{
	for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++) {
		char *text = load(kernels[i], "buddyinfo");
		struct buddyinfo b;

		if (!text)
			continue;
		CHECK(memstat_parse_buddyinfo(text, &b) == 0);
		CHECK(b.n >= 2);
		CHECK_STR(b.z[0].zone, "DMA");
		CHECK_U64(b.z[0].nr_orders, 11);	/* x86: orders 0..10 */
		free(text);
	}
}

static void test_buddyinfo_exact(void)
{
	struct buddyinfo b;

	CHECK(memstat_parse_buddyinfo("Node 1, zone   Normal    3  2  1 \n", &b) == 0);
	CHECK_U64(b.n, 1);
	CHECK_U64(b.z[0].node, 1);
	CHECK_STR(b.z[0].zone, "Normal");
	CHECK_U64(b.z[0].nr_orders, 3);
	CHECK_U64(buddy_zone_free_pages(&b.z[0]), 3 + 2 * 2 + 1 * 4);
	CHECK(memstat_parse_buddyinfo("nothing here\n", &b) == -EINVAL);
}

/* Every kernel's populated zones have watermarks in order, and their free
 * pages agree with buddyinfo's count within what moved between the reads. */
static void test_zoneinfo_every_kernel(void)
{
	for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++) {
		char *text = load(kernels[i], "zoneinfo"), *btext = load(kernels[i], "buddyinfo");
		struct zoneinfo z;
		struct buddyinfo b;
		int populated = 0;

		if (!text || !btext)
			goto next;
		CHECK(memstat_parse_zoneinfo(text, &z) == 0);
		CHECK(memstat_parse_buddyinfo(btext, &b) == 0);
		for (int j = 0; j < z.n; j++) {
			if (!z.z[j].managed)
				continue;
			populated++;
			CHECK(z.z[j].min <= z.z[j].low && z.z[j].low <= z.z[j].high);
			CHECK(z.z[j].free <= z.z[j].managed);
			for (int k = 0; k < b.n; k++) {
				uint64_t bf = buddy_zone_free_pages(&b.z[k]);

				if (strcmp(b.z[k].zone, z.z[j].zone) != 0 || b.z[k].node != z.z[j].node)
					continue;
				/* per-CPU lists hold pages buddyinfo doesn't show */
				CHECK(bf <= z.z[j].free + z.z[j].free / 10 + 4096);
			}
		}
		CHECK(populated == b.n);
next:
		free(text);
		free(btext);
	}
}

/* ---- the ledger ----------------------------------------------------------- */

/* A sample whose unaccounted remainder is u bytes (the free bucket makes up
 * the rest), anon a, and one slab cache "eventfd_ctx" of objs objects. */
static void sample(struct mem_ledger *l, double t, double u, double a, uint64_t objs)
{
	struct mem_sample s = {};
	struct slab_cache c = { .name = "eventfd_ctx", .objsize = 64, .objs_per_slab = 64,
				.pages_per_slab = 1 };

	s.t = t;
	s.page_size = 4096;
	s.books.mem_total = 8ULL << 30;
	s.books.bucket[MB_UNACCOUNTED] = (int64_t)u;
	s.books.bucket[MB_ANON] = (int64_t)a;
	s.books.bucket[MB_FREE] = (int64_t)s.books.mem_total - (int64_t)u - (int64_t)a;
	c.active_objs = c.num_objs = objs;
	c.num_slabs = c.active_slabs = (objs + 63) / 64;
	s.slab.c = malloc(sizeof(c));
	s.slab.c[0] = c;
	s.slab.n = s.slab.cap = 1;
	CHECK(mem_ledger_add(l, &s) == 0);
	CHECK(s.slab.c == NULL);
}

/* Deterministic jitter in [-1, 1]. */
static double jitter(int i)
{
	return sin(i * 2.7) * cos(i * 1.3);
}

static void test_verdict_steady_despite_jitter(void)
{
	struct mem_ledger l = {};
	struct mem_verdict v;

	mem_ledger_verdict(&l, &mem_default_thresholds, NULL, 0, &v);
	CHECK(!v.enough && v.where == MEM_WHERE_NONE);
	CHECK(strstr(v.sentence, "not judged yet") != NULL);
	for (int i = 0; i < 12; i++)
		sample(&l, i, 100 * MIB + 3 * MIB * jitter(i), 500 * MIB + 2 * MIB * jitter(i + 7),
		       1000 + (uint64_t)(50 * (1 + jitter(i))));
	mem_ledger_verdict(&l, &mem_default_thresholds, NULL, 0, &v);
	CHECK(v.enough);
	CHECK(v.where == MEM_WHERE_NONE);
	CHECK(v.nr_buckets == 0 && v.nr_caches == 0);
	CHECK(strncmp(v.sentence, "steady", 6) == 0);
	CHECK(l.hist_n == 12);
	CHECK(mem_ledger_history(&l, 0, MB_UNACCOUNTED) == (int64_t)(100 * MIB + 3 * MIB * jitter(0)));
	mem_ledger_free(&l);
}

/* 32 MiB of pipe buffers over 8 s, with jitter: the kernel, unaccounted. */
static void test_verdict_kernel_unaccounted(void)
{
	struct mem_ledger l = {};
	struct mem_verdict v;

	for (int i = 0; i < 12; i++)
		sample(&l, i * 0.5, 100 * MIB + (i < 2 ? 0 : i > 9 ? 32 * MIB : (i - 2) * 4 * MIB) +
		       2 * MIB * jitter(i), 500 * MIB, 1000);
	mem_ledger_verdict(&l, &mem_default_thresholds, NULL, 0, &v);
	CHECK(v.where == MEM_WHERE_KERNEL);
	CHECK(v.nr_buckets == 1 && v.buckets[0].bucket == MB_UNACCOUNTED);
	CHECK(v.buckets[0].rise > 28 * MIB && v.buckets[0].rise < 40 * MIB);
	CHECK(v.buckets[0].fit > 0.8);
	CHECK(strstr(v.sentence, "unaccounted +") != NULL);
	CHECK(strstr(v.sentence, "the kernel") != NULL);
	mem_ledger_free(&l);
}

/* 20,000 objects more in one cache: named, with the objects it gained. */
static void test_verdict_kernel_slab_cache(void)
{
	struct mem_ledger l = {};
	struct mem_verdict v;

	for (int i = 0; i < 10; i++)
		sample(&l, i, 100 * MIB, 500 * MIB, 1000 + (uint64_t)i * 2000);
	mem_ledger_verdict(&l, &mem_default_thresholds, NULL, 0, &v);
	CHECK(v.where == MEM_WHERE_KERNEL);
	CHECK_U64(v.nr_caches, 1);
	CHECK_STR(v.caches[0].name, "eventfd_ctx");
	CHECK(fabs(v.caches[0].objs_rise - 18000) < 1);
	CHECK(strstr(v.sentence, "eventfd_ctx") != NULL);
	CHECK(mem_ledger_cache(&l, "eventfd_ctx") != NULL);
	CHECK(mem_ledger_cache(&l, "nope") == NULL);
	mem_ledger_free(&l);
}

/* A process's USS grows 1 MiB/s and anon with it: user space, its pid. */
static void test_verdict_user_names_pid(void)
{
	struct mem_ledger l = {};
	struct mem_verdict v;
	struct mem_proc_growth procs[] = {
		{ .pid = 4242, .comm = "grower", .rate = MIB, .rise = 8 * MIB },
		{ .pid = 7, .comm = "tiny", .rate = 1000, .rise = 8000 },
	};

	for (int i = 0; i < 12; i++)
		sample(&l, i, 100 * MIB, 500 * MIB + i * MIB, 1000);
	mem_ledger_verdict(&l, &mem_default_thresholds, procs, 2, &v);
	CHECK(v.where == MEM_WHERE_USER);
	CHECK_U64(v.nr_procs, 1);
	CHECK_U64(v.procs[0].pid, 4242);
	CHECK(strstr(v.sentence, "pid 4242 (grower)") != NULL);
	CHECK(v.nr_buckets == 1 && v.buckets[0].bucket == MB_ANON);
	mem_ledger_free(&l);
}

static void test_trend_fit(void)
{
	struct trend tr = {};

	CHECK(trend_fit(&tr) == 0);
	for (int i = 0; i < 6; i++)
		trend_add(&tr, i, 10.0 * i);
	CHECK(fabs(trend_fit(&tr) - 1) < 1e-9);
	CHECK(trend_span(&tr) == 5);
	CHECK(trend_last(&tr) == 50);
	for (int i = 6; i < 20; i++)
		trend_add(&tr, i, 5);
	CHECK(trend_fit(&tr) == 0);	/* flat */
}

int main(void)
{
	RUN(test_books_add_up_on_every_kernel);
	RUN(test_books_missing_fields_by_kernel);
	RUN(test_books_negative_remainder);
	RUN(test_books_compressed);
	RUN(test_slabinfo_every_kernel);
	RUN(test_slabinfo_exact_line);
	RUN(test_slabinfo_find_whole_names);
	RUN(test_buddyinfo_every_kernel);
	RUN(test_buddyinfo_exact);
	RUN(test_zoneinfo_every_kernel);
	RUN(test_verdict_steady_despite_jitter);
	RUN(test_verdict_kernel_unaccounted);
	RUN(test_verdict_kernel_slab_cache);
	RUN(test_verdict_user_names_pid);
	RUN(test_trend_fit);
	UNIT_EXIT();
}
