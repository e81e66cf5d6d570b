// SPDX-License-Identifier: GPL-2.0
/* /proc/slabinfo: see slabinfo.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "procfs.h"
#include "slabinfo.h"
#include "vec.h"

/* "name active num objsize objperslab pagesperslab : tunables l b s :
 * slabdata active_slabs num_slabs sharedavail": 0, or -EINVAL. */
static int parse_cache_line(const char *line, struct slabinfo_cache *c)
{
	char name[SLABINFO_NAME_LEN + 1];
	uint64_t tun[3], avail;
	int end = 0;

	memset(c, 0, sizeof(*c));
	if (sscanf(line, "%64s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " : tunables %" SCNu64 " %" SCNu64 " %" SCNu64 " : slabdata %" SCNu64 " %" SCNu64
		   " %" SCNu64 "%n",
		   name, &c->active_objs, &c->num_objs, &c->objsize, &c->objperslab,
		   &c->pagesperslab, &tun[0], &tun[1], &tun[2], &c->active_slabs, &c->num_slabs,
		   &avail, &end) != 12 || !end)
		return -EINVAL;
	if (strlen(name) >= SLABINFO_NAME_LEN || c->active_objs > c->num_objs)
		return -EINVAL;
	for (const char *p = line + end; *p && *p != '\n'; p++)
		if (*p != ' ' && *p != '\t')
			return -EINVAL;
	memcpy(c->name, name, strlen(name) + 1);
	return 0;
}

static int parse_lines(const char *text, struct slabinfo *out)
{
	size_t cap = 0;
	const char *line = strchr(text, '\n');	/* past "slabinfo - version: 2.1" */

	while (line && *++line) {
		struct slabinfo_cache c, *v;

		if (*line != '#' && *line != '\n') {	/* "# name <active_objs> ..." */
			if (parse_cache_line(line, &c))
				return -EINVAL;
			v = vec_reserve(out->v, &cap, out->n, sizeof(*v));
			if (!v)
				return -ENOMEM;
			out->v = v;
			out->v[out->n++] = c;
		}
		line = strchr(line, '\n');
	}
	return 0;
}

int slabinfo_parse(const char *text, struct slabinfo *out)
{
	unsigned major, minor;
	int err;

	memset(out, 0, sizeof(*out));
	if (sscanf(text, "slabinfo - version: %u.%u", &major, &minor) != 2 || major != 2)
		return -EINVAL;
	err = parse_lines(text, out);
	if (err)
		slabinfo_free(out);
	return err;
}

int slabinfo_read(struct slabinfo *out)
{
	char *text = procfs_slurp("/proc/slabinfo", NULL);
	int err;

	memset(out, 0, sizeof(*out));
	if (!text)
		return -errno;
	err = slabinfo_parse(text, out);
	free(text);
	return err;
}

const struct slabinfo_cache *slabinfo_find(const struct slabinfo *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

void slabinfo_free(struct slabinfo *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}
