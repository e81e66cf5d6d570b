// SPDX-License-Identifier: GPL-2.0
/* Parsers for /proc/slabinfo, /proc/buddyinfo, /proc/zoneinfo and
 * /proc/vmstat's nr_zspages. Like procfs.c, they only advance a cursor up to
 * the text's NUL and use its lexing (digits only, no overflow), so a
 * truncated or hostile text gives a partial result or -EINVAL, never an
 * out-of-bounds read. */
#include "memstat.h"
#include "procfs.h"
#include "vec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Copies the word at *p (up to a blank, newline or NUL) into dst, cut to
 * size-1 bytes, and advances *p past it. False when there is no word. */
static bool take_word(const char **p, char *dst, size_t size)
{
	const char *s = procfs_skip_blanks(*p), *e = s;
	size_t len;

	while (*e && !is_space(*e) && *e != '\n')
		e++;
	if (e == s)
		return false;
	len = (size_t)(e - s) < size - 1 ? (size_t)(e - s) : size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
	*p = e;
	return true;
}

static bool take_u64(const char **p, uint64_t *out)
{
	const char *s = procfs_skip_blanks(*p);

	if (!procfs_parse_u64(&s, out))
		return false;
	*p = s;
	return true;
}

/* Skips the literal word w (after blanks); false when it is not there. */
static bool take_literal(const char **p, const char *w)
{
	const char *s = procfs_skip_blanks(*p);
	size_t len = strlen(w);

	if (strncmp(s, w, len) != 0)
		return false;
	*p = s + len;
	return true;
}

/* --- /proc/slabinfo ------------------------------------------------------ */

/* "name active num objsize perslab pagesperslab : tunables l b s : slabdata
 * active_slabs num_slabs sharedavail" */
static bool parse_slab_line(const char *p, struct slab_cache *c)
{
	uint64_t tunable;

	memset(c, 0, sizeof(*c));
	if (*p == '#' || !take_word(&p, c->name, sizeof(c->name)))
		return false;
	if (!take_u64(&p, &c->active_objs) || !take_u64(&p, &c->num_objs) ||
	    !take_u64(&p, &c->objsize) || !take_u64(&p, &c->objs_per_slab) ||
	    !take_u64(&p, &c->pages_per_slab))
		return false;
	if (!take_literal(&p, ":") || !take_literal(&p, "tunables"))
		return false;
	for (int i = 0; i < 3; i++)
		if (!take_u64(&p, &tunable))
			return false;
	if (!take_literal(&p, ":") || !take_literal(&p, "slabdata"))
		return false;
	return take_u64(&p, &c->active_slabs) && take_u64(&p, &c->num_slabs);
}

static int slabinfo_push(struct slabinfo *s, const struct slab_cache *c)
{
	struct slab_cache *room = vec_reserve(s->c, &s->cap, s->n, sizeof(*c));

	if (!room)
		return -ENOMEM;
	s->c = room;
	s->c[s->n++] = *c;
	return 0;
}

int memstat_parse_slabinfo(const char *text, struct slabinfo *out)
{
	static const char magic[] = "slabinfo - version: 2.";
	const char *p;

	out->n = 0;
	if (strncmp(text, magic, sizeof(magic) - 1) != 0)
		return -EINVAL;
	for (p = procfs_next_line(text); *p; p = procfs_next_line(p)) {
		struct slab_cache c;

		if (parse_slab_line(p, &c) && slabinfo_push(out, &c))
			return -ENOMEM;
	}
	return 0;
}

void slabinfo_free(struct slabinfo *s)
{
	free(s->c);
	memset(s, 0, sizeof(*s));
}

uint64_t slab_cache_bytes(const struct slab_cache *c, uint64_t page_size)
{
	/* saturates: a hostile text must not wrap into a small number */
	if (c->pages_per_slab && c->num_slabs > UINT64_MAX / c->pages_per_slab / (page_size ? page_size : 1))
		return UINT64_MAX;
	return c->num_slabs * c->pages_per_slab * page_size;
}

/* --- "Node N, zone NAME" headers (buddyinfo, zoneinfo) ------------------- */

static bool parse_zone_header(const char **p, int *node, char *zone)
{
	uint64_t n;

	if (!take_literal(p, "Node") || !take_u64(p, &n) || n > 1 << 20 ||
	    !take_literal(p, ",") || !take_literal(p, "zone") ||
	    !take_word(p, zone, ZONE_NAME_LEN))
		return false;
	*node = (int)n;
	return true;
}

/* --- /proc/buddyinfo ----------------------------------------------------- */

static bool parse_buddy_line(const char *p, struct buddy_zone *z)
{
	uint64_t v;

	memset(z, 0, sizeof(*z));
	if (!parse_zone_header(&p, &z->node, z->zone))
		return false;
	while (z->nr_orders < BUDDY_MAX_ORDERS && take_u64(&p, &v))
		z->free[z->nr_orders++] = v;
	return z->nr_orders > 0;
}

int memstat_parse_buddyinfo(const char *text, struct buddyinfo *out)
{
	const char *p;

	memset(out, 0, sizeof(*out));
	for (p = text; *p; p = procfs_next_line(p)) {
		struct buddy_zone z;

		if (!parse_buddy_line(p, &z))
			continue;
		if (out->n < MEM_MAX_ZONES)
			out->z[out->n++] = z;
		else
			out->dropped++;
	}
	return out->n || out->dropped ? 0 : -EINVAL;
}

uint64_t buddy_zone_free_pages(const struct buddy_zone *z)
{
	uint64_t sum = 0;

	for (int o = 0; o < z->nr_orders && o < BUDDY_MAX_ORDERS; o++) {
		uint64_t pages = z->free[o] > (UINT64_MAX >> o) ? UINT64_MAX : z->free[o] << o;

		sum = sum > UINT64_MAX - pages ? UINT64_MAX : sum + pages;
	}
	return sum;
}

/* --- /proc/zoneinfo ------------------------------------------------------ */

/* A zone's lines that matter: "  pages free N", "        min N", "low",
 * "high", "managed". Others (per-node stats, protection, pagesets) are
 * skipped. */
static void parse_zone_field(const char *p, struct zone_wmark *z)
{
	uint64_t v;

	static const struct { const char *key; size_t off; } keys[] = {
		{ "pages free", offsetof(struct zone_wmark, free) },
		{ "min", offsetof(struct zone_wmark, min) },
		{ "low", offsetof(struct zone_wmark, low) },
		{ "high", offsetof(struct zone_wmark, high) },
		{ "managed", offsetof(struct zone_wmark, managed) },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *s = p;

		/* "pages free" is two words; the others must be whole words */
		if (!take_literal(&s, keys[i].key) || !is_space(*s))
			continue;
		take_u64(&s, (uint64_t *)((char *)z + keys[i].off));
		return;
	}
	/* "count: N" of each CPU's pageset: pages freed to that CPU's list
	 * and not (yet) back in the buddy allocator's free count */
	if (take_literal(&p, "count:") && take_u64(&p, &v))
		z->pcp = z->pcp > UINT64_MAX - v ? UINT64_MAX : z->pcp + v;
}

int memstat_parse_zoneinfo(const char *text, struct zoneinfo *out)
{
	struct zone_wmark *cur = NULL;
	const char *p;

	memset(out, 0, sizeof(*out));
	for (p = text; *p; p = procfs_next_line(p)) {
		const char *s = p;
		struct zone_wmark z = {};

		if (parse_zone_header(&s, &z.node, z.zone)) {
			cur = NULL;
			if (out->n < MEM_MAX_ZONES) {
				cur = &out->z[out->n++];
				*cur = z;
			} else {
				out->dropped++;
			}
		} else if (cur) {
			parse_zone_field(p, cur);
		}
	}
	return out->n || out->dropped ? 0 : -EINVAL;
}

/* --- /proc/vmstat -------------------------------------------------------- */

int memstat_parse_vmstat_zspages(const char *text, uint64_t *pages)
{
	const char *p;

	for (p = text; *p; p = procfs_next_line(p)) {
		const char *s = p;

		if (take_literal(&s, "nr_zspages") && is_space(*s) && take_u64(&s, pages))
			return 0;
	}
	return -ENOENT;
}

int memstat_read_slabinfo(struct slabinfo *out)
{
	char *text = procfs_slurp("/proc/slabinfo", NULL);
	int err;

	memset(out, 0, sizeof(*out));
	if (!text)
		return -errno;
	err = memstat_parse_slabinfo(text, out);
	free(text);
	return err;
}

const struct slab_cache *memstat_find_slab(const struct slabinfo *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->c[i].name, name))
			return &s->c[i];
	return NULL;
}
