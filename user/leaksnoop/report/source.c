// SPDX-License-Identifier: GPL-2.0
/* leaksnoop's source: BPF tables and /proc -> struct leak_snapshot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "feature_probe.h"
#include "percpu_stats.h"
#include "kfree_batch.h"
#include "procfs.h"
#include "regions.h"
#include "memstat.h"
#include "scan_window.h"
#include "source.h"
#include "symbolize.h"
#include "vec.h"
#include "leaksnoop.skel.h"

/* A scan's log of user frees (leak_source_log_start). */
struct leak_scan_log {
	const struct leak_source *src;
	struct ring_buffer *rb;
	struct ls_freed *freed;
	size_t nr, cap;
	bool keep;		/* false: discarding what an earlier window left */
	int err;
};

static int drain_log(struct leak_scan_log *log);

/* Room for need keys and values, grown by doubling from 4,096 (zeroed:
 * valgrind can't see what a batch lookup writes). Sized by what the map
 * holds, not by its max_entries: the user table's 4M entries at 56 bytes
 * would be 230 MB of address space for a map that holds a few thousand. */
struct dump_buf {
	char *k, *v;
	size_t ksz, vsz, cap;
};

static int dump_reserve(struct dump_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *k, *v;

	if (need <= b->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	k = realloc(b->k, cap * b->ksz);
	if (!k)
		return -ENOMEM;
	b->k = k;
	v = realloc(b->v, cap * b->vsz);
	if (!v)
		return -ENOMEM;
	b->v = v;
	memset(k + b->cap * b->ksz, 0, (cap - b->cap) * b->ksz);
	memset(v + b->cap * b->vsz, 0, (cap - b->cap) * b->vsz);
	b->cap = cap;
	return 0;
}

/* The key walk, for kernels without batch lookups of this map type. */
static int dump_walk(int fd, uint32_t max, struct dump_buf *b, long *nr)
{
	char *prev = NULL;
	long n = 0;

	while ((uint32_t)n < max) {
		int err = dump_reserve(b, (size_t)n + 1);

		if (err)
			return err;
		if (prev)	/* a realloc may have moved it */
			prev = b->k + (n - 1) * b->ksz;
		if (bpf_map_get_next_key(fd, prev, b->k + n * b->ksz))
			break;
		if (!bpf_map_lookup_elem(fd, b->k + n * b->ksz, b->v + n * b->vsz)) {
			prev = b->k + n * b->ksz;
			n++;
		} else if (!prev) {
			break;
		}
	}
	*nr = n;
	return 0;
}

/* Every key and value of a map (batch lookups, falling back to a key walk;
 * a per-CPU map's value is vsz for all CPUs). Returns 0 with the count in
 * *nr_out and keys and vals malloc'd, or -errno with nothing allocated. */
static int map_dump(int fd, size_t ksz, size_t vsz, uint32_t max, void **keys, void **vals,
		    long *nr_out)
{
	struct dump_buf b = { .ksz = ksz, .vsz = vsz };
	__u64 in = 0, out = 0;
	long n = 0;
	bool first = true;
	int err = dump_reserve(&b, 1);

	while (!err) {
		__u32 count = max - n > 4096 ? 4096 : max - n;

		if (!count)
			break;
		err = dump_reserve(&b, (size_t)n + count);
		if (err)
			break;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, b.k + n * ksz,
					   b.v + n * vsz, &count, NULL);
		if (err && errno != ENOENT) {
			int e = errno;

			if (first && (e == EINVAL || e == EOPNOTSUPP || e == KERNEL_ENOTSUPP)) {
				err = dump_walk(fd, max, &b, &n);
				break;
			}
			err = e > 0 ? -e : -EIO;
			break;
		}
		n += count;
		first = false;
		if (err) {
			err = 0;
			break;	/* ENOENT: done */
		}
		in = out;
	}
	if (err) {
		free(b.k);
		free(b.v);
		return err;
	}
	*keys = b.k;
	*vals = b.v;
	*nr_out = n;
	return 0;
}

/* A record of pid's (0: of anyone): a set's tables hold every process's. */
static bool is_of(pid_t pid, __u32 tgid)
{
	return !pid || tgid == (__u32)pid;
}

/* One allocation table into snap->blocks: the user tables are keyed by
 * struct ls_ukey, kallocs by the kernel address alone. */
static int read_allocs(const struct bpf_map *map, pid_t pid, struct leak_snapshot *snap)
{
	void *keys = NULL, *vals = NULL;
	long n = 0;
	size_t ksz = bpf_map__key_size(map);
	int err = map_dump(bpf_map__fd(map), ksz, sizeof(struct ls_alloc),
			   bpf_map__max_entries(map), &keys, &vals, &n);

	for (long i = 0; i < n && !err; i++) {
		const struct ls_alloc *a = (const struct ls_alloc *)vals + i;
		struct leak_block b = leak_block_of(0, a);

		memcpy(&b.addr, (const char *)keys + (size_t)i * ksz, sizeof(b.addr));
		if (is_of(pid, a->tgid))
			err = leak_snapshot_add_block(snap, &b);
	}
	free(keys);
	free(vals);
	return err;
}

/* The threads the thread_sps table holds (the scan's live and exited
 * stacks: scan.h); a full table may have missed some, and then says none. */
static int keep_threads(const struct leak_source *src, struct leak_snapshot *snap,
			const void *keys, const void *vals, long n)
{
	snap->threads = calloc(n ? (size_t)n : 1, sizeof(*snap->threads));
	if (!snap->threads)
		return -ENOMEM;
	for (long i = 0; i < n; i++)
		snap->threads[i] = (struct scan_thread){ ((const __u32 *)keys)[i],
							 ((const __u64 *)vals)[i] };
	snap->nr_threads = (size_t)n;
	snap->have_threads = (__u32)n < bpf_map__max_entries(src->skel->maps.thread_sps);
	return 0;
}

/* What each mmap region is (regions.c): a thread's stack, the allocator's
 * own mapping, or the program's. The blocks were just read from the
 * regions table: snap->blocks[from..]. */
static int label_regions(const struct leak_source *src, struct leak_snapshot *snap, size_t from)
{
	void *keys = NULL, *vals = NULL;
	long n = 0;
	const char **files = calloc((size_t)src->nr_allocs + 1, sizeof(*files));
	const char **owners = calloc((size_t)src->nr_allocs + 1, sizeof(*owners));
	struct region_facts f = { 0 };
	int err = files && owners ? map_dump(bpf_map__fd(src->skel->maps.thread_sps), sizeof(__u32),
					     sizeof(__u64),
					     bpf_map__max_entries(src->skel->maps.thread_sps),
					     &keys, &vals, &n) : -ENOMEM;

	for (int i = 0; !err && i < src->nr_allocs; i++) {
		files[i] = src->allocs[i].path;
		if (strcmp(src->allocs[i].family, "glibc") != 0)
			owners[f.nr_owner_files++] = src->allocs[i].path;
	}
	f.thread_sps = vals;
	f.nr_sps = (size_t)n;
	f.alloc_files = files;
	f.nr_alloc_files = (size_t)src->nr_allocs;
	f.owner_files = owners;
	for (size_t i = from; !err && i < snap->nr_blocks; i++) {
		struct leak_block *b = &snap->blocks[i];
		struct usym sym = { 0 };
		const char *module = NULL;

		if (src->usyms && b->key.site && usym_resolve(src->usyms, b->key.site, &sym) == 0)
			module = sym.module;
		b->key.src = region_kind(&f, b->addr, b->size, module);
		b->alloc_owned = b->key.src == SRC_ALLOC_MAP && region_alloc_owned(&f, module);
	}
	if (!err)
		err = keep_threads(src, snap, keys, vals, n);
	free(keys);
	free(vals);
	free(files);
	free(owners);
	return err;
}

/* The aggs table: user and mmap keys with their frees, and kernel sites
 * that spilled out of the per-CPU slots. */
static int read_aggs(const struct leaksnoop_bpf *s, pid_t pid, struct leak_snapshot *snap)
{
	void *keys = NULL, *vals = NULL;
	long n = 0;
	int err = map_dump(bpf_map__fd(s->maps.aggs), sizeof(struct ls_agg_key),
			   sizeof(struct ls_agg), bpf_map__max_entries(s->maps.aggs), &keys, &vals, &n);

	for (long i = 0; i < n && !err; i++) {
		struct leak_total t = { .key = ((const struct ls_agg_key *)keys)[i],
					.agg = ((const struct ls_agg *)vals)[i] };

		if (is_of(pid, t.key.tgid))
			err = leak_snapshot_add_total(snap, &t);
	}
	free(keys);
	free(vals);
	return err;
}

/* ksites: kernel allocations, one slot per call site and CPU. Read with
 * one batch lookup (the 4096 lookups it replaced took 3.5-6 ms here, twice
 * per final report). A per-CPU value is ncpu slots of 8-byte multiples:
 * struct ls_site is one (40 bytes). */
static int read_ksites(const struct leaksnoop_bpf *s, pid_t pid, struct leak_snapshot *snap)
{
	int ncpu = libbpf_num_possible_cpus();
	void *keys = NULL, *vals = NULL;
	long n = 0;
	int err;

	_Static_assert(sizeof(struct ls_site) % 8 == 0, "per-CPU values are 8-byte aligned");
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	err = map_dump(bpf_map__fd(s->maps.ksites), sizeof(__u32),
		       (size_t)ncpu * sizeof(struct ls_site), LS_SITE_SLOTS, &keys, &vals, &n);
	for (long i = 0; i < n && !err; i++) {
		const struct ls_site *v = (const struct ls_site *)vals + i * ncpu;

		for (int c = 0; c < ncpu && !err; c++) {
			struct leak_total t = { .key = v[c].key,
						.agg = { .alloc_bytes = v[c].alloc_bytes,
							 .alloc_count = v[c].alloc_count } };

			if (t.agg.alloc_count && is_of(pid, t.key.tgid))
				err = leak_snapshot_add_total(snap, &t);
		}
	}
	free(keys);
	free(vals);
	return err;
}

/* The kernel skips a tracing program that fires while it already runs on
 * that CPU (a kfree in an interrupt that came during our kfree program) and
 * counts it in the program's recursion_misses. A missed free leaves a block
 * that looks outstanding, so the report says how many there were. */
static uint64_t kernel_missed(const struct leaksnoop_bpf *s)
{
	/* whichever variant loaded (the other's fd is -1) */
	const struct bpf_program *p[] = {
		s->progs.on_kmalloc, s->progs.on_kmem_cache_alloc, s->progs.on_kfree,
		s->progs.on_kmem_cache_free, s->progs.on_page_alloc, s->progs.on_page_free,
		s->progs.on_page_free_batched, s->progs.on_kmalloc_raw,
		s->progs.on_kmem_cache_alloc_raw, s->progs.on_kmem_cache_alloc_nocache,
		s->progs.on_kfree_raw, s->progs.on_kmem_cache_free_raw, s->progs.on_page_alloc_raw,
		s->progs.on_page_free_raw, s->progs.on_page_free_batched_raw,
		s->progs.on_workqueue_start, s->progs.on_workqueue_start_raw,
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

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The stacks and cache names the blocks name, each looked up once (a
 * table holds up to --max-allocs blocks but a few hundred stacks). */
static int read_stacks_and_caches(const struct leaksnoop_bpf *s, struct leak_snapshot *snap)
{
	size_t n = snap->nr_blocks ? snap->nr_blocks : 1, nr_refs = 0, nr_caches = 0;
	struct leak_stack_ref *refs = malloc(n * sizeof(*refs));
	uint64_t *caches = malloc(n * sizeof(*caches));
	int err = 0;

	if (!refs || !caches) {
		free(refs);
		free(caches);
		return -ENOMEM;
	}
	for (size_t i = 0; i < snap->nr_blocks; i++) {
		const struct ls_agg_key *k = &snap->blocks[i].key;

		if (k->stack_id >= 0)
			refs[nr_refs++] = (struct leak_stack_ref){ k->stack_id, !leak_src_is_user(k->src) };
		if (k->cache)
			caches[nr_caches++] = k->cache;
	}
	if (nr_refs)
		qsort(refs, nr_refs, sizeof(*refs), leak_stack_ref_cmp);
	if (nr_caches)
		qsort(caches, nr_caches, sizeof(*caches), u64_cmp);
	for (size_t i = 0; i < nr_refs && !err; i++) {
		struct leak_stack st = { .ref = refs[i] };
		/* kernel stacks live in their own, shallower map (LS_KSTACK_FRAMES) */
		int fd = bpf_map__fd(st.ref.kernel ? s->maps.kstacks : s->maps.stacks);

		if (i && !leak_stack_ref_cmp(&refs[i - 1], &refs[i]))
			continue;
		if (bpf_map_lookup_elem(fd, &st.ref.id, st.ips))
			continue;
		while (st.nr_ips < LS_MAX_FRAMES && st.ips[st.nr_ips])
			st.nr_ips++;
		err = leak_snapshot_add_stack(snap, &st);
	}
	for (size_t i = 0; i < nr_caches && !err; i++) {
		struct leak_cache_name c = { .cache = caches[i] };

		if (i && caches[i - 1] == caches[i])
			continue;
		if (!bpf_map_lookup_elem(bpf_map__fd(s->maps.cache_names), &c.cache, c.name))
			err = leak_snapshot_add_cache(snap, &c);
	}
	free(refs);
	free(caches);
	return err;
}

/* The frees missed per cache (kunseen), and what /proc/slabinfo says each
 * cache holds: for kcache_check(). slabinfo may be unreadable (no
 * CONFIG_SLUB_DEBUG): the check then rests on the missed frees alone. */
static int read_cache_evidence(const struct leaksnoop_bpf *s, struct leak_snapshot *snap)
{
	const struct bpf_map *m = s->maps.kunseen;
	__u64 *keys, *vals;
	long n;
	int err = map_dump(bpf_map__fd(m), sizeof(*keys), sizeof(*vals), bpf_map__max_entries(m),
			   (void **)&keys, (void **)&vals, &n);

	if (err)
		return err;
	snap->missed = n ? calloc((size_t)n, sizeof(*snap->missed)) : NULL;
	if (n && !snap->missed)
		err = -ENOMEM;
	for (long i = 0; !err && i < n; i++)
		snap->missed[snap->nr_missed++] = (struct kcache_missed){ keys[i], vals[i] };
	free(keys);
	free(vals);
	if (!err)
		snap->have_slabs = memstat_read_slabinfo(&snap->slabs) == 0;
	return err;
}


/* The tables into snap; with a scan's log, the user blocks of its window
 * (scan_window.c), before the stacks they name are looked up. */
static int read_snapshot(const struct leak_source *src, bool exited, struct leak_scan_log *log,
			 const struct scan_window *w, struct leak_snapshot *snap, size_t *appended)
{
	const struct leaksnoop_bpf *s = src->skel;
	int err;

	memset(snap, 0, sizeof(*snap));
	snap->now_ns = monotonic_ns();
	err = read_aggs(s, src->pid, snap);
	if (!err && src->kernel)
		err = read_ksites(s, src->pid, snap);
	if (!err && src->user) {
		err = read_allocs(s->maps.uallocs, src->pid, snap);
		if (!err && src->has_syscalls) {
			if (!exited && src->pid)
				snap->have_maps = procfs_read_pid_maps(src->pid, &snap->maps) == 0;
			size_t from = snap->nr_blocks;

			err = read_allocs(s->maps.regions, src->pid, snap);
			if (!err)
				err = label_regions(src, snap, from);
		}
	}
	if (!err && src->kernel && src->batch_frees)
		err = kfree_batch_drain(src->skel);
	if (!err && src->kernel)
		err = read_allocs(s->maps.kallocs, src->pid, snap);
	if (!err && src->kernel)
		err = read_cache_evidence(s, snap);
	if (!err && log)
		err = drain_log(log);
	if (!err && log)	/* appends last: the tail is the freed ones */
		err = scan_window_blocks(snap, log->freed, log->nr, w, appended);
	if (!err)
		err = read_stacks_and_caches(s, snap);
	if (!err)
		err = percpu_array_sum(bpf_map__fd(s->maps.stats), STAT_MAX, snap->stats);
	if (!err && src->kernel)
		snap->kernel_missed = kernel_missed(s);
	if (err)
		leak_snapshot_free(snap);
	return err;
}

int leak_source_read(const struct leak_source *src, bool exited, struct leak_snapshot *snap)
{
	size_t none;

	return read_snapshot(src, exited, NULL, NULL, snap, &none);
}

/* ---- a scan's log of frees -------------------------------------------------------------- */

static int on_freed(void *ctx, void *data, size_t size)
{
	struct leak_scan_log *log = ctx;
	struct ls_freed *v;

	if (!log->keep || size < sizeof(*v) ||
	    !is_of(log->src->pid, ((const struct ls_freed *)data)->a.tgid))
		return 0;	/* a stale record, or another process's of a set */
	v = vec_reserve(log->freed, &log->cap, log->nr, sizeof(*v));
	if (!v) {
		log->err = -ENOMEM;
		return -ENOMEM;
	}
	log->freed = v;
	memcpy(&log->freed[log->nr++], data, sizeof(*v));
	return 0;
}

struct leak_scan_log *leak_source_log_start(const struct leak_source *src)
{
	struct leak_scan_log *log = calloc(1, sizeof(*log));

	if (!log)
		return NULL;
	log->src = src;
	log->rb = ring_buffer__new(bpf_map__fd(src->skel->maps.scan_log), on_freed, log, NULL);
	if (!log->rb) {
		free(log);
		return NULL;
	}
	ring_buffer__consume(log->rb);	/* an earlier window's late records */
	log->keep = true;
	src->skel->bss->scan_logging = true;
	return log;
}

/* Logging off, and what it logged into log->freed. A free whose program
 * saw the flag on just before it went off is drained too: the program
 * writes its record within microseconds, so one more pass 1 ms later
 * catches it. */
static int drain_log(struct leak_scan_log *log)
{
	log->src->skel->bss->scan_logging = false;
	ring_buffer__consume(log->rb);
	usleep(1000);
	ring_buffer__consume(log->rb);
	return log->err;
}

int leak_source_read_window(const struct leak_source *src, struct leak_scan_log *log,
			    const struct scan_window *w, struct leak_snapshot *snap,
			    size_t *freed_since)
{
	*freed_since = 0;
	return read_snapshot(src, false, log, w, snap, freed_since);
}

void leak_source_log_stop(struct leak_scan_log *log)
{
	if (!log)
		return;
	log->src->skel->bss->scan_logging = false;
	ring_buffer__free(log->rb);
	free(log->freed);
	free(log);
}

/* struct ls_alloc by the agg key it counts in (ts zeroed first) */
static int agg_key_cmp_alloc(const void *a, const void *b)
{
	const struct ls_alloc *x = a, *y = b;

	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	if (x->cache != y->cache)
		return x->cache < y->cache ? -1 : 1;
	if (x->stack_id != y->stack_id)
		return x->stack_id < y->stack_id ? -1 : 1;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->src < y->src ? -1 : x->src > y->src;
}

/* Each stack's totals get the frees of its blocks the exec took: one
 * lookup and update per stack, not per block. Not atomic against BPF's
 * adds: exact while the process is held at its exec stop (-- CMD); under
 * -p only a new image's block with the same stack, in the same instant,
 * could race with it. gone[] is sorted here. */
static void credit_frees(const struct leaksnoop_bpf *s, struct ls_alloc *gone, size_t n)
{
	int aggs = bpf_map__fd(s->maps.aggs);

	for (size_t i = 0; i < n; i++)
		gone[i].ts = 0;		/* the sort key is the agg key alone */
	qsort(gone, n, sizeof(*gone), agg_key_cmp_alloc);
	for (size_t i = 0, j; i < n; i = j) {
		struct ls_agg_key k = { .site = gone[i].site, .cache = gone[i].cache,
					.stack_id = gone[i].stack_id, .src = gone[i].src,
					.tgid = gone[i].tgid };
		struct ls_agg g;
		__u64 bytes = 0;

		for (j = i; j < n && !agg_key_cmp_alloc(&gone[i], &gone[j]); j++)
			bytes += gone[j].size;
		if (bpf_map_lookup_elem(aggs, &k, &g))
			continue;
		g.free_bytes += bytes;
		g.free_count += j - i;
		bpf_map_update_elem(aggs, &k, &g, BPF_EXIST);
	}
}

/* The blocks of one table recorded before exec_ns go (one batch dump, one
 * batch delete: a delete, a lookup and an update per block took 85-350 ms
 * for bash's 1,609 blocks here, with the command held). */
static int forget_before(const struct leaksnoop_bpf *s, const struct bpf_map *map, pid_t pid,
			 __u64 exec_ns, struct leak_forgotten *out)
{
	void *keys = NULL, *vals = NULL;
	long n = 0;
	size_t m = 0;
	int fd = bpf_map__fd(map);
	int err = map_dump(fd, sizeof(struct ls_ukey), sizeof(struct ls_alloc),
			   bpf_map__max_entries(map), &keys, &vals, &n);
	struct ls_ukey *k = keys;
	struct ls_alloc *v = vals;

	for (long i = 0; !err && i < n; i++) {
		if (v[i].ts >= exec_ns || !is_of(pid, v[i].tgid))
			continue;
		k[m] = k[i];
		v[m++] = v[i];
	}
	if (!err && m) {
		__u32 count = (__u32)m;

		/* a key BPF freed meanwhile (-p) fails the batch there: the
		 * rest one by one */
		if (bpf_map_delete_batch(fd, k, &count, NULL) && count < m)
			for (size_t i = count; i < m; i++) {
				if (!bpf_map_delete_elem(fd, &k[i]))
					continue;
				v[i].size = 0;	/* not ours to count any more */
				v[i].src = SRC_MAX;
			}
		for (size_t i = 0; i < m; i++) {
			out->blocks += v[i].src != SRC_MAX;
			out->bytes += v[i].size;
		}
		credit_frees(s, v, m);
	}
	free(keys);
	free(vals);
	return err;
}

int leak_source_forget_image(const struct leak_source *src, __u64 exec_ns, struct leak_forgotten *out)
{
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (src->user)
		err = forget_before(src->skel, src->skel->maps.uallocs, src->pid, exec_ns, out);
	if (!err && src->user && src->has_syscalls)
		err = forget_before(src->skel, src->skel->maps.regions, src->pid, exec_ns, out);
	return err;
}

void leak_source_comm(pid_t pid, char *buf, size_t size)
{
	struct proc_stat ps;

	if (procfs_read_pid_stat(pid, &ps) == 0)
		snprintf(buf, size, "%s", ps.comm);
}

static int resolve_user(void *ctx, uint64_t addr, struct usym *out, int max)
{
	return usym_resolve_frames(ctx, addr, out, max);
}

static bool user_is_code(void *ctx, uint64_t addr)
{
	return usym_is_code(ctx, addr);
}

static const char *resolve_kernel(void *ctx, uint64_t addr, uint64_t *offset)
{
	return ksyms_resolve(ctx, addr, offset);
}

struct leak_symbolizer leak_source_symbolizer(struct usym_snapshot *usyms, struct ksyms *ksyms)
{
	return (struct leak_symbolizer){
		.user = usyms ? resolve_user : NULL, .user_is_code = usyms ? user_is_code : NULL,
		.user_ctx = usyms,
		.kernel = ksyms ? resolve_kernel : NULL, .kernel_ctx = ksyms,
	};
}

int leak_source_module_of(void *ctx, uint64_t addr, struct usym_module *out)
{
	return usym_module_of(ctx, addr, out);
}
