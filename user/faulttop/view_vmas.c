// SPDX-License-Identifier: GPL-2.0
/* The VMA view (--maps -p PID): its columns, shared with the TUI's process
 * screen (view_tui_vmas.c), as batch text and as JSON Lines. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fmt.h"
#include "json.h"
#include "view.h"
#include "view_vmas.h"

/* ---- columns ----------------------------------------------------------------- */

static void cell_u64(char *buf, size_t size, uint64_t v)
{
	snprintf(buf, size, "%" PRIu64, v);
}

static void cell_kib(char *buf, size_t size, uint64_t bytes)
{
	cell_u64(buf, size, bytes / 1024);
}

#define HEX_CELL(name, field)								\
static void name(const struct vma_row *r, char *buf, size_t size)			\
{ snprintf(buf, size, "%012" PRIx64, r->field); }
#define KIB_CELL(name, field)								\
static void name(const struct vma_row *r, char *buf, size_t size)			\
{ cell_kib(buf, size, r->field); }
#define COUNT_CELL(name, field)								\
static void name(const struct vma_row *r, char *buf, size_t size)			\
{ cell_u64(buf, size, r->f.field); }

HEX_CELL(cell_start, start)
HEX_CELL(cell_end, end)
KIB_CELL(cell_size, size)
KIB_CELL(cell_rss, rss)
KIB_CELL(cell_pss, pss)
KIB_CELL(cell_uss, uss)
KIB_CELL(cell_swap, swap)
COUNT_CELL(cell_minor, minor)
COUNT_CELL(cell_major, major)
/* "-" where the fault events carry no access kind: 0 would say "none" */
#define ACCESS_CELL(name, field)							\
static void name(const struct vma_row *r, char *buf, size_t size)			\
{ if (r->access_unknown) snprintf(buf, size, "-"); else cell_u64(buf, size, r->f.field); }

ACCESS_CELL(cell_read, read)
ACCESS_CELL(cell_write, write)
ACCESS_CELL(cell_exec, exec)
ACCESS_CELL(cell_prot, prot)

static void cell_perm(const struct vma_row *r, char *buf, size_t size)
{
	snprintf(buf, size, "%s", r->perm);
}

static void cell_offset(const struct vma_row *r, char *buf, size_t size)
{
	snprintf(buf, size, "%" PRIx64, r->offset);
}

static void cell_label(const struct vma_row *r, char *buf, size_t size)
{
	fmt_printable(buf, size, r->label ? r->label : "");
}

const struct vma_column vma_columns[] = {
	{ "START", -12, VSORT_START, cell_start },
	{ "END", -12, VSORT_MAX, cell_end },
	{ "PERM", -4, VSORT_MAX, cell_perm },
	{ "OFFSET", 8, VSORT_MAX, cell_offset },
	{ "SIZE", 9, VSORT_SIZE, cell_size },
	{ "RSS", 8, VSORT_RSS, cell_rss },
	{ "PSS", 8, VSORT_PSS, cell_pss },
	{ "USS", 8, VSORT_USS, cell_uss },
	{ "SWAP", 7, VSORT_SWAP, cell_swap },
	{ "MINOR", 8, VSORT_MINOR, cell_minor },
	{ "MAJOR", 7, VSORT_MAJOR, cell_major },
	{ "READ", 8, VSORT_READ, cell_read },
	{ "WRITE", 8, VSORT_WRITE, cell_write },
	{ "EXEC", 7, VSORT_EXEC, cell_exec },
	{ "PROT", 7, VSORT_PROT, cell_prot },
	{ "MAPPING", -1, VSORT_PATH, cell_label },
};
const int nr_vma_columns = sizeof(vma_columns) / sizeof(vma_columns[0]);

/* Where the sizes and the faults start: the extra rows' labels end there. */
#define FIRST_SIZE_COLUMN 4
#define FIRST_FAULT_COLUMN 9

/* ---- the view state's part ------------------------------------------------------ */

bool view_state_apply_vmas(struct view_state *vs, const struct tui_intent *in)
{
	switch (in->kind) {
	case TUI_SHOW_VMAS:
		if (in->nr_pids < 1 || in->pids[0] <= 0)
			return false;
		vs->vmas_pid = in->pids[0];
		return true;
	case TUI_HIDE_VMAS:
		vs->vmas_pid = 0;
		return true;
	case TUI_SET_VMA_SORT:
		if (in->vma_sort >= VSORT_MAX)
			return false;
		if (in->vma_sort != vs->vma_sort)	/* addresses and names A-Z, numbers biggest first */
			vs->vma_ascending = in->vma_sort == VSORT_START || in->vma_sort == VSORT_PATH;
		vs->vma_sort = in->vma_sort;
		return true;
	case TUI_REVERSE_VMA_SORT:
		vs->vma_ascending = !vs->vma_ascending;
		return true;
	default:
		return false;
	}
}

/* ---- what every view says above and below the table ----------------------------- */

void vmas_mode_line(const struct view_frame *f, char *buf, size_t size)
{
	char note[160];

	if (f->no_access_why && f->sample_pct >= 100)
		snprintf(buf, size, "faults per VMA: exact (--precise)%s",
			 access_note(f, note, sizeof(note)));
	else if (f->no_access_why)
		snprintf(buf, size, "faults per VMA: major exact; minor %s (--sample %d%%)%s",
			 f->sample_pct <= 0 ? "off" : "SAMPLED", f->sample_pct,
			 access_note(f, note, sizeof(note)));
	else if (f->sample_pct >= 100)
		snprintf(buf, size, "faults per VMA: exact (--precise); access kinds where the hook saw the fault");
	else if (f->sample_pct <= 0)
		snprintf(buf, size, "faults per VMA: major exact; minor and access kinds off (--sample 0)");
	else
		snprintf(buf, size, "faults per VMA: major exact; minor and access kinds SAMPLED "
			 "(%d%% of the time, not totals: --precise counts all)", f->sample_pct);
}

void vmas_smaps_line(const struct vmas_snapshot *s, char *buf, size_t size)
{
	if (s->gone)
		snprintf(buf, size, "process exited: the last smaps reading is shown");
	else if (!s->smaps_valid)
		snprintf(buf, size, "smaps not read yet%s%s", s->smaps_err ? ": " : "",
			 s->smaps_err ? strerror(-s->smaps_err) : "");
	else
		snprintf(buf, size, "%zu VMAs; smaps read in %.1f ms (+ %.1f ms parsing), %.1f s ago%s%s",
			 s->n, s->smaps_ms, s->parse_ms, s->smaps_age_s, s->smaps_err ? "; last read failed: " : "",
			 s->smaps_err ? strerror(-s->smaps_err) : "");
}

/* The faults the process counted that no VMA row holds: taken outside a
 * fault hook (get_user_pages: no perf event), or before the watch's first
 * reading. Signed: faults after the /proc read are already binned. */
int64_t vmas_not_placed(const struct vmas_snapshot *s, bool major)
{
	uint64_t proc = major ? s->proc_major : s->proc_minor;
	uint64_t ours = major ? s->total.f.major : s->total.f.minor;

	return (int64_t)(proc - ours);
}

/* ---- batch text -------------------------------------------------------------------- */

static void text_cells(FILE *out, const struct vma_row *r, int from)
{
	char cell[512];

	for (int c = from; c < nr_vma_columns; c++) {
		vma_columns[c].cell(r, cell, sizeof(cell));
		fprintf(out, "%s%*s", c > from ? " " : "", vma_columns[c].width, cell);
	}
	fputc('\n', out);
}

/* An extra row ("unmapped since", "TOTAL"): a label over the columns
 * before from, then the numbers from there on (no MAPPING). */
static void text_extra(FILE *out, const char *label, const struct vma_row *r, int from)
{
	char cell[64];
	int width = -1;

	for (int c = 0; c < from; c++)
		width += 1 + abs(vma_columns[c].width);
	fprintf(out, "%-*s", width, label);
	for (int c = from; c < nr_vma_columns - 1; c++) {
		vma_columns[c].cell(r, cell, sizeof(cell));
		fprintf(out, " %*s", vma_columns[c].width, cell);
	}
	fputc('\n', out);
}

static void text_header(FILE *out, const struct view_frame *f, const struct vmas_snapshot *s)
{
	char line[320], comm[FT_COMM_LEN + 1];

	fmt_printable(comm, sizeof(comm), s->comm);
	vmas_smaps_line(s, line, sizeof(line));
	fprintf(out, "faulttop --maps - pid %d (%s)  %s\n", s->tgid, comm, line);
	vmas_mode_line(f, line, sizeof(line));
	fprintf(out, "%s\n", line);
	if (s->have_process)
		fprintf(out, "since the watch began, the process (/proc/PID/stat): minflt %" PRIu64
			" majflt %" PRIu64 "%s\n", s->proc_minor, s->proc_major,
			s->gone ? " (its last reading, before it exited)" : "");
	if (f->vma_drops)
		fprintf(out, "*** LOST: %" PRIu64 " fault events of this process (ring buffer full) ***\n",
			f->vma_drops);
	for (int c = 0; c < nr_vma_columns; c++)
		fprintf(out, "%s%*s", c ? " " : "", vma_columns[c].width, vma_columns[c].name);
	fputc('\n', out);
}

void view_vmas_text(FILE *out, const struct view_frame *f)
{
	const struct vmas_snapshot *s = f->vmas;
	struct vma_row extra;

	if (!s)
		return;
	text_header(out, f, s);
	for (size_t i = 0; i < s->n; i++)
		text_cells(out, &s->rows[i], 0);
	memset(&extra, 0, sizeof(extra));
	extra.access_unknown = s->total.access_unknown;
	extra.f = s->unmapped;
	text_extra(out, "(in VMAs unmapped since)", &extra, FIRST_FAULT_COLUMN);
	extra.f = s->waiting;
	text_extra(out, "(in mappings newer than the smaps reading)", &extra, FIRST_FAULT_COLUMN);
	text_extra(out, "TOTAL", &s->total, FIRST_SIZE_COLUMN);
	if (s->have_process && f->sample_pct >= 100 && !s->gone)
		fprintf(out, "not placed (faults without a perf event: get_user_pages, or in flight): "
			"minor %" PRId64 " major %" PRId64 "\n", vmas_not_placed(s, false),
			vmas_not_placed(s, true));
	if (s->segv[0])
		fprintf(out, "last SEGV: %s\n", s->segv);
	fputc('\n', out);
	fflush(out);
}

/* ---- JSON Lines ---------------------------------------------------------------------- */

static const struct json_u64_field fault_fields[] = {
	JSON_U64_FIELD(struct vma_faults, minor, "minor"),
	JSON_U64_FIELD(struct vma_faults, major, "major"),
	JSON_U64_FIELD(struct vma_faults, read, "read"),
	JSON_U64_FIELD(struct vma_faults, write, "write"),
	JSON_U64_FIELD(struct vma_faults, exec, "exec"),
	JSON_U64_FIELD(struct vma_faults, prot, "prot"),
};

static const struct json_u64_field size_fields[] = {
	JSON_U64_FIELD(struct vma_row, size, "size"),
	JSON_U64_FIELD(struct vma_row, rss, "rss"),
	JSON_U64_FIELD(struct vma_row, pss, "pss"),
	JSON_U64_FIELD(struct vma_row, uss, "uss"),
	JSON_U64_FIELD(struct vma_row, swap, "swap"),
};

/* Without access kinds (access_unknown), minor and major only. */
static void json_faults(struct json *j, const char *key, const struct vma_faults *f,
			bool access_unknown)
{
	json_obj_begin(j, key);
	if (access_unknown) {
		json_u64(j, "minor", f->minor);
		json_u64(j, "major", f->major);
	} else {
		JSON_U64_TABLE(j, f, fault_fields);
	}
	json_obj_end(j);
}

static void json_hex(struct json *j, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	json_str(j, key, buf);
}

static void json_vma(struct json *j, const struct vma_row *r)
{
	json_obj_begin(j, NULL);
	json_hex(j, "start", r->start);
	json_hex(j, "end", r->end);
	json_str(j, "perm", r->perm);
	json_hex(j, "offset", r->offset);
	json_str(j, "path", r->label);
	JSON_U64_TABLE(j, r, size_fields);
	json_faults(j, "faults", &r->f, r->access_unknown);
	json_obj_end(j);
}

static void json_summary(struct json *j, const struct view_frame *f, const struct vmas_snapshot *s)
{
	json_str(j, "mode", f->sample_pct >= 100 ? "precise" : "sampled");
	json_i64(j, "sample_pct", f->sample_pct);
	json_bool(j, "minor_exact", f->sample_pct >= 100);
	json_bool(j, "major_exact", true);
	if (f->no_access_why)
		json_str(j, "access_unknown", f->no_access_why);
	json_bool(j, "gone", s->gone);
	json_u64(j, "nr_vmas", s->n);
	if (s->smaps_valid)
		json_f64(j, "smaps_ms", s->smaps_ms);
	else
		json_null(j, "smaps_ms");
	json_f64(j, "smaps_parse_ms", s->parse_ms);
	json_f64(j, "smaps_age_s", s->smaps_age_s);
	json_str(j, "smaps_error", s->smaps_err ? strerror(-s->smaps_err) : NULL);
	json_u64(j, "drops", f->vma_drops);
	if (s->have_process) {
		json_obj_begin(j, "process");
		json_u64(j, "minflt", s->proc_minor);
		json_u64(j, "majflt", s->proc_major);
		/* read while it lived: its last faults are missing here */
		json_bool(j, "before_exit", s->gone);
		json_obj_end(j);
	}
}

void view_vmas_json(FILE *out, const struct view_frame *f)
{
	const struct vmas_snapshot *s = f->vmas;
	struct json j;

	if (!s)
		return;
	json_init(&j, out);
	json_obj_begin(&j, NULL);
	json_f64(&j, "time", f->wall_time);
	json_i64(&j, "pid", s->tgid);
	json_strn(&j, "comm", s->comm, strnlen(s->comm, sizeof(s->comm)));
	json_summary(&j, f, s);
	json_arr_begin(&j, "vmas");
	for (size_t i = 0; i < s->n; i++)
		json_vma(&j, &s->rows[i]);
	json_arr_end(&j);
	json_faults(&j, "unmapped", &s->unmapped, s->total.access_unknown);
	json_faults(&j, "waiting", &s->waiting, s->total.access_unknown);
	json_obj_begin(&j, "totals");
	JSON_U64_TABLE(&j, &s->total, size_fields);
	json_faults(&j, "faults", &s->total.f, s->total.access_unknown);
	json_obj_end(&j);
	json_str(&j, "segv", s->segv[0] ? s->segv : NULL);
	json_obj_end(&j);
	json_line_end(&j);
}
