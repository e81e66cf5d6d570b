// SPDX-License-Identifier: GPL-2.0
/* Row selection and the column table both text views print from. */
#define _GNU_SOURCE	/* qsort_r */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fmt.h"
#include "view.h"

double rate(uint64_t delta, const struct view_frame *f)
{
	return f->sys.interval_s > 0 ? (double)delta / f->sys.interval_s : 0;
}

static uint64_t sampled_regions(const struct row *r)
{
	uint64_t sum = 0;

	for (int i = 0; i < REGION_MAX; i++)
		sum += r->delta.region[i];
	return sum;
}

double region_pct(const struct row *r, int region)
{
	uint64_t sum = sampled_regions(r);

	return sum ? 100.0 * (double)r->delta.region[region] / (double)sum : -1;
}

const char *sampled_what(const struct view_frame *f)
{
	return f->no_access_why ? "regions" : "regions/access";
}

const char *access_note(const struct view_frame *f, char *buf, size_t size)
{
	if (f->no_access_why)
		snprintf(buf, size, "; access kinds -: %s, and the perf fault events carry none",
			 f->no_access_why);
	else if (size)
		buf[0] = '\0';
	return buf;
}

double access_pct(const struct row *r, int access)
{
	/* every sampled fault is exactly one of read/write/exec */
	uint64_t sum = r->delta.access[ACCESS_READ] + r->delta.access[ACCESS_WRITE] +
		       r->delta.access[ACCESS_EXEC];

	return sum ? 100.0 * (double)r->delta.access[access] / (double)sum : -1;
}

const char *signal_code_name(int sig, int code)
{
	if (sig == SIGBUS)
		return code == BUS_ADRALN ? "BUS_ADRALN" : code == BUS_ADRERR ? "BUS_ADRERR" :
		       code == BUS_OBJERR ? "BUS_OBJERR" : code == BUS_MCEERR_AR ? "BUS_MCEERR_AR" :
		       "SIGBUS";
	switch (code) {
	case SEGV_MAPERR: return "SEGV_MAPERR";
	case SEGV_ACCERR: return "SEGV_ACCERR";
	case SEGV_BNDERR: return "SEGV_BNDERR";
	case SEGV_PKUERR: return "SEGV_PKUERR";
	case SI_USER: return "SI_USER";
	default: return code < 0 ? "SI_QUEUE/TKILL" : "SEGV";
	}
}

/* ---- cells ---------------------------------------------------------------- */

static void cell_pid(const struct row *r, const struct view_frame *f, char *b, size_t n)
{
	(void)f;
	snprintf(b, n, "%d", r->id);
}

static void cell_comm(const struct row *r, const struct view_frame *f, char *b, size_t n)
{
	char safe[FT_COMM_LEN + 1];

	(void)f;
	fmt_printable(safe, sizeof(safe), r->comm);
	snprintf(b, n, "%s", safe);
}

#define RATE_CELL(fn, expr) \
static void fn(const struct row *r, const struct view_frame *f, char *b, size_t n) \
{ fmt_count(b, n, rate((expr), f)); }

RATE_CELL(cell_minflt_rate, r->delta.min_flt)
RATE_CELL(cell_majflt_rate, r->delta.maj_flt)
/* totals print exactly, so they can be checked against /proc/PID/stat */
#define EXACT_CELL(fn, expr) \
static void fn(const struct row *r, const struct view_frame *f, char *b, size_t n) \
{ (void)f; snprintf(b, n, "%llu", (unsigned long long)(expr)); }

EXACT_CELL(cell_minflt, r->total.min_flt)
EXACT_CELL(cell_majflt, r->total.maj_flt)
EXACT_CELL(cell_maperr, r->total.segv_maperr)
EXACT_CELL(cell_accerr, r->total.segv_accerr)
EXACT_CELL(cell_sigbus, r->total.sigbus)

static void pct_cell(double pct, char *b, size_t n)
{
	if (pct < 0)
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.0f", pct);
}

#define REGION_CELL(fn, region) \
static void fn(const struct row *r, const struct view_frame *f, char *b, size_t n) \
{ (void)f; pct_cell(region_pct(r, region), b, n); }
#define ACCESS_CELL(fn, access) \
static void fn(const struct row *r, const struct view_frame *f, char *b, size_t n) \
{ (void)f; pct_cell(access_pct(r, access), b, n); }

REGION_CELL(cell_text, REGION_TEXT)
REGION_CELL(cell_data, REGION_DATA)
REGION_CELL(cell_heap, REGION_HEAP)
REGION_CELL(cell_stack, REGION_STACK)
REGION_CELL(cell_anon, REGION_ANON)
REGION_CELL(cell_file, REGION_FILE)
REGION_CELL(cell_other, REGION_OTHER)
ACCESS_CELL(cell_read, ACCESS_READ)
ACCESS_CELL(cell_write, ACCESS_WRITE)
ACCESS_CELL(cell_exec, ACCESS_EXEC)
ACCESS_CELL(cell_prot, ACCESS_PROT)

static void sys_rate_cell(const struct view_frame *f, uint64_t v, char *b, size_t n, bool bytes)
{
	if (!f->has_syscalls)
		snprintf(b, n, "-");
	else if (bytes)
		fmt_bytes(b, n, (uint64_t)rate(v, f));
	else
		fmt_count(b, n, rate(v, f));
}

static void cell_mmap_rate(const struct row *r, const struct view_frame *f, char *b, size_t n)
{
	sys_rate_cell(f, r->delta.mmap + r->delta.munmap + r->delta.mremap, b, n, false);
}

static void cell_brk_rate(const struct row *r, const struct view_frame *f, char *b, size_t n)
{
	sys_rate_cell(f, r->delta.brk, b, n, false);
}

static void cell_mapped_rate(const struct row *r, const struct view_frame *f, char *b, size_t n)
{
	sys_rate_cell(f, r->delta.bytes_mapped, b, n, true);
}

static void cell_unmapped_rate(const struct row *r, const struct view_frame *f, char *b, size_t n)
{
	sys_rate_cell(f, r->delta.bytes_unmapped, b, n, true);
}

static void mem_cell(const struct row *r, uint64_t v, char *b, size_t n)
{
	if (r->is_thread || !r->mem.valid)
		snprintf(b, n, "-");
	else
		fmt_bytes(b, n, v);
}

static void cell_vss(const struct row *r, const struct view_frame *f, char *b, size_t n)
{
	(void)f;
	if (r->is_thread || !r->mem.vss)
		snprintf(b, n, "-");
	else
		fmt_bytes(b, n, r->mem.vss);
}

static void cell_rss(const struct row *r, const struct view_frame *f, char *b, size_t n)
{
	(void)f;
	mem_cell(r, r->mem.rss, b, n);
}

static void cell_pss(const struct row *r, const struct view_frame *f, char *b, size_t n)
{
	(void)f;
	mem_cell(r, r->mem.pss, b, n);
}

static void cell_uss(const struct row *r, const struct view_frame *f, char *b, size_t n)
{
	(void)f;
	mem_cell(r, r->mem.uss, b, n);
}

static void cell_uss_trend(const struct row *r, const struct view_frame *f, char *b, size_t n)
{
	char num[16];
	double s = r->mem.uss_slope;

	(void)f;
	if (r->is_thread || r->mem.uss_trend.n < 2) {
		snprintf(b, n, "-");
		return;
	}
	fmt_bytes(num, sizeof(num), (uint64_t)(s < 0 ? -s : s));
	snprintf(b, n, "%s%s%s", s < 0 ? "-" : "+", num, r->mem.uss_growing ? "!" : "");
}

static void cell_state(const struct row *r, const struct view_frame *f, char *b, size_t n)
{
	(void)f;
	snprintf(b, n, "%s%s", r->exited ? "exited" : "",
		 !r->exited && r->mem.uss_growing ? "grows" : "");
}

const struct column columns[] = {
	{ "PID", 7, SORT_PID, "process id (thread id with -t)", cell_pid },
	{ "COMM", -15, SORT_COMM, "command name", cell_comm },
	{ "MINFLT/s", 8, SORT_MINFLT_RATE, "minor faults per second (exact)", cell_minflt_rate },
	{ "MAJFLT/s", 8, SORT_MAJFLT_RATE, "major faults per second (exact)", cell_majflt_rate },
	{ "MINFLT", 9, SORT_MINFLT, "minor faults since start (exact)", cell_minflt },
	{ "MAJFLT", 7, SORT_MAJFLT, "major faults since start (exact)", cell_majflt },
	{ "MAPERR", 6, SORT_SEGV, "SIGSEGV, address in no VMA (SEGV_MAPERR)", cell_maperr },
	{ "ACCERR", 6, SORT_SEGV, "SIGSEGV, access the VMA forbids (SEGV_ACCERR)", cell_accerr },
	{ "BUS", 4, SORT_SEGV, "SIGBUS", cell_sigbus },
	{ "TXT%", 4, SORT_MAX, "share of sampled faults in the executable's text", cell_text },
	{ "DAT%", 4, SORT_MAX, "... in its data, bss and read-only data", cell_data },
	{ "HEP%", 4, SORT_MAX, "... in the brk heap", cell_heap },
	{ "STK%", 4, SORT_MAX, "... in the main stack", cell_stack },
	{ "ANO%", 4, SORT_MAX, "... in anonymous mmaps (thread stacks too)", cell_anon },
	{ "FIL%", 4, SORT_MAX, "... in file mmaps (shared libraries too)", cell_file },
	{ "OTH%", 4, SORT_MAX, "... elsewhere, or unknown (process gone)", cell_other },
	{ "RD%", 4, SORT_MAX, "share of sampled faults that were reads", cell_read },
	{ "WR%", 4, SORT_MAX, "... writes", cell_write },
	{ "EX%", 4, SORT_MAX, "... instruction fetches", cell_exec },
	{ "PRT%", 4, SORT_MAX, "... on present pages (protection: copy-on-write, mprotect)", cell_prot },
	{ "MMAP/s", 6, SORT_MMAP_RATE, "mmap+munmap+mremap calls per second", cell_mmap_rate },
	{ "BRK/s", 6, SORT_BRK_RATE, "brk calls per second", cell_brk_rate },
	{ "MAP+/s", 6, SORT_MAPPED_RATE, "bytes mapped per second (mmap, mremap, brk growth)", cell_mapped_rate },
	{ "MAP-/s", 6, SORT_MAX, "bytes unmapped per second", cell_unmapped_rate },
	{ "VSS", 6, SORT_VSS, "virtual size", cell_vss },
	{ "RSS", 6, SORT_RSS, "resident set size (smaps_rollup)", cell_rss },
	{ "PSS", 6, SORT_PSS, "proportional set size: shared pages divided among sharers", cell_pss },
	{ "USS", 6, SORT_USS, "unique set size: pages only this process maps", cell_uss },
	{ "USS/s", 7, SORT_USS_TREND, "USS slope over the last samples; '!' = steady growth", cell_uss_trend },
	{ "STATE", -6, SORT_MAX, "exited during the interval; grows = USS keeps growing", cell_state },
};
const int nr_columns = sizeof(columns) / sizeof(columns[0]);

/* ---- sorting and filtering ------------------------------------------------ */

static const char *const sort_names[SORT_MAX] = {
	[SORT_PID] = "pid", [SORT_COMM] = "comm", [SORT_MINFLT_RATE] = "minflt/s",
	[SORT_MAJFLT_RATE] = "majflt/s", [SORT_MINFLT] = "minflt", [SORT_MAJFLT] = "majflt",
	[SORT_SEGV] = "segv", [SORT_MMAP_RATE] = "mmap/s", [SORT_BRK_RATE] = "brk/s",
	[SORT_MAPPED_RATE] = "map+/s", [SORT_VSS] = "vss", [SORT_RSS] = "rss", [SORT_PSS] = "pss",
	[SORT_USS] = "uss", [SORT_USS_TREND] = "uss/s",
};

const char *sort_key_name(enum sort_key k)
{
	return k < SORT_MAX ? sort_names[k] : "?";
}

int sort_key_parse(const char *s)
{
	for (int k = 0; k < SORT_MAX; k++)
		if (strcasecmp(s, sort_names[k]) == 0)
			return k;
	return -1;
}

static double sort_value(const struct row *r, enum sort_key k)
{
	switch (k) {
	case SORT_PID: return r->id;
	case SORT_MINFLT_RATE: return (double)r->delta.min_flt;
	case SORT_MAJFLT_RATE: return (double)r->delta.maj_flt;
	case SORT_MINFLT: return (double)r->total.min_flt;
	case SORT_MAJFLT: return (double)r->total.maj_flt;
	case SORT_SEGV: return (double)(counters_segv(&r->total) + r->total.sigbus);
	case SORT_MMAP_RATE: return (double)(r->delta.mmap + r->delta.munmap + r->delta.mremap);
	case SORT_BRK_RATE: return (double)r->delta.brk;
	case SORT_MAPPED_RATE: return (double)r->delta.bytes_mapped;
	case SORT_VSS: return (double)r->mem.vss;
	case SORT_RSS: return (double)r->mem.rss;
	case SORT_PSS: return (double)r->mem.pss;
	case SORT_USS: return (double)r->mem.uss;
	case SORT_USS_TREND: return r->mem.uss_slope;
	default: return 0;
	}
}

static int compare_rows(const void *a, const void *b, void *arg)
{
	const struct row *x = *(const struct row *const *)a, *y = *(const struct row *const *)b;
	const struct view_state *vs = arg;
	int c;

	if (vs->sort == SORT_COMM) {
		c = strcmp(x->comm, y->comm);
	} else {
		double vx = sort_value(x, vs->sort), vy = sort_value(y, vs->sort);

		c = vx < vy ? -1 : vx > vy ? 1 : 0;
		if (vs->sort != SORT_PID)
			c = -c;		/* numbers sort biggest first, like top */
	}
	if (vs->sort_ascending)
		c = -c;
	if (c == 0)	/* ties fall back to faults, then pid, so the order is stable */
		c = x->delta.min_flt != y->delta.min_flt ?
			(x->delta.min_flt > y->delta.min_flt ? -1 : 1) : (x->id > y->id) - (x->id < y->id);
	return c;
}

static bool row_is_active(const struct row *r)
{
	const struct counters *d = &r->delta;

	return r->exited || d->min_flt || d->maj_flt || d->sampled || counters_segv(d) ||
	       d->sigbus || d->mmap || d->munmap || d->mremap || d->brk;
}

static bool row_passes_filters(const struct row *r, const struct view_state *vs)
{
	if (vs->nr_pids) {
		bool hit = false;

		for (int i = 0; i < vs->nr_pids && !hit; i++)
			hit = vs->pids[i] == r->tgid || vs->pids[i] == r->id;
		if (!hit)
			return false;
	}
	if (vs->comm[0] && !strstr(r->comm, vs->comm))
		return false;
	if (vs->cgroup_id && r->cgroup_id != vs->cgroup_id)
		return false;
	return true;
}

int filter_rows(struct row **rows, int n, bool keep_idle, const struct view_state *vs)
{
	int kept = 0;

	for (int i = 0; i < n; i++) {
		if (!row_passes_filters(rows[i], vs))
			continue;
		/* rows asked for by pid always show, like top -p */
		if (!keep_idle && !vs->nr_pids && !row_is_active(rows[i]))
			continue;
		rows[kept++] = rows[i];
	}
	return kept;
}

void sort_rows(struct row **rows, int n, const struct view_state *vs)
{
	if (n > 0)	/* rows may be NULL when there are none */
		qsort_r(rows, (size_t)n, sizeof(struct row *), compare_rows, (void *)vs);
}

int select_rows(struct row **rows, int n, bool keep_idle, const struct view_state *vs)
{
	n = filter_rows(rows, n, keep_idle, vs);
	sort_rows(rows, n, vs);
	return n;
}

/* ---- the view state ---------------------------------------------------------- */

void view_state_init(struct view_state *vs, const struct faulttop_config *cfg)
{
	memset(vs, 0, sizeof(*vs));
	vs->sort = cfg->sort;
	vs->sort_ascending = cfg->sort_ascending;
	vs->threads = cfg->threads;
	memcpy(vs->pids, cfg->pids, sizeof(vs->pids));
	vs->nr_pids = cfg->nr_pids;
	if (cfg->comm)
		snprintf(vs->comm, sizeof(vs->comm), "%s", cfg->comm);
	if (cfg->maps)
		vs->vmas_pid = cfg->pids[0];
	vs->vma_ascending = true;	/* address order, like pmap */
}

bool view_state_apply(struct view_state *vs, const struct tui_intent *in)
{
	switch (in->kind) {
	case TUI_NONE:
	case TUI_QUIT:
		return false;
	case TUI_REDRAW:
		return true;
	case TUI_SET_SORT:
		if (in->sort == vs->sort || in->sort >= SORT_MAX)
			return true;
		vs->sort = in->sort;
		/* Like htop: names sort A-Z, numbers biggest first. */
		vs->sort_ascending = in->sort == SORT_PID || in->sort == SORT_COMM;
		return true;
	case TUI_REVERSE_SORT:
		vs->sort_ascending = !vs->sort_ascending;
		return true;
	case TUI_TOGGLE_THREADS:
		vs->threads = !vs->threads;
		return true;
	case TUI_SET_COMM:
		snprintf(vs->comm, sizeof(vs->comm), "%s", in->comm);
		return true;
	case TUI_SET_PIDS:
		if (in->nr_pids < 0 || in->nr_pids > MAX_PIDS)
			return false;
		memcpy(vs->pids, in->pids, (size_t)in->nr_pids * sizeof(in->pids[0]));
		vs->nr_pids = in->nr_pids;
		return true;
	case TUI_SHOW_VMAS:
	case TUI_HIDE_VMAS:
	case TUI_SET_VMA_SORT:
	case TUI_REVERSE_VMA_SORT:
		return view_state_apply_vmas(vs, in);
	}
	return false;
}
