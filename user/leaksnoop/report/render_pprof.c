// SPDX-License-Identifier: GPL-2.0
/* A report as a pprof heap profile (pprof.c encodes it): one sample per
 * record, with what is outstanding (inuse_*) and what was allocated there
 * since tracing began (alloc_*), its frames leaf first, and labels for the
 * source ("user", "mmap", "kmalloc", ...), the slab cache and, when the
 * model has one, the leak kind. User frames point at the mapping of the
 * file they are in, with its build id. Names pass through the same
 * printable filter as the other renderers: pprof prints them to a terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "alloc_group.h"
#include "fmt.h"
#include "pprof.h"
#include "render.h"

#define NAME_LEN 192

struct frame_text {
	char func[NAME_LEN];
	char file[NAME_LEN];
};

/* The arrays are parts of one group, freed together. */
struct pprof_build {
	struct alloc_group parts;
	const struct leak_pprof_opts *o;
	struct pprof_sample *samples;
	struct pprof_frame *frames;
	struct frame_text *texts;
	struct pprof_mapping *maps;
	struct usym_module *modules;	/* what maps[] point into */
	size_t nr_maps;
};

/* The index of the mapping addr is in, adding it; -1 when unknown. */
static int mapping_of(struct pprof_build *b, uint64_t addr)
{
	struct usym_module m;

	for (size_t i = 0; i < b->nr_maps; i++)
		if (addr >= b->maps[i].start && addr < b->maps[i].limit)
			return (int)i;
	if (!b->o->module_of || b->o->module_of(b->o->module_ctx, addr, &m) || !m.path)
		return -1;
	b->modules[b->nr_maps] = m;
	b->maps[b->nr_maps] = (struct pprof_mapping){
		.start = m.start, .limit = m.limit, .file_offset = m.file_offset,
		.file = b->modules[b->nr_maps].path,
		.build_id = b->modules[b->nr_maps].build_id[0] ? b->modules[b->nr_maps].build_id : NULL,
	};
	return (int)b->nr_maps++;
}

static void fill_frame(struct pprof_build *b, const struct leak_frame *lf, struct pprof_frame *f,
		       struct frame_text *t)
{
	f->address = lf->addr;
	f->mapping = -1;
	leak_frame_name(lf, t->func, sizeof(t->func));
	f->function = t->func;
	if (lf->sym.file) {
		fmt_printable(t->file, sizeof(t->file), lf->sym.file);
		f->file = t->file;
		f->line = lf->sym.line;
	}
	if (!lf->user)
		return;		/* kernel addresses: no file mapping */
	/* a return address: the call is the byte before (as symbolized) */
	f->mapping = mapping_of(b, lf->addr - 1);
	if (f->mapping >= 0) {
		struct pprof_mapping *m = &b->maps[f->mapping];

		m->has_functions |= lf->sym.func != NULL;
		m->has_filenames |= lf->sym.file != NULL;
		m->has_line_numbers |= lf->sym.line > 0;
	}
}

static void add_label(struct pprof_sample *s, const char *key, const char *value)
{
	if (value && value[0] && s->nr_labels < PPROF_MAX_LABELS)
		s->labels[s->nr_labels++] = (struct pprof_label){ key, value };
}

static void fill_sample(struct pprof_build *b, const struct leak_report *r,
			const struct leak_record *x, struct pprof_sample *s, size_t frame_at)
{
	const struct leak_frame *lf = leak_record_frames(r, x);

	s->frames = b->frames + frame_at;
	s->nr_frames = x->nr_frames;
	for (size_t k = 0; k < x->nr_frames; k++)
		fill_frame(b, &lf[k], &b->frames[frame_at + k], &b->texts[frame_at + k]);
	s->inuse_space = (int64_t)x->bytes;
	s->inuse_objects = (int64_t)x->blocks;
	/* all-time figures are the stack's: pprof adds samples up, so a stack
	 * split by leak kind has them once, on its first record */
	if (x->stack_first) {
		s->alloc_space = (int64_t)x->totals.alloc_bytes;
		s->alloc_objects = (int64_t)x->totals.alloc_count;
	}
	add_label(s, "source", leak_src_name(x->key.src));
	add_label(s, "cache", x->cache_name);
	/* valgrind's --show-leak-kinds names, as in JSON: -tagfocus=kind=definite */
	if (x->kind != LEAK_UNKNOWN)
		add_label(s, "kind", leak_kind_name(x->kind));
}

int leak_render_pprof(const struct leak_report *r, const struct leak_pprof_opts *o)
{
	struct pprof_build b = { .o = o };
	size_t n = r->nr_records, nf = r->nr_frames, at = 0;
	struct pprof_profile p = { 0 };
	char comment[96];
	int err;

	b.samples = alloc_group_calloc(&b.parts, n, sizeof(*b.samples));
	b.frames = alloc_group_calloc(&b.parts, nf, sizeof(*b.frames));
	b.texts = alloc_group_calloc(&b.parts, nf, sizeof(*b.texts));
	b.maps = alloc_group_calloc(&b.parts, nf, sizeof(*b.maps));		/* at most one per frame */
	b.modules = alloc_group_calloc(&b.parts, nf, sizeof(*b.modules));
	if (!b.samples || !b.frames || !b.texts || !b.maps || !b.modules) {
		alloc_group_free(&b.parts);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		fill_sample(&b, r, &r->records[i], &b.samples[i], at);
		at += r->records[i].nr_frames;
	}
	if (r->meta.pid)
		snprintf(comment, sizeof(comment), "leaksnoop -p %d", r->meta.pid);
	else
		snprintf(comment, sizeof(comment), "leaksnoop (whole system, kernel)");
	p.samples = b.samples;
	p.nr_samples = n;
	p.mappings = b.maps;
	p.nr_mappings = b.nr_maps;
	p.time_nanos = o->start_wall_ns;
	p.duration_nanos = (int64_t)(r->meta.elapsed_s * 1e9);
	p.comment = comment;
	err = pprof_write_file(&p, o->path);
	alloc_group_free(&b.parts);
	return err;
}

int leak_pprof_check_writable(const char *path)
{
	char tmp[4096];
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		fprintf(stderr, "leaksnoop: profile path too long\n");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "leaksnoop: cannot write profile %s: %s\n", path, strerror(errno));
		return -1;
	}
	close(fd);
	unlink(tmp);
	return 0;
}
