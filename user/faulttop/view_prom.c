// SPDX-License-Identifier: GPL-2.0
/* The metrics view: Prometheus text format 0.0.4 and OpenMetrics 1.0.0.
 *
 * The two differ here only in three ways: OpenMetrics names a counter's
 * family without its _total suffix, wants a different content type, and
 * ends with "# EOF". Every family's samples are written together, after its
 * HELP and TYPE, as both formats require. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "view_prom.h"

const char *prom_content_type(enum prom_format fmt)
{
	return fmt == PROM_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
				       : "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- content negotiation ------------------------------------------------- */

/* The q of one media range ("type/sub;a=b;q=0.5"), 1 when not given; the
 * range's type is copied into type (lower case, parameters cut). */
static double media_range(const char *s, size_t len, char *type, size_t size)
{
	size_t tlen = strcspn(s, ";");
	double q = 1;

	if (tlen > len)
		tlen = len;
	while (tlen && (*s == ' ' || *s == '\t'))
		s++, tlen--, len--;
	while (tlen && (s[tlen - 1] == ' ' || s[tlen - 1] == '\t'))
		tlen--;
	if (tlen >= size)
		tlen = 0;	/* too long to be one we know */
	for (size_t i = 0; i < tlen; i++)
		type[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	type[tlen] = '\0';
	for (const char *p = s; p < s + len; p++) {
		const char *v = p + 1;

		if (*p != ';')
			continue;
		while (v < s + len && (*v == ' ' || *v == '\t'))
			v++;
		if (v + 2 <= s + len && (v[0] == 'q' || v[0] == 'Q') && v[1] == '=') {
			char num[8] = { 0 };
			size_t n = strcspn(v + 2, ";,");

			if (n > (size_t)(s + len - (v + 2)))
				n = (size_t)(s + len - (v + 2));
			memcpy(num, v + 2, n < sizeof(num) - 1 ? n : sizeof(num) - 1);
			q = strtod(num, NULL);
			if (!(q >= 0 && q <= 1))	/* also NaN */
				q = 0;
		}
	}
	return q;
}

enum prom_format prom_negotiate(const char *accept)
{
	double q_om = -1, q_text = -1;

	for (const char *p = accept; p && *p;) {
		size_t len = strcspn(p, ",");
		char type[64];
		double q = media_range(p, len, type, sizeof(type));

		if (strcmp(type, "application/openmetrics-text") == 0) {
			if (q > q_om)
				q_om = q;
		} else if (strcmp(type, "text/plain") == 0 || strcmp(type, "text/*") == 0 ||
			   strcmp(type, "*/*") == 0) {
			if (q > q_text)
				q_text = q;
		}
		p += len + (p[len] == ',');
	}
	return q_om > 0 && q_om > q_text ? PROM_OPENMETRICS : PROM_TEXT;
}

/* ---- selection ------------------------------------------------------------- */

static uint64_t faults_of(const struct row *r)
{
	return r->delta.min_flt + r->delta.maj_flt;
}

static int by_faults(const void *a, const void *b)
{
	const struct row *x = *(const struct row *const *)a, *y = *(const struct row *const *)b;
	uint64_t fx = faults_of(x), fy = faults_of(y);

	if (fx != fy)
		return fx > fy ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);	/* stable between scrapes */
}

static bool wanted(const struct row *r, const pid_t *pids, int nr_pids)
{
	for (int i = 0; i < nr_pids; i++)
		if (pids[i] == r->id)
			return true;
	return false;
}

int prom_select(struct row *const *rows, int n, int top_n, const pid_t *pids, int nr_pids,
		const struct row **out)
{
	int picked = 0;

	for (int i = 0; i < n; i++)
		out[i] = rows[i];
	if (n)
		qsort(out, (size_t)n, sizeof(const struct row *), by_faults);
	picked = n < top_n ? n : top_n;
	for (int i = picked; i < n; i++)
		if (wanted(out[i], pids, nr_pids))
			out[picked++] = out[i];
	return picked;
}

/* ---- writing ------------------------------------------------------------------ */

/* A label value: backslash and double quote escaped; every byte that is not
 * printable ASCII becomes '?', as in the text views, so a hostile comm or
 * cgroup path can neither break the format nor be invalid UTF-8. */
static void put_label_value(FILE *o, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', o), fputc(*p, o);
		else
			fputc(*p >= 0x20 && *p < 0x7f ? *p : '?', o);
	}
}

/* OpenMetrics names a counter family without _total and an info family
 * without _info; the text format has no info type (a gauge of 1 is the
 * convention). */
static void family(FILE *o, enum prom_format fmt, const char *name, const char *type,
		   const char *help)
{
	size_t len = strlen(name);
	const char *suffix = strcmp(type, "counter") == 0 ? "_total" :
			     strcmp(type, "info") == 0 ? "_info" : NULL;

	if (fmt == PROM_OPENMETRICS && suffix && len > strlen(suffix) &&
	    strcmp(name + len - strlen(suffix), suffix) == 0)
		len -= strlen(suffix);
	if (fmt == PROM_TEXT && strcmp(type, "info") == 0)
		type = "gauge";
	fprintf(o, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)len, name, help, (int)len, name, type);
}

void prom_family(FILE *o, enum prom_format fmt, const char *name, const char *type,
		 const char *help)
{
	family(o, fmt, name, type, help);
}

void prom_label_value(FILE *o, const char *s)
{
	put_label_value(o, s);
}

static const char *cgroup_name(const struct prom_frame *f, uint64_t id)
{
	int lo = 0, hi = f->nr_cgroups - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		const struct cgroup_stat *c = f->cgroups[mid];

		if (c->id == id)
			return c->name;
		if (c->id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* pid, comm, cgroup and start of a process, after the series' own label. */
static void proc_labels(FILE *o, const struct prom_frame *f, const struct row *r)
{
	fprintf(o, "pid=\"%d\",comm=\"", r->id);
	put_label_value(o, r->comm);
	fputs("\",cgroup=\"", o);
	put_label_value(o, cgroup_name(f, r->cgroup_id));
	fprintf(o, "\",start=\"%llu\"}", (unsigned long long)r->start_ns);
}

static void proc_sample(FILE *o, const struct prom_frame *f, const struct row *r,
			const char *name, const char *label, const char *value, uint64_t v)
{
	if (label)
		fprintf(o, "%s{%s=\"%s\",", name, label, value);
	else
		fprintf(o, "%s{", name);
	proc_labels(o, f, r);
	fprintf(o, " %llu\n", (unsigned long long)v);
}

static void cgroup_sample(FILE *o, const struct cgroup_stat *c, const char *name,
			  const char *label, const char *value, uint64_t v)
{
	if (label)
		fprintf(o, "%s{%s=\"%s\",cgroup=\"", name, label, value);
	else
		fprintf(o, "%s{cgroup=\"", name);
	put_label_value(o, c->name);
	fprintf(o, "\"} %llu\n", (unsigned long long)v);
}

static void write_proc_faults(FILE *o, const struct prom_frame *f, enum prom_format fmt)
{
	family(o, fmt, "mmscope_page_faults_total", "counter",
	       "Page faults of a process since faulttop started or the process was born: the kernel's own min_flt/maj_flt.");
	for (int i = 0; i < f->nr_procs; i++) {
		proc_sample(o, f, f->procs[i], "mmscope_page_faults_total", "kind", "minor",
			    f->procs[i]->total.min_flt);
		proc_sample(o, f, f->procs[i], "mmscope_page_faults_total", "kind", "major",
			    f->procs[i]->total.maj_flt);
	}
	family(o, fmt, "mmscope_segv_total", "counter",
	       "SIGSEGV generated for a process, by si_code: maperr = no VMA there, accerr = the VMA forbids the access.");
	for (int i = 0; i < f->nr_procs; i++) {
		const struct counters *t = &f->procs[i]->total;

		proc_sample(o, f, f->procs[i], "mmscope_segv_total", "code", "maperr", t->segv_maperr);
		proc_sample(o, f, f->procs[i], "mmscope_segv_total", "code", "accerr", t->segv_accerr);
		proc_sample(o, f, f->procs[i], "mmscope_segv_total", "code", "other", t->segv_other);
	}
	family(o, fmt, "mmscope_sigbus_total", "counter", "SIGBUS generated for a process.");
	for (int i = 0; i < f->nr_procs; i++)
		proc_sample(o, f, f->procs[i], "mmscope_sigbus_total", NULL, NULL,
			    f->procs[i]->total.sigbus);
}

/* One labelled sample per entry: a u64 member of struct row. */
struct row_series {
	const char *value;	/* the label's value */
	size_t offset;		/* offsetof(struct row, the member) */
};

static void proc_samples(FILE *o, const struct prom_frame *f, const struct row *r,
			 const char *name, const char *label, const struct row_series *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		memcpy(&v, (const char *)r + s[i].offset, sizeof(v));
		proc_sample(o, f, r, name, label, s[i].value, v);
	}
}

#define SERIES(value, member) { value, offsetof(struct row, member) }
static const struct row_series smaps_series[] = {
	SERIES("rss", mem.rss), SERIES("pss", mem.pss), SERIES("uss", mem.uss),
};
static const struct row_series mmap_series[] = {
	SERIES("mmap", total.mmap), SERIES("munmap", total.munmap),
	SERIES("mremap", total.mremap), SERIES("brk", total.brk),
};
static const struct row_series mapped_series[] = {
	SERIES("mapped", total.bytes_mapped), SERIES("unmapped", total.bytes_unmapped),
};
#undef SERIES
#define NR_SERIES(s) (sizeof(s) / sizeof((s)[0]))

static void write_proc_memory(FILE *o, const struct prom_frame *f, enum prom_format fmt)
{
	family(o, fmt, "mmscope_memory_bytes", "gauge",
	       "Memory of a process: vss = virtual size, rss/pss/uss from smaps_rollup at its last reading (uss = private pages).");
	for (int i = 0; i < f->nr_procs; i++) {
		const struct row *r = f->procs[i];

		proc_sample(o, f, r, "mmscope_memory_bytes", "kind", "vss", r->mem.vss);
		if (!r->mem.valid)
			continue;
		proc_samples(o, f, r, "mmscope_memory_bytes", "kind", smaps_series,
			     NR_SERIES(smaps_series));
	}
	family(o, fmt, "mmscope_uss_growth_bytes_per_second", "gauge",
	       "Least-squares slope of a process's last USS readings.");
	for (int i = 0; i < f->nr_procs; i++) {
		const struct row *r = f->procs[i];

		if (r->mem.uss_trend.n < 2)
			continue;
		fputs("mmscope_uss_growth_bytes_per_second{", o);
		proc_labels(o, f, r);
		fprintf(o, " %.10g\n", r->mem.uss_slope);
	}
}

static void write_proc_mmap(FILE *o, const struct prom_frame *f, enum prom_format fmt)
{
	if (!f->has_syscalls)
		return;		/* the syscall tracepoints could not attach */
	family(o, fmt, "mmscope_mmap_calls_total", "counter",
	       "Address-space system calls of a process.");
	for (int i = 0; i < f->nr_procs; i++)
		proc_samples(o, f, f->procs[i], "mmscope_mmap_calls_total", "call", mmap_series,
			     NR_SERIES(mmap_series));
	family(o, fmt, "mmscope_mapped_bytes_total", "counter",
	       "Bytes a process mapped (mmap, mremap growth, brk growth) and unmapped.");
	for (int i = 0; i < f->nr_procs; i++)
		proc_samples(o, f, f->procs[i], "mmscope_mapped_bytes_total", "direction",
			     mapped_series, NR_SERIES(mapped_series));
}

static void write_cgroups(FILE *o, const struct prom_frame *f, enum prom_format fmt)
{
	if (!f->nr_cgroups)
		return;
	family(o, fmt, "mmscope_cgroup_page_faults_total", "counter",
	       "Page faults of every process while in the cgroup, exported or not.");
	for (int i = 0; i < f->nr_cgroups; i++) {
		cgroup_sample(o, f->cgroups[i], "mmscope_cgroup_page_faults_total", "kind", "minor",
			      f->cgroups[i]->total.min_flt);
		cgroup_sample(o, f->cgroups[i], "mmscope_cgroup_page_faults_total", "kind", "major",
			      f->cgroups[i]->total.maj_flt);
	}
	family(o, fmt, "mmscope_cgroup_segv_total", "counter", "SIGSEGV of the cgroup's processes, by si_code.");
	for (int i = 0; i < f->nr_cgroups; i++) {
		const struct cgroup_stat *c = f->cgroups[i];

		cgroup_sample(o, c, "mmscope_cgroup_segv_total", "code", "maperr", c->total.segv_maperr);
		cgroup_sample(o, c, "mmscope_cgroup_segv_total", "code", "accerr", c->total.segv_accerr);
		cgroup_sample(o, c, "mmscope_cgroup_segv_total", "code", "other", c->total.segv_other);
	}
	family(o, fmt, "mmscope_cgroup_sigbus_total", "counter", "SIGBUS of the cgroup's processes.");
	for (int i = 0; i < f->nr_cgroups; i++)
		cgroup_sample(o, f->cgroups[i], "mmscope_cgroup_sigbus_total", NULL, NULL,
			      f->cgroups[i]->total.sigbus);
	family(o, fmt, "mmscope_cgroup_memory_bytes", "gauge",
	       "Sums over the cgroup's live processes of their memory_bytes (rss double-counts shared pages; pss does not).");
	for (int i = 0; i < f->nr_cgroups; i++) {
		const struct cgroup_stat *c = f->cgroups[i];

		cgroup_sample(o, c, "mmscope_cgroup_memory_bytes", "kind", "vss", c->vss);
		cgroup_sample(o, c, "mmscope_cgroup_memory_bytes", "kind", "rss", c->rss);
		cgroup_sample(o, c, "mmscope_cgroup_memory_bytes", "kind", "pss", c->pss);
		cgroup_sample(o, c, "mmscope_cgroup_memory_bytes", "kind", "uss", c->uss);
	}
}

static void write_system(FILE *o, const struct prom_frame *f, enum prom_format fmt)
{
	const struct sys_totals *s = f->sys;

	family(o, fmt, "mmscope_lost_events_total", "counter",
	       "Events faulttop lost: ring-buffer drops, and threads whose BPF counters could not be created (map full).");
	fprintf(o, "mmscope_lost_events_total{reason=\"ringbuf\"} %llu\n", (unsigned long long)s->drops);
	fprintf(o, "mmscope_lost_events_total{reason=\"map_full\"} %llu\n", (unsigned long long)s->map_full);
	family(o, fmt, "mmscope_slab_bytes", "gauge", "Kernel slab memory (/proc/meminfo SReclaimable, SUnreclaim).");
	fprintf(o, "mmscope_slab_bytes{kind=\"reclaimable\"} %llu\n", (unsigned long long)s->mem.sreclaimable);
	fprintf(o, "mmscope_slab_bytes{kind=\"unreclaimable\"} %llu\n", (unsigned long long)s->mem.sunreclaim);
	family(o, fmt, "mmscope_mem_available_bytes", "gauge", "MemAvailable from /proc/meminfo.");
	fprintf(o, "mmscope_mem_available_bytes %llu\n", (unsigned long long)s->mem.mem_available);
	prom_write_books(o, fmt, s);
	family(o, fmt, "mmscope_processes", "gauge",
	       "Processes faulttop saw in the last interval (all), and those with per-process series (exported: --top plus -p).");
	fprintf(o, "mmscope_processes{set=\"all\"} %d\n", f->nr_procs_seen);
	fprintf(o, "mmscope_processes{set=\"exported\"} %d\n", f->nr_procs);
	family(o, fmt, "mmscope_build_info", "info", "faulttop's version and the running kernel.");
	fputs("mmscope_build_info{version=\"", o);
	put_label_value(o, f->version);
	fputs("\",kernel=\"", o);
	put_label_value(o, f->kernel);
	fputs("\"} 1\n", o);
}

int view_prom_write(FILE *out, const struct prom_frame *f, enum prom_format fmt)
{
	if (f->nr_procs) {
		write_proc_faults(out, f, fmt);
		write_proc_memory(out, f, fmt);
		write_proc_mmap(out, f, fmt);
	}
	write_cgroups(out, f, fmt);
	write_system(out, f, fmt);
	if (fmt == PROM_OPENMETRICS)
		fputs("# EOF\n", out);
	return ferror(out) ? -1 : 0;
}
