// SPDX-License-Identifier: GPL-2.0
/* faulttop's interactive view: a top-like screen drawn with ncursesw.
 *
 * The main loop owns the data and the view state; this file owns the
 * terminal. main calls tui_draw once per interval with a frame and tui_wait
 * in short slices in between. What keys do is decided in tui_keys.c (plain
 * functions, unit-tested): the TUI's own state (cursor, help, prompt) changes
 * here, what changes the rows shown (sort, filters, threads) goes back to
 * main as an intent, which main applies to its view state before it selects
 * and draws again. This file draws and reads keys.
 *
 * We keep our own copy of the last frame's rows: while paused main keeps
 * closing intervals, which frees the rows array a frame points into, yet a
 * resize or a cursor move must still redraw the frozen screen. */
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curses.h>

#include "clock.h"
#include "fmt.h"
#include "tui_logic.h"
#include "vec.h"
#include "view.h"
#include "view_tui_books.h"

#define PAIR_ALERT	1

static struct {
	bool active;		/* between tui_init and tui_fini */
	bool utf8;		/* the terminal can show the sort arrows */
	bool colors;
	const struct view_state *vs;	/* main's; read only */
	struct tui_ui ui;		/* cursor, help, prompt, status */

	/* the last frame, with rows copied (see the top of the file) */
	bool have_frame;
	struct view_frame frame;
	struct row *rows;
	struct row **row_ptrs;
	size_t rows_cap, ptrs_cap;

	struct sigaction old_cont;
	bool cont_installed;
} tui;

/* Set by SIGCONT: after a Ctrl-Z and fg, getch returns ERR/EINTR just as it
 * does for SIGINT, and that must not read as "quit". */
static volatile sig_atomic_t resumed;

static void on_sigcont(int sig)
{
	(void)sig;
	resumed = 1;
}

/* ---- small helpers --------------------------------------------------------- */

/* Prints s at (y, x) clipped to the screen's right edge: addnstr would
 * otherwise wrap onto the next line. s must be single-byte text. */
static void put_clipped(int y, int x, const char *s)
{
	if (x >= COLS || y >= LINES || y < 0)
		return;
	mvaddnstr(y, x, s, COLS - x);
}

void tui_put_clipped(int y, int x, const char *s)
{
	put_clipped(y, x, s);
}

/* Clears from the cursor to the end of the line with the current
 * attributes, so a reverse-video bar spans the whole width. */
static void fill_line(int y)
{
	int cy, cx;

	getyx(stdscr, cy, cx);
	if (cy != y)
		return;
	for (; cx < COLS; cx++)
		addch(' ');
}

static long ms_now(void)
{
	return (long)(monotonic_ns() / 1000000);
}

void tui_fill_line(int y)
{
	fill_line(y);
}

/* ---- the last frame -------------------------------------------------------- */

static bool reserve_rows(int n)
{
	while ((size_t)n > tui.rows_cap) {
		struct row *r = vec_reserve(tui.rows, &tui.rows_cap, tui.rows_cap, sizeof(*r));

		if (!r)
			return false;
		tui.rows = r;
	}
	while ((size_t)n > tui.ptrs_cap) {
		/* an array of pointers, sized as one */
		// NOLINTNEXTLINE(bugprone-sizeof-expression)
		struct row **p = vec_reserve(tui.row_ptrs, &tui.ptrs_cap, tui.ptrs_cap, sizeof(*p));

		if (!p)
			return false;
		tui.row_ptrs = p;
	}
	return true;
}

static void keep_frame(const struct view_frame *f)
{
	int n = f->nr_rows > 0 ? f->nr_rows : 0;

	/* Out of memory: show as many rows as we could keep rather than none. */
	if (!reserve_rows(n))
		n = (int)(tui.rows_cap < tui.ptrs_cap ? tui.rows_cap : tui.ptrs_cap);
	for (int i = 0; i < n; i++) {
		tui.rows[i] = *f->rows[i];
		tui.row_ptrs[i] = &tui.rows[i];
	}
	tui.frame = *f;
	tui.frame.rows = tui.row_ptrs;
	tui.frame.nr_rows = n;
	tui.have_frame = true;
}

/* ---- drawing ------------------------------------------------------------- */

static void draw_summary(int y, const struct view_frame *f)
{
	const struct sys_totals *s = &f->sys;
	double iv = s->interval_s > 0 ? s->interval_s : 1;
	char clock[16] = "--:--:--", fl[16], mj[16], line[256];
	time_t t = (time_t)f->wall_time;
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(clock, sizeof(clock), "%H:%M:%S", &tm) == 0)
		snprintf(clock, sizeof(clock), "--:--:--");
	fmt_count(fl, sizeof(fl), (double)s->faults / iv);
	fmt_count(mj, sizeof(mj), (double)s->major / iv);
	snprintf(line, sizeof(line),
		 "faulttop - %s  faults/s %s  major/s %s  SEGV %llu (total %llu)  "
		 "SIGBUS %llu  procs %d threads %d",
		 clock, fl, mj, (unsigned long long)s->segv,
		 (unsigned long long)s->segv_total, (unsigned long long)s->sigbus,
		 s->nr_procs, s->nr_threads);
	put_clipped(y, 0, line);
	if (tui.ui.paused) {
		int x = (int)strlen(line) + 2;

		attron(A_REVERSE | A_BOLD);
		put_clipped(y, x, "PAUSED");
		attroff(A_REVERSE | A_BOLD);
	}
}

static void draw_memory(int y, const struct view_frame *f)
{
	const struct meminfo *m = &f->sys.mem;
	char av[16], sl[16], sr[16], su[16], line[128];

	snprintf(line, sizeof(line), "Mem avail %s  Slab %s  SReclaimable %s  SUnreclaim %s",
		 fmt_bytes(av, sizeof(av), m->mem_available), fmt_bytes(sl, sizeof(sl), m->slab),
		 fmt_bytes(sr, sizeof(sr), m->sreclaimable), fmt_bytes(su, sizeof(su), m->sunreclaim));
	put_clipped(y, 0, line);
}

static void draw_mode(int y, const struct view_frame *f)
{
	char line[320], note[160];
	int n;

	if (f->sample_pct >= 100)
		n = snprintf(line, sizeof(line), "precise: every fault classified");
	else
		n = snprintf(line, sizeof(line), "counts exact; %s sampled %d%% of time",
			     sampled_what(f), f->sample_pct);
	if (!f->has_syscalls && n < (int)sizeof(line))
		n += snprintf(line + n, sizeof(line) - n, "; mmap/brk columns off");
	if (f->no_access_why && n < (int)sizeof(line))
		n += snprintf(line + n, sizeof(line) - n, "%s", access_note(f, note, sizeof(note)));
	if (n < (int)sizeof(line))
		snprintf(line + n, sizeof(line) - n, "; %s, sort %s %s",
			 f->threads ? "threads" : "processes", sort_key_name(tui.vs->sort),
			 tui.vs->sort_ascending ? "ascending" : "descending");
	put_clipped(y, 0, line);
}

/* Lost events make every number on screen an undercount: say so loudly. */
static void draw_lost(int y, const struct view_frame *f)
{
	char line[128];
	attr_t a = A_REVERSE | A_BOLD | (tui.colors ? COLOR_PAIR(PAIR_ALERT) : 0);

	snprintf(line, sizeof(line), "LOST EVENTS: %llu ring-buffer drops, %llu map-full",
		 (unsigned long long)f->sys.drops, (unsigned long long)f->sys.map_full);
	attron(a);
	put_clipped(y, 0, line);
	attroff(a);
}

static const char *sort_arrow(void)
{
	if (tui.utf8)
		return tui.vs->sort_ascending ? "\xe2\x96\xb2" : "\xe2\x96\xbc";	/* ▲ ▼ */
	return tui.vs->sort_ascending ? "^" : "v";
}

/* One header cell: the name aligned like the cells below it, and for the
 * sort column an arrow on the name's open side: right of a left-aligned
 * name, left of a right-aligned one (in the gap if the name fills it). */
static void draw_header_cell(int y, int x, int c)
{
	int w = abs(columns[c].width), len = (int)strlen(columns[c].name);
	bool sorted = columns[c].sort == tui.vs->sort;
	bool left = columns[c].width < 0;
	int nx = left ? x : x + (w > len ? w - len : 0);
	int ax = left ? nx + len : nx - 1;

	if (sorted)
		attron(A_BOLD);
	put_clipped(y, nx, columns[c].name);
	if (sorted && ax >= 0 && ax < COLS)
		mvaddstr(y, ax, sort_arrow());
	if (sorted)
		attroff(A_BOLD);
}

static void draw_table_header(int y)
{
	int idx[TUI_MAX_COLUMNS], xs[TUI_MAX_COLUMNS];
	int n = tui_layout(&tui.ui, COLS, idx, xs, TUI_MAX_COLUMNS);

	attron(A_REVERSE);
	move(y, 0);
	fill_line(y);
	for (int k = 0; k < n; k++)
		draw_header_cell(y, xs[k], idx[k]);
	attroff(A_REVERSE);
}

/* Exact counts (all digits) can outgrow their column after a long run;
 * then "1234567890" becomes "1.2G" rather than a cut-off wrong number.
 * Returns the new length, or INT_MAX if buf is not a plain count. */
static int shorten_count(char *buf, size_t size)
{
	if (!buf[0] || strspn(buf, "0123456789") != strlen(buf))
		return INT_MAX;
	fmt_count(buf, size, strtod(buf, NULL));
	return (int)strlen(buf);
}

/* One cell, padded or cut to its width. The last column may run to the
 * screen edge since nothing follows it. The cell formatters already make
 * comm printable; we filter again so no cell can emit control bytes. */
static void draw_cell(int y, int x, int c, const struct row *r)
{
	char raw[128], buf[128], cell[160];
	int w = abs(columns[c].width);
	int len;

	raw[0] = '\0';
	columns[c].cell(r, &tui.frame, raw, sizeof(raw));
	fmt_printable(buf, sizeof(buf), raw);
	len = (int)strlen(buf);
	if (c == nr_columns - 1 && columns[c].width < 0) {
		snprintf(cell, sizeof(cell), "%s", buf);
	} else if (columns[c].width < 0) {
		snprintf(cell, sizeof(cell), "%-*.*s", w, w, buf);
	} else if (len <= w + 1) {
		/* One character too many may take the gap on the left. */
		snprintf(cell, sizeof(cell), "%*s", w, buf);
		if (len > w)
			x--;
	} else if (shorten_count(buf, sizeof(buf)) <= w) {
		snprintf(cell, sizeof(cell), "%*s", w, buf);
	} else {
		/* Cutting digits off a number would show a wrong number. */
		memset(cell, '#', (size_t)w);
		cell[w] = '\0';
	}
	put_clipped(y, x, cell);
}

static void draw_row(int y, const struct row *r, bool selected)
{
	int idx[TUI_MAX_COLUMNS], xs[TUI_MAX_COLUMNS];
	int n = tui_layout(&tui.ui, COLS, idx, xs, TUI_MAX_COLUMNS);
	attr_t a = (selected ? A_REVERSE : 0) | (r->exited ? A_DIM : 0);

	attron(a);
	move(y, 0);
	fill_line(y);
	/* 'x' in the gutter: the process exited and is shown one last time. */
	mvaddch(y, 0, r->exited ? 'x' : ' ');
	for (int k = 0; k < n; k++)
		draw_cell(y, xs[k], idx[k], r);
	attroff(a);
}

static void draw_rows(int y0, int y1)
{
	tui.ui.page = y1 - y0 > 0 ? y1 - y0 : 1;
	tui_clamp_scroll(&tui.ui, tui.frame.nr_rows);
	for (int y = y0, i = tui.ui.top; y < y1 && i < tui.frame.nr_rows; y++, i++)
		draw_row(y, tui.frame.rows[i], i == tui.ui.sel);
	if (tui.frame.nr_rows == 0 && y0 < y1)
		put_clipped(y0, TUI_GUTTER, "(no process matches; faulting processes show up here)");
}

/* What the filters are, so a near-empty screen explains itself. */
static int describe_filters(char *buf, size_t size)
{
	char comm[64];
	int n = 0;

	buf[0] = '\0';
	if (tui.vs->comm[0])
		n += snprintf(buf + n, size - n, "[comm~%s] ",
			      fmt_printable(comm, sizeof(comm), tui.vs->comm));
	if (tui.vs->nr_pids > 0 && n < (int)size) {
		n += snprintf(buf + n, size - n, "[pid");
		for (int i = 0; i < tui.vs->nr_pids && n < (int)size; i++)
			n += snprintf(buf + n, size - n, "%c%d", i ? ',' : ' ', tui.vs->pids[i]);
		if (n < (int)size)
			n += snprintf(buf + n, size - n, "] ");
	}
	if (tui.vs->cgroup_id && n < (int)size)
		n += snprintf(buf + n, size - n, "[cgroup] ");
	return n < (int)size ? n : (int)size - 1;
}

static void draw_status(void)
{
	static const char hints[] =
		"q quit  h help  space pause  < > sort  r reverse  t threads  "
		"/ comm  p pids  P this pid  arrows move/scroll";
	char filt[384];
	int y = LINES - 1, n;

	if (y < 0)
		return;
	move(y, 0);
	clrtoeol();
	if (tui.ui.status[0]) {
		attron(A_BOLD);
		put_clipped(y, 0, tui.ui.status);
		attroff(A_BOLD);
		return;
	}
	if (tui.vs->vmas_pid) {
		put_clipped(y, 0, tui_vmas_hints());
		return;
	}
	n = describe_filters(filt, sizeof(filt));
	if (n) {
		attron(A_REVERSE);
		put_clipped(y, 0, filt);
		attroff(A_REVERSE);
	}
	put_clipped(y, n, hints);
}

static void draw_frame(void)
{
	const struct view_frame *f = &tui.frame;
	int y = 0;

	draw_summary(y++, f);
	if (tui.ui.books) {
		tui_draw_books(y, LINES - 1, f, tui.utf8, tui.colors ? COLOR_PAIR(PAIR_ALERT) : 0);
		return;
	}
	draw_memory(y++, f);
	draw_mode(y++, f);
	if (f->sys.verdict)
		tui_draw_verdict(y++, f, tui.colors ? COLOR_PAIR(PAIR_ALERT) : 0);
	if (f->sys.drops || f->sys.map_full)
		draw_lost(y++, f);
	draw_table_header(y++);
	draw_rows(y, LINES - 1);
}

/* ---- help ---------------------------------------------------------------- */

static void draw_help(void)
{
	char line[256];
	int page = tui_help_page(LINES);

	tui_clamp_help(&tui.ui, LINES);
	attron(A_REVERSE);
	move(0, 0);
	fill_line(0);
	put_clipped(0, 0, "faulttop help - press any key to return");
	attroff(A_REVERSE);
	for (int y = 1; y <= page && tui.ui.help_top + y - 1 < tui_help_lines(); y++) {
		tui_help_line(tui.ui.help_top + y - 1, line, sizeof(line));
		put_clipped(y, 0, line);
	}
	if (tui_help_lines() > page)
		put_clipped(LINES - 1, 0, "-- Up/Down/PgUp/PgDn scroll, any other key returns --");
}

static void draw_prompt(void)
{
	int y = LINES - 1, lx = (int)strlen(tui.ui.prompt_label);
	int cx = lx + (int)strlen(tui.ui.edit.buf);

	if (y < 0)
		return;
	move(y, 0);
	clrtoeol();
	attron(A_BOLD);
	put_clipped(y, 0, tui.ui.prompt_label);
	attroff(A_BOLD);
	put_clipped(y, lx, tui.ui.edit.buf);
	move(y, cx < COLS ? cx : COLS - 1);
}

/* Redraws everything from the kept state: after a key, a resize, or when
 * a new frame arrives. */
static void redraw(void)
{
	/* a new sort (from main's view state): scroll sideways so that its
	 * column can be seen, or it would look like nothing happened */
	if (tui.vs->sort != tui.ui.shown_sort) {
		tui.ui.shown_sort = tui.vs->sort;
		tui_show_sort_column(&tui.ui, COLS, tui.vs->sort);
	}
	curs_set(tui.ui.prompt ? 1 : 0);
	erase();
	if (tui.ui.help)
		draw_help();
	else if (tui.have_frame && tui.vs->vmas_pid)
		tui_vmas_draw(&tui.ui, &tui.frame, tui.vs, tui.utf8);
	else if (tui.have_frame)
		draw_frame();
	else
		put_clipped(0, 0, "faulttop - collecting the first interval...");
	if (tui.ui.prompt)
		draw_prompt();	/* last: the cursor must end up on it */
	else if (!tui.ui.help)
		draw_status();
	refresh();
}

/* A getch that tells a timeout from a signal. A SIGCONT (back from Ctrl-Z)
 * is neither: the screen is repainted and the wait goes on. */
static int read_key(int timeout_ms, bool *interrupted)
{
	int ch;

	*interrupted = false;
	timeout(timeout_ms);
	errno = 0;
	ch = getch();
	if (ch == ERR && errno == EINTR) {
		if (resumed) {
			resumed = 0;
			clearok(curscr, TRUE);
			redraw();
		} else {
			*interrupted = true;
		}
	}
	return ch;
}

/* ---- the API ---------------------------------------------------------------- */

static void watch_sigcont(void)
{
	struct sigaction sa = { .sa_handler = on_sigcont };

	/* Only if nobody else cares about SIGCONT: we must not steal it. */
	if (sigaction(SIGCONT, NULL, &tui.old_cont) || tui.old_cont.sa_handler != SIG_DFL)
		return;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	tui.cont_installed = sigaction(SIGCONT, &sa, NULL) == 0;
}

static void setup_colors(void)
{
	if (!has_colors())
		return;
	start_color();
	use_default_colors();
	tui.colors = init_pair(PAIR_ALERT, COLOR_RED, -1) == OK;
}

int tui_init(const struct view_state *vs)
{
	static bool atexit_done;

	if (tui.active)
		return 0;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -1;
	/* ncursesw needs the character set from the locale for the arrows;
	 * LC_CTYPE alone leaves number formatting (LC_NUMERIC) alone. */
	setlocale(LC_CTYPE, "");
	tui.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	set_escdelay(25);	/* Esc in a prompt answers at once, not after 1 s */
	/* newterm, not initscr: initscr exits the program on a bad TERM. */
	if (!newterm(NULL, stdout, stdin))
		return -1;
	tui.active = true;
	tui.vs = vs;
	memset(&tui.ui, 0, sizeof(tui.ui));
	tui.ui.nr_fixed = tui_count_fixed_columns();
	tui.ui.shown_sort = vs->sort;
	if (!atexit_done && atexit(tui_fini) == 0)
		atexit_done = true;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	setup_colors();
	watch_sigcont();
	redraw();
	return 0;
}

void tui_fini(void)
{
	if (!tui.active)
		return;
	tui.active = false;
	tui.ui.prompt = PROMPT_NONE;
	curs_set(1);
	endwin();
	if (tui.cont_installed) {
		sigaction(SIGCONT, &tui.old_cont, NULL);
		tui.cont_installed = false;
	}
	free(tui.rows);
	free(tui.row_ptrs);
	tui.rows = NULL;
	tui.row_ptrs = NULL;
	tui.rows_cap = tui.ptrs_cap = 0;
	tui.have_frame = false;
}

void tui_draw(const struct view_frame *f)
{
	if (!tui.active || !f)
		return;
	keep_frame(f);
	tui_follow_selection(&tui.ui, tui.frame.rows, tui.frame.nr_rows);
	if (tui.ui.sel_valid)
		tui_remember_selection(&tui.ui, tui.frame.rows, tui.frame.nr_rows);
	redraw();
}

static struct tui_intent handle_key(int ch)
{
	struct row *const *rows = tui.have_frame ? tui.frame.rows : NULL;
	int n = tui.have_frame ? tui.frame.nr_rows : 0;
	struct tui_intent in = tui_handle_key(&tui.ui, ch, tui.vs, rows, n, COLS, LINES);

	if (in.kind != TUI_QUIT)
		redraw();
	return in;
}

struct tui_intent tui_wait(int timeout_ms)
{
	long deadline = ms_now() + (timeout_ms > 0 ? timeout_ms : 0);
	struct tui_intent none = { .kind = TUI_NONE }, quit = { .kind = TUI_QUIT };
	bool intr;

	if (!tui.active)
		return quit;
	for (;;) {
		long left = deadline - ms_now();
		int ch;

		ch = read_key(left > 0 ? (int)left : 0, &intr);
		/* SIGINT/SIGTERM: main's handler has set its flag; leave now. */
		if (intr)
			return quit;
		if (ch != ERR) {
			struct tui_intent in = handle_key(ch);

			if (in.kind != TUI_NONE)
				return in;
		}
		if (ms_now() >= deadline)
			return none;
	}
}

bool tui_paused(void)
{
	return tui.ui.paused;
}
