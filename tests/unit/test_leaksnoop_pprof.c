// SPDX-License-Identifier: GPL-2.0
/* leaksnoop's pprof encoder: what it writes is read back with protobuf-c's
 * own decoder (generated from the same profile.proto) and zlib. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>
#include "profile.pb-c.h"
#include "pprof.h"
#include "unit.h"

static const char *str(const Perftools__Profiles__Profile *p, int64_t i)
{
	return i >= 0 && (size_t)i < p->n_string_table ? p->string_table[i] : "(bad index)";
}

static const Perftools__Profiles__Location *loc(const Perftools__Profiles__Profile *p, uint64_t id)
{
	for (size_t i = 0; i < p->n_location; i++)
		if (p->location[i]->id == id)
			return p->location[i];
	return NULL;
}

static const Perftools__Profiles__Function *func(const Perftools__Profiles__Profile *p, uint64_t id)
{
	for (size_t i = 0; i < p->n_function; i++)
		if (p->function[i]->id == id)
			return p->function[i];
	return NULL;
}

/* Two leaking stacks that share their callers, one unresolved frame, a
 * kernel-style frame without a mapping. */
static const struct pprof_mapping maps[] = {
	{ .start = 0x400000, .limit = 0x401000, .file = "/usr/bin/leaky",
	  .build_id = "0123456789abcdef", .has_functions = true, .has_filenames = true,
	  .has_line_numbers = true },
	{ .start = 0x7f0000000000, .limit = 0x7f0000100000, .file_offset = 0x1000,
	  .file = "/lib/libc.so.6" },
};
static const struct pprof_frame stack_a[] = {
	{ .address = 0x400100, .function = "leak_here", .file = "leaky.c", .line = 12, .mapping = 0 },
	{ .address = 0x400200, .function = "main", .file = "leaky.c", .line = 40, .mapping = 0 },
	{ .address = 0x7f0000001234, .mapping = 1 },
};
static const struct pprof_frame stack_b[] = {
	{ .address = 0x400180, .function = "leak_here", .file = "leaky.c", .line = 14, .mapping = 0 },
	{ .address = 0x400200, .function = "main", .file = "leaky.c", .line = 40, .mapping = 0 },
	{ .address = 0xffffffff81000000ULL, .function = "__kmalloc", .mapping = -1 },
};

static struct pprof_profile example(struct pprof_sample *s)
{
	struct pprof_profile p = {
		.samples = s, .nr_samples = 2, .mappings = maps, .nr_mappings = 2,
		.time_nanos = 1700000000000000000LL, .duration_nanos = 5000000000LL,
		.comment = "leaksnoop -p 42",
	};

	memset(s, 0, 2 * sizeof(*s));
	s[0] = (struct pprof_sample){ .frames = stack_a, .nr_frames = 3, .inuse_space = 12288,
				      .inuse_objects = 1, .alloc_space = 122880, .alloc_objects = 10,
				      .labels = { { "kind", "definitely lost" }, { "source", "user" } },
				      .nr_labels = 2 };
	s[1] = (struct pprof_sample){ .frames = stack_b, .nr_frames = 3, .inuse_space = 64,
				      .inuse_objects = 2, .alloc_space = 64, .alloc_objects = 2,
				      .labels = { { "source", "user" } }, .nr_labels = 1 };
	return p;
}

static Perftools__Profiles__Profile *encode_and_decode(const struct pprof_profile *p)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	Perftools__Profiles__Profile *d;

	CHECK(pprof_encode(p, &buf, &len) == 0);
	d = perftools__profiles__profile__unpack(NULL, len, buf);
	free(buf);
	CHECK(d != NULL);
	return d;
}

static void test_tables_and_sample_types(void)
{
	struct pprof_sample s[2];
	struct pprof_profile p = example(s);
	Perftools__Profiles__Profile *d = encode_and_decode(&p);
	static const char *const types[][2] = {
		{ "inuse_space", "bytes" }, { "inuse_objects", "count" },
		{ "alloc_space", "bytes" }, { "alloc_objects", "count" },
	};

	if (!d)
		return;
	CHECK(d->n_string_table > 0 && strcmp(d->string_table[0], "") == 0);
	CHECK(d->n_sample_type == 4);
	for (size_t i = 0; i < 4 && i < d->n_sample_type; i++) {
		CHECK_STR(str(d, d->sample_type[i]->type), types[i][0]);
		CHECK_STR(str(d, d->sample_type[i]->unit), types[i][1]);
	}
	CHECK_STR(str(d, d->default_sample_type), "inuse_space");
	CHECK(d->time_nanos == 1700000000000000000LL && d->duration_nanos == 5000000000LL);
	CHECK(d->n_comment == 1 && strcmp(str(d, d->comment[0]), "leaksnoop -p 42") == 0);
	/* every string once */
	for (size_t i = 0; i < d->n_string_table; i++)
		for (size_t k = i + 1; k < d->n_string_table; k++)
			CHECK(strcmp(d->string_table[i], d->string_table[k]) != 0);
	/* main's frame is shared: 5 distinct locations, 3 functions (leak_here,
	 * main, __kmalloc) */
	CHECK_U64(d->n_location, 5);
	CHECK_U64(d->n_function, 3);
	perftools__profiles__profile__free_unpacked(d, NULL);
}

static void test_samples_locations_and_labels(void)
{
	struct pprof_sample s[2];
	struct pprof_profile p = example(s);
	Perftools__Profiles__Profile *d = encode_and_decode(&p);
	const Perftools__Profiles__Location *l;
	const Perftools__Profiles__Function *f;
	const Perftools__Profiles__Sample *a;

	if (!d)
		return;
	CHECK_U64(d->n_sample, 2);
	a = d->sample[0];
	CHECK(a->n_value == 4 && a->value[0] == 12288 && a->value[1] == 1 &&
	      a->value[2] == 122880 && a->value[3] == 10);
	CHECK_U64(a->n_location_id, 3);
	l = loc(d, a->location_id[0]);
	CHECK(l && l->address == 0x400100 && l->mapping_id == 1 && l->n_line == 1);
	if (l && l->n_line == 1) {
		f = func(d, l->line[0]->function_id);
		CHECK(l->line[0]->line == 12);
		CHECK(f && strcmp(str(d, f->name), "leak_here") == 0 &&
		      strcmp(str(d, f->filename), "leaky.c") == 0);
	}
	l = loc(d, a->location_id[2]);		/* unresolved: address and mapping only */
	CHECK(l && l->address == 0x7f0000001234 && l->mapping_id == 2 && l->n_line == 0);
	CHECK(a->location_id[1] == d->sample[1]->location_id[1]);	/* main, shared */
	l = loc(d, d->sample[1]->location_id[2]);
	CHECK(l && l->mapping_id == 0 && l->n_line == 1);
	CHECK(a->n_label == 2);
	if (a->n_label == 2) {
		CHECK_STR(str(d, a->label[0]->key), "kind");
		CHECK_STR(str(d, a->label[0]->str), "definitely lost");
		CHECK_STR(str(d, a->label[1]->key), "source");
	}
	perftools__profiles__profile__free_unpacked(d, NULL);
}

static void test_mappings_with_build_ids(void)
{
	struct pprof_sample s[2];
	struct pprof_profile p = example(s);
	Perftools__Profiles__Profile *d = encode_and_decode(&p);

	if (!d)
		return;
	CHECK_U64(d->n_mapping, 2);
	if (d->n_mapping == 2) {
		const Perftools__Profiles__Mapping *m = d->mapping[0], *c = d->mapping[1];

		CHECK(m->id == 1 && m->memory_start == 0x400000 && m->memory_limit == 0x401000);
		CHECK_STR(str(d, m->filename), "/usr/bin/leaky");
		CHECK_STR(str(d, m->build_id), "0123456789abcdef");
		CHECK(m->has_functions && m->has_filenames && m->has_line_numbers);
		CHECK(c->id == 2 && c->file_offset == 0x1000 && c->build_id == 0 && !c->has_functions);
	}
	perftools__profiles__profile__free_unpacked(d, NULL);
}

static void test_bad_mapping_index_and_empty_profile(void)
{
	struct pprof_frame bad = { .address = 1, .mapping = 7 };
	struct pprof_sample s = { .frames = &bad, .nr_frames = 1 };
	struct pprof_profile p = { .samples = &s, .nr_samples = 1 };
	struct pprof_profile empty = { 0 };
	uint8_t *buf = NULL;
	size_t len = 0;
	Perftools__Profiles__Profile *d;

	CHECK(pprof_encode(&p, &buf, &len) == -EINVAL);
	CHECK(pprof_encode(&empty, &buf, &len) == 0);
	d = perftools__profiles__profile__unpack(NULL, len, buf);
	free(buf);
	CHECK(d && d->n_sample == 0 && d->n_sample_type == 4);
	if (d)
		perftools__profiles__profile__free_unpacked(d, NULL);
}

static void test_file_is_gzipped_profile(void)
{
	struct pprof_sample s[2];
	struct pprof_profile p = example(s);
	char path[] = "/tmp/mmscope-pprof-XXXXXX";
	int fd = mkstemp(path);
	uint8_t buf[65536];
	int n;
	gzFile gz;
	Perftools__Profiles__Profile *d;
	FILE *f;
	unsigned char magic[2] = { 0 };

	CHECK(fd >= 0);
	close(fd);
	CHECK(pprof_write_file(&p, path) == 0);
	f = fopen(path, "rb");
	CHECK(f && fread(magic, 1, 2, f) == 2);
	if (f)
		fclose(f);
	CHECK(magic[0] == 0x1f && magic[1] == 0x8b);	/* gzip, as the spec wants on disk */
	gz = gzopen(path, "rb");
	n = gz ? gzread(gz, buf, sizeof(buf)) : -1;
	if (gz)
		gzclose(gz);
	CHECK(n > 0);
	d = n > 0 ? perftools__profiles__profile__unpack(NULL, (size_t)n, buf) : NULL;
	CHECK(d && d->n_sample == 2 && d->sample[0]->value[0] == 12288);
	if (d)
		perftools__profiles__profile__free_unpacked(d, NULL);
	unlink(path);
	CHECK(pprof_write_file(&p, "/nonexistent-dir/x.pb.gz") == -ENOENT);
}

/* Thousands of distinct functions, each leaf shared by two samples: the
 * tables grow and still store everything once. */
static void test_many_frames_dedup(void)
{
	enum { N = 3000 };
	static struct pprof_frame frames[N][2];
	static struct pprof_sample s[2 * N];
	static char names[N][16];
	struct pprof_profile p = { .samples = s, .nr_samples = (size_t)2 * N };
	Perftools__Profiles__Profile *d;

	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "fn%d", i);
		frames[i][0] = (struct pprof_frame){ .address = 0x1000 + (uint64_t)i * 16,
						     .function = names[i], .file = "f.c", .line = i,
						     .mapping = -1 };
		frames[i][1] = (struct pprof_frame){ .address = 0x900000, .function = "main",
						     .file = "f.c", .line = 1, .mapping = -1 };
		s[(size_t)2 * i] = (struct pprof_sample){ .frames = frames[i], .nr_frames = 2,
							  .inuse_space = i };
		s[(size_t)2 * i + 1] = (struct pprof_sample){ .frames = frames[i], .nr_frames = 1 };
	}
	d = encode_and_decode(&p);
	if (!d)
		return;
	CHECK_U64(d->n_sample, 2 * N);
	CHECK_U64(d->n_location, N + 1);
	CHECK_U64(d->n_function, N + 1);
	/* "", the 4 sample types' 6 names, "space", N names, "main", "f.c" */
	CHECK_U64(d->n_string_table, 1 + 6 + 1 + N + 2);
	CHECK(d->sample[(size_t)2 * (N - 1)]->value[0] == N - 1);
	CHECK(d->sample[1]->location_id[0] == d->sample[0]->location_id[0]);
	perftools__profiles__profile__free_unpacked(d, NULL);
}

int main(void)
{
	RUN(test_many_frames_dedup);
	RUN(test_tables_and_sample_types);
	RUN(test_samples_locations_and_labels);
	RUN(test_mappings_with_build_ids);
	RUN(test_bad_mapping_index_and_empty_profile);
	RUN(test_file_is_gzipped_profile);
	UNIT_EXIT();
}
