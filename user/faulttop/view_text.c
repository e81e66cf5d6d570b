// SPDX-License-Identifier: GPL-2.0
/* Batch text frames (like top -b) and JSON Lines, one record per interval. */
#include <signal.h>
#include <stddef.h>
#include <time.h>
#include "fmt.h"
#include "json.h"
#include "view_books.h"
#include "view.h"

static const char *const region_names[REGION_MAX] = {
	"text", "data", "heap", "stack", "anon", "file", "other",
};
static const char *const access_names[ACCESS_MAX] = {
	"read", "write", "exec", "protection", "not_present",
};

static void clock_string(double wall, char *buf, size_t size)
{
	time_t t = (time_t)wall;
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, size, "%H:%M:%S", &tm) == 0)
		snprintf(buf, size, "--:--:--");
}

static void text_header(FILE *out, const struct view_frame *f)
{
	const struct sys_totals *s = &f->sys;
	char when[16], avail[16], slab[16], srec[16], sunr[16], note[160];

	clock_string(f->wall_time, when, sizeof(when));
	fprintf(out, "faulttop - %s  interval %.2fs  faults/s %.0f  major/s %.0f  SEGV %llu (total %llu)  "
		"SIGBUS %llu  %s %d\n", when, s->interval_s, rate(s->faults, f), rate(s->major, f),
		(unsigned long long)s->segv, (unsigned long long)s->segv_total,
		(unsigned long long)s->sigbus, f->threads ? "threads" : "procs",
		f->threads ? s->nr_threads : s->nr_procs);
	fprintf(out, "Mem: avail %s  Slab %s  SReclaimable %s  SUnreclaim %s\n",
		fmt_bytes(avail, sizeof(avail), s->mem.mem_available),
		fmt_bytes(slab, sizeof(slab), s->mem.slab),
		fmt_bytes(srec, sizeof(srec), s->mem.sreclaimable),
		fmt_bytes(sunr, sizeof(sunr), s->mem.sunreclaim));
	if (f->sample_pct >= 100)
		fprintf(out, "Mode: precise (every fault classified)");
	else
		fprintf(out, "Mode: counts exact; %s sampled %d%% of time", sampled_what(f),
			f->sample_pct);
	fprintf(out, "%s%s  Lost events: %llu\n", f->has_syscalls ? "" : "; mmap/brk columns off",
		access_note(f, note, sizeof(note)), (unsigned long long)s->drops + s->map_full);
	if (s->drops || s->map_full)
		fprintf(out, "*** LOST EVENTS: %llu ring-buffer drops, %llu map-full failures ***\n",
			(unsigned long long)s->drops, (unsigned long long)s->map_full);
	fputc('\n', out);
}

static void text_row(FILE *out, const struct row *r, const struct view_frame *f)
{
	char cell[64];

	for (int c = 0; c < nr_columns; c++) {
		columns[c].cell(r, f, cell, sizeof(cell));
		fprintf(out, "%s%*s", c ? " " : "", columns[c].width, cell);
	}
	fputc('\n', out);
}

/* Where the SEGVs of this interval happened: the address and the faulting
 * instruction, as a debugger would want them. */
static void text_signals(FILE *out, const struct view_frame *f)
{
	char comm[FT_COMM_LEN + 1];

	for (int i = 0; i < f->nr_rows; i++) {
		const struct row *r = f->rows[i];
		const struct last_signal *ls = &r->last_sig;

		if (!ls->sig || !(counters_segv(&r->delta) + r->delta.sigbus))
			continue;
		fmt_printable(comm, sizeof(comm), r->comm);
		fprintf(out, "%s %d (%s) tid %d: %s addr 0x%llx ip 0x%llx\n",
			ls->sig == SIGBUS ? "SIGBUS" : "SIGSEGV", r->id, comm, ls->tid,
			signal_code_name(ls->sig, ls->code), (unsigned long long)ls->addr,
			(unsigned long long)ls->ip);
	}
}

void view_text_frame(FILE *out, const struct view_frame *f)
{
	text_header(out, f);
	view_text_books(out, &f->sys);
	for (int c = 0; c < nr_columns; c++)
		fprintf(out, "%s%*s", c ? " " : "", columns[c].width, columns[c].name);
	fputc('\n', out);
	for (int i = 0; i < f->nr_rows; i++)
		text_row(out, f->rows[i], f);
	text_signals(out, f);
	fputc('\n', out);
	fflush(out);
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_counts(struct json *j, const char *key, const uint64_t *v,
			const char *const *names, int n)
{
	json_obj_begin(j, key);
	for (int i = 0; i < n; i++)
		json_u64(j, names[i], v[i]);
	json_obj_end(j);
}

#define COUNTER(member, key) JSON_U64_FIELD(struct counters, member, key)
static const struct json_u64_field fault_fields[] = {
	COUNTER(min_flt, "minflt"), COUNTER(maj_flt, "majflt"),
	COUNTER(segv_maperr, "segv_maperr"), COUNTER(segv_accerr, "segv_accerr"),
	COUNTER(segv_other, "segv_other"), COUNTER(sigbus, "sigbus"),
	COUNTER(sampled, "sampled_faults"),
};
static const struct json_u64_field syscall_fields[] = {
	COUNTER(mmap, "mmap"), COUNTER(munmap, "munmap"), COUNTER(mremap, "mremap"),
	COUNTER(brk, "brk"), COUNTER(bytes_mapped, "bytes_mapped"),
	COUNTER(bytes_unmapped, "bytes_unmapped"),
};
#undef COUNTER

/* no_access: the hook can't tell access kinds: no "access" (zeros would
 * read as "none"), the frame's "access_unknown" says why */
static void json_counters(struct json *j, const char *key, const struct counters *c,
			  bool no_access)
{
	json_obj_begin(j, key);
	JSON_U64_TABLE(j, c, fault_fields);
	json_counts(j, "regions", c->region, region_names, REGION_MAX);
	if (!no_access)
		json_counts(j, "access", c->access, access_names, ACCESS_MAX);
	JSON_U64_TABLE(j, c, syscall_fields);
	json_obj_end(j);
}

static void json_mem(struct json *j, const struct row *r)
{
	json_obj_begin(j, "mem");
	json_u64(j, "vss", r->mem.vss);
	if (r->mem.valid) {
		json_u64(j, "rss", r->mem.rss);
		json_u64(j, "pss", r->mem.pss);
		json_u64(j, "uss", r->mem.uss);
		json_f64(j, "uss_slope_bytes_per_s", r->mem.uss_slope);
		json_bool(j, "uss_growing", r->mem.uss_growing);
	}
	json_obj_end(j);
}

static void json_row(struct json *j, const struct row *r, const struct view_frame *f)
{
	json_obj_begin(j, NULL);
	json_i64(j, f->threads ? "tid" : "pid", r->id);
	json_i64(j, "tgid", r->tgid);
	json_i64(j, "ppid", r->ppid);
	json_u64(j, "cgroup_id", r->cgroup_id);
	json_str(j, "comm", r->comm);
	json_bool(j, "exited", r->exited);
	if (!r->is_thread)
		json_i64(j, "threads", r->nr_threads);
	json_f64(j, "minflt_per_s", rate(r->delta.min_flt, f));
	json_f64(j, "majflt_per_s", rate(r->delta.maj_flt, f));
	json_counters(j, "total", &r->total, f->no_access_why);
	json_counters(j, "interval", &r->delta, f->no_access_why);
	if (r->last_sig.sig) {
		json_obj_begin(j, "last_signal");
		json_str(j, "signal", r->last_sig.sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
		json_str(j, "code", signal_code_name(r->last_sig.sig, r->last_sig.code));
		json_u64(j, "addr", r->last_sig.addr);
		json_u64(j, "ip", r->last_sig.ip);
		json_i64(j, "tid", r->last_sig.tid);
		json_obj_end(j);
	}
	if (!r->is_thread)
		json_mem(j, r);
	json_obj_end(j);
}

void view_json_frame(FILE *out, const struct view_frame *f)
{
	const struct sys_totals *s = &f->sys;
	struct json j;

	json_init(&j, out);
	json_obj_begin(&j, NULL);
	json_f64(&j, "time", f->wall_time);
	json_f64(&j, "interval_s", s->interval_s);
	json_str(&j, "mode", f->sample_pct >= 100 ? "precise" : "sampled");
	json_i64(&j, "sample_pct", f->sample_pct);
	json_bool(&j, "threads", f->threads);
	json_bool(&j, "syscalls", f->has_syscalls);
	if (f->no_access_why)
		json_str(&j, "access_unknown", f->no_access_why);
	json_obj_begin(&j, "system");
	json_u64(&j, "faults", s->faults);
	json_u64(&j, "major", s->major);
	json_f64(&j, "faults_per_s", rate(s->faults, f));
	json_f64(&j, "major_per_s", rate(s->major, f));
	json_u64(&j, "segv", s->segv);
	json_u64(&j, "segv_total", s->segv_total);
	json_u64(&j, "sigbus", s->sigbus);
	json_u64(&j, "mem_available", s->mem.mem_available);
	json_u64(&j, "slab", s->mem.slab);
	json_u64(&j, "sreclaimable", s->mem.sreclaimable);
	json_u64(&j, "sunreclaim", s->mem.sunreclaim);
	json_u64(&j, "lost_ringbuf", s->drops);
	json_u64(&j, "lost_map_full", s->map_full);
	json_i64(&j, "procs", s->nr_procs);
	json_i64(&j, "threads", s->nr_threads);
	json_obj_end(&j);
	view_json_books(&j, s);
	json_arr_begin(&j, "rows");
	for (int i = 0; i < f->nr_rows; i++)
		json_row(&j, f->rows[i], f);
	json_arr_end(&j);
	json_obj_end(&j);
	json_line_end(&j);
}
