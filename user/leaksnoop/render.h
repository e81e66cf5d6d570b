/* SPDX-License-Identifier: GPL-2.0 */
/* leaksnoop's renderers: each writes one built report (model.h) and does
 * nothing else — no tables, no /proc, no options. */
#ifndef LEAKSNOOP_RENDER_H
#define LEAKSNOOP_RENDER_H

#include <stdio.h>
#include "model.h"

/* Modelled on valgrind's leak report: records, SUMMARY, health. */
void leak_render_text(FILE *out, const struct leak_report *r);
/* One JSON object on one line (JSON Lines). */
void leak_render_json(FILE *out, const struct leak_report *r);
/* Folded stacks weighted by outstanding bytes, every record (flamegraph.pl). */
void leak_render_folded(FILE *out, const struct leak_report *r);

#endif
