// SPDX-License-Identifier: GPL-2.0
/* The TUI's process screen: Enter on a row opens it, Esc goes back. One row
 * per VMA of the process (vma_columns, as --maps prints them), sortable with
 * < > and r, the rows that are no VMA's and the totals pinned at the bottom.
 * The keys are decided here without the terminal (tui_vmas_key, called by
 * tui_keys.c); the drawing uses view_tui.c's helpers. */
#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fmt.h"
#include "tui_logic.h"
#include "view_vmas.h"

/* ---- keys ------------------------------------------------------------------------ */

static struct tui_intent vma_intent(enum tui_intent_kind kind)
{
	struct tui_intent in = { .kind = kind };

	return in;
}

/* '<' '>': the next sortable column left or right. */
static struct tui_intent move_vma_sort(const struct view_state *vs, int dir)
{
	struct tui_intent in = vma_intent(TUI_NONE);
	int c = 0;

	while (c < nr_vma_columns && vma_columns[c].sort != vs->vma_sort)
		c++;
	for (int i = c + dir; i >= 0 && i < nr_vma_columns; i += dir) {
		if (vma_columns[i].sort != VSORT_MAX) {
			in.kind = TUI_SET_VMA_SORT;
			in.vma_sort = vma_columns[i].sort;
			break;
		}
	}
	return in;
}

static void move_vma_cursor(struct tui_ui *ui, int delta)
{
	long sel = (long)ui->vmas_sel + delta;

	if (sel > ui->vmas_n - 1)
		sel = ui->vmas_n - 1;
	ui->vmas_sel = sel < 0 ? 0 : (int)sel;
}

bool tui_vmas_key(struct tui_ui *ui, int ch, const struct view_state *vs, struct tui_intent *out)
{
	int page = ui->vmas_page > 1 ? ui->vmas_page - 1 : 1;

	*out = vma_intent(TUI_NONE);
	switch (ch) {
	case TUI_KEY_ESC: case KEY_BACKSPACE: case 127: case 'b':
		ui->vmas_sel = ui->vmas_top = 0;
		*out = vma_intent(TUI_HIDE_VMAS);
		break;
	case '<': *out = move_vma_sort(vs, -1); break;
	case '>': *out = move_vma_sort(vs, 1); break;
	case 'r': *out = vma_intent(TUI_REVERSE_VMA_SORT); break;
	case KEY_UP: move_vma_cursor(ui, -1); break;
	case KEY_DOWN: move_vma_cursor(ui, 1); break;
	case KEY_PPAGE: move_vma_cursor(ui, -page); break;
	case KEY_NPAGE: move_vma_cursor(ui, page); break;
	case KEY_HOME: ui->vmas_sel = 0; break;
	case KEY_END: move_vma_cursor(ui, ui->vmas_n); break;
	default: return false;	/* q, h, space: as on the process list */
	}
	return true;
}

/* ---- drawing --------------------------------------------------------------------- */

static int column_width(int c)
{
	return abs(vma_columns[c].width);
}

static void draw_cells(int y, const struct vma_row *r, int from, int to)
{
	char raw[512], cell[600];
	int x = 0;

	for (int c = 0; c < to; c++) {
		if (c >= from) {
			vma_columns[c].cell(r, raw, sizeof(raw));
			snprintf(cell, sizeof(cell), "%*s", vma_columns[c].width, raw);
			tui_put_clipped(y, x, cell);
		}
		x += column_width(c) + 1;
	}
}

static void draw_header(int y, const struct view_state *vs, bool utf8)
{
	const char *arrow = vs->vma_ascending ? (utf8 ? "\xe2\x96\xb2" : "^") :
					       (utf8 ? "\xe2\x96\xbc" : "v");
	int x = 0;

	attron(A_REVERSE);
	move(y, 0);
	tui_fill_line(y);
	for (int c = 0; c < nr_vma_columns; c++) {
		int w = column_width(c), len = (int)strlen(vma_columns[c].name);
		int nx = vma_columns[c].width < 0 ? x : x + (w > len ? w - len : 0);
		bool sorted = vma_columns[c].sort == vs->vma_sort;

		if (sorted)
			attron(A_BOLD);
		tui_put_clipped(y, nx, vma_columns[c].name);
		if (sorted && x < COLS)
			mvaddstr(y, vma_columns[c].width < 0 ? nx + len : (nx > 0 ? nx - 1 : 0), arrow);
		if (sorted)
			attroff(A_BOLD);
		x += w + 1;
	}
	attroff(A_REVERSE);
}

/* A pinned row: its label over the VMA fields, then the numbers. */
static void draw_extra(int y, const char *label, const struct vma_row *r, int from, attr_t a)
{
	attron(a);
	move(y, 0);
	tui_fill_line(y);
	tui_put_clipped(y, 0, label);
	draw_cells(y, r, from, nr_vma_columns - 1);
	attroff(a);
}

static int draw_top_lines(const struct view_frame *f, const struct vmas_snapshot *s)
{
	char line[512], comm[FT_COMM_LEN + 1];
	int y = 0;

	fmt_printable(comm, sizeof(comm), s->comm);
	snprintf(line, sizeof(line), "faulttop - pid %d (%s): its VMAs (sizes in KiB)%s", s->tgid,
		 comm, tui_paused() ? "  PAUSED" : "");
	attron(A_BOLD);
	tui_put_clipped(y++, 0, line);
	attroff(A_BOLD);
	vmas_smaps_line(s, line, sizeof(line));
	tui_put_clipped(y++, 0, line);
	vmas_mode_line(f, line, sizeof(line));
	tui_put_clipped(y++, 0, line);
	if (s->have_process) {
		int n = snprintf(line, sizeof(line), "since the watch began: the process minflt %" PRIu64
				 " majflt %" PRIu64 "; the table minor %" PRIu64 " major %" PRIu64,
				 s->proc_minor, s->proc_major, s->total.f.minor, s->total.f.major);

		if (f->sample_pct >= 100 && !s->gone && n > 0 && (size_t)n < sizeof(line))
			snprintf(line + n, sizeof(line) - n, "; not placed %" PRId64 " / %" PRId64,
				 vmas_not_placed(s, false), vmas_not_placed(s, true));
		tui_put_clipped(y++, 0, line);
	}
	if (s->segv[0]) {
		snprintf(line, sizeof(line), "last SEGV: %s", s->segv);
		attron(A_BOLD);
		tui_put_clipped(y++, 0, line);
		attroff(A_BOLD);
	}
	if (f->vma_drops) {
		snprintf(line, sizeof(line), "LOST: %" PRIu64 " fault events of this process "
			 "(ring buffer full)", f->vma_drops);
		attron(A_REVERSE | A_BOLD);
		tui_put_clipped(y++, 0, line);
		attroff(A_REVERSE | A_BOLD);
	}
	return y;
}

static void clamp_vma_scroll(struct tui_ui *ui, int n, int page)
{
	ui->vmas_n = n;
	ui->vmas_page = page > 0 ? page : 1;
	if (ui->vmas_sel >= n)
		ui->vmas_sel = n > 0 ? n - 1 : 0;
	if (ui->vmas_sel < ui->vmas_top)
		ui->vmas_top = ui->vmas_sel;
	if (ui->vmas_sel >= ui->vmas_top + ui->vmas_page)
		ui->vmas_top = ui->vmas_sel - ui->vmas_page + 1;
	if (ui->vmas_top > n - ui->vmas_page)
		ui->vmas_top = n - ui->vmas_page > 0 ? n - ui->vmas_page : 0;
}

/* The first size and fault columns: where the pinned rows' numbers start. */
#define SIZE_FROM 4
#define FAULT_FROM 9

void tui_vmas_draw(struct tui_ui *ui, const struct view_frame *f, const struct view_state *vs,
		   bool utf8)
{
	const struct vmas_snapshot *s = f->vmas;
	struct vma_row extra;
	int y, bottom = LINES - 1 - 3;	/* three pinned rows above the status line */

	if (!s) {
		tui_put_clipped(0, 0, "faulttop - reading the process's mappings...");
		return;
	}
	y = draw_top_lines(f, s);
	draw_header(y++, vs, utf8);
	clamp_vma_scroll(ui, (int)s->n, bottom - y);
	for (int i = ui->vmas_top; y < bottom && i < (int)s->n; y++, i++) {
		attr_t a = i == ui->vmas_sel ? A_REVERSE : 0;

		attron(a);
		move(y, 0);
		if (a)
			tui_fill_line(y);
		draw_cells(y, &s->rows[i], 0, nr_vma_columns);
		attroff(a);
	}
	memset(&extra, 0, sizeof(extra));
	extra.access_unknown = s->total.access_unknown;
	extra.f = s->unmapped;
	draw_extra(LINES - 4, "(in VMAs unmapped since)", &extra, FAULT_FROM, 0);
	extra.f = s->waiting;
	draw_extra(LINES - 3, "(in mappings newer than the smaps reading)", &extra, FAULT_FROM, 0);
	draw_extra(LINES - 2, "TOTAL", &s->total, SIZE_FROM, A_BOLD);
}

const char *tui_vmas_hints(void)
{
	return "Esc back  < > sort  r reverse  arrows move  space pause  q quit";
}
