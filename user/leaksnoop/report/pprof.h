/* SPDX-License-Identifier: GPL-2.0 */
/* A heap profile in pprof's format (profile.proto, gzipped on disk), which
 * `go tool pprof`, Pyroscope and Parca read. This module only encodes: it
 * takes samples whose frames are already symbolized and the mappings they
 * are in, and knows nothing of BPF or of leaksnoop's report.
 *
 * Sample types, in this order: inuse_space/bytes, inuse_objects/count,
 * alloc_space/bytes, alloc_objects/count (inuse_space is the default). */
#ifndef LEAKSNOOP_PPROF_H
#define LEAKSNOOP_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A mapped file (or [vdso]) that frames point into. */
struct pprof_mapping {
	uint64_t start, limit;		/* addresses in the process */
	uint64_t file_offset;		/* the file offset mapped at start */
	const char *file;
	const char *build_id;		/* hex GNU build id, or NULL */
	bool has_functions, has_filenames, has_line_numbers;
};

struct pprof_frame {
	uint64_t address;		/* 0 when there is none (a pseudo-frame) */
	const char *function;		/* NULL: unresolved, shown as the address */
	const char *file;		/* NULL without line info */
	int64_t line;
	int mapping;			/* index into pprof_profile.mappings, or -1 */
};

#define PPROF_MAX_LABELS 4

struct pprof_label {
	const char *key, *value;
};

struct pprof_sample {
	const struct pprof_frame *frames;	/* leaf (the allocation's caller) first */
	size_t nr_frames;
	int64_t inuse_space, inuse_objects;	/* outstanding now */
	int64_t alloc_space, alloc_objects;	/* allocated since tracing began */
	struct pprof_label labels[PPROF_MAX_LABELS];
	int nr_labels;
};

struct pprof_profile {
	const struct pprof_sample *samples;
	size_t nr_samples;
	const struct pprof_mapping *mappings;
	size_t nr_mappings;
	int64_t time_nanos;		/* when tracing began, ns since the epoch */
	int64_t duration_nanos;
	const char *comment;		/* NULL or one line shown by pprof */
};

/* Serializes p (not gzipped) into a malloc'd *out. 0, -EINVAL (a frame
 * names a mapping that isn't there) or -ENOMEM. */
int pprof_encode(const struct pprof_profile *p, uint8_t **out, size_t *len);

/* Encodes, gzips and writes p to path through a temporary file renamed over
 * it, so a reader never sees half a profile. 0 or -errno. */
int pprof_write_file(const struct pprof_profile *p, const char *path);

#endif
