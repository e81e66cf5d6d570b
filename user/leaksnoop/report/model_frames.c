// SPDX-License-Identifier: GPL-2.0
/* leaksnoop's model, its frames: a built report's frames symbolized (through
 * the caller's leak_symbolizer, so still pure) and printed. See model.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fmt.h"
#include "model.h"
#include "vec.h"

/* ---- symbols ----------------------------------------------------------------------- */

static void resolve_kernel_frame(struct leak_frame *f, const struct leak_symbolizer *sym)
{
	uint64_t off = 0;
	const char *s = sym->kernel ? sym->kernel(sym->kernel_ctx, f->addr, &off) : NULL;

	memset(&f->sym, 0, sizeof(f->sym));
	f->resolved = s != NULL;
	if (s) {
		f->sym.func = s;
		f->sym.func_offset = off;
	}
}

/* One user address into up to max frames at out (at least one). Every user
 * frame is a return address (taken at return or at a syscall): the call is
 * the byte before. */
static size_t resolve_user_frames(const struct leak_frame *raw, const struct leak_symbolizer *sym,
				  struct leak_frame *out, int max)
{
	struct usym syms[LEAK_INLINE_MAX];
	int n = sym->user ? sym->user(sym->user_ctx, raw->addr - 1, syms,
				      max < LEAK_INLINE_MAX ? max : LEAK_INLINE_MAX) : 0;

	if (n <= 0) {
		out[0] = *raw;
		memset(&out[0].sym, 0, sizeof(out[0].sym));
		out[0].resolved = false;
		return 1;
	}
	for (int i = 0; i < n; i++) {
		out[i] = *raw;
		out[i].sym = syms[i];
		out[i].resolved = true;
	}
	return (size_t)n;
}

/* A record's frames resolved into the vector frames (n used, cap room). */
static int symbolize_record(const struct leak_report *rep, struct leak_record *x,
			    const struct leak_symbolizer *sym, bool resolve,
			    struct leak_frame **frames, size_t *n, size_t *cap)
{
	size_t first = *n;

	for (size_t j = 0; j < x->nr_frames; j++) {
		const struct leak_frame *raw = &rep->frames[x->frame_first + j];
		struct leak_frame *v;

		if (resolve && raw->user && sym->user_is_code &&
		    !sym->user_is_code(sym->user_ctx, raw->addr))
			break;	/* not a return address: a stale frame pointer, data */
		while (*n + LEAK_INLINE_MAX > *cap) {
			v = vec_reserve(*frames, cap, *cap, sizeof(**frames));
			if (!v)
				return -ENOMEM;
			*frames = v;
		}
		v = &(*frames)[*n];
		if (!resolve) {
			*v = *raw;
			(*n)++;
		} else if (raw->user) {
			*n += resolve_user_frames(raw, sym, v, LEAK_INLINE_MAX);
		} else {
			*v = *raw;
			resolve_kernel_frame(v, sym);
			(*n)++;
		}
	}
	x->frame_first = first;
	x->nr_frames = *n - first;
	return 0;
}

/* Without memory for expanded frames: one per address, in place. */
static void symbolize_in_place(struct leak_report *rep, const struct leak_symbolizer *sym, bool all)
{
	for (size_t i = 0; i < rep->nr_records; i++) {
		const struct leak_record *x = &rep->records[i];

		for (size_t j = 0; (all || x->in_top) && j < x->nr_frames; j++) {
			struct leak_frame *f = &rep->frames[x->frame_first + j];

			if (f->user)
				resolve_user_frames(f, sym, f, 1);
			else
				resolve_kernel_frame(f, sym);
		}
	}
}

int leak_report_symbolize(struct leak_report *rep, const struct leak_symbolizer *sym, bool all)
{
	struct leak_frame *frames = NULL;
	size_t n = 0, cap = 0;
	size_t *first = calloc(rep->nr_records ? rep->nr_records : 1, 2 * sizeof(size_t));
	int err = first ? 0 : -ENOMEM;

	/* each record's old place, to put back if memory runs out midway */
	for (size_t i = 0; first && i < rep->nr_records; i++) {
		first[2 * i] = rep->records[i].frame_first;
		first[2 * i + 1] = rep->records[i].nr_frames;
	}
	for (size_t i = 0; i < rep->nr_records && !err; i++) {
		struct leak_record *x = &rep->records[i];

		err = symbolize_record(rep, x, sym, all || x->in_top, &frames, &n, &cap);
	}
	if (err) {
		for (size_t i = 0; first && i < rep->nr_records; i++) {
			rep->records[i].frame_first = first[2 * i];
			rep->records[i].nr_frames = first[2 * i + 1];
		}
		free(frames);
		free(first);
		symbolize_in_place(rep, sym, all);
		return err;
	}
	free(first);
	free(rep->frames);
	rep->frames = frames;
	rep->nr_frames = n;
	kcache_name_sites(rep->unseen, rep->nr_unseen, sym->kernel, sym->kernel_ctx);
	return 0;
}

/* ---- frames as text ------------------------------------------------------------------ */

/* Frame text comes from files the traced process controls: never raw.
 * (fmt_printable maps byte i to byte i, so it can work in place.) */
static char *printable_in_place(char *buf, size_t size)
{
	return fmt_printable(buf, size, buf);
}

char *leak_frame_text(const struct leak_frame *f, char *buf, size_t size)
{
	if (f->user)
		usym_format(&f->sym, f->addr, buf, size);
	else if (f->resolved)
		snprintf(buf, size, "%s+0x%" PRIx64, f->sym.func, f->sym.func_offset);
	else
		snprintf(buf, size, "0x%" PRIx64, f->addr);
	return printable_in_place(buf, size);
}

char *leak_frame_name(const struct leak_frame *f, char *buf, size_t size)
{
	const char *mod = f->sym.module;

	if (f->user && f->sym.jit && f->sym.func)
		snprintf(buf, size, "[JIT] %s", f->sym.func);
	else if (f->user && f->sym.jit)
		snprintf(buf, size, "[JIT] 0x%" PRIx64, f->addr);
	else if (f->sym.func)
		snprintf(buf, size, "%s", f->sym.func);
	else if (f->user && mod)
		snprintf(buf, size, "%s+0x%" PRIx64, strrchr(mod, '/') ? strrchr(mod, '/') + 1 : mod,
			 f->sym.module_offset);
	else
		snprintf(buf, size, "0x%" PRIx64, f->addr);
	return printable_in_place(buf, size);
}
