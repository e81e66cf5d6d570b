// SPDX-License-Identifier: GPL-2.0
/* Stops a live process, reads its registers and writable memory into
 * reach.c, resumes it. What is read, and why:
 * - every thread's general registers (a pointer held only in a register
 *   counts, as in valgrind) and its thread pointer (fs_base, TPIDR_EL0),
 *   through ptrace (arch.h);
 * - every readable+writable mapping: data/bss of every object, the heap and
 *   malloc's arenas, anonymous mappings (TLS blocks and thread stacks live
 *   there), shared memory — except device mappings (valgrind skips them
 *   too: reading one can have side effects) and, in a thread's stack, what
 *   lies below its stack pointer and red zone (x86-64's 128 bytes; arm64
 *   has none): dead frames, which memcheck marks unaddressable;
 * - of those, only pages present in memory or swapped out (pagemap): a page
 *   never touched is zeros or the file's contents, which hold no heap
 *   pointer, and reading it would fault it in (file pages from disk).
 * Memory is read in batches of up to BATCH_BYTES through one
 * process_vm_readv with up to IOV_BATCH ranges. While the target is stopped
 * it is only copied, into a buffer sized and faulted in before the stop
 * (faulting in fresh pages costs about as much as the copy); the
 * allocation tables are read (scan_blocks: the source's log of frees tells
 * which blocks were live during the stop), and the copy scanned (reach.c,
 * ~40 ms of CPU per 100 MiB here, twice the copy), once the target is
 * running again: reading node's tables inside the stop took 290-720 ms of
 * a 390-1,390 ms stop. The buffer is bounded by a quarter of MemAvailable:
 * what outgrows it is kept in a malloc'd spill; with no buffer at all the
 * tables are read, and the memory scanned from a 1 MiB batch, while
 * stopped, slower but in constant memory. docs/scan.md has the phases. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "arch.h"
#include "procfs.h"
#include "scan.h"
#include "scan_freeze.h"
#include "scan_roots.h"
#include "scan_vtable.h"
#include "vec.h"


/* 1 MiB: each batch is scanned right after it is read, while it is still
 * in the L2 cache; bigger batches save no measurable syscall time (a
 * process_vm_readv costs ~2 us plus the per-page pinning). */
#define BATCH_BYTES	(1U << 20)
#define IOV_BATCH	1024
#define PAGEMAP_CHUNK	4096		/* pagemap entries read at a time */
#define PM_PRESENT	(1ULL << 63)
#define PM_SWAPPED	(1ULL << 62)
#define PM_SOFT_DIRTY	(1ULL << 55)

/* ---- memory ---------------------------------------------------------------------------- */

/* A range copied into the copy buffer, scanned after the stop. */
struct copied {
	uint64_t addr;
	size_t off, len;
};

struct reader {
	pid_t pid;
	struct reach *r;
	struct scan_input in;	/* the blocks and what the roots rules need (scan.h) */
	struct vtables *vt;	/* for memcheck's multipleinheritance heuristic */
	int pagemap_fd;		/* -1: read every page */
	bool counting;		/* only add up what would be read (sizing) */
	uint64_t counted;
	bool precopy;		/* copying while the target runs */
	/* what the pre-copy got, by address: a page still clean (not
	 * soft-dirty) at the stop is taken from here instead of read again */
	struct copied *cache;
	size_t nr_cache, cache_at;
	unsigned char *copy;	/* the copy buffer (mmap'd), or NULL */
	size_t copy_size, copy_used;
	struct copied *segs;
	size_t nr_segs, cap_segs;
	/* read while stopped with no reach yet and no room left in the copy
	 * (the process grew since the buffer was sized, or a short read):
	 * kept here, malloc'd, scanned after the resume */
	unsigned char *spill;
	size_t spill_used, spill_cap;
	struct copied *spill_segs;
	size_t nr_spill, cap_spill;
	unsigned char *buf;
	struct iovec remote[IOV_BATCH];
	int nr_remote;
	size_t batch;		/* bytes in remote[] */
	struct scan_stats *st;
	int err;
};

/* An address in the target as iov_base wants it (it is never dereferenced
 * here: memcpy rather than a cast that says otherwise). */
static void *remote_ptr(uint64_t a)
{
	void *p;

	memcpy(&p, &a, sizeof(p));
	return p;
}

/* Keeps len bytes read at addr while stopped in the spill, for after. */
static void spill(struct reader *rd, uint64_t addr, const unsigned char *buf, size_t len)
{
	struct copied *v = vec_reserve(rd->spill_segs, &rd->cap_spill, rd->nr_spill, sizeof(*v));

	if (!v) {
		rd->err = -ENOMEM;
		return;
	}
	rd->spill_segs = v;
	if (rd->spill_cap - rd->spill_used < len) {
		size_t cap = rd->spill_cap ? rd->spill_cap : BATCH_BYTES;
		unsigned char *b;

		while (cap - rd->spill_used < len)
			cap *= 2;
		b = realloc(rd->spill, cap);
		if (!b) {
			rd->err = -ENOMEM;
			return;
		}
		rd->spill = b;
		rd->spill_cap = cap;
	}
	memcpy(rd->spill + rd->spill_used, buf, len);
	rd->spill_segs[rd->nr_spill++] = (struct copied){ addr, rd->spill_used, len };
	rd->spill_used += len;
}

/* Bytes read while stopped: scanned now when the reach exists (the tables
 * were read in the stop), else kept for after the resume. */
static void feed(struct reader *rd, uint64_t addr, const unsigned char *buf, size_t len)
{
	double t0;

	if (rd->precopy)
		return;		/* read again at the stop */
	rd->st->bytes_scanned += len;
	rd->st->bytes_copied_stopped += len;
	if (rd->err || !len)
		return;
	if (!rd->r) {
		spill(rd, addr, buf, len);
		return;
	}
	t0 = now_ms();
	rd->err = reach_scan(rd->r, addr, buf, len);
	rd->st->mark_ms += now_ms() - t0;
}

/* After a short batch read: the rest page by page, skipping what the
 * kernel won't give (VM_IO/VM_PFNMAP pages, a page unmapped meanwhile). */
static void read_slowly(struct reader *rd, int from, size_t skip)
{
	long ps = sysconf(_SC_PAGESIZE);

	for (int i = from; i < rd->nr_remote && !rd->err; i++) {
		uint64_t a = (uint64_t)rd->remote[i].iov_base + (i == from ? skip : 0);
		uint64_t end = (uint64_t)rd->remote[i].iov_base + rd->remote[i].iov_len;

		while (a < end && !rd->err) {
			uint64_t next = (a + ps) & ~((uint64_t)ps - 1);
			struct iovec l = { rd->buf, (next < end ? next : end) - a };
			struct iovec rm = { remote_ptr(a), l.iov_len };
			ssize_t n = process_vm_readv(rd->pid, &l, 1, &rm, 1, 0);

			if (n < 0 && errno == ESRCH)
				rd->err = -ESRCH;
			else if (n > 0)
				feed(rd, a, rd->buf, (size_t)n);
			if (n != (ssize_t)l.iov_len)
				rd->st->unreadable_bytes += l.iov_len - (n > 0 ? (size_t)n : 0);
			a += l.iov_len;
		}
	}
}

/* Keeps the batch just read into the copy buffer for after the stop. */
static void keep_copied(struct reader *rd, size_t got)
{
	size_t off = rd->copy_used;

	for (int i = 0; i < rd->nr_remote && !rd->err; i++) {
		struct copied *v = vec_reserve(rd->segs, &rd->cap_segs, rd->nr_segs, sizeof(*v));
		size_t len = rd->remote[i].iov_len;

		if (!v) {
			rd->err = -ENOMEM;
			break;
		}
		rd->segs = v;
		rd->segs[rd->nr_segs++] = (struct copied){ (uint64_t)rd->remote[i].iov_base, off, len };
		off += len;
	}
	rd->copy_used += got;
	if (!rd->precopy) {
		rd->st->bytes_scanned += got;
		rd->st->bytes_copied_stopped += got;
	}
}

/* A page the pre-copy holds, still as it is: scanned from the copy. */
static bool take_cached(struct reader *rd, uint64_t a, uint64_t b)
{
	struct copied *c, *v;

	while (rd->cache_at < rd->nr_cache &&
	       rd->cache[rd->cache_at].addr + rd->cache[rd->cache_at].len <= a)
		rd->cache_at++;
	if (rd->cache_at >= rd->nr_cache)
		return false;
	c = &rd->cache[rd->cache_at];
	if (c->addr > a || b > c->addr + c->len)
		return false;
	v = rd->nr_segs ? &rd->segs[rd->nr_segs - 1] : NULL;
	if (v && v->addr + v->len == a && v->off + v->len == c->off + (a - c->addr)) {
		v->len += b - a;	/* the next page of the same copy */
	} else {
		v = vec_reserve(rd->segs, &rd->cap_segs, rd->nr_segs, sizeof(*v));
		if (!v) {
			rd->err = -ENOMEM;
			return true;
		}
		rd->segs = v;
		rd->segs[rd->nr_segs++] = (struct copied){ a, c->off + (a - c->addr), b - a };
	}
	rd->st->bytes_scanned += b - a;
	return true;
}

static void flush(struct reader *rd)
{
	bool into_copy = rd->copy && rd->copy_size - rd->copy_used >= rd->batch;
	struct iovec local = { into_copy ? rd->copy + rd->copy_used : rd->buf, rd->batch };
	ssize_t n;
	size_t off = 0;
	int i;

	if (!rd->nr_remote)
		return;
	if (rd->counting || (rd->precopy && !into_copy)) {
		rd->counted += rd->batch;
		rd->nr_remote = 0;
		rd->batch = 0;
		return;
	}
	{
		double t0 = now_ms();

		n = process_vm_readv(rd->pid, &local, 1, rd->remote, (unsigned long)rd->nr_remote, 0);
		if (!rd->precopy)
			rd->st->copy_ms += now_ms() - t0;
	}
	if (rd->precopy && n != (ssize_t)rd->batch) {
		rd->nr_remote = 0;	/* not kept: read again at the stop */
		rd->batch = 0;
		return;
	}
	if (into_copy && n == (ssize_t)rd->batch) {
		keep_copied(rd, (size_t)n);
		rd->nr_remote = 0;
		rd->batch = 0;
		return;
	}
	if (into_copy && n > 0) {
		/* a short read: scan what came now, from where it lies */
		memcpy(rd->buf, local.iov_base, (size_t)n);
	}
	if (n < 0 && errno == ESRCH) {
		rd->err = -ESRCH;
	} else {
		size_t got = n > 0 ? (size_t)n : 0;

		for (i = 0; i < rd->nr_remote && off + rd->remote[i].iov_len <= got; i++) {
			feed(rd, (uint64_t)rd->remote[i].iov_base, rd->buf + off, rd->remote[i].iov_len);
			off += rd->remote[i].iov_len;
		}
		if (i < rd->nr_remote) {
			feed(rd, (uint64_t)rd->remote[i].iov_base, rd->buf + off, got - off);
			read_slowly(rd, i, got - off);
		}
	}
	rd->nr_remote = 0;
	rd->batch = 0;
}

/* Queues [a, end) for reading, in pieces that fit a batch. */
static void queue_range(struct reader *rd, uint64_t a, uint64_t end)
{
	while (a < end && !rd->err) {
		size_t room = BATCH_BYTES - rd->batch;
		size_t len = end - a < room ? (size_t)(end - a) : room;
		struct iovec *last = rd->nr_remote ? &rd->remote[rd->nr_remote - 1] : NULL;

		if (last && (uint64_t)last->iov_base + last->iov_len == a) {
			last->iov_len += len;	/* adjacent pages: one range */
		} else {
			rd->remote[rd->nr_remote].iov_base = remote_ptr(a);
			rd->remote[rd->nr_remote].iov_len = len;
			rd->nr_remote++;
		}
		rd->batch += len;
		a += len;
		if (rd->batch == BATCH_BYTES || rd->nr_remote == IOV_BATCH)
			flush(rd);
	}
}

/* Queues the present (or swapped) pages of [start, end). */
static void read_present(struct reader *rd, uint64_t start, uint64_t end)
{
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t pm[PAGEMAP_CHUNK];
	uint64_t page = start / ps, last = (end + ps - 1) / ps;

	if (rd->pagemap_fd < 0) {
		queue_range(rd, start, end);
		return;
	}
	while (page < last && !rd->err) {
		size_t want = last - page < PAGEMAP_CHUNK ? (size_t)(last - page) : PAGEMAP_CHUNK;
		double t0 = now_ms();
		ssize_t n = pread(rd->pagemap_fd, pm, want * sizeof(pm[0]), (off_t)(page * sizeof(pm[0])));

		if (!rd->precopy && !rd->counting)
			rd->st->pagemap_ms += now_ms() - t0;
		if (n <= 0) {	/* can't tell: read it all */
			queue_range(rd, page * ps > start ? page * ps : start, end);
			return;
		}
		for (size_t i = 0; i < (size_t)n / sizeof(pm[0]); i++) {
			uint64_t a = (page + i) * ps, b = a + ps;

			if (!(pm[i] & (PM_PRESENT | PM_SWAPPED)))
				continue;
			a = a > start ? a : start;
			b = b < end ? b : end;
			if (rd->cache && !(pm[i] & PM_SOFT_DIRTY) && take_cached(rd, a, b))
				continue;
			queue_range(rd, a, b);
		}
		page += (size_t)n / sizeof(pm[0]);
	}
}

static bool is_device(const struct vma *v)
{
	return v->path && strncmp(v->path, "/dev/", 5) == 0 && strcmp(v->path, "/dev/zero") != 0 &&
	       strncmp(v->path, "/dev/shm/", 9) != 0;
}

/* Where scanning of mapping v starts: below a stack pointer in it is dead. */
static uint64_t live_start(const struct freeze *f, const struct vma *v)
{
	uint64_t from = v->start;

	for (size_t i = 0; i < f->n; i++) {
		uint64_t sp = f->v[i].sp;

		if (!sp || sp < v->start || sp >= v->end)
			continue;
		sp = sp - arch_red_zone() < v->start ? v->start : (sp - arch_red_zone()) & ~7ULL;
		/* two stack pointers in one mapping: keep the lower */
		if (from == v->start || sp < from)
			from = sp;
	}
	return from;
}

/* Queues every mapping worth scanning, and reads what is left queued. */
static int walk_mappings(struct freeze *f, struct reader *rd)
{
	struct vma_list maps = {};
	int err = procfs_read_pid_maps(f->t->pid, &maps);

	if (err) {
		snprintf(f->why, f->why_size, "/proc/%d/maps: %s", f->t->pid, strerror(-err));
		return err;
	}
	for (size_t i = 0; i < maps.n && !rd->err; i++) {
		const struct vma *v = &maps.v[i];

		if (!v->read || !v->write || is_device(v))
			continue;
		if (!rd->counting && !rd->precopy)
			rd->st->mappings++;
		read_present(rd, live_start(f, v), v->end);
		if (cancelled(f)) {
			snprintf(f->why, f->why_size, "cancelled by a signal");
			rd->err = -EINTR;
		}
	}
	if (!rd->err)
		flush(rd);
	vma_list_free(&maps);
	if (rd->err == -ESRCH)
		snprintf(f->why, f->why_size, "the process exited during the scan");
	else if (rd->err == -ENOMEM)
		snprintf(f->why, f->why_size, "out of memory");
	return rd->err;
}

static int reader_open(struct reader *rd, pid_t pid, struct scan_stats *st)
{
	char path[64];

	memset(rd, 0, sizeof(*rd));
	rd->pid = pid;
	rd->st = st;
	rd->buf = malloc(BATCH_BYTES);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	rd->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
	return rd->buf ? 0 : -ENOMEM;
}

static void reader_close(struct reader *rd)
{
	if (rd->pagemap_fd >= 0)
		close(rd->pagemap_fd);
	if (rd->copy)
		munmap(rd->copy, rd->copy_size);
	free(rd->buf);
	free(rd->segs);
	free(rd->cache);
	free(rd->spill);
	free(rd->spill_segs);
}

/* While the target runs: clears its soft-dirty bits, then copies its
 * memory; at the stop only the pages written since (soft-dirty, pagemap
 * bit 55) or new are read again. A clean page hasn't changed since its
 * copy, so the result is the memory at the stop, as a full copy would
 * give. Costs the target one minor fault per page it writes afterwards
 * (clear_refs write-protects them: ~1 us each here). Without soft-dirty
 * (CONFIG_MEM_SOFT_DIRTY) everything is read at the stop. */
static void precopy(struct freeze *f, struct reader *rd)
{
	char path[64];
	int fd;
	bool cleared;

	snprintf(path, sizeof(path), "/proc/%d/clear_refs", f->t->pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	cleared = fd >= 0 && write(fd, "4", 1) == 1;
	if (fd >= 0)
		close(fd);
	if (!cleared || !rd->copy || rd->pagemap_fd < 0)
		return;
	rd->precopy = true;
	walk_mappings(f, rd);
	rd->precopy = false;
	if (rd->err) {
		rd->err = 0;
		rd->nr_segs = 0;
		rd->copy_used = 0;
		return;
	}
	rd->cache = rd->segs;
	rd->nr_cache = rd->nr_segs;
	rd->segs = NULL;
	rd->nr_segs = rd->cap_segs = 0;
}

/* Sizes and faults in the copy buffer while the target still runs: what
 * its writable present pages add up to now, plus room for growth, within a
 * quarter of MemAvailable. No buffer (scan while stopped) if even that
 * can't be had. */
static void prepare_copy(struct freeze *f, struct reader *rd)
{
	struct meminfo mi;
	uint64_t want, cap;
	struct scan_stats scratch = {};
	struct scan_stats *st = rd->st;

	rd->counting = true;
	rd->st = &scratch;
	walk_mappings(f, rd);	/* also warms the pagemap walk */
	rd->counting = false;
	rd->st = st;
	rd->err = 0;
	want = rd->counted + rd->counted / 8 + 16 * (uint64_t)BATCH_BYTES;
	cap = procfs_read_meminfo(&mi) == 0 ? mi.mem_available / 4 : 0;
	if (want > cap)
		want = cap;
	want &= ~((uint64_t)BATCH_BYTES - 1);
	if (want < BATCH_BYTES)
		return;
	rd->copy = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			MAP_POPULATE | MAP_NORESERVE, -1, 0);
	if (rd->copy == MAP_FAILED)
		rd->copy = NULL;
	else
		rd->copy_size = want;
}

/* After the stop: the scan of what was copied during it. */
static int scan_copied(struct reader *rd)
{
	for (size_t i = 0; rd->r && i < rd->nr_segs && !rd->err; i++)
		rd->err = reach_scan(rd->r, rd->segs[i].addr, rd->copy + rd->segs[i].off,
				     rd->segs[i].len);
	for (size_t i = 0; rd->r && i < rd->nr_spill && !rd->err; i++)
		rd->err = reach_scan(rd->r, rd->spill_segs[i].addr, rd->spill + rd->spill_segs[i].off,
				     rd->spill_segs[i].len);
	return rd->err;
}

/* ---- the whole scan ---------------------------------------------------------------------- */

/* The blocks of window w (and what the roots rules need, into rd->in),
 * and a reach over them. */
static int reach_of(struct reader *rd, const struct scan_blocks *src, const struct scan_window *w,
		    size_t *nb, struct reach **r)
{
	int err = src->get(src->ctx, w, &rd->in);

	if (err)
		return err;
	*nb = rd->in.n;
	*r = reach_new(rd->in.blocks, *nb);
	if (*r && rd->vt)
		reach_set_vtable_test(*r, vtables_test, rd->vt);
	return *r ? 0 : -ENOMEM;
}

/* Once the registers are read (the stack pointers say which stacks are in
 * use) and the reach exists, before any marking: the memory that holds no
 * roots. */
static int set_nonroots(const struct freeze *f, struct reader *rd, struct scan_stats *st)
{
	struct reach_range *v;
	size_t n;
	int err = scan_nonroot_ranges(&rd->in, f->v, f->n, &v, &n, st);

	if (!err)
		err = reach_set_nonroots(rd->r, v, n);
	free(v);
	return err;
}

/* After the resume: the registers and the copied memory into the reach,
 * then the kinds. */
static int mark_and_classify(struct reader *rd, struct reach *r, size_t nb, const uint64_t *regs,
			     size_t nr_regs, uint8_t **kinds, uint64_t **indirect)
{
	int err;

	for (size_t i = 0; i < nr_regs; i++)
		reach_add_root_word(r, regs[i]);
	err = scan_copied(rd);
	if (err)
		return err;
	*kinds = malloc(nb ? nb : 1);
	*indirect = malloc((nb ? nb : 1) * sizeof(**indirect));
	return *kinds && *indirect ? reach_classify(r, *kinds, *indirect) : -ENOMEM;
}

/* What runs while the process is stopped. With a copy buffer (deferred)
 * only copying: the registers and the memory not already pre-copied;
 * without one, the tables are read and the memory marked here too. */
static int while_stopped(struct freeze *f, struct reader *rd, const struct scan_blocks *src,
			 bool deferred, struct scan_window *w, size_t *nb, struct reach **r,
			 uint64_t **regs, size_t *nr_regs, size_t *cap_regs)
{
	struct scan_stats *st = rd->st;
	double t;
	int err = 0;

	w->stopped_ns = monotonic_ns();
	if (!deferred) {
		st->tables_in_stop = true;
		t = now_ms();
		w->resumed_ns = monotonic_ns();
		err = reach_of(rd, src, w, nb, r);
		st->tables_ms = now_ms() - t;
		rd->r = *r;
	}
	if (!err) {
		t = now_ms();
		err = freeze_read_registers(f, regs, nr_regs, cap_regs, st);
		st->registers_ms = now_ms() - t;
	}
	if (!err && !deferred)
		err = set_nonroots(f, rd, st);	/* walk_mappings marks as it reads */
	if (!err) {
		t = now_ms();
		err = walk_mappings(f, rd);
		st->memory_ms = now_ms() - t - st->mark_ms;
	}
	if (deferred)
		w->resumed_ns = monotonic_ns();
	return err;
}

int scan_classify(const struct scan_target *t, const struct scan_blocks *src,
		  uint8_t **kinds, uint64_t **indirect, size_t *n, struct scan_stats *st,
		  char *why, size_t why_size)
{
	struct freeze f = { .t = t, .why = why, .why_size = why_size,
			    .signals_at_start = t->signals ? *t->signals : 0 };
	struct vtables *vt = vtables_new(t->pid);
	struct reach *r = NULL;
	/* on the heap: with its iovecs it is 17 KiB, a stack frame that cannot
	 * grow under an address-space limit (SIGSEGV instead of -ENOMEM) */
	struct reader *rd = malloc(sizeof(*rd));
	struct scan_window w = { 0 };
	uint64_t *regs = NULL;
	size_t nb = 0, nr_regs = 0, cap_regs = 0;
	bool deferred;
	double t0 = now_ms(), t1;
	int err, nice_before;

	memset(st, 0, sizeof(*st));
	why[0] = 0;
	*kinds = NULL;
	*indirect = NULL;
	if (!rd) {
		snprintf(why, why_size, "%s", strerror(ENOMEM));
		vtables_free(vt);
		return -ENOMEM;
	}
	err = reader_open(rd, t->pid, st);
	rd->vt = vt;
	if (!err) {
		prepare_copy(&f, rd);
		precopy(&f, rd);
	}
	/* with a copy buffer, and the frees of the window logged, nothing but
	 * copying happens in the stop */
	deferred = !err && rd->copy && src->begin(src->ctx);
	t1 = now_ms();
	st->before_ms = t1 - t0;
	nice_before = stop_priority_raise();
	if (!err)
		err = freeze(&f);
	st->seize_ms = f.first_stop_ms ? f.first_stop_ms - t1 : 0;
	t1 += st->seize_ms;	/* the stop starts at the first thread asked to */
	st->freeze_ms = now_ms() - t1;
	if (!err)
		err = while_stopped(&f, rd, src, deferred, &w, &nb, &r, &regs, &nr_regs, &cap_regs);
	t0 = now_ms();
	thaw(&f);
	st->resume_ms = now_ms() - t0;
	st->stopped_ms = now_ms() - t1;
	stop_priority_restore(nice_before);
	if (!err && deferred) {
		t0 = now_ms();
		err = reach_of(rd, src, &w, &nb, &r);
		st->after_tables_ms = now_ms() - t0;
		rd->r = r;
		if (!err)
			err = set_nonroots(&f, rd, st);
	}
	t0 = now_ms();
	if (!err)
		err = mark_and_classify(rd, r, nb, regs, nr_regs, kinds, indirect);
	st->after_mark_ms = now_ms() - t0;
	if (r)
		st->nonroot_bytes = reach_nonroot_bytes(r);
	if (err) {
		if (!why[0])
			snprintf(why, why_size, "%s", strerror(-err));
		free(*kinds);
		free(*indirect);
		*kinds = NULL;
		*indirect = NULL;
	}
	*n = nb;
	reader_close(rd);
	free(rd);
	reach_free(r);
	free(regs);
	vtables_free(vt);
	free(f.v);
	return err;
}
