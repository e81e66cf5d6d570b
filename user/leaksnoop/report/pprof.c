// SPDX-License-Identifier: GPL-2.0
/* pprof profiles through protobuf-c (profile.pb-c.c is generated at build
 * time from proto/profile.proto) and zlib.
 *
 * profile.proto refers to strings, functions, locations and mappings by
 * index or id: every string is stored once in string_table (index 0 is ""),
 * every (function, file) once as a Function, every (mapping, address) once
 * as a Location with one Line. Ids are indexes + 1: 0 means "none". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "alloc_group.h"
#include "intmap.h"
#include "vec.h"
#include "profile.pb-c.h"
#include "pprof.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

#define NR_SAMPLE_TYPES 4

/* Keys to ids (>= 1) in intmaps: strings by hash, functions by their
 * (name, file), locations by (mapping, address). Each value is the id's
 * slot, holding 0 until the entry it names is in its table. */
static uint64_t *id_slot(struct intmap *m, uint64_t key)
{
	bool created;

	return intmap_get_or_add(m, key, sizeof(uint64_t), &created);
}

struct builder {
	/* strings: the table, and FNV-1a hash (probed on collision) -> index + 1 */
	char **strings;
	size_t nr_strings, strings_cap;
	struct intmap string_ids;
	/* functions: (name, file) -> id */
	Function *funcs;
	size_t nr_funcs, funcs_cap;
	struct intmap func_ids;
	/* locations, each with its one line: (mapping, address) -> id */
	Location *locs;
	Line *lines;
	size_t nr_locs, locs_cap, lines_cap;
	struct intmap loc_ids;
};

/* ---- the string table -------------------------------------------------------- */

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* The index of s in the string table (a copy of it), adding it; -1 when out
 * of memory. */
static int64_t string_id(struct builder *b, const char *s)
{
	uint64_t key, *id;
	char **v;

	if (!s || !*s)
		return 0;
	for (key = fnv1a(s);; key++) {
		id = id_slot(&b->string_ids, key);
		if (!id)
			return -1;
		if (!*id)
			break;
		if (strcmp(b->strings[*id - 1], s) == 0)
			return (int64_t)(*id - 1);
	}
	v = vec_reserve(b->strings, &b->strings_cap, b->nr_strings, sizeof(char *));
	if (!v)
		return -1;
	b->strings = v;
	b->strings[b->nr_strings] = strdup(s);
	if (!b->strings[b->nr_strings])
		return -1;
	*id = b->nr_strings + 1;
	return (int64_t)b->nr_strings++;
}

/* ---- functions and locations ---------------------------------------------------- */

static uint64_t function_id(struct builder *b, const char *name, const char *file)
{
	int64_t n = string_id(b, name), f = string_id(b, file);
	uint64_t *id;
	Function *v;

	if (n < 0 || f < 0)
		return 0;
	id = id_slot(&b->func_ids, ((uint64_t)n << 32) | (uint64_t)f);
	if (!id || *id)
		return id ? *id : 0;
	v = vec_reserve(b->funcs, &b->funcs_cap, b->nr_funcs, sizeof(*v));
	if (!v)
		return 0;
	b->funcs = v;
	perftools__profiles__function__init(&b->funcs[b->nr_funcs]);
	b->funcs[b->nr_funcs].id = b->nr_funcs + 1;
	b->funcs[b->nr_funcs].name = n;
	b->funcs[b->nr_funcs].system_name = n;
	b->funcs[b->nr_funcs].filename = f;
	*id = ++b->nr_funcs;
	return *id;
}

static bool grow_locations(struct builder *b)
{
	Location *l = vec_reserve(b->locs, &b->locs_cap, b->nr_locs, sizeof(*l));
	Line *ln;

	if (!l)
		return false;
	b->locs = l;
	ln = vec_reserve(b->lines, &b->lines_cap, b->nr_locs, sizeof(*ln));
	if (!ln)
		return false;
	b->lines = ln;
	return true;
}

/* A frame's location id, 0 when out of memory. Addresses identify
 * locations; a frame without one is identified by its function. */
static uint64_t location_id(struct builder *b, const struct pprof_frame *fr)
{
	uint64_t fid = fr->function ? function_id(b, fr->function, fr->file) : 0;
	uint64_t key = fr->address ? fr->address ^ ((uint64_t)(fr->mapping + 1) << 48)
				   : (1ULL << 63) | fid;
	uint64_t *id = id_slot(&b->loc_ids, key);
	Location *l;

	if (!id || *id)
		return id ? *id : 0;
	if ((fr->function && !fid) || !grow_locations(b))
		return 0;
	l = &b->locs[b->nr_locs];
	perftools__profiles__location__init(l);
	perftools__profiles__line__init(&b->lines[b->nr_locs]);
	l->id = b->nr_locs + 1;
	l->mapping_id = fr->mapping >= 0 ? (uint64_t)fr->mapping + 1 : 0;
	l->address = fr->address;
	if (fid) {
		b->lines[b->nr_locs].function_id = fid;
		b->lines[b->nr_locs].line = fr->line;
		l->n_line = 1;	/* l->line is pointed at lines[] once all are in */
	}
	*id = ++b->nr_locs;
	return *id;
}

static void builder_free(struct builder *b)
{
	for (size_t i = 0; i < b->nr_strings; i++)
		free(b->strings[i]);
	free(b->strings);
	free(b->funcs);
	free(b->locs);
	free(b->lines);
	intmap_free_all(&b->string_ids, free);
	intmap_free_all(&b->func_ids, free);
	intmap_free_all(&b->loc_ids, free);
}

/* ---- the message ---------------------------------------------------------------- */

/* Everything the Profile message points to; the arrays are parts of one
 * group, freed together. */
struct message {
	struct alloc_group parts;
	Profile prof;
	ValueType types[NR_SAMPLE_TYPES + 1];	/* + the period type */
	ValueType *type_ptrs[NR_SAMPLE_TYPES];
	Sample *samples;
	Sample **sample_ptrs;
	uint64_t *loc_ids;			/* every sample's, back to back */
	int64_t *values;
	Label *labels;
	Label **label_ptrs;
	Mapping *maps;
	Mapping **map_ptrs;
	Location **loc_ptrs;
	Line **line_ptrs;
	Function **func_ptrs;
	int64_t comment;
};

static int add_sample_types(struct builder *b, struct message *m)
{
	static const char *const names[NR_SAMPLE_TYPES][2] = {
		{ "inuse_space", "bytes" }, { "inuse_objects", "count" },
		{ "alloc_space", "bytes" }, { "alloc_objects", "count" },
	};

	for (int i = 0; i < NR_SAMPLE_TYPES; i++) {
		perftools__profiles__value_type__init(&m->types[i]);
		m->types[i].type = string_id(b, names[i][0]);
		m->types[i].unit = string_id(b, names[i][1]);
		if (m->types[i].type < 0 || m->types[i].unit < 0)
			return -ENOMEM;
		m->type_ptrs[i] = &m->types[i];
	}
	perftools__profiles__value_type__init(&m->types[NR_SAMPLE_TYPES]);
	m->types[NR_SAMPLE_TYPES].type = string_id(b, "space");
	m->types[NR_SAMPLE_TYPES].unit = string_id(b, "bytes");
	m->prof.n_sample_type = NR_SAMPLE_TYPES;
	m->prof.sample_type = m->type_ptrs;
	m->prof.period_type = &m->types[NR_SAMPLE_TYPES];
	m->prof.period = 1;		/* every allocation is recorded, none sampled */
	m->prof.default_sample_type = m->types[0].type;
	return 0;
}

static int add_mappings(struct builder *b, struct message *m, const struct pprof_profile *p)
{
	size_t n = p->nr_mappings;

	m->maps = alloc_group_calloc(&m->parts, n, sizeof(*m->maps));
	m->map_ptrs = alloc_group_calloc(&m->parts, n, sizeof(Mapping *));
	if (!m->maps || !m->map_ptrs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct pprof_mapping *in = &p->mappings[i];
		Mapping *out = &m->maps[i];

		perftools__profiles__mapping__init(out);
		out->id = i + 1;
		out->memory_start = in->start;
		out->memory_limit = in->limit;
		out->file_offset = in->file_offset;
		out->filename = string_id(b, in->file);
		out->build_id = string_id(b, in->build_id);
		if (out->filename < 0 || out->build_id < 0)
			return -ENOMEM;
		out->has_functions = in->has_functions;
		out->has_filenames = in->has_filenames;
		out->has_line_numbers = in->has_line_numbers;
		m->map_ptrs[i] = out;
	}
	m->prof.n_mapping = n;
	m->prof.mapping = m->map_ptrs;
	return 0;
}

static int count_parts(const struct pprof_profile *p, size_t *frames, size_t *labels)
{
	*frames = *labels = 0;
	for (size_t i = 0; i < p->nr_samples; i++) {
		const struct pprof_sample *s = &p->samples[i];

		if (s->nr_labels < 0 || s->nr_labels > PPROF_MAX_LABELS)
			return -EINVAL;
		for (size_t k = 0; k < s->nr_frames; k++)
			if (s->frames[k].mapping < -1 || s->frames[k].mapping >= (int)p->nr_mappings)
				return -EINVAL;
		*frames += s->nr_frames;
		*labels += (size_t)s->nr_labels;
	}
	return 0;
}

static int fill_sample(struct builder *b, const struct pprof_sample *in, Sample *out,
		       uint64_t *loc_ids, int64_t *values, Label *labels, Label **label_ptrs)
{
	perftools__profiles__sample__init(out);
	for (size_t k = 0; k < in->nr_frames; k++) {
		loc_ids[k] = location_id(b, &in->frames[k]);
		if (!loc_ids[k])
			return -ENOMEM;
	}
	out->n_location_id = in->nr_frames;
	out->location_id = loc_ids;
	values[0] = in->inuse_space;
	values[1] = in->inuse_objects;
	values[2] = in->alloc_space;
	values[3] = in->alloc_objects;
	out->n_value = NR_SAMPLE_TYPES;
	out->value = values;
	for (int k = 0; k < in->nr_labels; k++) {
		perftools__profiles__label__init(&labels[k]);
		labels[k].key = string_id(b, in->labels[k].key);
		labels[k].str = string_id(b, in->labels[k].value);
		if (labels[k].key < 0 || labels[k].str < 0)
			return -ENOMEM;
		label_ptrs[k] = &labels[k];
	}
	out->n_label = (size_t)in->nr_labels;
	out->label = label_ptrs;
	return 0;
}

static int add_samples(struct builder *b, struct message *m, const struct pprof_profile *p)
{
	size_t n = p->nr_samples, frames, labels, fi = 0, li = 0;
	int err = count_parts(p, &frames, &labels);

	if (err)
		return err;
	m->samples = alloc_group_calloc(&m->parts, n, sizeof(*m->samples));
	m->sample_ptrs = alloc_group_calloc(&m->parts, n, sizeof(Sample *));
	m->loc_ids = alloc_group_calloc(&m->parts, frames, sizeof(*m->loc_ids));
	m->values = alloc_group_calloc(&m->parts, n * NR_SAMPLE_TYPES, sizeof(*m->values));
	m->labels = alloc_group_calloc(&m->parts, labels, sizeof(*m->labels));
	m->label_ptrs = alloc_group_calloc(&m->parts, labels, sizeof(Label *));
	if (!m->samples || !m->sample_ptrs || !m->loc_ids || !m->values || !m->labels ||
	    !m->label_ptrs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct pprof_sample *s = &p->samples[i];

		err = fill_sample(b, s, &m->samples[i], m->loc_ids + fi,
				  m->values + i * NR_SAMPLE_TYPES, m->labels + li, m->label_ptrs + li);
		if (err)
			return err;
		m->sample_ptrs[i] = &m->samples[i];
		fi += s->nr_frames;
		li += (size_t)s->nr_labels;
	}
	m->prof.n_sample = n;
	m->prof.sample = m->sample_ptrs;
	return 0;
}

/* Points the message at the builder's tables, which no longer grow. */
static int link_tables(struct builder *b, struct message *m)
{
	size_t nl = b->nr_locs, nf = b->nr_funcs;

	m->loc_ptrs = alloc_group_calloc(&m->parts, nl, sizeof(Location *));
	m->line_ptrs = alloc_group_calloc(&m->parts, nl, sizeof(Line *));
	m->func_ptrs = alloc_group_calloc(&m->parts, nf, sizeof(Function *));
	if (!m->loc_ptrs || !m->line_ptrs || !m->func_ptrs)
		return -ENOMEM;
	for (size_t i = 0; i < nl; i++) {
		m->line_ptrs[i] = &b->lines[i];
		b->locs[i].line = b->locs[i].n_line ? &m->line_ptrs[i] : NULL;
		m->loc_ptrs[i] = &b->locs[i];
	}
	for (size_t i = 0; i < nf; i++)
		m->func_ptrs[i] = &b->funcs[i];
	m->prof.n_location = nl;
	m->prof.location = m->loc_ptrs;
	m->prof.n_function = nf;
	m->prof.function = m->func_ptrs;
	m->prof.n_string_table = b->nr_strings;
	m->prof.string_table = b->strings;
	return 0;
}

static int build(struct builder *b, struct message *m, const struct pprof_profile *p)
{
	int err;

	perftools__profiles__profile__init(&m->prof);
	/* string_table[0] must be "" */
	b->strings = calloc(64, sizeof(char *));
	if (!b->strings)
		return -ENOMEM;
	b->strings_cap = 64;
	b->strings[0] = strdup("");
	if (!b->strings[0])
		return -ENOMEM;
	b->nr_strings = 1;
	if ((err = add_sample_types(b, m)) || (err = add_mappings(b, m, p)) ||
	    (err = add_samples(b, m, p)))
		return err;
	m->prof.time_nanos = p->time_nanos;
	m->prof.duration_nanos = p->duration_nanos;
	if (p->comment) {
		m->comment = string_id(b, p->comment);
		if (m->comment < 0)
			return -ENOMEM;
		m->prof.n_comment = 1;
		m->prof.comment = &m->comment;
	}
	return link_tables(b, m);
}

int pprof_encode(const struct pprof_profile *p, uint8_t **out, size_t *len)
{
	struct builder b = { 0 };
	struct message m = { 0 };
	int err;

	err = build(&b, &m, p);
	if (!err) {
		*len = perftools__profiles__profile__get_packed_size(&m.prof);
		*out = malloc(*len ? *len : 1);
		if (*out)
			perftools__profiles__profile__pack(&m.prof, *out);
		else
			err = -ENOMEM;
	}
	alloc_group_free(&m.parts);
	builder_free(&b);
	return err;
}

/* ---- on disk ------------------------------------------------------------------------ */

static int write_gzip(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	gzFile gz;
	int err = 0;

	if (fd < 0)
		return -errno;
	gz = gzdopen(fd, "wb");
	if (!gz) {
		close(fd);
		return -ENOMEM;
	}
	while (len && !err) {
		unsigned chunk = len > (1U << 30) ? 1U << 30 : (unsigned)len;

		if (gzwrite(gz, buf, chunk) != (int)chunk)
			err = -EIO;
		buf += chunk;
		len -= chunk;
	}
	if (gzclose(gz) != Z_OK && !err)
		err = -EIO;	/* ENOSPC and friends show up here */
	return err;
}

int pprof_write_file(const struct pprof_profile *p, const char *path)
{
	char tmp[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	err = pprof_encode(p, &buf, &len);
	if (!err)
		err = write_gzip(tmp, buf, len);
	free(buf);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
