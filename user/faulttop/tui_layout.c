// SPDX-License-Identifier: GPL-2.0
/* The TUI's layout: which columns are on screen, sideways scrolling, the
 * cursor and the help pages. No terminal here: the screen size comes in. */
#include <stdio.h>
#include <stdlib.h>
#include "tui_logic.h"

static int col_width(int i)
{
	return abs(columns[i].width);
}

int tui_count_fixed_columns(void)
{
	for (int i = 0; i < nr_columns && i < 3; i++)
		if (columns[i].sort == SORT_COMM)
			return i + 1;
	return nr_columns > 0 && columns[0].sort == SORT_PID ? 1 : 0;
}

int tui_layout(const struct tui_ui *ui, int cols, int *idx, int *xs, int max)
{
	int n = 0, x = TUI_GUTTER;

	for (int i = 0; i < nr_columns && n < max && x < cols; i++) {
		if (i >= ui->nr_fixed && i < ui->nr_fixed + ui->hscroll)
			continue;
		idx[n] = i;
		xs[n++] = x;
		x += col_width(i) + 1;
	}
	return n;
}

bool tui_column_fits(const struct tui_ui *ui, int cols, int c)
{
	int idx[TUI_MAX_COLUMNS], xs[TUI_MAX_COLUMNS];
	int n = tui_layout(ui, cols, idx, xs, TUI_MAX_COLUMNS);

	for (int k = 0; k < n; k++)
		if (idx[k] == c)
			return xs[k] + col_width(c) <= cols;
	return false;
}

static int max_hscroll(const struct tui_ui *ui)
{
	int m = nr_columns - ui->nr_fixed - 1;

	return m > 0 ? m : 0;
}

void tui_scroll_right(struct tui_ui *ui, int cols)
{
	/* Nothing more to reveal once the last column is fully shown. */
	if (ui->hscroll < max_hscroll(ui) && !tui_column_fits(ui, cols, nr_columns - 1))
		ui->hscroll++;
}

void tui_scroll_left(struct tui_ui *ui)
{
	if (ui->hscroll > 0)
		ui->hscroll--;
}

int tui_sort_column(enum sort_key k)
{
	for (int i = 0; i < nr_columns; i++)
		if (columns[i].sort == k)
			return i;
	return -1;
}

/* Moving the sort onto a column you can't see would look like nothing
 * happened. */
void tui_show_sort_column(struct tui_ui *ui, int cols, enum sort_key k)
{
	int c = tui_sort_column(k);

	if (c < ui->nr_fixed)
		return;
	if (c < ui->nr_fixed + ui->hscroll)
		ui->hscroll = c - ui->nr_fixed;
	while (!tui_column_fits(ui, cols, c) && ui->hscroll < c - ui->nr_fixed)
		ui->hscroll++;
}

void tui_clamp_scroll(struct tui_ui *ui, int n)
{
	int page = ui->page > 0 ? ui->page : 1;

	if (ui->sel >= n)
		ui->sel = n - 1;
	if (ui->sel < 0)
		ui->sel = 0;
	if (ui->sel < ui->top)
		ui->top = ui->sel;
	if (ui->sel >= ui->top + page)
		ui->top = ui->sel - page + 1;
	/* No empty space below the last row while rows are scrolled off above. */
	if (ui->top > n - page)
		ui->top = n - page;
	if (ui->top < 0)
		ui->top = 0;
	if (ui->hscroll > max_hscroll(ui))
		ui->hscroll = max_hscroll(ui);
}

/* Like htop; until the user moves, the cursor stays on the first row. */
void tui_follow_selection(struct tui_ui *ui, struct row *const *rows, int n)
{
	if (ui->sel_valid)
		for (int i = 0; i < n; i++)
			if (rows[i]->id == ui->sel_id) {
				ui->sel = i;
				return;
			}
	if (ui->sel >= n)
		ui->sel = n - 1;
	if (ui->sel < 0)
		ui->sel = 0;
}

void tui_remember_selection(struct tui_ui *ui, struct row *const *rows, int n)
{
	const struct row *r = ui->sel >= 0 && ui->sel < n ? rows[ui->sel] : NULL;

	ui->sel_valid = r != NULL;
	if (r)
		ui->sel_id = r->id;
}

/* ---- help ------------------------------------------------------------------- */

static const char *const help_keys[] = {
	"Keys",
	"  q Q            quit",
	"  h ?            this help (any key leaves; arrows scroll it)",
	"  space          pause / resume the display (collection goes on)",
	"  b              the books: memory by bucket, slab caches, zones (b returns)",
	"  < >            sort by the previous / next sortable column",
	"  s              sort by a column named at the prompt",
	"  r              reverse the sort order",
	"  t              processes / threads",
	"  /              filter by a substring of comm (empty clears)",
	"  p              filter by PIDs, comma-separated (empty clears)",
	"  P              filter by the selected row's PID (again clears)",
	"  Enter          the selected process's VMAs and their faults (Esc back)",
	"  Up Down PgUp PgDn Home End   move the cursor",
	"  Left Right     scroll the columns after PID and COMM",
	"  in a prompt:   Enter accepts, Esc cancels, Backspace, Ctrl-U clears",
	"",
	"'x' left of a row: the process exited during the interval (shown once more).",
	"LOST EVENTS: the ring buffer or a map was full; counts are undercounted.",
	"",
	"Columns",
};

#define NR_HELP_KEYS ((int)(sizeof(help_keys) / sizeof(help_keys[0])))

int tui_help_lines(void)
{
	return NR_HELP_KEYS + nr_columns;
}

void tui_help_line(int i, char *buf, size_t size)
{
	if (i < NR_HELP_KEYS) {
		snprintf(buf, size, "%s", help_keys[i]);
		return;
	}
	i -= NR_HELP_KEYS;
	snprintf(buf, size, "  %-9s %s%s", columns[i].name, columns[i].help,
		 columns[i].sort == SORT_MAX ? "" : "  (sortable)");
}

int tui_help_page(int lines)
{
	return lines - 2 > 1 ? lines - 2 : 1;
}

void tui_clamp_help(struct tui_ui *ui, int lines)
{
	int max = tui_help_lines() - tui_help_page(lines);

	if (ui->help_top > max)
		ui->help_top = max;
	if (ui->help_top < 0)
		ui->help_top = 0;
}
