/* SPDX-License-Identifier: GPL-2.0 */
/* The TUI's memory screen ('b'): the books' buckets with sparklines of
 * their recent history, the slab caches that grow, buddyinfo and the zones'
 * watermarks; and the verdict line of the main screen's header. */
#ifndef FAULTTOP_VIEW_TUI_BOOKS_H
#define FAULTTOP_VIEW_TUI_BOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memledger.h"
#include "view.h"

/* Draws lines y0 .. y1-1. alert: the attribute for what needs a look. */
void tui_draw_books(int y0, int y1, const struct view_frame *f, bool utf8, int alert);
void tui_draw_verdict(int y, const struct view_frame *f, int alert);

/* A sparkline of bucket k's last width samples into buf: one glyph per
 * sample, scaled between the window's min and max (flat: the lowest
 * glyph). UTF-8 block glyphs, or ASCII " .:-=+*#". Returns the glyphs
 * written. Pure (unit-tested). */
int books_sparkline(const struct mem_ledger *l, enum mem_bucket k, int width, bool utf8,
		    char *buf, size_t size);

#endif
