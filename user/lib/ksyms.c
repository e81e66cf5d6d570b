// SPDX-License-Identifier: GPL-2.0
/* Kernel symbols from /proc/kallsyms: a sorted array searched by address.
 *
 * Lines look like "ffffffff81000000 T _stext" or
 * "ffffffffc0a01000 t foo\t[module]". The parser walks a private copy of
 * the text, NUL-terminating each name in place so no per-symbol allocation
 * is needed (the real file has ~200k lines). Anything that doesn't look like
 * such a line is skipped, so truncated or hostile text yields fewer symbols,
 * never an out-of-bounds read. */
#define _GNU_SOURCE	/* strchrnul */
#include "sorted.h"
#include "symbolize.h"
#include "procfs.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct ksym {
	uint64_t addr;
	const char *name;	/* points into ksyms.text */
};

struct ksyms {
	struct ksym *syms;	/* sorted by addr */
	size_t n;
	char *text;		/* owns every name */
};

static int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1 to 16 hex digits; more would overflow 64 bits, so the line is garbage. */
static bool parse_hex_u64(char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0, d;

	while (*p < end && (d = hex_digit_value(**p)) >= 0) {
		if (++digits > 16)
			return false;
		v = (v << 4) | (uint64_t)d;
		(*p)++;
	}
	*out = v;
	return digits > 0;
}

static bool is_name_end(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

/* Parses "ADDR TYPE NAME[\t[module]]" in [line, end); on success
 * NUL-terminates the name in place. end points at the '\n' or the NUL. */
static bool parse_kallsyms_line(char *line, char *end, struct ksym *out)
{
	char *p = line, *name;

	if (!parse_hex_u64(&p, end, &out->addr))
		return false;
	/* " T " — the type is one visible character between single spaces. */
	if (end - p < 3 || p[0] != ' ' || is_name_end(p[1]) || p[2] != ' ')
		return false;
	name = p + 3;
	for (p = name; p < end && !is_name_end(*p); p++)
		;
	if (p == name)
		return false;
	*p = '\0';	/* overwrites a separator or the '\n' we already passed */
	out->name = name;
	return true;
}

static size_t count_lines(const char *text)
{
	size_t n = 1;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* Equal addresses (aliases) keep file order: names point into one buffer in
 * line order, so comparing the pointers makes the sort deterministic. */
static int compare_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->name != y->name)
		return x->name < y->name ? -1 : 1;
	return 0;
}

/* Takes ownership of text (malloc'd, NUL-terminated, modified in place). */
static struct ksyms *parse_owned_text(char *text)
{
	struct ksyms *k = calloc(1, sizeof(*k));
	size_t max = count_lines(text);
	char *line, *end, *next;

	if (!k || !(k->syms = calloc(max, sizeof(*k->syms)))) {
		free(k);
		free(text);
		errno = ENOMEM;
		return NULL;
	}
	k->text = text;
	for (line = text; *line; line = next) {
		end = strchrnul(line, '\n');
		/* Taken before parsing, which may turn the '\n' into a NUL. */
		next = *end ? end + 1 : end;
		if (parse_kallsyms_line(line, end, &k->syms[k->n]))
			k->n++;
	}
	qsort(k->syms, k->n, sizeof(*k->syms), compare_ksym);
	return k;
}

struct ksyms *ksyms_parse(const char *text)
{
	char *copy = text ? strdup(text) : NULL;

	if (!copy) {
		errno = text ? ENOMEM : EINVAL;
		return NULL;
	}
	return parse_owned_text(copy);
}

/* With kptr_restrict in force every address reads as 0: the table would
 * resolve everything to one symbol, so treat it as a permission failure. */
static bool all_addresses_hidden(const struct ksyms *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (k->syms[i].addr != 0)
			return false;
	return true;
}

struct ksyms *ksyms_load(void)
{
	struct ksyms *k;
	char *text = procfs_slurp("/proc/kallsyms", NULL);

	if (!text)
		return NULL;
	k = parse_owned_text(text);
	if (k && all_addresses_hidden(k)) {
		ksyms_free(k);
		errno = EPERM;
		return NULL;
	}
	return k;
}

void ksyms_free(struct ksyms *k)
{
	if (k) {	/* the table, the text its names point into, itself */
		free(k->syms);
		free(k->text);
	}
	free(k);
}

const char *ksyms_resolve(const struct ksyms *k, uint64_t addr, uint64_t *offset)
{
	size_t lo;

	if (!k)
		return NULL;
	/* the first symbol above addr: the one before it is ours */
	lo = sorted_count_at_or_below(k->syms, k->n, sizeof(k->syms[0]), offsetof(struct ksym, addr),
				      addr);
	if (lo == 0)
		return NULL;
	/* Among aliases at one address, report the first the file lists. */
	while (lo > 1 && k->syms[lo - 2].addr == k->syms[lo - 1].addr)
		lo--;
	if (offset)
		*offset = addr - k->syms[lo - 1].addr;
	return k->syms[lo - 1].name;
}

uint64_t ksyms_address(const struct ksyms *k, const char *name)
{
	size_t i;

	if (!k || !name)
		return 0;
	/* A linear scan: lookups by name are rare (setup time), not per event. */
	for (i = 0; i < k->n; i++)
		if (strcmp(k->syms[i].name, name) == 0)
			return k->syms[i].addr;
	return 0;
}
