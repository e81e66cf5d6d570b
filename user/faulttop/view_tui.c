// SPDX-License-Identifier: GPL-2.0
/* faulttop's interactive view: a top-like screen drawn with ncursesw.
 *
 * The main loop owns the data; this file owns the terminal. main calls
 * tui_draw once per interval with a frame and tui_wait in short slices in
 * between; keys that change what is shown (sort, filters, threads) edit
 * `env` and return TUI_REDRAW so main re-selects the rows.
 *
 * We keep our own copy of the last frame's rows: while paused main keeps
 * closing intervals, which frees the rows array a frame points into, yet a
 * resize or a cursor move must still redraw the frozen screen. */
#include <ctype.h>
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <curses.h>

#include "fmt.h"
#include "view.h"

#define KEY_ESC		27
#define KEY_CTRL_U	21
#define GUTTER		1	/* one column left of PID for the exited mark */
#define PAIR_ALERT	1

enum prompt_kind { PROMPT_NONE, PROMPT_SORT, PROMPT_COMM, PROMPT_PIDS };

static struct {
	bool active;		/* between tui_init and tui_fini */
	bool paused;
	bool help;		/* the help screen is up */
	int help_top;		/* first help line shown */
	bool utf8;		/* the terminal can show the sort arrows */
	bool colors;

	/* the last frame, with rows copied (see the top of the file) */
	bool have_frame;
	struct frame frame;
	struct row *rows;
	struct row **row_ptrs;
	int rows_cap;

	/* cursor and scrolling */
	int sel;		/* selected row index */
	pid_t sel_id;		/* ... and its id, to follow it across frames */
	bool sel_valid;		/* follow sel_id: set once the user moves */
	int top;		/* first row shown */
	int page;		/* rows that fit, from the last layout */
	int hscroll;		/* scrollable columns hidden on the left */
	int nr_fixed;		/* leading columns that never scroll (PID, COMM) */

	char status[256];	/* one-shot message for the bottom line */

	/* The prompt being typed on the bottom line, if any. It is a mode of
	 * tui_wait rather than a loop of its own, so main goes on draining
	 * the ring buffer while the user types. */
	enum prompt_kind prompt;
	const char *prompt_label;
	char prompt_buf[256];
	size_t prompt_max;	/* longest useful input */
	char comm_filter[64];	/* env.comm points here once set from a prompt */

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

static int col_width(int i)
{
	return abs(columns[i].width);
}

static void set_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tui.status, sizeof(tui.status), fmt, ap);
	va_end(ap);
}

/* Prints s at (y, x) clipped to the screen's right edge: addnstr would
 * otherwise wrap onto the next line. s must be single-byte text. */
static void put_clipped(int y, int x, const char *s)
{
	if (x >= COLS || y >= LINES || y < 0)
		return;
	mvaddnstr(y, x, s, COLS - x);
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
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* PID and COMM stay put while the other columns scroll sideways. */
static int count_fixed_columns(void)
{
	for (int i = 0; i < nr_columns && i < 3; i++)
		if (columns[i].sort == SORT_COMM)
			return i + 1;
	return nr_columns > 0 && columns[0].sort == SORT_PID ? 1 : 0;
}

/* ---- column layout --------------------------------------------------------- */

/* The columns on screen, left to right, and where each starts. Returns how
 * many start before the right edge. */
static int layout(int *idx, int *xs, int max)
{
	int n = 0, x = GUTTER;

	for (int i = 0; i < nr_columns && n < max && x < COLS; i++) {
		if (i >= tui.nr_fixed && i < tui.nr_fixed + tui.hscroll)
			continue;
		idx[n] = i;
		xs[n++] = x;
		x += col_width(i) + 1;
	}
	return n;
}

/* True when column c is entirely on screen. */
static bool column_fits(int c)
{
	int idx[nr_columns], xs[nr_columns];
	int n = layout(idx, xs, nr_columns);

	for (int k = 0; k < n; k++)
		if (idx[k] == c)
			return xs[k] + col_width(c) <= COLS;
	return false;
}

static int max_hscroll(void)
{
	int m = nr_columns - tui.nr_fixed - 1;

	return m > 0 ? m : 0;
}

static void scroll_right(void)
{
	/* Nothing more to reveal once the last column is fully shown. */
	if (tui.hscroll < max_hscroll() && !column_fits(nr_columns - 1))
		tui.hscroll++;
}

static void scroll_left(void)
{
	if (tui.hscroll > 0)
		tui.hscroll--;
}

/* The first column that sorts by env.sort, or -1. */
static int sort_column(void)
{
	for (int i = 0; i < nr_columns; i++)
		if (columns[i].sort == env.sort)
			return i;
	return -1;
}

/* Scrolls sideways so that the sort column can be seen: moving the sort
 * onto a column you can't see would look like nothing happened. */
static void show_sort_column(void)
{
	int c = sort_column();

	if (c < tui.nr_fixed)
		return;
	if (c < tui.nr_fixed + tui.hscroll)
		tui.hscroll = c - tui.nr_fixed;
	while (!column_fits(c) && tui.hscroll < c - tui.nr_fixed)
		tui.hscroll++;
}

/* ---- the last frame -------------------------------------------------------- */

static bool reserve_rows(int n)
{
	struct row *r;
	struct row **p;

	if (n <= 0 || n <= tui.rows_cap)
		return true;
	r = realloc(tui.rows, (size_t)n * sizeof(*r));
	if (!r)
		return false;
	tui.rows = r;
	p = realloc(tui.row_ptrs, (size_t)n * sizeof(struct row *));
	if (!p)
		return false;
	tui.row_ptrs = p;
	tui.rows_cap = n;
	return true;
}

static void keep_frame(const struct frame *f)
{
	int n = f->nr_rows > 0 ? f->nr_rows : 0;

	/* Out of memory: show as many rows as we could keep rather than none. */
	if (!reserve_rows(n))
		n = tui.rows_cap;
	for (int i = 0; i < n; i++) {
		tui.rows[i] = *f->rows[i];
		tui.row_ptrs[i] = &tui.rows[i];
	}
	tui.frame = *f;
	tui.frame.rows = tui.row_ptrs;
	tui.frame.nr_rows = n;
	tui.have_frame = true;
}

static struct row *selected_row(void)
{
	if (!tui.have_frame || tui.sel < 0 || tui.sel >= tui.frame.nr_rows)
		return NULL;
	return tui.frame.rows[tui.sel];
}

/* Once the user has moved the cursor it stays on the same process when
 * rows move between frames, like htop; if that process is gone, the cursor
 * stays at the same height. Until then it stays on the first row. */
static void follow_selection(void)
{
	int n = tui.frame.nr_rows;

	if (tui.sel_valid)
		for (int i = 0; i < n; i++)
			if (tui.frame.rows[i]->id == tui.sel_id) {
				tui.sel = i;
				return;
			}
	if (tui.sel >= n)
		tui.sel = n - 1;
	if (tui.sel < 0)
		tui.sel = 0;
}

static void remember_selection(void)
{
	struct row *r = selected_row();

	tui.sel_valid = r != NULL;
	if (r)
		tui.sel_id = r->id;
}

static void clamp_scroll(void)
{
	int n = tui.have_frame ? tui.frame.nr_rows : 0;
	int page = tui.page > 0 ? tui.page : 1;

	if (tui.sel >= n)
		tui.sel = n - 1;
	if (tui.sel < 0)
		tui.sel = 0;
	if (tui.sel < tui.top)
		tui.top = tui.sel;
	if (tui.sel >= tui.top + page)
		tui.top = tui.sel - page + 1;
	/* No empty space below the last row while rows are scrolled off above. */
	if (tui.top > n - page)
		tui.top = n - page;
	if (tui.top < 0)
		tui.top = 0;
	if (tui.hscroll > max_hscroll())
		tui.hscroll = max_hscroll();
}

/* ---- drawing ------------------------------------------------------------- */

static void draw_summary(int y, const struct frame *f)
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
	if (tui.paused) {
		int x = (int)strlen(line) + 2;

		attron(A_REVERSE | A_BOLD);
		put_clipped(y, x, "PAUSED");
		attroff(A_REVERSE | A_BOLD);
	}
}

static void draw_memory(int y, const struct frame *f)
{
	const struct meminfo *m = &f->sys.mem;
	char av[16], sl[16], sr[16], su[16], line[128];

	snprintf(line, sizeof(line), "Mem avail %s  Slab %s  SReclaimable %s  SUnreclaim %s",
		 fmt_bytes(av, sizeof(av), m->mem_available), fmt_bytes(sl, sizeof(sl), m->slab),
		 fmt_bytes(sr, sizeof(sr), m->sreclaimable), fmt_bytes(su, sizeof(su), m->sunreclaim));
	put_clipped(y, 0, line);
}

static void draw_mode(int y, const struct frame *f)
{
	char line[160];
	int n;

	if (f->sample_pct >= 100)
		n = snprintf(line, sizeof(line), "precise: every fault classified");
	else
		n = snprintf(line, sizeof(line),
			     "counts exact; regions/access sampled %d%% of time", f->sample_pct);
	if (!f->has_syscalls && n < (int)sizeof(line))
		n += snprintf(line + n, sizeof(line) - n, "; mmap/brk columns off");
	if (n < (int)sizeof(line))
		snprintf(line + n, sizeof(line) - n, "; %s, sort %s %s",
			 f->threads ? "threads" : "processes", sort_key_name(env.sort),
			 env.sort_ascending ? "ascending" : "descending");
	put_clipped(y, 0, line);
}

/* Lost events make every number on screen an undercount: say so loudly. */
static void draw_lost(int y, const struct frame *f)
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
		return env.sort_ascending ? "\xe2\x96\xb2" : "\xe2\x96\xbc";	/* ▲ ▼ */
	return env.sort_ascending ? "^" : "v";
}

/* One header cell: the name aligned like the cells below it, and for the
 * sort column an arrow on the name's open side: right of a left-aligned
 * name, left of a right-aligned one (in the gap if the name fills it). */
static void draw_header_cell(int y, int x, int c)
{
	int w = col_width(c), len = (int)strlen(columns[c].name);
	bool sorted = columns[c].sort == env.sort;
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
	int idx[nr_columns], xs[nr_columns];
	int n = layout(idx, xs, nr_columns);

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
	int w = col_width(c);
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
	int idx[nr_columns], xs[nr_columns];
	int n = layout(idx, xs, nr_columns);
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
	tui.page = y1 - y0 > 0 ? y1 - y0 : 1;
	clamp_scroll();
	for (int y = y0, i = tui.top; y < y1 && i < tui.frame.nr_rows; y++, i++)
		draw_row(y, tui.frame.rows[i], i == tui.sel);
	if (tui.frame.nr_rows == 0 && y0 < y1)
		put_clipped(y0, GUTTER, "(no process matches; faulting processes show up here)");
}

/* What the filters are, so a near-empty screen explains itself. */
static int describe_filters(char *buf, size_t size)
{
	char comm[64];
	int n = 0;

	buf[0] = '\0';
	if (env.comm && *env.comm)
		n += snprintf(buf + n, size - n, "[comm~%s] ",
			      fmt_printable(comm, sizeof(comm), env.comm));
	if (env.nr_pids > 0 && n < (int)size) {
		n += snprintf(buf + n, size - n, "[pid");
		for (int i = 0; i < env.nr_pids && n < (int)size; i++)
			n += snprintf(buf + n, size - n, "%c%d", i ? ',' : ' ', env.pids[i]);
		if (n < (int)size)
			n += snprintf(buf + n, size - n, "] ");
	}
	if (env.cgroup_path && n < (int)size)
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
	if (tui.status[0]) {
		attron(A_BOLD);
		put_clipped(y, 0, tui.status);
		attroff(A_BOLD);
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
	const struct frame *f = &tui.frame;
	int y = 0;

	draw_summary(y++, f);
	draw_memory(y++, f);
	draw_mode(y++, f);
	if (f->sys.drops || f->sys.map_full)
		draw_lost(y++, f);
	draw_table_header(y++);
	draw_rows(y, LINES - 1);
}

/* ---- help ---------------------------------------------------------------- */

static const char *const help_keys[] = {
	"Keys",
	"  q Q            quit",
	"  h ?            this help (any key leaves; arrows scroll it)",
	"  space          pause / resume the display (collection goes on)",
	"  < >            sort by the previous / next sortable column",
	"  s              sort by a column named at the prompt",
	"  r              reverse the sort order",
	"  t              processes / threads",
	"  /              filter by a substring of comm (empty clears)",
	"  p              filter by PIDs, comma-separated (empty clears)",
	"  P              filter by the selected row's PID (again clears)",
	"  Up Down PgUp PgDn Home End   move the cursor",
	"  Left Right     scroll the columns after PID and COMM",
	"  in a prompt:   Enter accepts, Esc cancels, Backspace, Ctrl-U clears",
	"",
	"'x' left of a row: the process exited during the interval (shown once more).",
	"LOST EVENTS: the ring buffer or a map was full; counts are undercounted.",
	"",
	"Columns",
};

static int help_lines(void)
{
	return (int)(sizeof(help_keys) / sizeof(help_keys[0])) + nr_columns;
}

static void help_line(int i, char *buf, size_t size)
{
	int nk = (int)(sizeof(help_keys) / sizeof(help_keys[0]));

	if (i < nk) {
		snprintf(buf, size, "%s", help_keys[i]);
		return;
	}
	i -= nk;
	snprintf(buf, size, "  %-9s %s%s", columns[i].name, columns[i].help,
		 columns[i].sort == SORT_MAX ? "" : "  (sortable)");
}

static int help_page(void)
{
	return LINES - 2 > 1 ? LINES - 2 : 1;
}

static void clamp_help(void)
{
	int max = help_lines() - help_page();

	if (tui.help_top > max)
		tui.help_top = max;
	if (tui.help_top < 0)
		tui.help_top = 0;
}

static void draw_help(void)
{
	char line[256];
	int page = help_page();

	clamp_help();
	attron(A_REVERSE);
	move(0, 0);
	fill_line(0);
	put_clipped(0, 0, "faulttop help - press any key to return");
	attroff(A_REVERSE);
	for (int y = 1; y <= page && tui.help_top + y - 1 < help_lines(); y++) {
		help_line(tui.help_top + y - 1, line, sizeof(line));
		put_clipped(y, 0, line);
	}
	if (help_lines() > page)
		put_clipped(LINES - 1, 0, "-- Up/Down/PgUp/PgDn scroll, any other key returns --");
}

/* Redraws everything from the kept state: after a key, a resize, or when
 * a new frame arrives. */
static void draw_prompt(void);

static void redraw(void)
{
	erase();
	if (tui.help)
		draw_help();
	else if (tui.have_frame)
		draw_frame();
	else
		put_clipped(0, 0, "faulttop - collecting the first interval...");
	if (tui.prompt)
		draw_prompt();	/* last: the cursor must end up on it */
	else if (!tui.help)
		draw_status();
	refresh();
}

/* ---- prompts --------------------------------------------------------------- */

static void draw_prompt(void)
{
	int y = LINES - 1, lx = (int)strlen(tui.prompt_label);
	int cx = lx + (int)strlen(tui.prompt_buf);

	if (y < 0)
		return;
	move(y, 0);
	clrtoeol();
	attron(A_BOLD);
	put_clipped(y, 0, tui.prompt_label);
	attroff(A_BOLD);
	put_clipped(y, lx, tui.prompt_buf);
	move(y, cx < COLS ? cx : COLS - 1);
}

/* Opens a prompt; initial is the current value, to edit rather than retype. */
static void start_prompt(enum prompt_kind kind, const char *label, const char *initial,
			 size_t max)
{
	tui.prompt = kind;
	tui.prompt_label = label;
	tui.prompt_max = max < sizeof(tui.prompt_buf) ? max : sizeof(tui.prompt_buf) - 1;
	fmt_printable(tui.prompt_buf, tui.prompt_max + 1, initial ? initial : "");
	curs_set(1);
}

static void end_prompt(void)
{
	tui.prompt = PROMPT_NONE;
	curs_set(0);
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

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

/* ---- keys that change the selection ------------------------------------------ */

static void set_sort(enum sort_key k)
{
	if (k == env.sort)
		return;
	env.sort = k;
	/* Like htop: names sort A-Z, numbers biggest first. */
	env.sort_ascending = k == SORT_PID || k == SORT_COMM;
	show_sort_column();
}

/* '<' '>': the next column left or right with a different sort key
 * (MAPERR, ACCERR and BUS share one). */
static enum tui_action move_sort(int dir)
{
	int c = sort_column();

	if (c < 0)
		c = dir > 0 ? -1 : nr_columns;
	for (int i = c + dir; i >= 0 && i < nr_columns; i += dir)
		if (columns[i].sort != SORT_MAX && columns[i].sort != env.sort) {
			set_sort(columns[i].sort);
			return TUI_REDRAW;
		}
	return TUI_NONE;
}

static int parse_sort_name(const char *s)
{
	for (int i = 0; i < nr_columns; i++)
		if (columns[i].sort != SORT_MAX && strcasecmp(s, columns[i].name) == 0)
			return columns[i].sort;
	return sort_key_parse(s);
}

static enum tui_action apply_sort(char *buf)
{
	int k;

	trim(buf);
	if (!buf[0])
		return TUI_NONE;
	k = parse_sort_name(buf);
	if (k < 0 || k >= SORT_MAX) {
		set_status("no sortable column '%s' (h lists them)", buf);
		return TUI_NONE;
	}
	set_sort((enum sort_key)k);
	return TUI_REDRAW;
}

static enum tui_action apply_comm(const char *buf)
{
	if (!buf[0]) {
		env.comm = NULL;
	} else {
		snprintf(tui.comm_filter, sizeof(tui.comm_filter), "%.*s",
			 (int)sizeof(tui.comm_filter) - 1, buf);
		env.comm = tui.comm_filter;
	}
	return TUI_REDRAW;
}

/* "12, 34,56" -> pids. Returns the count, or -1 with *bad at the first
 * piece that isn't a PID (or -2 when there are too many). */
static int parse_pids(char *s, pid_t *pids, char **bad)
{
	int n = 0;

	for (char *save = NULL, *tok = strtok_r(s, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long v;

		trim(tok);
		errno = 0;
		v = strtol(tok, &end, 10);
		if (!tok[0] || *end || errno || v <= 0 || v > INT_MAX) {
			*bad = tok;
			return -1;
		}
		if (n >= MAX_PIDS)
			return -2;
		pids[n++] = (pid_t)v;
	}
	return n;
}

static void pids_to_text(char *buf, size_t size)
{
	int n = 0;

	buf[0] = '\0';
	for (int i = 0; i < env.nr_pids && n < (int)size; i++)
		n += snprintf(buf + n, size - n, "%s%d", i ? "," : "", env.pids[i]);
}

static enum tui_action apply_pids(char *buf)
{
	pid_t pids[MAX_PIDS];
	char *bad = NULL;
	int n = parse_pids(buf, pids, &bad);

	if (n == -2) {
		set_status("too many PIDs: at most %d", MAX_PIDS);
		return TUI_NONE;
	}
	if (n < 0) {
		set_status("not a PID: '%.40s' - filter unchanged", bad);
		return TUI_NONE;
	}
	memcpy(env.pids, pids, (size_t)n * sizeof(pids[0]));
	env.nr_pids = n;
	return TUI_REDRAW;
}

/* 'P': follow the selected process (its tgid in thread mode); again clears. */
static enum tui_action pick_pid(void)
{
	struct row *r = selected_row();
	pid_t pid;

	if (env.nr_pids == 1 && (!r || env.pids[0] == (r->tgid ? r->tgid : r->id))) {
		env.nr_pids = 0;
		return TUI_REDRAW;
	}
	if (!r) {
		set_status("no row selected");
		return TUI_NONE;
	}
	pid = r->tgid ? r->tgid : r->id;
	env.pids[0] = pid;
	env.nr_pids = 1;
	return TUI_REDRAW;
}

/* ---- key dispatch ------------------------------------------------------------ */

static void move_cursor(int delta)
{
	int n = tui.have_frame ? tui.frame.nr_rows : 0;

	if (n == 0)
		return;
	if (delta < 0 && tui.sel < -delta)
		tui.sel = 0;
	else if (delta > 0 && tui.sel > n - 1 - delta)
		tui.sel = n - 1;
	else
		tui.sel += delta;
	remember_selection();
}

/* Cursor and sideways scrolling: only our own state, no re-selection. */
static bool navigation_key(int ch)
{
	int page = tui.page > 1 ? tui.page - 1 : 1;

	switch (ch) {
	case KEY_UP: move_cursor(-1); break;
	case KEY_DOWN: move_cursor(1); break;
	case KEY_PPAGE: move_cursor(-page); break;
	case KEY_NPAGE: move_cursor(page); break;
	case KEY_HOME:
		/* Back at the top the cursor stays on the first row again. */
		tui.sel = 0;
		tui.sel_valid = false;
		break;
	case KEY_END: move_cursor(INT_MAX / 2); break;
	case KEY_LEFT: scroll_left(); break;
	case KEY_RIGHT: scroll_right(); break;
	default: return false;
	}
	return true;
}

static void help_key(int ch)
{
	int page = help_page();

	if (help_lines() > page) {
		switch (ch) {
		case KEY_UP: tui.help_top--; return;
		case KEY_DOWN: tui.help_top++; return;
		case KEY_PPAGE: tui.help_top -= page; return;
		case KEY_NPAGE: tui.help_top += page; return;
		}
	}
	tui.help = false;
}

static enum tui_action toggle_pause(void)
{
	tui.paused = !tui.paused;
	/* Resuming: show fresh numbers now rather than at the next interval. */
	return tui.paused ? TUI_NONE : TUI_REDRAW;
}

static enum tui_action command_key(int ch)
{
	switch (ch) {
	case 'q': case 'Q': return TUI_QUIT;
	case 'h': case '?': tui.help = true; tui.help_top = 0; return TUI_NONE;
	case ' ': return toggle_pause();
	case '<': return move_sort(-1);
	case '>': return move_sort(1);
	case 's': start_prompt(PROMPT_SORT, "sort by column: ", "", 31); break;
	case 'r': env.sort_ascending = !env.sort_ascending; return TUI_REDRAW;
	case 't': env.threads = !env.threads; return TUI_REDRAW;
	case '/':
		/* longer than a comm could never match */
		start_prompt(PROMPT_COMM, "comm contains (empty clears): ", env.comm,
			     FT_COMM_LEN - 1);
		break;
	case 'p': {
		char cur[sizeof(tui.prompt_buf)];

		pids_to_text(cur, sizeof(cur));
		start_prompt(PROMPT_PIDS, "PIDs, comma-separated (empty clears): ", cur,
			     sizeof(tui.prompt_buf) - 1);
		break;
	}
	case 'P': return pick_pid();
	}
	return TUI_NONE;
}

static enum tui_action finish_prompt(void)
{
	char buf[sizeof(tui.prompt_buf)];
	enum prompt_kind kind = tui.prompt;

	snprintf(buf, sizeof(buf), "%s", tui.prompt_buf);
	end_prompt();
	switch (kind) {
	case PROMPT_SORT: return apply_sort(buf);
	case PROMPT_COMM: return apply_comm(buf);
	case PROMPT_PIDS: return apply_pids(buf);
	case PROMPT_NONE: break;
	}
	return TUI_NONE;
}

/* Line editing: printable ASCII only, so what we keep is safe to echo. */
static enum tui_action prompt_key(int ch)
{
	size_t len = strlen(tui.prompt_buf);

	if (ch == KEY_ESC) {
		end_prompt();
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		return finish_prompt();
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == '\b') {
		if (len > 0)
			tui.prompt_buf[len - 1] = '\0';
	} else if (ch == KEY_CTRL_U) {
		tui.prompt_buf[0] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && len < tui.prompt_max) {
		tui.prompt_buf[len] = (char)ch;
		tui.prompt_buf[len + 1] = '\0';
	}
	return TUI_NONE;
}

static enum tui_action handle_key(int ch)
{
	enum tui_action a = TUI_NONE;

	if (ch == KEY_RESIZE) {
		/* ncurses has already resized stdscr; lay out again. */
		clamp_help();
	} else if (tui.prompt) {
		a = prompt_key(ch);
	} else if (tui.help) {
		help_key(ch);
	} else {
		tui.status[0] = '\0';
		if (!navigation_key(ch))
			a = command_key(ch);
	}
	if (a != TUI_QUIT)
		redraw();
	return a;
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

int tui_init(void)
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
	if (!atexit_done && atexit(tui_fini) == 0)
		atexit_done = true;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	setup_colors();
	watch_sigcont();
	tui.nr_fixed = count_fixed_columns();
	redraw();
	return 0;
}

void tui_fini(void)
{
	if (!tui.active)
		return;
	tui.active = false;
	tui.prompt = PROMPT_NONE;
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
	tui.rows_cap = 0;
	tui.have_frame = false;
}

void tui_draw(const struct frame *f)
{
	if (!tui.active || !f)
		return;
	keep_frame(f);
	follow_selection();
	if (tui.sel_valid)
		remember_selection();
	redraw();
}

enum tui_action tui_wait(int timeout_ms)
{
	long deadline = ms_now() + (timeout_ms > 0 ? timeout_ms : 0);
	bool intr;

	if (!tui.active)
		return TUI_QUIT;
	for (;;) {
		long left = deadline - ms_now();
		int ch;

		ch = read_key(left > 0 ? (int)left : 0, &intr);
		/* SIGINT/SIGTERM: main's handler has set its flag; leave now. */
		if (intr)
			return TUI_QUIT;
		if (ch != ERR) {
			enum tui_action a = handle_key(ch);

			if (a != TUI_NONE)
				return a;
		}
		if (ms_now() >= deadline)
			return TUI_NONE;
	}
}

bool tui_paused(void)
{
	return tui.paused;
}
