// SPDX-License-Identifier: GPL-2.0
/* The VMA view's model: a watched process's smaps, its faults binned into
 * the VMAs by address, and its last SEGV placed among them.
 *
 * Fault events arrive between smaps readings (every --mem-interval, since a
 * read walks every page table of the process). A fault in a mapping made
 * after the last reading waits, with its kind, until the next one places it;
 * a VMA's counts follow its start address from one reading to the next, and
 * counts whose VMA is gone are kept apart as "unmapped since", so that no
 * fault the kernel reported is dropped from the totals. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "vec.h"
#include "vmas.h"

/* 1M waiting faults (16 MiB) at most; beyond, they join "unmapped since" */
#define MAX_WAITING (1u << 20)
/* below vm.mmap_min_addr's default (64 KiB) nothing can be mapped: an
 * access there is a NULL pointer plus an offset */
#define NULL_ZONE 0x10000

struct waiting_fault {
	uint64_t addr;
	uint32_t flags, error_code;
};

struct thread_sp {
	pid_t tid;
	uint64_t sp;
};

struct vmas {
	pid_t tgid;
	struct smaps_list list;
	struct vma_faults *counts;	/* one per list entry */
	struct vma_faults unmapped;
	struct waiting_fault *waiting;
	size_t nr_waiting, waiting_cap;
	bool smaps_valid;
	int smaps_err;
	double smaps_at, smaps_ms, parse_ms;
	bool have_base;
	uint64_t base_min, base_maj, cur_min, cur_maj;
	struct thread_sp *sps;
	size_t nr_sps, sps_cap;
	bool gone;
	bool access_unknown;
	char segv[320];
	char comm[FT_COMM_LEN + 1];
};

static const char *const sort_names[VSORT_MAX] = {
	"start", "size", "rss", "pss", "uss", "swap", "minor", "major", "read", "write",
	"exec", "prot", "path",
};

const char *vma_sort_name(enum vma_sort k)
{
	return k < VSORT_MAX ? sort_names[k] : "?";
}

int vma_sort_parse(const char *s)
{
	for (int i = 0; i < VSORT_MAX; i++)
		if (strcasecmp(s, sort_names[i]) == 0)
			return i;
	return -1;
}

struct vmas *vmas_new(pid_t tgid)
{
	struct vmas *m = calloc(1, sizeof(*m));

	if (m)
		m->tgid = tgid;
	return m;
}

void vmas_free(struct vmas *m)
{
	if (!m)
		return;
	smaps_list_free(&m->list);
	free(m->counts);
	free(m->waiting);
	free(m->sps);
	free(m);
}

pid_t vmas_tgid(const struct vmas *m)
{
	return m->tgid;
}

/* ---- faults ------------------------------------------------------------------ */

static void faults_add(struct vma_faults *a, const struct vma_faults *b)
{
	uint64_t *x = (uint64_t *)a;
	const uint64_t *y = (const uint64_t *)b;

	for (size_t i = 0; i < VMA_FAULTS_N; i++)
		x[i] += y[i];
}

static void count_fault(struct vma_faults *f, uint32_t flags, uint32_t error_code)
{
	if (flags & FT_VMA_MAJOR)
		f->major++;
	else
		f->minor++;
	if (!(flags & FT_VMA_HAS_ACCESS))
		return;
	if (error_code & PF_INSTR)
		f->exec++;
	else if (error_code & PF_WRITE)
		f->write++;
	else
		f->read++;
	if (error_code & PF_PROT)
		f->prot++;
}

static struct vma_faults *counts_at(struct vmas *m, uint64_t addr)
{
	const struct smaps_vma *v = smaps_list_find(&m->list, addr);

	return v ? &m->counts[v - m->list.v] : NULL;
}

void vmas_on_fault(struct vmas *m, const struct ft_ev_vma_fault *e)
{
	struct vma_faults *f = counts_at(m, e->addr);
	struct waiting_fault *w;

	if (f) {
		count_fault(f, e->flags, e->error_code);
		return;
	}
	w = m->nr_waiting < MAX_WAITING ?
		vec_reserve(m->waiting, &m->waiting_cap, m->nr_waiting, sizeof(*w)) : NULL;
	if (!w) {
		count_fault(&m->unmapped, e->flags, e->error_code);
		return;
	}
	m->waiting = w;
	m->waiting[m->nr_waiting++] = (struct waiting_fault){ e->addr, e->flags, e->error_code };
}

/* ---- smaps readings ----------------------------------------------------------- */

/* The old reading's counts into the new one, by start address. */
static void carry_counts(struct vmas *m, const struct smaps_list *old, struct vma_faults *old_counts)
{
	for (size_t i = 0; i < old->n; i++) {
		struct vma_faults *to = counts_at(m, old->v[i].vma.start);

		faults_add(to ? to : &m->unmapped, &old_counts[i]);
	}
}

static void place_waiting(struct vmas *m)
{
	for (size_t i = 0; i < m->nr_waiting; i++) {
		const struct waiting_fault *w = &m->waiting[i];
		struct vma_faults *f = counts_at(m, w->addr);

		count_fault(f ? f : &m->unmapped, w->flags, w->error_code);
	}
	m->nr_waiting = 0;
}

void vmas_set_smaps(struct vmas *m, struct smaps_list *list, double now_s, double read_ms,
		    double parse_ms)
{
	struct smaps_list old = m->list;
	struct vma_faults *old_counts = m->counts;
	struct vma_faults *counts = calloc(list->n ? list->n : 1, sizeof(*counts));

	if (!counts) {		/* keep the old reading rather than lose counts */
		smaps_list_free(list);
		vmas_smaps_failed(m, -ENOMEM, now_s);
		return;
	}
	m->list = *list;
	memset(list, 0, sizeof(*list));
	m->counts = counts;
	carry_counts(m, &old, old_counts);
	place_waiting(m);
	smaps_list_free(&old);
	free(old_counts);
	m->nr_sps = 0;
	m->smaps_valid = true;
	m->smaps_err = 0;
	m->smaps_at = now_s;
	m->smaps_ms = read_ms;
	m->parse_ms = parse_ms;
}

void vmas_smaps_failed(struct vmas *m, int err, double now_s)
{
	m->smaps_err = err;
	m->smaps_at = now_s;	/* retried at the next cadence, not every frame */
}

bool vmas_smaps_due(const struct vmas *m, double now_s, double cadence_s)
{
	return !m->gone && (m->smaps_at == 0 || now_s - m->smaps_at >= cadence_s);
}

void vmas_set_process(struct vmas *m, const char *comm, uint64_t minflt, uint64_t majflt)
{
	snprintf(m->comm, sizeof(m->comm), "%s", comm);
	if (!m->have_base) {
		m->base_min = minflt;
		m->base_maj = majflt;
		m->have_base = true;
	}
	m->cur_min = minflt;
	m->cur_maj = majflt;
}

void vmas_set_thread_sp(struct vmas *m, pid_t tid, uint64_t sp)
{
	struct thread_sp *s = vec_reserve(m->sps, &m->sps_cap, m->nr_sps, sizeof(*s));

	if (!s)
		return;
	m->sps = s;
	m->sps[m->nr_sps++] = (struct thread_sp){ tid, sp };
}

void vmas_set_gone(struct vmas *m)
{
	m->gone = true;
}

void vmas_access_unknown(struct vmas *m)
{
	m->access_unknown = true;
}

void vmas_on_signal(struct vmas *m, int sig, int code, uint64_t addr, uint32_t error_code)
{
	vmas_place_signal(&m->list, sig, code, addr, error_code, m->segv, sizeof(m->segv));
}

/* ---- placing a SEGV ----------------------------------------------------------- */

static const char *access_word(uint32_t error_code)
{
	if (!(error_code & PF_USER))
		return "access";	/* no error code (not x86, or not a fault) */
	if (error_code & PF_INSTR)
		return "exec";
	return error_code & PF_WRITE ? "write" : "read";
}

/* What a VMA is, in a word or two: "text of /usr/bin/foo", "[heap]". */
static void describe_vma(const struct vma *v, char *buf, size_t size)
{
	const char *what = "data";

	if (v->kind != VMA_FILE) {
		snprintf(buf, size, "%s", v->path ? v->path : "[anon]");
		return;
	}
	if (v->exec)
		what = "text";
	else if (!v->read && !v->write)
		what = "no-access mapping";
	else if (!v->write)
		what = "read-only data";
	snprintf(buf, size, "%s of %s", what, v->path);
}

static void perm_string(const struct vma *v, char perm[5])
{
	perm[0] = v->read ? 'r' : '-';
	perm[1] = v->write ? 'w' : '-';
	perm[2] = v->exec ? 'x' : '-';
	perm[3] = v->shared ? 's' : 'p';
	perm[4] = '\0';
}

/* addr is in v: "write to r-xp text of /usr/bin/foo at +0x1234" (+ the
 * file offset for a file, so that addr2line takes it; into the VMA else). */
static void place_in_vma(const struct vma *v, const char *prefix, uint64_t addr,
			 uint32_t error_code, char *buf, size_t size)
{
	char what[256], perm[5];
	uint64_t off = addr - v->start + (v->kind == VMA_FILE ? v->offset : 0);

	perm_string(v, perm);
	describe_vma(v, what, sizeof(what));
	snprintf(buf, size, "%s: %s to %s %s at +0x%" PRIx64 " (0x%" PRIx64 ")", prefix,
		 access_word(error_code), perm, what, off, addr);
}

/* A distance in words: "94 MiB", "12 KiB", "16 bytes" (whole units, rounded
 * down: the exact address is printed beside it). */
static const char *distance(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB" };
	int u = 0;

	while (bytes >= 10240 && u < 5) {
		bytes /= 1024;
		u++;
	}
	if (bytes >= 1024 && u < 5 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, size, "%" PRIu64 " %s", bytes, units[u]);
	return buf;
}

/* addr is in no VMA: where it is relative to its neighbours. */
static void place_in_gap(const struct smaps_list *l, const char *prefix, uint64_t addr,
			 char *buf, size_t size)
{
	size_t i = smaps_list_index_above(l, addr);
	char d1[32], d2[32], below[256], above[256];

	if (l->n == 0) {
		snprintf(buf, size, "%s: 0x%" PRIx64 " (no mappings known)", prefix, addr);
	} else if (i == 0) {
		int n = snprintf(buf, size, "%s: 0x%" PRIx64 ", %s below the lowest mapping", prefix,
				 addr, distance(d1, sizeof(d1), l->v[0].vma.start - addr));

		if (addr < NULL_ZONE && n > 0 && (size_t)n < size)
			snprintf(buf + n, size - n, " (a NULL dereference + 0x%" PRIx64 ")", addr);
	} else if (i == l->n) {
		snprintf(buf, size, "%s: 0x%" PRIx64 ", %s above the highest mapping", prefix, addr,
			 distance(d1, sizeof(d1), addr - l->v[l->n - 1].vma.end));
	} else {
		describe_vma(&l->v[i - 1].vma, below, sizeof(below));
		describe_vma(&l->v[i].vma, above, sizeof(above));
		snprintf(buf, size, "%s: 0x%" PRIx64 ", in the gap between %s (%s past its end) "
			 "and %s (%s below its start)", prefix, addr, below,
			 distance(d1, sizeof(d1), addr - l->v[i - 1].vma.end), above,
			 distance(d2, sizeof(d2), l->v[i].vma.start - addr));
	}
}

void vmas_place_signal(const struct smaps_list *l, int sig, int code, uint64_t addr,
		       uint32_t error_code, char *buf, size_t size)
{
	const struct smaps_vma *v = smaps_list_find(l, addr);
	const char *prefix = sig == SIGBUS ? "SIGBUS" :
			     code == SEGV_MAPERR ? "no VMA" :
			     code == SEGV_ACCERR ? "ACCERR" : "SIGSEGV";

	if (sig == SIGSEGV && code == SEGV_MAPERR && v) {
		/* the kernel found none: ours is older than the unmap */
		snprintf(buf, size, "no VMA: 0x%" PRIx64 " (the last smaps reading had %s there: "
			 "unmapped since)", addr, v->vma.path ? v->vma.path : "[anon]");
	} else if (v) {
		place_in_vma(&v->vma, prefix, addr, error_code, buf, size);
	} else if (sig == SIGSEGV && code == SEGV_ACCERR) {
		snprintf(buf, size, "ACCERR: %s at 0x%" PRIx64 ", in a mapping made after the "
			 "last smaps reading", access_word(error_code), addr);
	} else {
		place_in_gap(l, prefix, addr, buf, size);
	}
}

/* ---- snapshots ------------------------------------------------------------------ */

static const char *thread_stack_of(const struct vmas *m, const struct vma *v, char *buf,
				   size_t size)
{
	for (size_t i = 0; i < m->nr_sps; i++) {
		if (m->sps[i].sp >= v->start && m->sps[i].sp < v->end) {
			snprintf(buf, size, "[stack:%d]", (int)m->sps[i].tid);
			return buf;
		}
	}
	return NULL;
}

static char *label_of(const struct vmas *m, const struct vma *v)
{
	char buf[32];
	const char *s = v->path;

	if (v->kind == VMA_ANON)
		s = thread_stack_of(m, v, buf, sizeof(buf));
	return strdup(s ? s : "[anon]");
}

static void fill_row(const struct vmas *m, size_t i, struct vma_row *r)
{
	const struct smaps_vma *s = &m->list.v[i];

	memset(r, 0, sizeof(*r));
	r->start = s->vma.start;
	r->end = s->vma.end;
	r->offset = s->vma.offset;
	perm_string(&s->vma, r->perm);
	r->label = label_of(m, &s->vma);
	r->size = s->size ? s->size : s->vma.end - s->vma.start;
	r->rss = s->rss;
	r->pss = s->pss;
	r->uss = smaps_uss(s);
	r->swap = s->swap;
	r->f = m->counts[i];
	r->access_unknown = m->access_unknown;
}

static void add_to_total(struct vma_row *t, const struct vma_row *r)
{
	t->size += r->size;
	t->rss += r->rss;
	t->pss += r->pss;
	t->uss += r->uss;
	t->swap += r->swap;
	faults_add(&t->f, &r->f);
}

static uint64_t sort_value(const struct vma_row *r, enum vma_sort k)
{
	const uint64_t v[VSORT_MAX] = {
		r->start, r->size, r->rss, r->pss, r->uss, r->swap, r->f.minor, r->f.major,
		r->f.read, r->f.write, r->f.exec, r->f.prot, 0,
	};

	return k < VSORT_MAX ? v[k] : 0;
}

struct sort_by {
	enum vma_sort key;
	bool ascending;
};

static int compare_rows(const void *a, const void *b, void *arg)
{
	const struct vma_row *x = a, *y = b;
	const struct sort_by *by = arg;
	int c;

	if (by->key == VSORT_PATH) {
		c = strcmp(x->label, y->label);
	} else {
		uint64_t u = sort_value(x, by->key), v = sort_value(y, by->key);

		c = u < v ? -1 : u > v;
	}
	if (c == 0)	/* ties in address order, whatever the direction */
		return x->start < y->start ? -1 : x->start > y->start;
	return by->ascending ? c : -c;
}

void vmas_snapshot_free(struct vmas_snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->rows[i].label);
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

static void snapshot_summary(const struct vmas *m, struct vmas_snapshot *s, double now_s)
{
	s->tgid = m->tgid;
	memcpy(s->comm, m->comm, sizeof(s->comm));
	s->total.access_unknown = m->access_unknown;
	s->unmapped = m->unmapped;
	memset(&s->waiting, 0, sizeof(s->waiting));
	for (size_t i = 0; i < m->nr_waiting; i++)
		count_fault(&s->waiting, m->waiting[i].flags, m->waiting[i].error_code);
	faults_add(&s->total.f, &s->unmapped);
	faults_add(&s->total.f, &s->waiting);
	s->have_process = m->have_base;
	s->proc_minor = m->cur_min - m->base_min;
	s->proc_major = m->cur_maj - m->base_maj;
	s->smaps_valid = m->smaps_valid;
	s->smaps_err = m->smaps_err;
	s->smaps_ms = m->smaps_ms;
	s->parse_ms = m->parse_ms;
	s->smaps_age_s = m->smaps_valid ? now_s - m->smaps_at : 0;
	s->gone = m->gone;
	snprintf(s->segv, sizeof(s->segv), "%s", m->segv);
}

int vmas_snapshot(const struct vmas *m, struct vmas_snapshot *s, double now_s,
		  enum vma_sort key, bool ascending)
{
	struct sort_by by = { key, ascending };
	size_t n = m->list.n;

	vmas_snapshot_free(s);
	s->rows = calloc(n ? n : 1, sizeof(*s->rows));
	if (!s->rows)
		return -ENOMEM;
	s->cap = n;
	for (size_t i = 0; i < n; i++) {
		fill_row(m, i, &s->rows[i]);
		if (!s->rows[i].label) {
			vmas_snapshot_free(s);
			return -ENOMEM;
		}
		s->n++;
		add_to_total(&s->total, &s->rows[i]);
	}
	qsort_r(s->rows, s->n, sizeof(*s->rows), compare_rows, &by);
	snapshot_summary(m, s, now_s);
	return 0;
}
