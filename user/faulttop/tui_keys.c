// SPDX-License-Identifier: GPL-2.0
/* The TUI's keys -> actions: the TUI's own state changes in struct tui_ui;
 * what changes the rows shown comes back as an intent for main. */
#include <ctype.h>
#include <curses.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "argparse_util.h"
#include "tui_logic.h"

/* Everything a key may need besides the TUI's own state. */
struct key_ctx {
	struct tui_ui *ui;
	const struct view_state *vs;
	struct row *const *rows;
	int nr_rows, cols, lines;
};

static const struct tui_intent nothing = { .kind = TUI_NONE };

static struct tui_intent intent(enum tui_intent_kind kind)
{
	struct tui_intent in = { .kind = kind };

	return in;
}

static void set_status(struct tui_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_status(struct tui_ui *ui, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ui->status, sizeof(ui->status), fmt, ap);
	va_end(ap);
}

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

static const struct row *selected_row(const struct key_ctx *k)
{
	int sel = k->ui->sel;

	return sel >= 0 && sel < k->nr_rows ? k->rows[sel] : NULL;
}

/* ---- keys that change the selection ------------------------------------------ */

static struct tui_intent sort_by(enum sort_key key)
{
	struct tui_intent in = intent(TUI_SET_SORT);

	in.sort = key;
	return in;
}

/* '<' '>': the next column left or right with a different sort key
 * (MAPERR, ACCERR and BUS share one). */
static struct tui_intent move_sort(const struct key_ctx *k, int dir)
{
	int c = tui_sort_column(k->vs->sort);

	if (c < 0)
		c = dir > 0 ? -1 : nr_columns;
	for (int i = c + dir; i >= 0 && i < nr_columns; i += dir)
		if (columns[i].sort != SORT_MAX && columns[i].sort != k->vs->sort)
			return sort_by(columns[i].sort);
	return nothing;
}

static int parse_sort_name(const char *s)
{
	for (int i = 0; i < nr_columns; i++)
		if (columns[i].sort != SORT_MAX && strcasecmp(s, columns[i].name) == 0)
			return columns[i].sort;
	return sort_key_parse(s);
}

static struct tui_intent accept_sort(struct tui_ui *ui, char *buf)
{
	int key;

	trim(buf);
	if (!buf[0])
		return nothing;
	key = parse_sort_name(buf);
	if (key < 0 || key >= SORT_MAX) {
		set_status(ui, "no sortable column '%s' (h lists them)", buf);
		return nothing;
	}
	return sort_by((enum sort_key)key);
}

static struct tui_intent accept_comm(const char *buf)
{
	struct tui_intent in = intent(TUI_SET_COMM);

	snprintf(in.comm, sizeof(in.comm), "%s", buf);
	return in;
}

static struct tui_intent accept_pids(struct tui_ui *ui, char *buf)
{
	struct tui_intent in = intent(TUI_SET_PIDS);
	const char *bad = NULL;
	size_t bad_len = 0;
	int n;

	trim(buf);
	if (!buf[0])
		return in;	/* empty clears */
	n = argparse_pid_list(buf, in.pids, MAX_PIDS, &bad, &bad_len);
	if (n == -E2BIG) {
		set_status(ui, "too many PIDs: at most %d", MAX_PIDS);
		return nothing;
	}
	if (n < 0) {
		set_status(ui, "not a PID: '%.*s' - filter unchanged",
			   (int)(bad_len < 40 ? bad_len : 40), bad);
		return nothing;
	}
	in.nr_pids = n;
	return in;
}

static void pids_to_text(const struct view_state *vs, char *buf, size_t size)
{
	int n = 0;

	buf[0] = '\0';
	for (int i = 0; i < vs->nr_pids && n < (int)size; i++)
		n += snprintf(buf + n, size - n, "%s%d", i ? "," : "", vs->pids[i]);
}

/* 'P': follow the selected process (its tgid in thread mode); again clears. */
/* An intent naming the selected row's process (its tgid in thread mode). */
static struct tui_intent for_selected_process(const struct key_ctx *k, enum tui_intent_kind kind)
{
	const struct row *r = selected_row(k);
	struct tui_intent in = intent(kind);

	if (!r) {
		set_status(k->ui, "no row selected");
		return nothing;
	}
	in.pids[0] = r->tgid ? r->tgid : r->id;
	in.nr_pids = 1;
	return in;
}

static struct tui_intent pick_pid(const struct key_ctx *k)
{
	const struct row *r = selected_row(k);

	if (k->vs->nr_pids == 1 && (!r || k->vs->pids[0] == (r->tgid ? r->tgid : r->id)))
		return intent(TUI_SET_PIDS);	/* clears */
	return for_selected_process(k, TUI_SET_PIDS);
}

/* Enter: the selected process's screen. */
static struct tui_intent show_vmas(const struct key_ctx *k)
{
	return for_selected_process(k, TUI_SHOW_VMAS);
}

/* ---- prompts ------------------------------------------------------------------ */

/* Opens a prompt; initial is the current value, to edit rather than retype. */
static void open_prompt(struct tui_ui *ui, enum tui_prompt kind, const char *label,
			const char *initial, size_t max)
{
	ui->prompt = kind;
	ui->prompt_label = label;
	line_edit_start(&ui->edit, initial, max);
}

static struct tui_intent prompt_key(struct tui_ui *ui, int ch)
{
	char buf[sizeof(ui->edit.buf)];
	enum tui_prompt kind = ui->prompt;

	switch (line_edit_key(&ui->edit, ch)) {
	case LINE_EDITING: return nothing;
	case LINE_CANCELLED: ui->prompt = PROMPT_NONE; return nothing;
	case LINE_ACCEPTED: break;
	}
	snprintf(buf, sizeof(buf), "%s", ui->edit.buf);
	ui->prompt = PROMPT_NONE;
	switch (kind) {
	case PROMPT_SORT: return accept_sort(ui, buf);
	case PROMPT_COMM: return accept_comm(buf);
	case PROMPT_PIDS: return accept_pids(ui, buf);
	case PROMPT_NONE: break;
	}
	return nothing;
}

/* ---- key dispatch ------------------------------------------------------------ */

static void move_cursor(const struct key_ctx *k, int delta)
{
	struct tui_ui *ui = k->ui;
	int n = k->nr_rows;

	if (n == 0)
		return;
	if (delta < 0 && ui->sel < -delta)
		ui->sel = 0;
	else if (delta > 0 && ui->sel > n - 1 - delta)
		ui->sel = n - 1;
	else
		ui->sel += delta;
	tui_remember_selection(ui, k->rows, n);
}

/* Cursor and sideways scrolling: only the TUI's own state. */
static bool navigation_key(const struct key_ctx *k, int ch)
{
	struct tui_ui *ui = k->ui;
	int page = ui->page > 1 ? ui->page - 1 : 1;

	switch (ch) {
	case KEY_UP: move_cursor(k, -1); break;
	case KEY_DOWN: move_cursor(k, 1); break;
	case KEY_PPAGE: move_cursor(k, -page); break;
	case KEY_NPAGE: move_cursor(k, page); break;
	case KEY_HOME:
		/* Back at the top the cursor stays on the first row again. */
		ui->sel = 0;
		ui->sel_valid = false;
		break;
	case KEY_END: move_cursor(k, INT_MAX / 2); break;
	case KEY_LEFT: tui_scroll_left(ui); break;
	case KEY_RIGHT: tui_scroll_right(ui, k->cols); break;
	default: return false;
	}
	return true;
}

static void help_key(const struct key_ctx *k, int ch)
{
	struct tui_ui *ui = k->ui;
	int page = tui_help_page(k->lines);

	if (tui_help_lines() > page) {
		switch (ch) {
		case KEY_UP: ui->help_top--; return;
		case KEY_DOWN: ui->help_top++; return;
		case KEY_PPAGE: ui->help_top -= page; return;
		case KEY_NPAGE: ui->help_top += page; return;
		}
	}
	ui->help = false;
}

static struct tui_intent toggle_pause(struct tui_ui *ui)
{
	ui->paused = !ui->paused;
	/* Resuming: show fresh numbers now rather than at the next interval. */
	return ui->paused ? nothing : intent(TUI_REDRAW);
}

static struct tui_intent command_key(const struct key_ctx *k, int ch)
{
	struct tui_ui *ui = k->ui;

	switch (ch) {
	case 'q': case 'Q': return intent(TUI_QUIT);
	case 'h': case '?': ui->help = true; ui->help_top = 0; return nothing;
	case 'b': ui->books = !ui->books; return nothing;
	case ' ': return toggle_pause(ui);
	case '<': return move_sort(k, -1);
	case '>': return move_sort(k, 1);
	case 's': open_prompt(ui, PROMPT_SORT, "sort by column: ", "", 31); break;
	case 'r': return intent(TUI_REVERSE_SORT);
	case 't': return intent(TUI_TOGGLE_THREADS);
	case '/':
		/* longer than a comm could never match */
		open_prompt(ui, PROMPT_COMM, "comm contains (empty clears): ", k->vs->comm,
			    FT_COMM_LEN - 1);
		break;
	case 'p': {
		char cur[sizeof(ui->edit.buf)];

		pids_to_text(k->vs, cur, sizeof(cur));
		open_prompt(ui, PROMPT_PIDS, "PIDs, comma-separated (empty clears): ", cur,
			    sizeof(ui->edit.buf) - 1);
		break;
	}
	case 'P': return pick_pid(k);
	case '\n': case '\r': case KEY_ENTER: return show_vmas(k);
	}
	return nothing;
}

struct tui_intent tui_handle_key(struct tui_ui *ui, int ch, const struct view_state *vs,
				 struct row *const *rows, int nr_rows, int cols, int lines)
{
	const struct key_ctx k = { ui, vs, rows, nr_rows, cols, lines };

	if (ch == KEY_RESIZE) {
		/* ncurses has already resized the screen; lay out again. */
		tui_clamp_help(ui, lines);
		return nothing;
	}
	if (ui->prompt)
		return prompt_key(ui, ch);
	if (ui->help) {
		help_key(&k, ch);
		return nothing;
	}
	ui->status[0] = '\0';
	if (vs->vmas_pid) {
		struct tui_intent in;

		if (tui_vmas_key(ui, ch, vs, &in))
			return in;
	}
	if (navigation_key(&k, ch))
		return nothing;
	return command_key(&k, ch);
}
