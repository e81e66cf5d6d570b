/* SPDX-License-Identifier: GPL-2.0 */
/* What faulttop's views share: a frame (one interval's rows and system
 * totals), the view state (what is shown: sort, filters, threads), row
 * selection by it, and the column table that both the batch text and the
 * TUI print from. Views read; only main writes the view state, from the
 * options at the start and from the TUI's intents after. */
#ifndef FAULTTOP_VIEW_H
#define FAULTTOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "config.h"
#include "faulttop.h"
#include "procs.h"
#include "vmas.h"

struct view_frame {
	double wall_time;		/* seconds since the epoch */
	double now_s;			/* monotonic */
	struct sys_totals sys;
	struct row **rows;		/* selected and sorted */
	int nr_rows;
	bool threads;
	int sample_pct;
	bool has_syscalls;
	const char *no_access_why;	/* NULL, or why access kinds are not known */
	const struct vmas_snapshot *vmas;	/* the VMA view's process, or NULL */
	uint64_t vma_drops;		/* its fault events lost */
};

/* What the rows shown are and how they are ordered. */
struct view_state {
	enum sort_key sort;
	bool sort_ascending;
	bool threads;			/* one row per thread */
	pid_t pids[MAX_PIDS];		/* only these (tgid or tid), none: all */
	int nr_pids;
	char comm[256];			/* substring of comm, "": any */
	uint64_t cgroup_id;		/* only this cgroup v2, 0: any */
	pid_t vmas_pid;			/* the process screen (VMAs) of this pid, 0: none */
	enum vma_sort vma_sort;
	bool vma_ascending;
};

/* The view state the options ask for (cgroup_id is resolved by main). */
void view_state_init(struct view_state *vs, const struct faulttop_config *cfg);

/* What a key asks main to do. */
enum tui_intent_kind {
	TUI_NONE,
	TUI_REDRAW,		/* select and draw again (back from a pause) */
	TUI_QUIT,
	TUI_SET_SORT,		/* sort by .sort */
	TUI_REVERSE_SORT,
	TUI_TOGGLE_THREADS,
	TUI_SET_COMM,		/* filter by .comm ("" clears) */
	TUI_SET_PIDS,		/* filter by .pids (none clears) */
	TUI_SHOW_VMAS,		/* the process screen of .pids[0] */
	TUI_HIDE_VMAS,		/* back to the process list */
	TUI_SET_VMA_SORT,	/* sort the VMAs by .vma_sort */
	TUI_REVERSE_VMA_SORT,
};

struct tui_intent {
	enum tui_intent_kind kind;
	enum sort_key sort;
	char comm[sizeof(((struct view_state *)0)->comm)];
	pid_t pids[MAX_PIDS];
	int nr_pids;
	enum vma_sort vma_sort;
};

/* Applies an intent. Returns true when the rows must be selected again. */
bool view_state_apply(struct view_state *vs, const struct tui_intent *in);
/* The process screen's intents (view_vmas.c). */
bool view_state_apply_vmas(struct view_state *vs, const struct tui_intent *in);

struct column {
	const char *name;
	int width;			/* negative: left-aligned */
	enum sort_key sort;		/* SORT_MAX when it can't sort */
	const char *help;
	/* writes the cell for r into buf */
	void (*cell)(const struct row *r, const struct view_frame *f, char *buf, size_t size);
};

extern const struct column columns[];
extern const int nr_columns;

/* Keeps the rows vs's filters let through (pids, comm, cgroup; idle rows
 * only if keep_idle), in place; returns how many are kept. */
int filter_rows(struct row **rows, int n, bool keep_idle, const struct view_state *vs);
/* Sorts rows by vs's sort key and order. */
void sort_rows(struct row **rows, int n, const struct view_state *vs);
/* filter_rows, then sort_rows. */
int select_rows(struct row **rows, int n, bool keep_idle, const struct view_state *vs);

/* Percent of a row's sampled faults in one region or access kind, or -1
 * when there was no sample in the interval. */
double region_pct(const struct row *r, int region);
double access_pct(const struct row *r, int access);

double rate(uint64_t delta, const struct view_frame *f);
/* What the sampled columns classify: "regions/access", or "regions" where
 * the hook can't tell access kinds; and the header's note saying why, once:
 * "; access kinds -: WHY, ..." or "". */
const char *sampled_what(const struct view_frame *f);
const char *access_note(const struct view_frame *f, char *buf, size_t size);
const char *signal_code_name(int sig, int code);
const char *sort_key_name(enum sort_key k);
int sort_key_parse(const char *s);

/* Batch text and JSON Lines. */
void view_text_frame(FILE *out, const struct view_frame *f);
void view_json_frame(FILE *out, const struct view_frame *f);

/* The TUI. tui_init returns 0 or -1 (no terminal); vs is main's view state,
 * which the TUI reads (sort arrow, filters, prompts) and never writes.
 * tui_wait waits up to timeout_ms for keys and handles them; it returns
 * TUI_NONE, or what main must do: apply the intent (view_state_apply),
 * then select and draw again, or quit. */
int tui_init(const struct view_state *vs);
void tui_fini(void);
void tui_draw(const struct view_frame *f);
struct tui_intent tui_wait(int timeout_ms);
bool tui_paused(void);

#endif
