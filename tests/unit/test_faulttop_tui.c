// SPDX-License-Identifier: GPL-2.0
/* faulttop's TUI logic without a terminal: the line editor, the column
 * layout and sideways scrolling, the cursor, keys -> intents, and main's
 * side, view_state_apply. The tmux tests (tests/e2e/test_faulttop_tui.py)
 * cover the real terminal. */
#include <curses.h>
#include <limits.h>
#include <stdlib.h>
#include "argparse_util.h"
#include "tui_logic.h"
#include "unit.h"

static int col_x(const struct tui_ui *ui, int cols, int col)
{
	int idx[64], xs[64];
	int n = tui_layout(ui, cols, idx, xs, 64);

	for (int k = 0; k < n; k++)
		if (idx[k] == col)
			return xs[k];
	return -1;
}

static void type(struct line_edit *e, const char *s)
{
	for (; *s; s++)
		CHECK(line_edit_key(e, (unsigned char)*s) == LINE_EDITING);
}

static void test_line_editor(void)
{
	struct line_edit e;

	line_edit_start(&e, "ab\033c", 6);
	CHECK_STR(e.buf, "ab?c");		/* what is echoed is printable */
	type(&e, "defgh");
	CHECK_STR(e.buf, "ab?cde");		/* at most max bytes */
	CHECK(line_edit_key(&e, KEY_BACKSPACE) == LINE_EDITING);
	CHECK(line_edit_key(&e, 127) == LINE_EDITING);
	CHECK_STR(e.buf, "ab?c");
	CHECK(line_edit_key(&e, '\t') == LINE_EDITING);	/* not printable: dropped */
	CHECK_STR(e.buf, "ab?c");
	CHECK(line_edit_key(&e, TUI_KEY_CTRL_U) == LINE_EDITING);
	CHECK_STR(e.buf, "");
	CHECK(line_edit_key(&e, KEY_BACKSPACE) == LINE_EDITING);	/* empty stays empty */
	type(&e, "x");
	CHECK(line_edit_key(&e, '\n') == LINE_ACCEPTED);
	CHECK_STR(e.buf, "x");
	CHECK(line_edit_key(&e, TUI_KEY_ESC) == LINE_CANCELLED);
	line_edit_start(&e, NULL, 1000);
	CHECK(e.max == sizeof(e.buf) - 1 && !e.buf[0]);
}

static void test_layout_and_sideways_scrolling(void)
{
	struct tui_ui ui = { .nr_fixed = tui_count_fixed_columns() };
	int cols = 80, pid_w = abs(columns[0].width), comm_w = abs(columns[1].width);

	CHECK_U64(ui.nr_fixed, 2);		/* PID and COMM stay put */
	CHECK(col_x(&ui, cols, 0) == TUI_GUTTER);
	CHECK(col_x(&ui, cols, 1) == TUI_GUTTER + pid_w + 1);
	CHECK(col_x(&ui, cols, 2) == TUI_GUTTER + pid_w + 1 + comm_w + 1);
	CHECK(!tui_column_fits(&ui, cols, nr_columns - 1));
	tui_scroll_right(&ui, cols);
	CHECK_U64(ui.hscroll, 1);
	/* the first scrollable column is hidden, the next takes its place */
	CHECK(col_x(&ui, cols, 2) < 0);
	CHECK(col_x(&ui, cols, 3) == TUI_GUTTER + pid_w + 1 + comm_w + 1);
	for (int i = 0; i < 100; i++)
		tui_scroll_right(&ui, cols);
	/* stops once the last column is in full view */
	CHECK(tui_column_fits(&ui, cols, nr_columns - 1));
	ui.hscroll--;
	CHECK(!tui_column_fits(&ui, cols, nr_columns - 1));
	ui.hscroll++;
	tui_scroll_left(&ui);
	tui_scroll_left(&ui);
	CHECK(ui.hscroll > 0);
	ui.hscroll = 0;
	tui_scroll_left(&ui);
	CHECK_U64(ui.hscroll, 0);
	/* a wide screen shows everything: nothing to scroll */
	tui_scroll_right(&ui, 1000);
	CHECK_U64(ui.hscroll, 0);
}

static void test_sort_column_is_scrolled_into_view(void)
{
	struct tui_ui ui = { .nr_fixed = tui_count_fixed_columns() };
	int c = tui_sort_column(SORT_USS_TREND);

	CHECK(c > 20 && columns[c].sort == SORT_USS_TREND);
	CHECK(tui_sort_column(SORT_SEGV) == 6);	/* MAPERR: the first of three */
	tui_show_sort_column(&ui, 80, SORT_USS_TREND);
	CHECK(tui_column_fits(&ui, 80, c));
	tui_show_sort_column(&ui, 80, SORT_MINFLT_RATE);
	CHECK_U64(ui.hscroll, 0);
	tui_show_sort_column(&ui, 80, SORT_PID);	/* fixed: no scrolling needed */
	CHECK_U64(ui.hscroll, 0);
}

static struct row rows_store[5];
static struct row *rows[5];

static void make_rows(void)
{
	for (int i = 0; i < 5; i++) {
		memset(&rows_store[i], 0, sizeof(rows_store[i]));
		rows_store[i].id = 100 + i;
		rows_store[i].tgid = 100 + i;
		rows[i] = &rows_store[i];
	}
}

static void test_cursor_follows_its_process_and_scrolls(void)
{
	struct tui_ui ui = { .page = 2 };
	struct row *tmp;

	make_rows();
	ui.sel = 7;
	tui_clamp_scroll(&ui, 5);
	CHECK(ui.sel == 4 && ui.top == 3);	/* last row, page full */
	ui.sel = 0;
	tui_clamp_scroll(&ui, 5);
	CHECK(ui.top == 0);
	/* until the user moves, the cursor stays on the first row */
	tui_follow_selection(&ui, rows, 5);
	CHECK(ui.sel == 0 && !ui.sel_valid);
	ui.sel = 1;
	tui_remember_selection(&ui, rows, 5);
	CHECK(ui.sel_valid && ui.sel_id == 101);
	tmp = rows[1];
	rows[1] = rows[3];
	rows[3] = tmp;
	tui_follow_selection(&ui, rows, 5);
	CHECK_U64(ui.sel, 3);
	/* its process gone: the cursor stays at the same height */
	tui_follow_selection(&ui, rows, 2);
	CHECK_U64(ui.sel, 1);
}

static struct tui_intent key(struct tui_ui *ui, int ch, const struct view_state *vs)
{
	return tui_handle_key(ui, ch, vs, rows, 5, 80, 24);
}

static struct tui_intent type_and_enter(struct tui_ui *ui, const char *s,
					const struct view_state *vs)
{
	for (; *s; s++)
		CHECK(key(ui, (unsigned char)*s, vs).kind == TUI_NONE);
	return key(ui, '\n', vs);
}

static void test_keys_become_intents(void)
{
	struct view_state vs = { .sort = SORT_MINFLT_RATE };
	struct tui_ui ui = { .nr_fixed = 2, .page = 10 };
	struct tui_intent in;

	make_rows();
	CHECK(key(&ui, 'q', &vs).kind == TUI_QUIT);
	CHECK(key(&ui, 'r', &vs).kind == TUI_REVERSE_SORT);
	CHECK(key(&ui, 't', &vs).kind == TUI_TOGGLE_THREADS);
	in = key(&ui, '>', &vs);
	CHECK(in.kind == TUI_SET_SORT && in.sort == SORT_MAJFLT_RATE);
	in = key(&ui, '<', &vs);
	CHECK(in.kind == TUI_SET_SORT && in.sort == SORT_COMM);
	vs.sort = SORT_PID;
	CHECK(key(&ui, '<', &vs).kind == TUI_NONE);	/* nothing left of PID */
	vs.sort = SORT_SEGV;		/* MAPERR, ACCERR, BUS share a key */
	in = key(&ui, '>', &vs);
	CHECK(in.kind == TUI_SET_SORT && in.sort == SORT_MMAP_RATE);
	/* none of these asked main to write anything */
	CHECK(vs.sort == SORT_SEGV && !vs.sort_ascending && !vs.threads);
}

static void test_prompts(void)
{
	struct view_state vs = { .sort = SORT_MINFLT_RATE, .pids = { 12, 34 }, .nr_pids = 2 };
	struct tui_ui ui = { .nr_fixed = 2, .page = 10 };
	struct tui_intent in;

	make_rows();
	snprintf(vs.comm, sizeof(vs.comm), "ngi");
	CHECK(key(&ui, '/', &vs).kind == TUI_NONE);
	CHECK(ui.prompt == PROMPT_COMM);
	CHECK_STR(ui.edit.buf, "ngi");		/* to edit, not retype */
	in = type_and_enter(&ui, "nx", &vs);
	CHECK(in.kind == TUI_SET_COMM && ui.prompt == PROMPT_NONE);
	CHECK_STR(in.comm, "nginx");
	key(&ui, '/', &vs);
	key(&ui, TUI_KEY_CTRL_U, &vs);
	in = key(&ui, '\n', &vs);
	CHECK(in.kind == TUI_SET_COMM && !in.comm[0]);	/* empty clears */
	key(&ui, '/', &vs);
	CHECK(key(&ui, TUI_KEY_ESC, &vs).kind == TUI_NONE && ui.prompt == PROMPT_NONE);

	key(&ui, 'p', &vs);
	CHECK_STR(ui.edit.buf, "12,34");
	key(&ui, TUI_KEY_CTRL_U, &vs);
	in = type_and_enter(&ui, " 5, 6 ", &vs);
	CHECK(in.kind == TUI_SET_PIDS && in.nr_pids == 2 && in.pids[0] == 5 && in.pids[1] == 6);
	key(&ui, 'p', &vs);
	key(&ui, TUI_KEY_CTRL_U, &vs);
	in = type_and_enter(&ui, "12,abc", &vs);
	CHECK(in.kind == TUI_NONE);
	CHECK_STR(ui.status, "not a PID: 'abc' - filter unchanged");
	key(&ui, 'p', &vs);
	key(&ui, TUI_KEY_CTRL_U, &vs);
	in = key(&ui, '\n', &vs);
	CHECK(in.kind == TUI_SET_PIDS && in.nr_pids == 0);

	key(&ui, 's', &vs);
	in = type_and_enter(&ui, "RSS", &vs);
	CHECK(in.kind == TUI_SET_SORT && in.sort == SORT_RSS);
	key(&ui, 's', &vs);
	in = type_and_enter(&ui, "uss/s", &vs);
	CHECK(in.kind == TUI_SET_SORT && in.sort == SORT_USS_TREND);
	key(&ui, 's', &vs);
	CHECK(type_and_enter(&ui, "nosuch", &vs).kind == TUI_NONE);
	CHECK_STR(ui.status, "no sortable column 'nosuch' (h lists them)");
	/* the next key clears the message */
	key(&ui, KEY_DOWN, &vs);
	CHECK_STR(ui.status, "");
}

static void test_pick_pid_help_pause_and_navigation(void)
{
	struct view_state vs = { .sort = SORT_MINFLT_RATE };
	struct tui_ui ui = { .nr_fixed = 2, .page = 3 };
	struct tui_intent in;

	make_rows();
	rows_store[2].tgid = 7;			/* a thread of process 7 */
	CHECK(key(&ui, KEY_DOWN, &vs).kind == TUI_NONE);
	key(&ui, KEY_DOWN, &vs);
	CHECK(ui.sel == 2 && ui.sel_valid && ui.sel_id == 102);
	in = key(&ui, 'P', &vs);
	CHECK(in.kind == TUI_SET_PIDS && in.nr_pids == 1 && in.pids[0] == 7);
	vs.pids[0] = 7;
	vs.nr_pids = 1;
	in = key(&ui, 'P', &vs);			/* again: clears */
	CHECK(in.kind == TUI_SET_PIDS && in.nr_pids == 0);
	key(&ui, KEY_END, &vs);
	CHECK_U64(ui.sel, 4);
	key(&ui, KEY_PPAGE, &vs);
	CHECK_U64(ui.sel, 2);			/* a page is page - 1 rows */
	key(&ui, KEY_HOME, &vs);
	CHECK(ui.sel == 0 && !ui.sel_valid);
	key(&ui, KEY_RIGHT, &vs);
	CHECK_U64(ui.hscroll, 1);
	key(&ui, KEY_LEFT, &vs);
	CHECK_U64(ui.hscroll, 0);

	CHECK(key(&ui, 'h', &vs).kind == TUI_NONE && ui.help);
	key(&ui, KEY_DOWN, &vs);		/* scrolls the help (24 lines: it is longer) */
	CHECK(ui.help && ui.help_top == 1);
	CHECK(key(&ui, 'q', &vs).kind == TUI_NONE && !ui.help);	/* any key leaves help */

	CHECK(key(&ui, ' ', &vs).kind == TUI_NONE && ui.paused);
	CHECK(key(&ui, ' ', &vs).kind == TUI_REDRAW && !ui.paused);
}

static void test_help_pages(void)
{
	struct tui_ui ui = { .help_top = 1000 };
	char line[256];

	CHECK(tui_help_lines() > nr_columns);
	tui_help_line(0, line, sizeof(line));
	CHECK_STR(line, "Keys");
	tui_help_line(tui_help_lines() - 1, line, sizeof(line));
	CHECK(strstr(line, columns[nr_columns - 1].name) != NULL);
	tui_clamp_help(&ui, 24);
	CHECK_U64(ui.help_top, tui_help_lines() - tui_help_page(24));
	CHECK_U64(tui_help_page(2), 1);
}

static void test_main_applies_intents(void)
{
	struct faulttop_config cfg = { .sort = SORT_USS, .threads = true, .pids = { 9 }, .nr_pids = 1,
				       .comm = "db" };
	struct view_state vs;
	struct tui_intent in = { .kind = TUI_SET_SORT, .sort = SORT_PID };

	view_state_init(&vs, &cfg);
	CHECK(vs.sort == SORT_USS && vs.threads && vs.nr_pids == 1 && vs.pids[0] == 9);
	CHECK_STR(vs.comm, "db");
	CHECK(view_state_apply(&vs, &in));
	CHECK(vs.sort == SORT_PID && vs.sort_ascending);	/* names and PIDs A-Z */
	in.sort = SORT_RSS;
	view_state_apply(&vs, &in);
	CHECK(vs.sort == SORT_RSS && !vs.sort_ascending);	/* numbers biggest first */
	in.kind = TUI_REVERSE_SORT;
	view_state_apply(&vs, &in);
	CHECK(vs.sort_ascending);
	in.kind = TUI_SET_SORT;				/* the same key keeps the order */
	view_state_apply(&vs, &in);
	CHECK(vs.sort_ascending);
	in.kind = TUI_TOGGLE_THREADS;
	view_state_apply(&vs, &in);
	CHECK(!vs.threads);
	in = (struct tui_intent){ .kind = TUI_SET_COMM, .comm = "web" };
	view_state_apply(&vs, &in);
	CHECK_STR(vs.comm, "web");
	in = (struct tui_intent){ .kind = TUI_SET_PIDS, .pids = { 1, 2, 3 }, .nr_pids = 3 };
	view_state_apply(&vs, &in);
	CHECK(vs.nr_pids == 3 && vs.pids[2] == 3);
	in = (struct tui_intent){ .kind = TUI_NONE };
	CHECK(!view_state_apply(&vs, &in));
	in.kind = TUI_REDRAW;
	CHECK(view_state_apply(&vs, &in));
	/* the config is untouched by all of it */
	CHECK(cfg.sort == SORT_USS && cfg.threads && cfg.nr_pids == 1);
}

static void test_pid_list_rule(void)
{
	pid_t p[4];
	const char *bad = NULL;
	size_t len = 0;

	CHECK(argparse_pid_list("12, 34,56", p, 4, &bad, &len) == 3 && p[2] == 56);
	CHECK(argparse_pid_list(" 7 ", p, 4, &bad, &len) == 1 && p[0] == 7);
	CHECK(argparse_pid_list("1,,2", p, 4, &bad, &len) == -EINVAL && len == 0);
	CHECK(argparse_pid_list("", p, 4, &bad, &len) == -EINVAL && len == 0);
	CHECK(argparse_pid_list("1, ", p, 4, &bad, &len) == -EINVAL && len == 0);
	CHECK(argparse_pid_list("12, abc ,3", p, 4, &bad, &len) == -EINVAL);
	CHECK(len == 3 && !strncmp(bad, "abc", 3));
	CHECK(argparse_pid_list("0", p, 4, &bad, &len) == -EINVAL);
	CHECK(argparse_pid_list("+5", p, 4, &bad, &len) == -EINVAL);
	CHECK(argparse_pid_list("-5", p, 4, &bad, &len) == -EINVAL);
	CHECK(argparse_pid_list("2147483647", p, 4, &bad, &len) == 1 && p[0] == INT_MAX);
	CHECK(argparse_pid_list("2147483648", p, 4, &bad, &len) == -EINVAL);
	CHECK(argparse_pid_list("1,2,3,4,5", p, 4, &bad, &len) == -E2BIG);
}

int main(void)
{
	RUN(test_line_editor);
	RUN(test_layout_and_sideways_scrolling);
	RUN(test_sort_column_is_scrolled_into_view);
	RUN(test_cursor_follows_its_process_and_scrolls);
	RUN(test_keys_become_intents);
	RUN(test_prompts);
	RUN(test_pick_pid_help_pause_and_navigation);
	RUN(test_help_pages);
	RUN(test_main_applies_intents);
	RUN(test_pid_list_rule);
	UNIT_EXIT();
}
