// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
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
 * walk). Returns the count or -errno; keys and vals are malloc'd. */
static long map_dump(int fd, size_t ksz, size_t vsz, uint32_t max, void **keys, void **vals)
{
	char *k = malloc((size_t)max * ksz + ksz), *v = malloc((size_t)max * vsz + vsz);
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
			if (first && (errno == EINVAL || errno == EOPNOTSUPP))
				goto walk;
			free(k);
			free(v);
			return -errno;
		}
		n += count;
		first = false;
		if (err)
			break;	/* ENOENT: done */
		in = out;
	}
	*keys = k;
	*vals = v;
	return n;
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
	return n;
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
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 256;
		struct rec *v = realloc(g->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		g->v = v;
		g->cap = cap;
	}
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
};

static int entry_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct entry *)a)->key, &((const struct entry *)b)->key,
		      sizeof(struct ls_agg_key));
}

/* Groups one allocation table into g after the age and size filters. */
static int collect_table(struct reporter *r, int fd, uint32_t max, bool age_filter,
			 const struct vma_list *maps, struct groups *g, struct tally *t)
{
	uint64_t now = now_ns(), min_age = env.older_than_ms * 1000000ULL;
	void *keys = NULL, *vals = NULL;
	struct entry *ents;
	long n = map_dump(fd, sizeof(__u64), sizeof(struct ls_alloc), max, &keys, &vals);
	size_t m = 0;

	(void)r;
	if (n < 0)
		return (int)n;
	ents = malloc((n ? n : 1) * sizeof(*ents));
	if (!ents) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (long i = 0; i < n; i++) {
		const struct ls_alloc *a = (const struct ls_alloc *)vals + i;
		__u64 addr = ((const __u64 *)keys)[i];

		if (a->size < env.min_size || (env.max_size && a->size > env.max_size)) {
			t->size_filtered++;
			continue;
		}
		if (age_filter && a->ts + min_age > now) {
			t->young_blocks++;
			t->young_bytes += a->size;
			continue;
		}
		/* unmapped by a path we don't follow (munmap inside a region) */
		if (maps && !vma_list_find(maps, addr)) {
			t->unmapped++;
			continue;
		}
		ents[m].key.site = a->site;
		ents[m].key.cache = a->cache;
		ents[m].key.stack_id = a->stack_id;
		ents[m].key.src = a->src;
		ents[m].a = a;
		m++;
	}
	qsort(ents, m, sizeof(*ents), entry_cmp);
	for (size_t i = 0; i < m; i++) {
		if (groups_add(g, &ents[i].key, ents[i].a)) {
			free(ents);
			free(keys);
			free(vals);
			return -ENOMEM;
		}
		t->out_bytes[ents[i].key.src % SRC_MAX] += ents[i].a->size;
		t->out_blocks[ents[i].key.src % SRC_MAX]++;
	}
	free(ents);
	free(keys);
	free(vals);
	return 0;
}

static void read_stats(struct reporter *r, struct tally *t)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu > 0 ? ncpu : 1];
	int fd = bpf_map__fd(r->skel->maps.stats);

	for (__u32 k = 0; k < STAT_MAX && ncpu > 0; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int i = 0; i < ncpu; i++)
			t->stats[k] += vals[i];
	}
}

static void read_totals(struct reporter *r, struct tally *t)
{
	int fd = bpf_map__fd(r->skel->maps.aggs);
	void *keys = NULL, *vals = NULL;
	long n = map_dump(fd, sizeof(struct ls_agg_key), sizeof(struct ls_agg),
			  bpf_map__max_entries(r->skel->maps.aggs), &keys, &vals);

	for (long i = 0; i < n; i++) {
		const struct ls_agg_key *k = (const struct ls_agg_key *)keys + i;
		const struct ls_agg *a = (const struct ls_agg *)vals + i;
		unsigned s = k->src % SRC_MAX;

		t->alloc_bytes[s] += a->alloc_bytes;
		t->alloc_count[s] += a->alloc_count;
		t->free_bytes[s] += a->free_bytes;
		t->free_count[s] += a->free_count;
	}
	free(keys);
	free(vals);
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
	if (k->stack_id >= 0 &&
	    !bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.stacks), &k->stack_id, ips)) {
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

	if (r->pid)
		fprintf(f, "==%d== leaksnoop report%s: pid %d (%s), traced %.1f s%s\n", r->pid,
			o->final ? "" : " (interval)", r->pid, r->comm, elapsed,
			exited ? ", process exited" : "");
	else
		fprintf(f, "==kernel== leaksnoop report%s: whole system, traced %.1f s\n",
			o->final ? "" : " (interval)", elapsed);
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
	struct groups g = {};
	struct tally t = {};
	struct vma_list maps = {};
	bool have_maps = false, exited = o->exited;
	uint64_t now = now_ns();
	double elapsed = (now - r->start_ns) / 1e9;
	double interval = (now - (r->nr_reports ? r->prev_ns : r->start_ns)) / 1e9;
	int err = 0;

	if (env.user) {
		/* once the process is gone nothing more is freed: every block counts */
		err = collect_table(r, bpf_map__fd(s->maps.uallocs), bpf_map__max_entries(s->maps.uallocs),
				    !exited, NULL, &g, &t);
		if (!err && r->has_syscalls) {
			if (!exited && r->pid)
				have_maps = procfs_read_pid_maps(r->pid, &maps) == 0;
			err = collect_table(r, bpf_map__fd(s->maps.regions),
					    bpf_map__max_entries(s->maps.regions), !exited,
					    have_maps ? &maps : NULL, &g, &t);
			vma_list_free(&maps);
		}
	}
	if (!err && env.kernel)
		err = collect_table(r, bpf_map__fd(s->maps.kallocs), bpf_map__max_entries(s->maps.kallocs),
				    true, NULL, &g, &t);
	if (err) {
		free(g.v);
		return err;
	}
	/* each table came out grouped by key; tables don't share keys (src) */
	if (g.n)	/* qsort(NULL, 0, ...) is undefined */
		qsort(g.v, g.n, sizeof(g.v[0]), key_cmp);
	for (size_t i = 0; i < g.n; i++) {
		struct rec *x = &g.v[i];
		struct rec *p = r->prev ? bsearch(x, r->prev, r->nr_prev, sizeof(*x), key_cmp) : NULL;

		bpf_map_lookup_elem(bpf_map__fd(s->maps.aggs), &x->key, &x->totals);
		x->growth_bytes = (int64_t)x->bytes - (p ? (int64_t)p->bytes : 0);
		x->growth_blocks = (int64_t)x->blocks - (p ? (int64_t)p->blocks : 0);
		x->is_new = !p;
		t.records[x->key.src % SRC_MAX]++;
	}
	free(r->prev);
	r->prev = malloc((g.n ? g.n : 1) * sizeof(g.v[0]));
	if (r->prev)
		memcpy(r->prev, g.v, g.n * sizeof(g.v[0]));
	r->nr_prev = r->prev ? g.n : 0;

	read_stats(r, &t);
	read_totals(r, &t);
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
