/* SPDX-License-Identifier: GPL-2.0 */
/* What faulttop's views share: a frame (one interval's rows and system
 * totals), row selection (filters, sort) and the column table that both the
 * batch text and the TUI print from. */
#ifndef FAULTTOP_VIEW_H
#define FAULTTOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "env.h"
#include "procs.h"

struct frame {
	double wall_time;		/* seconds since the epoch */
	double now_s;			/* monotonic */
	struct sys_totals sys;
	struct row **rows;		/* selected and sorted */
	int nr_rows;
	bool threads;
	int sample_pct;
	bool has_syscalls;
};

struct column {
	const char *name;
	int width;			/* negative: left-aligned */
	enum sort_key sort;		/* SORT_MAX when it can't sort */
	const char *help;
	/* writes the cell for r into buf */
	void (*cell)(const struct row *r, const struct frame *f, char *buf, size_t size);
};

extern const struct column columns[];
extern const int nr_columns;

/* Keeps the rows the filters let through (pids, comm, cgroup; idle rows
 * only if keep_idle) and sorts them by env.sort. Works in place on rows;
 * returns how many are kept. */
int select_rows(struct row **rows, int n, bool keep_idle);

/* Percent of a row's sampled faults in one region or access kind, or -1
 * when there was no sample in the interval. */
double region_pct(const struct row *r, int region);
double access_pct(const struct row *r, int access);

double rate(uint64_t delta, const struct frame *f);
const char *signal_code_name(int sig, int code);
const char *sort_key_name(enum sort_key k);
int sort_key_parse(const char *s);

/* Batch text and JSON Lines. */
void view_text_frame(FILE *out, const struct frame *f);
void view_json_frame(FILE *out, const struct frame *f);

/* The TUI. tui_init returns 0 or -1 (no terminal). tui_wait waits up to
 * timeout_ms for keys and handles them; it returns TUI_QUIT, TUI_REDRAW
 * (the selection changed: re-select and draw the current frame again) or
 * TUI_NONE. */
enum tui_action { TUI_NONE, TUI_REDRAW, TUI_QUIT };
int tui_init(void);
void tui_fini(void);
void tui_draw(const struct frame *f);
enum tui_action tui_wait(int timeout_ms);
bool tui_paused(void);

#endif
