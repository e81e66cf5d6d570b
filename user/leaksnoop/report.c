// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "percpu_stats.h"
#include "vec.h"
#include "env.h"
#include "fmt.h"
#include "json.h"
#include "procfs.h"
#include "report.h"
#include "symbolize.h"
#include "leaksnoop.skel.h"

static const char *const src_names[SRC_MAX] = {
	[SRC_USER] = "user", [SRC_KMALLOC] = "kmalloc", [SRC_KMEM_CACHE] = "kmem_cache",
	[SRC_PAGE] = "page", [SRC_MMAP] = "mmap",
};
static const char *const src_titles[SRC_MAX] = {
	[SRC_USER] = "user heap", [SRC_KMALLOC] = "kmalloc", [SRC_KMEM_CACHE] = "kmem_cache",
	[SRC_PAGE] = "pages", [SRC_MMAP] = "mmap regions",
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

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

/* ---- reading the tables ---------------------------------------------------- */

/* Every key and value of a hash map (batch lookups, falling back to a key
 * walk). Returns 0 with the count in *nr_out and keys and vals malloc'd, or
 * -errno with nothing allocated. */
static int map_dump(int fd, size_t ksz, size_t vsz, uint32_t max, void **keys, void **vals,
		    long *nr_out)
{
	/* zeroed: valgrind can't see what a batch lookup writes */
	char *k = calloc((size_t)max + 1, ksz), *v = calloc((size_t)max + 1, vsz);
	__u64 in = 0, out = 0;
	long n = 0;
	bool first = true;
	int err;

	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (;;) {
		__u32 count = max - n > 4096 ? 4096 : max - n;

		if (!count)
			break;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, k + n * ksz, v + n * vsz,
					   &count, NULL);
		if (err && errno != ENOENT) {
			int e = errno;

			if (first && (e == EINVAL || e == EOPNOTSUPP))
				goto walk;
			free(k);
			free(v);
			return e > 0 ? -e : -EIO;
		}
		n += count;
		first = false;
		if (err)
			break;	/* ENOENT: done */
		in = out;
	}
	*keys = k;
	*vals = v;
	*nr_out = n;
	return 0;
walk:
	{
		char *prev = NULL;

		n = 0;
		while (n < max && !bpf_map_get_next_key(fd, prev, k + n * ksz)) {
			if (!bpf_map_lookup_elem(fd, k + n * ksz, v + n * vsz)) {
				prev = k + n * ksz;
				n++;
			} else if (!prev) {
				break;
			}
		}
	}
	*keys = k;
	*vals = v;
	*nr_out = n;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct rec *)a)->key, &((const struct rec *)b)->key,
		      sizeof(struct ls_agg_key));
}

static int bytes_desc(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->key.src != y->key.src)
		return (int)x->key.src - (int)y->key.src;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return key_cmp(a, b);
}

struct tally {
	uint64_t out_bytes[SRC_MAX], out_blocks[SRC_MAX];	/* shown (after filters) */
	uint64_t young_blocks, young_bytes, size_filtered, unmapped;
	uint64_t alloc_bytes[SRC_MAX], alloc_count[SRC_MAX];
	uint64_t free_bytes[SRC_MAX], free_count[SRC_MAX];
	uint64_t stats[STAT_MAX];
	uint64_t kernel_missed;	/* kmem/page events the kernel didn't run us for */
	int records[SRC_MAX];
};

struct groups {
	struct rec *v;
	size_t n, cap;
};

static int groups_add(struct groups *g, const struct ls_agg_key *key, const struct ls_alloc *a)
{
	if (g->n && !memcmp(&g->v[g->n - 1].key, key, sizeof(*key))) {
		struct rec *r = &g->v[g->n - 1];

		r->bytes += a->size;
		r->blocks++;
		if (a->ts < r->oldest_ts)
			r->oldest_ts = a->ts;
		return 0;
	}
	struct rec *v = vec_reserve(g->v, &g->cap, g->n, sizeof(*v));

	if (!v)
		return -ENOMEM;
	g->v = v;
	memset(&g->v[g->n], 0, sizeof(g->v[0]));
	g->v[g->n].key = *key;
	g->v[g->n].bytes = a->size;
	g->v[g->n].blocks = 1;
	g->v[g->n].oldest_ts = a->ts;
	g->n++;
	return 0;
}

struct entry {
	struct ls_agg_key key;
	const struct ls_alloc *a;
	bool shown;
};

static int entry_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct entry *)a)->key, &((const struct entry *)b)->key,
		      sizeof(struct ls_agg_key));
}

/* Groups one allocation table into g after the age and size filters, and,
 * when live is given, every entry of it (filtered or not) into live. */
static int collect_table(int fd, uint32_t max, bool age_filter, const struct vma_list *maps,
			 struct groups *g, struct groups *live, struct tally *t)
{
	uint64_t now = now_ns(), min_age = env.older_than_ms * 1000000ULL;
	void *keys = NULL, *vals = NULL;
	struct entry *ents;
	long n = 0;
	size_t m = 0;
	int err = map_dump(fd, sizeof(__u64), sizeof(struct ls_alloc), max, &keys, &vals, &n);

	if (err)
		return err;
	ents = malloc((n ? n : 1) * sizeof(*ents));
	if (!ents) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (long i = 0; i < n; i++) {
		const struct ls_alloc *a = (const struct ls_alloc *)vals + i;
		__u64 addr = ((const __u64 *)keys)[i];
		struct entry *e = &ents[m];

		e->key.site = a->site;
		e->key.cache = a->cache;
		e->key.stack_id = a->stack_id;
		e->key.src = a->src;
		e->a = a;
		e->shown = false;
		if (a->size < env.min_size || (env.max_size && a->size > env.max_size)) {
			t->size_filtered++;
		} else if (age_filter && a->ts + min_age > now) {
			t->young_blocks++;
			t->young_bytes += a->size;
		} else if (maps && !vma_list_find(maps, addr)) {
			/* unmapped by a path we don't follow (munmap inside a region) */
			t->unmapped++;
		} else {
			e->shown = true;
		}
		if (e->shown || live)
			m++;
	}
	if (m)
		qsort(ents, m, sizeof(*ents), entry_cmp);
	for (size_t i = 0; i < m && !err; i++) {
		if (live)
			err = groups_add(live, &ents[i].key, ents[i].a);
		if (err || !ents[i].shown)
			continue;
		err = groups_add(g, &ents[i].key, ents[i].a);
		t->out_bytes[ents[i].key.src % SRC_MAX] += ents[i].a->size;
		t->out_blocks[ents[i].key.src % SRC_MAX]++;
	}
	free(ents);
	free(keys);
	free(vals);
	return err;
}

/* The kernel skips a tracing program that fires while it already runs on
 * that CPU (a kfree in an interrupt that came during our kfree program) and
 * counts it in the program's recursion_misses. A missed free leaves a block
 * that looks outstanding, so the report says how many there were. */
static uint64_t kernel_missed(struct reporter *r)
{
	struct leaksnoop_bpf *s = r->skel;
	const struct bpf_program *p[] = {
		s->progs.on_kmalloc, s->progs.on_kmem_cache_alloc, s->progs.on_kfree,
		s->progs.on_kmem_cache_free, s->progs.on_page_alloc, s->progs.on_page_free,
		s->progs.on_page_free_batched,
	};
	uint64_t n = 0;

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p[i]);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			n += info.recursion_misses;
	}
	return n;
}

static void read_stats(struct reporter *r, struct tally *t)
{
	percpu_array_sum(bpf_map__fd(r->skel->maps.stats), STAT_MAX, t->stats);
	if (env.kernel)
		t->kernel_missed = kernel_missed(r);
}

/* Running totals per key. Where they come from: the aggs table (user and
 * mmap keys with their frees; kernel sites that spilled out of the per-CPU
 * slots) and ksites (kernel allocations, one slot per site and CPU). The
 * kernel side doesn't count frees: a kernel key's frees are what it
 * allocated minus what is still live in kallocs. */
struct tot {
	struct ls_agg_key key;
	struct ls_agg a;
};

struct totals {
	struct tot *v;
	size_t n, cap;
};

static bool is_kernel_src(__u32 src)
{
	return src != SRC_USER && src != SRC_MMAP;
}

static int totals_add(struct totals *ts, const struct ls_agg_key *k, const struct ls_agg *a)
{
	struct tot *v = vec_reserve(ts->v, &ts->cap, ts->n, sizeof(*v));

	if (!v)
		return -ENOMEM;
	ts->v = v;
	ts->v[ts->n].key = *k;
	ts->v[ts->n].a = *a;
	ts->n++;
	return 0;
}

static int read_ksites(struct reporter *r, struct totals *ts)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(r->skel->maps.ksites);
	struct ls_site *vals;
	int err = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < LS_SITE_SLOTS && !err; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu && !err; c++) {
			struct ls_agg a = { .alloc_bytes = vals[c].alloc_bytes,
					    .alloc_count = vals[c].alloc_count };

			if (a.alloc_count)
				err = totals_add(ts, &vals[c].key, &a);
		}
	}
	free(vals);
	return err;
}

static int tot_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct tot *)a)->key, &((const struct tot *)b)->key,
		      sizeof(struct ls_agg_key));
}

/* Reads every key's totals, sorted by key, one entry per key. */
static int totals_read(struct reporter *r, struct totals *ts)
{
	int fd = bpf_map__fd(r->skel->maps.aggs);
	void *keys = NULL, *vals = NULL;
	long n = 0;
	size_t o = 0;
	int err = map_dump(fd, sizeof(struct ls_agg_key), sizeof(struct ls_agg),
			   bpf_map__max_entries(r->skel->maps.aggs), &keys, &vals, &n);

	for (long i = 0; i < n && !err; i++)
		err = totals_add(ts, (const struct ls_agg_key *)keys + i, (const struct ls_agg *)vals + i);
	free(keys);
	free(vals);
	if (!err && env.kernel)
		err = read_ksites(r, ts);
	if (err || !ts->n)
		return err;
	qsort(ts->v, ts->n, sizeof(ts->v[0]), tot_cmp);
	for (size_t i = 0; i < ts->n; i++) {	/* merge: a key in several slots/CPUs */
		if (o && !tot_cmp(&ts->v[o - 1], &ts->v[i])) {
			ts->v[o - 1].a.alloc_bytes += ts->v[i].a.alloc_bytes;
			ts->v[o - 1].a.alloc_count += ts->v[i].a.alloc_count;
			ts->v[o - 1].a.free_bytes += ts->v[i].a.free_bytes;
			ts->v[o - 1].a.free_count += ts->v[i].a.free_count;
		} else {
			ts->v[o++] = ts->v[i];
		}
	}
	ts->n = o;
	return 0;
}

static struct tot *totals_find(const struct totals *ts, const struct ls_agg_key *k)
{
	struct tot want = { .key = *k };

	return ts->n ? bsearch(&want, ts->v, ts->n, sizeof(ts->v[0]), tot_cmp) : NULL;
}

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;	/* totals read a moment before the tables */
}

/* Kernel keys: freed = allocated - live (live: the kernel table's groups
 * before any filter, sorted by key). */
static void totals_derive_frees(struct totals *ts, const struct groups *live)
{
	for (size_t i = 0; i < ts->n; i++) {
		struct tot *x = &ts->v[i];
		struct rec want = { .key = x->key }, *l;

		if (!is_kernel_src(x->key.src))
			continue;
		l = live->n ? bsearch(&want, live->v, live->n, sizeof(live->v[0]), key_cmp) : NULL;
		x->a.free_bytes = minus(x->a.alloc_bytes, l ? l->bytes : 0);
		x->a.free_count = minus(x->a.alloc_count, l ? l->blocks : 0);
	}
}

static void totals_tally(const struct totals *ts, struct tally *t)
{
	for (size_t i = 0; i < ts->n; i++) {
		unsigned s = ts->v[i].key.src % SRC_MAX;

		t->alloc_bytes[s] += ts->v[i].a.alloc_bytes;
		t->alloc_count[s] += ts->v[i].a.alloc_count;
		t->free_bytes[s] += ts->v[i].a.free_bytes;
		t->free_count[s] += ts->v[i].a.free_count;
	}
}

/* ---- frames ---------------------------------------------------------------------- */

struct frame {
	uint64_t addr;
	char text[384];		/* "func (file.c:LINE)" etc. */
	char name[192];		/* for folded stacks */
	struct usym sym;
	bool user, resolved;
};

static int read_frames(struct reporter *r, const struct ls_agg_key *k, struct frame *f, int max)
{
	__u64 ips[LS_MAX_FRAMES] = {};
	int n = 0;
	bool user = k->src == SRC_USER || k->src == SRC_MMAP;

	if (!user && k->site && n < max) {
		f[n].addr = k->site;
		f[n].user = false;
		n++;
	}
	/* kernel stacks live in their own, shallower map (LS_KSTACK_FRAMES) */
	if (k->stack_id >= 0 &&
	    !bpf_map_lookup_elem(bpf_map__fd(user ? r->skel->maps.stacks : r->skel->maps.kstacks),
				 &k->stack_id, ips)) {
		for (int i = 0; i < LS_MAX_FRAMES && ips[i] && n < max; i++) {
			f[n].addr = ips[i];
			f[n].user = user;
			n++;
		}
	}
	for (int i = 0; i < n; i++) {
		struct frame *fr = &f[i];

		memset(&fr->sym, 0, sizeof(fr->sym));
		fr->resolved = false;
		if (fr->user) {
			/* every user frame is a return address (taken at return
			 * or at a syscall): the call is the byte before */
			if (r->usyms && usym_resolve(r->usyms, fr->addr - 1, &fr->sym) == 0)
				fr->resolved = true;
			usym_format(&fr->sym, fr->addr, fr->text, sizeof(fr->text));
			if (fr->sym.func)
				snprintf(fr->name, sizeof(fr->name), "%s", fr->sym.func);
			else if (fr->sym.module)
				snprintf(fr->name, sizeof(fr->name), "%s+0x%" PRIx64,
					 strrchr(fr->sym.module, '/') ? strrchr(fr->sym.module, '/') + 1 :
					 fr->sym.module, fr->sym.module_offset);
			else
				snprintf(fr->name, sizeof(fr->name), "0x%" PRIx64, fr->addr);
		} else {
			uint64_t off = 0;
			const char *s = r->ksyms ? ksyms_resolve(r->ksyms, fr->addr, &off) : NULL;

			if (s) {
				snprintf(fr->text, sizeof(fr->text), "%s+0x%" PRIx64, s, off);
				snprintf(fr->name, sizeof(fr->name), "%s", s);
				fr->sym.func = s;
				fr->sym.func_offset = off;
				fr->resolved = true;
			} else {
				snprintf(fr->text, sizeof(fr->text), "0x%" PRIx64, fr->addr);
				snprintf(fr->name, sizeof(fr->name), "0x%" PRIx64, fr->addr);
			}
		}
		/* frame text comes from files the traced process controls */
		{
			char clean[sizeof(fr->text)];

			fmt_printable(clean, sizeof(clean), fr->text);
			memcpy(fr->text, clean, sizeof(clean));
			fmt_printable(clean, sizeof(fr->name), fr->name);
			memcpy(fr->name, clean, sizeof(fr->name));
		}
	}
	return n;
}

static void cache_name(struct reporter *r, uint64_t cache, char *buf, size_t size)
{
	char name[LS_CACHE_NAME_LEN + 1] = {};

	buf[0] = 0;
	if (!cache || bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.cache_names), &cache, name))
		return;
	fmt_printable(buf, size, name);
}

/* ---- output ------------------------------------------------------------------------- */

static void print_text(struct reporter *r, const struct report_opts *o, struct rec *v, size_t n,
		       const struct tally *t, double elapsed, double interval, bool exited)
{
	FILE *f = o->out;
	char b1[32], b2[32], b3[32], b4[32], b5[32], cname[LS_CACHE_NAME_LEN + 1];
	struct frame fr[LS_MAX_FRAMES + 1];
	int shown[SRC_MAX] = {};

	if (r->pid) {
		char comm[sizeof(r->comm)];

		/* the process names itself: never print its bytes raw */
		fmt_printable(comm, sizeof(comm), r->comm);
		fprintf(f, "==%d== leaksnoop report%s: pid %d (%s), traced %.1f s%s\n", r->pid,
			o->final ? "" : " (interval)", r->pid, comm, elapsed,
			exited ? ", process exited" : "");
	} else {
		fprintf(f, "==kernel== leaksnoop report%s: whole system, traced %.1f s\n",
			o->final ? "" : " (interval)", elapsed);
	}
	for (size_t i = 0; i < n; i++) {
		struct rec *x = &v[i];
		unsigned s = x->key.src % SRC_MAX;
		int nf;

		if (env.top && shown[s] >= env.top)
			continue;
		shown[s]++;
		cache_name(r, x->key.cache, cname, sizeof(cname));
		fprintf(f, "\n%s bytes in %s blocks are outstanding in record %d of %d [%s%s%s]\n",
			commas(b1, sizeof(b1), x->bytes), commas(b2, sizeof(b2), x->blocks), shown[s],
			t->records[s], src_titles[s], cname[0] ? ": " : "", cname);
		nf = read_frames(r, &x->key, fr, LS_MAX_FRAMES + 1);
		for (int j = 0; j < nf; j++)
			fprintf(f, "   %s 0x%" PRIx64 ": %s\n", j ? "by" : "at", fr[j].addr, fr[j].text);
		if (!nf)
			fprintf(f, "   (no stack: %s)\n", s == SRC_PAGE && !env.kernel_stacks ?
				"page allocations have no call site; -K captures stacks" : "capture failed");
		fprintf(f, "   here: allocated %s bytes in %s blocks, freed %s bytes in %s blocks",
			commas(b1, sizeof(b1), x->totals.alloc_bytes),
			commas(b2, sizeof(b2), x->totals.alloc_count),
			commas(b3, sizeof(b3), x->totals.free_bytes),
			commas(b4, sizeof(b4), x->totals.free_count));
		if (r->nr_reports > 0)
			fprintf(f, "; %s%" PRId64 " bytes, %+" PRId64 " blocks since the last report%s",
				x->growth_bytes >= 0 ? "+" : "", x->growth_bytes, x->growth_blocks,
				x->is_new ? " (new)" : "");
		fprintf(f, "\n");
	}
	fprintf(f, "\nSUMMARY%s\n", exited ? " (at exit: every block the process still held)" : "");
	for (int s = 0; s < SRC_MAX; s++) {
		int64_t net = (int64_t)(t->alloc_bytes[s] - t->free_bytes[s]);
		double rate = interval > 0 ? (net - r->prev_net[s]) / interval : 0;
		char rb[16];

		if (!t->alloc_count[s] && !t->out_blocks[s])
			continue;
		fmt_bytes(rb, sizeof(rb), (uint64_t)(rate < 0 ? -rate : rate));
		fprintf(f, "  %-13s outstanding %s bytes in %s blocks; allocated %s bytes in %s blocks, "
			"freed %s bytes in %s blocks; growth %s%s/s\n", src_titles[s],
			commas(b1, sizeof(b1), t->out_bytes[s]), commas(b2, sizeof(b2), t->out_blocks[s]),
			commas(b3, sizeof(b3), t->alloc_bytes[s]), commas(b4, sizeof(b4), t->alloc_count[s]),
			commas(cname, sizeof(cname), t->free_bytes[s]), commas(b5, sizeof(b5), t->free_count[s]),
			rate < 0 ? "-" : "", rb);
	}
	if (t->stats[STAT_BRK_GROW] || t->stats[STAT_BRK_SHRINK])
		fprintf(f, "  %-13s grew %s bytes, shrank %s bytes\n", "brk heap",
			commas(b1, sizeof(b1), t->stats[STAT_BRK_GROW]),
			commas(b2, sizeof(b2), t->stats[STAT_BRK_SHRINK]));
	if (t->young_blocks || t->size_filtered || t->unmapped)
		fprintf(f, "  not shown: %s blocks (%s bytes) younger than %" PRIu64 " ms, %s outside the "
			"size limits, %s regions no longer mapped\n",
			commas(b1, sizeof(b1), t->young_blocks), commas(b2, sizeof(b2), t->young_bytes),
			env.older_than_ms, commas(b3, sizeof(b3), t->size_filtered),
			commas(b4, sizeof(b4), t->unmapped));
	fprintf(f, "  health: %" PRIu64 " allocations not recorded (table full), %" PRIu64
		" without a stack, %" PRIu64 " frees of blocks allocated before tracing, %" PRIu64
		" failed allocations (not leaks), %" PRIu64 " in-flight slots lost\n",
		t->stats[STAT_ALLOC_MAP_FULL], t->stats[STAT_STACK_FAIL], t->stats[STAT_UNKNOWN_FREE],
		t->stats[STAT_FAILED_ALLOC], t->stats[STAT_INFLIGHT_FULL] + t->stats[STAT_AGG_MAP_FULL]);
	if (t->kernel_missed)
		fprintf(f, "  health: %" PRIu64 " kernel allocation events missed (the kernel skips "
			"nested tracing programs): a missed free shows its block as outstanding\n",
			t->kernel_missed);
	fflush(f);
}

static void json_frames(struct json *j, struct frame *fr, int nf)
{
	json_arr_begin(j, "frames");
	for (int i = 0; i < nf; i++) {
		json_obj_begin(j, NULL);
		json_u64(j, "addr", fr[i].addr);
		json_str(j, "func", fr[i].sym.func);
		json_str(j, "file", fr[i].sym.file);
		if (fr[i].sym.file)
			json_i64(j, "line", fr[i].sym.line);
		json_str(j, "module", fr[i].sym.module);
		json_str(j, "text", fr[i].text);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void print_json(struct reporter *r, const struct report_opts *o, struct rec *v, size_t n,
		       const struct tally *t, double elapsed, double interval, bool exited)
{
	struct json j;
	struct frame fr[LS_MAX_FRAMES + 1];
	char cname[LS_CACHE_NAME_LEN + 1];
	int shown[SRC_MAX] = {};
	static const char *const stat_names[STAT_MAX] = {
		"alloc_table_full", "inflight_lost", "agg_table_full", "stack_failures",
		"unknown_frees", "failed_allocations", "brk_grow_bytes", "brk_shrink_bytes",
	};

	json_init(&j, o->out);
	json_obj_begin(&j, NULL);
	json_str(&j, "type", "report");
	json_bool(&j, "final", o->final);
	if (r->pid) {
		json_i64(&j, "pid", r->pid);
		json_str(&j, "comm", r->comm);
	} else {
		json_null(&j, "pid");
	}
	json_bool(&j, "exited", exited);
	json_f64(&j, "elapsed_s", elapsed);
	json_u64(&j, "older_than_ms", env.older_than_ms);
	json_arr_begin(&j, "records");
	for (size_t i = 0; i < n; i++) {
		struct rec *x = &v[i];
		unsigned s = x->key.src % SRC_MAX;
		int nf;

		if (env.top && shown[s] >= env.top)
			continue;
		shown[s]++;
		json_obj_begin(&j, NULL);
		json_str(&j, "source", src_names[s]);
		json_u64(&j, "bytes", x->bytes);
		json_u64(&j, "blocks", x->blocks);
		json_i64(&j, "growth_bytes", x->growth_bytes);
		json_i64(&j, "growth_blocks", x->growth_blocks);
		json_u64(&j, "allocated_bytes", x->totals.alloc_bytes);
		json_u64(&j, "allocated_blocks", x->totals.alloc_count);
		json_u64(&j, "freed_bytes", x->totals.free_bytes);
		json_u64(&j, "freed_blocks", x->totals.free_count);
		json_f64(&j, "oldest_age_s", (now_ns() - x->oldest_ts) / 1e9);
		cache_name(r, x->key.cache, cname, sizeof(cname));
		json_str(&j, "cache", x->key.cache ? cname : NULL);
		nf = read_frames(r, &x->key, fr, LS_MAX_FRAMES + 1);
		json_str(&j, "call_site", s != SRC_USER && s != SRC_MMAP && nf ? fr[0].text : NULL);
		json_frames(&j, fr, nf);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_begin(&j, "summary");
	for (int s = 0; s < SRC_MAX; s++) {
		int64_t net = (int64_t)(t->alloc_bytes[s] - t->free_bytes[s]);

		if (!t->alloc_count[s] && !t->out_blocks[s])
			continue;
		json_obj_begin(&j, src_names[s]);
		json_u64(&j, "outstanding_bytes", t->out_bytes[s]);
		json_u64(&j, "outstanding_blocks", t->out_blocks[s]);
		json_u64(&j, "allocated_bytes", t->alloc_bytes[s]);
		json_u64(&j, "allocated_blocks", t->alloc_count[s]);
		json_u64(&j, "freed_bytes", t->free_bytes[s]);
		json_u64(&j, "freed_blocks", t->free_count[s]);
		json_f64(&j, "growth_bytes_per_s", interval > 0 ? (net - r->prev_net[s]) / interval : 0);
		json_u64(&j, "records", (uint64_t)t->records[s]);
		json_obj_end(&j);
	}
	json_obj_end(&j);
	json_obj_begin(&j, "not_shown");
	json_u64(&j, "younger_blocks", t->young_blocks);
	json_u64(&j, "younger_bytes", t->young_bytes);
	json_u64(&j, "size_filtered", t->size_filtered);
	json_u64(&j, "unmapped_regions", t->unmapped);
	json_obj_end(&j);
	json_obj_begin(&j, "health");
	for (int s = 0; s < STAT_MAX; s++)
		json_u64(&j, stat_names[s], t->stats[s]);
	json_u64(&j, "kernel_events_missed", t->kernel_missed);
	json_obj_end(&j);
	json_obj_end(&j);
	json_line_end(&j);
}

static void print_folded(struct reporter *r, const struct report_opts *o, struct rec *v, size_t n)
{
	struct frame fr[LS_MAX_FRAMES + 1];
	char cname[LS_CACHE_NAME_LEN + 1];

	for (size_t i = 0; i < n; i++) {
		int nf = read_frames(r, &v[i].key, fr, LS_MAX_FRAMES + 1);
		unsigned s = v[i].key.src % SRC_MAX;

		cache_name(r, v[i].key.cache, cname, sizeof(cname));
		fprintf(o->out, "[%s%s%s]", src_names[s], cname[0] ? ":" : "", cname);
		for (int j = nf - 1; j >= 0; j--)
			fprintf(o->out, ";%s", fr[j].name);
		fprintf(o->out, " %" PRIu64 "\n", v[i].bytes);
	}
	fflush(o->out);
}

/* ---- one report ---------------------------------------------------------------------- */

int report_emit(struct reporter *r, const struct report_opts *o)
{
	struct leaksnoop_bpf *s = r->skel;
	struct groups g = {}, live = {};
	struct totals ts = {};
	struct tally t = {};
	struct vma_list maps = {};
	bool have_maps = false, exited = o->exited;
	uint64_t now = now_ns();
	double elapsed = (now - r->start_ns) / 1e9;
	double interval = (now - (r->nr_reports ? r->prev_ns : r->start_ns)) / 1e9;
	int err = 0;

	/* totals first: an allocation made while the tables are read is then
	 * live but not yet counted (a kernel key's frees clamp at 0), rather
	 * than counted and taken for freed */
	err = totals_read(r, &ts);
	if (!err && env.user) {
		/* once the process is gone nothing more is freed: every block counts */
		err = collect_table(bpf_map__fd(s->maps.uallocs), bpf_map__max_entries(s->maps.uallocs),
				    !exited, NULL, &g, NULL, &t);
		if (!err && r->has_syscalls) {
			if (!exited && r->pid)
				have_maps = procfs_read_pid_maps(r->pid, &maps) == 0;
			err = collect_table(bpf_map__fd(s->maps.regions),
					    bpf_map__max_entries(s->maps.regions), !exited,
					    have_maps ? &maps : NULL, &g, NULL, &t);
			vma_list_free(&maps);
		}
	}
	if (!err && env.kernel)
		err = collect_table(bpf_map__fd(s->maps.kallocs), bpf_map__max_entries(s->maps.kallocs),
				    true, NULL, &g, &live, &t);
	if (err) {
		free(g.v);
		free(live.v);
		free(ts.v);
		return err;
	}
	totals_derive_frees(&ts, &live);
	free(live.v);
	/* each table came out grouped by key; tables don't share keys (src) */
	if (g.n)	/* qsort(NULL, 0, ...) is undefined */
		qsort(g.v, g.n, sizeof(g.v[0]), key_cmp);
	for (size_t i = 0; i < g.n; i++) {
		struct rec *x = &g.v[i];
		struct rec *p = r->prev ? bsearch(x, r->prev, r->nr_prev, sizeof(*x), key_cmp) : NULL;

		struct tot *tot = totals_find(&ts, &x->key);

		if (tot)
			x->totals = tot->a;
		x->growth_bytes = (int64_t)x->bytes - (p ? (int64_t)p->bytes : 0);
		x->growth_blocks = (int64_t)x->blocks - (p ? (int64_t)p->blocks : 0);
		x->is_new = !p;
		t.records[x->key.src % SRC_MAX]++;
	}
	free(r->prev);
	r->prev = malloc((g.n ? g.n : 1) * sizeof(g.v[0]));
	if (r->prev && g.n)
		memcpy(r->prev, g.v, g.n * sizeof(g.v[0]));
	r->nr_prev = r->prev ? g.n : 0;

	read_stats(r, &t);
	totals_tally(&ts, &t);
	free(ts.v);
	if (g.n)
		qsort(g.v, g.n, sizeof(g.v[0]), bytes_desc);
	switch (env.mode) {
	case OUT_TEXT: print_text(r, o, g.v, g.n, &t, elapsed, interval, exited); break;
	case OUT_JSON: print_json(r, o, g.v, g.n, &t, elapsed, interval, exited); break;
	case OUT_FOLDED: print_folded(r, o, g.v, g.n); break;
	}
	for (int k = 0; k < SRC_MAX; k++)
		r->prev_net[k] = (int64_t)(t.alloc_bytes[k] - t.free_bytes[k]);
	r->prev_ns = now;
	r->nr_reports++;
	free(g.v);
	return (int)(g.n > INT32_MAX ? INT32_MAX : g.n);
}

void reporter_free(struct reporter *r)
{
	free(r->prev);
	r->prev = NULL;
}
