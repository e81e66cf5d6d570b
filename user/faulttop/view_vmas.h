/* SPDX-License-Identifier: GPL-2.0 */
/* The VMA view's columns and texts, shared by the batch/JSON output
 * (view_vmas.c) and the TUI's process screen (view_tui_vmas.c). */
#ifndef FAULTTOP_VIEW_VMAS_H
#define FAULTTOP_VIEW_VMAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "view.h"
#include "vmas.h"

struct vma_column {
	const char *name;
	int width;			/* negative: left-aligned */
	enum vma_sort sort;		/* VSORT_MAX: can't sort */
	void (*cell)(const struct vma_row *r, char *buf, size_t size);
};

extern const struct vma_column vma_columns[];
extern const int nr_vma_columns;

/* Whether the fault columns are exact or sampled, in a line. */
void vmas_mode_line(const struct view_frame *f, char *buf, size_t size);
/* How many VMAs, when smaps was read and how long it took. */
void vmas_smaps_line(const struct vmas_snapshot *s, char *buf, size_t size);
/* The process's own count less what the VMA table holds. */
int64_t vmas_not_placed(const struct vmas_snapshot *s, bool major);

void view_vmas_text(FILE *out, const struct view_frame *f);
void view_vmas_json(FILE *out, const struct view_frame *f);

#endif
