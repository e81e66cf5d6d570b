/* SPDX-License-Identifier: GPL-2.0 */
/* The TUI's logic without the terminal: column layout and scrolling, the
 * cursor, the help pages, the line editor of the bottom-line prompts, and
 * key -> action. All plain functions over struct tui_ui and the screen size,
 * unit-tested in tests/unit/test_faulttop_tui.c; view_tui.c draws the result
 * with ncurses. Keys are ncurses key codes (KEY_UP, ...). */
#ifndef FAULTTOP_TUI_LOGIC_H
#define FAULTTOP_TUI_LOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "view.h"

#define TUI_GUTTER	1	/* one column left of PID for the exited mark */
#define TUI_KEY_ESC	27
#define TUI_KEY_CTRL_U	21
#define TUI_MAX_COLUMNS	64	/* more than the column table has */

/* ---- the line editor ---------------------------------------------------------- */

struct line_edit {
	char buf[256];
	size_t max;		/* longest useful input (< sizeof(buf)) */
};

enum line_edit_result { LINE_EDITING, LINE_ACCEPTED, LINE_CANCELLED };

/* Starts with initial (made printable), at most max bytes kept. */
void line_edit_start(struct line_edit *e, const char *initial, size_t max);
/* Enter accepts, Esc cancels, Backspace, Ctrl-U clears; printable ASCII
 * only, so what is kept is safe to echo. */
enum line_edit_result line_edit_key(struct line_edit *e, int ch);

/* ---- the TUI's own state ---------------------------------------------------------- */

enum tui_prompt { PROMPT_NONE, PROMPT_SORT, PROMPT_COMM, PROMPT_PIDS };

struct tui_ui {
	bool paused;
	bool help;		/* the help screen is up */
	bool books;		/* the memory screen (the books) is up: 'b' */
	int help_top;		/* first help line shown */

	/* cursor and scrolling */
	int sel;		/* selected row index */
	pid_t sel_id;		/* ... and its id, to follow it across frames */
	bool sel_valid;		/* follow sel_id: set once the user moves */
	int top;		/* first row shown */
	int page;		/* rows that fit, from the last layout */
	int hscroll;		/* scrollable columns hidden on the left */
	int nr_fixed;		/* leading columns that never scroll (PID, COMM) */
	enum sort_key shown_sort;	/* the sort the scrolling last followed */

	char status[256];	/* one-shot message for the bottom line */

	/* The prompt being typed on the bottom line, if any. It is a mode of
	 * tui_wait rather than a loop of its own, so main goes on draining
	 * the ring buffer while the user types. */
	enum tui_prompt prompt;
	const char *prompt_label;
	struct line_edit edit;

	/* the process screen (view_tui_vmas.c): cursor, scrolling, rows */
	int vmas_sel, vmas_top, vmas_page, vmas_n;
};

/* ---- layout ------------------------------------------------------------------------ */

/* PID and COMM stay put while the other columns scroll sideways. */
int tui_count_fixed_columns(void);
/* The columns on a screen cols wide, left to right, and where each starts.
 * Returns how many start before the right edge. */
int tui_layout(const struct tui_ui *ui, int cols, int *idx, int *xs, int max);
/* True when column c is entirely on screen. */
bool tui_column_fits(const struct tui_ui *ui, int cols, int c);
void tui_scroll_right(struct tui_ui *ui, int cols);
void tui_scroll_left(struct tui_ui *ui);
/* The first column that sorts by k, or -1. */
int tui_sort_column(enum sort_key k);
/* Scrolls sideways so that the column sorting by k can be seen. */
void tui_show_sort_column(struct tui_ui *ui, int cols, enum sort_key k);
/* Keeps the cursor on a row and the page full, given nr_rows rows. */
void tui_clamp_scroll(struct tui_ui *ui, int nr_rows);
/* After a new frame: the cursor stays on the process it was on, if the user
 * moved it and the process is still shown; else at the same height. */
void tui_follow_selection(struct tui_ui *ui, struct row *const *rows, int nr_rows);
void tui_remember_selection(struct tui_ui *ui, struct row *const *rows, int nr_rows);

/* ---- help ---------------------------------------------------------------------------- */

int tui_help_lines(void);
void tui_help_line(int i, char *buf, size_t size);
/* Help lines that fit on a screen lines high. */
int tui_help_page(int lines);
void tui_clamp_help(struct tui_ui *ui, int lines);

/* ---- keys -> actions ------------------------------------------------------------------ */

/* Handles one key. Returns what main must do: an intent to apply to its
 * view state (TUI_SET_*), TUI_REDRAW (show fresh rows), TUI_QUIT or
 * TUI_NONE; the TUI's own state (cursor, help, prompt, status) changes in
 * ui. vs is read only: what is shown now. */
struct tui_intent tui_handle_key(struct tui_ui *ui, int ch, const struct view_state *vs,
				 struct row *const *rows, int nr_rows, int cols, int lines);

/* ---- the process screen (view_tui_vmas.c) ------------------------------------------ */

/* A key on the process screen: true and *out when it was one of its own
 * (Esc, sorting, the cursor), false for the process list's (q, h, space). */
bool tui_vmas_key(struct tui_ui *ui, int ch, const struct view_state *vs, struct tui_intent *out);
void tui_vmas_draw(struct tui_ui *ui, const struct view_frame *f, const struct view_state *vs,
		   bool utf8);
const char *tui_vmas_hints(void);
/* view_tui.c's drawing helpers: text clipped at the right edge; the rest
 * of line y in the current attributes. */
void tui_put_clipped(int y, int x, const char *s);
void tui_fill_line(int y);

#endif
