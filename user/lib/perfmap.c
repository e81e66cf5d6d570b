// SPDX-License-Identifier: GPL-2.0
/* JIT perf maps (see perfmap.h). */
#include "perfmap.h"
#include "procfs.h"
#include "vec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Backward steps perfmap_find takes at most: node's maps have no
 * overlapping objects but the ones a moved function leaves behind, a few
 * per address. */
#define PERFMAP_SCAN_MAX 4096

/* A hex number at *p (0x optional), at most 16 digits; advances *p. */
static bool parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	int digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	*v = 0;
	for (;; s++, digits++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (digits == 16)
			return false;
		*v = *v << 4 | (uint64_t)d;
	}
	*p = s;
	return digits > 0;
}

/* One line, NUL-terminated in place: START SIZE NAME. */
static bool parse_line(char *line, struct perfmap_entry *e)
{
	const char *p = line;
	uint64_t size;
	size_t len = strlen(line);

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (!parse_hex(&p, &e->start) || *p++ != ' ' || !parse_hex(&p, &size) || *p++ != ' ')
		return false;
	if (!size || size > UINT64_MAX - e->start || !*p)
		return false;
	e->end = e->start + size;
	e->name = p;
	return true;
}

static int by_start(const void *a, const void *b)
{
	const struct perfmap_entry *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

int perfmap_parse(char *text, struct perfmap *out)
{
	size_t cap = 0;
	uint32_t line = 0;

	memset(out, 0, sizeof(*out));
	out->text = text;
	for (char *s = text, *nl; s && *s; s = nl ? nl + 1 : NULL, line++) {
		struct perfmap_entry e = { .line = line };
		void *g;

		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		if (!parse_line(s, &e)) {
			out->bad_lines += *s != '\0';
			continue;
		}
		g = vec_reserve(out->e, &cap, out->n, sizeof(*out->e));
		if (!g) {
			perfmap_free(out);
			return -ENOMEM;
		}
		out->e = g;
		out->e[out->n++] = e;
	}
	if (out->n)
		qsort(out->e, out->n, sizeof(*out->e), by_start);
	out->max_end = malloc((out->n ? out->n : 1) * sizeof(*out->max_end));
	if (!out->max_end) {
		perfmap_free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < out->n; i++)
		out->max_end[i] = i && out->max_end[i - 1] > out->e[i].end ? out->max_end[i - 1]
									    : out->e[i].end;
	return 0;
}

int perfmap_read(const char *path, struct perfmap *out)
{
	char *text = procfs_slurp(path, NULL);

	memset(out, 0, sizeof(*out));
	if (!text)
		return -errno;
	return perfmap_parse(text, out);
}

void perfmap_free(struct perfmap *m)
{
	free(m->e);
	free(m->max_end);
	free(m->text);
	memset(m, 0, sizeof(*m));
}

const struct perfmap_entry *perfmap_find(const struct perfmap *m, uint64_t addr)
{
	const struct perfmap_entry *best = NULL;
	size_t lo = 0, hi = m->n, steps = 0;

	if (!m->n || addr < m->e[0].start)
		return NULL;
	while (hi - lo > 1) {	/* e[lo].start <= addr < e[hi].start */
		size_t mid = lo + (hi - lo) / 2;

		if (m->e[mid].start <= addr)
			lo = mid;
		else
			hi = mid;
	}
	/* every entry before lo that could still cover addr: max_end says
	 * when none can */
	for (size_t i = lo + 1; i-- > 0 && m->max_end[i] > addr;) {
		const struct perfmap_entry *e = &m->e[i];

		if (++steps > PERFMAP_SCAN_MAX)
			return NULL;
		if (addr < e->end && (!best || e->line > best->line))
			best = e;
	}
	return best;
}
