// SPDX-License-Identifier: GPL-2.0
/* /proc/slabinfo: see slabinfo.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "procfs.h"
#include "slabinfo.h"
#include "vec.h"

/* The next whitespace-separated word of *p (advanced past it) into w,
 * false when there is none before the line's end or it does not fit. */
static bool next_word(const char **p, char *w, size_t size)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	while (s[n] && s[n] != ' ' && s[n] != '\t' && s[n] != '\n')
		n++;
	if (!n || n >= size)
		return false;
	memcpy(w, s, n);
	w[n] = '\0';
	*p = s + n;
	return true;
}

/* The next word as a decimal number (no sign, no overflow). */
static bool next_u64(const char **p, uint64_t *v)
{
	char w[24], *end;

	if (!next_word(p, w, sizeof(w)) || w[0] < '0' || w[0] > '9')
		return false;
	errno = 0;
	*v = strtoull(w, &end, 10);
	return !*end && !errno;
}

static bool next_is(const char **p, const char *want)
{
	char w[16];

	return next_word(p, w, sizeof(w)) && !strcmp(w, want);
}

/* "name active num objsize objperslab pagesperslab : tunables l b s :
 * slabdata active_slabs num_slabs sharedavail": 0, or -EINVAL. */
static int parse_cache_line(const char *line, struct slabinfo_cache *c)
{
	uint64_t ignored;
	const char *p = line;
	bool ok;

	memset(c, 0, sizeof(*c));
	ok = next_word(&p, c->name, sizeof(c->name)) && next_u64(&p, &c->active_objs) &&
	     next_u64(&p, &c->num_objs) && next_u64(&p, &c->objsize) &&
	     next_u64(&p, &c->objperslab) && next_u64(&p, &c->pagesperslab) &&
	     next_is(&p, ":") && next_is(&p, "tunables") && next_u64(&p, &ignored) &&
	     next_u64(&p, &ignored) && next_u64(&p, &ignored) && next_is(&p, ":") &&
	     next_is(&p, "slabdata") && next_u64(&p, &c->active_slabs) &&
	     next_u64(&p, &c->num_slabs) && next_u64(&p, &ignored);
	while (ok && (*p == ' ' || *p == '\t'))
		p++;
	if (!ok || (*p && *p != '\n') || c->active_objs > c->num_objs)
		return -EINVAL;
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
	static const char head[] = "slabinfo - version: 2.";
	int err;

	memset(out, 0, sizeof(*out));
	if (strncmp(text, head, sizeof(head) - 1) != 0)
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
