// SPDX-License-Identifier: GPL-2.0
/* The TUI's memory screen (view_tui_books.h). It reads the ledger the
 * frame points to and draws; nothing here computes a verdict. */
#include <curses.h>
#include <string.h>
#include "fmt.h"
#include "tui_logic.h"	/* tui_put_clipped */
#include "view_books.h"
#include "view_tui_books.h"

#define SPARK_WIDTH 32
#define SLAB_ROWS 8

int books_sparkline(const struct mem_ledger *l, enum mem_bucket k, int width, bool utf8,
		    char *buf, size_t size)
{
	static const char *const blocks[] = { "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
		"\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88" };
	static const char ascii[] = " .:-=+*#";
	int n = l->hist_n < width ? l->hist_n : width, first = l->hist_n - n, out = 0;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (int i = first; i < l->hist_n; i++) {
		int64_t v = mem_ledger_history(l, i, k);

		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	for (int i = first; i < l->hist_n; i++) {
		int64_t v = mem_ledger_history(l, i, k);
		int level = hi > lo ? (int)((double)(v - lo) / (double)(hi - lo) * 7.0 + 0.5) : 0;
		const char *g = utf8 ? blocks[level] : (char[]){ ascii[level], '\0' };
		size_t gl = strlen(g);

		if (len + gl + 1 > size)
			break;
		memcpy(buf + len, g, gl + 1);
		len += gl;
		out++;
	}
	return out;
}

/* A signed byte count as fmt_bytes gives it, with its sign. */
static char *fmt_signed(char *buf, size_t size, double v)
{
	char b[16];

	fmt_bytes(b, sizeof(b), (uint64_t)(v < 0 ? -v : v));
	snprintf(buf, size, "%s%s", v < 0 ? "-" : "+", b);
	return buf;
}

static void draw_bucket(int y, const struct mem_ledger *l, enum mem_bucket k, bool utf8,
			int alert)
{
	int64_t v = l->last.books.bucket[k];
	double slope = trend_slope(&l->bucket[k]), pct;
	char val[16], per_s[24], spark[SPARK_WIDTH * 3 + 1], line[160];
	bool grows;

	pct = l->last.books.mem_total ? 100.0 * (double)v / (double)l->last.books.mem_total : 0;
	fmt_bytes(val, sizeof(val), (uint64_t)(v < 0 ? -v : v));
	fmt_signed(per_s, sizeof(per_s), slope);
	snprintf(line, sizeof(line), "%-38s %s%7s %5.1f%% %9s/s ", mem_bucket_label(k),
		 v < 0 ? "-" : " ", val, pct, per_s);
	grows = slope > 0 && trend_fit(&l->bucket[k]) >= mem_default_thresholds.min_fit &&
		mem_bucket_side(k) != MEM_SIDE_OTHER;
	if (grows)
		attron(alert | A_BOLD);
	tui_put_clipped(y, 0, line);
	if (grows)
		attroff(alert | A_BOLD);
	books_sparkline(l, k, SPARK_WIDTH, utf8, spark, sizeof(spark));
	if ((int)strlen(line) + SPARK_WIDTH < COLS)
		mvaddstr(y, (int)strlen(line), spark);
}

static void draw_cache(int y, const struct mem_ledger *l, size_t i)
{
	const struct slab_cache *c = &l->last.slab.c[i];
	const struct mem_cache_track *t = mem_ledger_cache(l, c->name);
	char line[160], b[16], r[24];

	snprintf(line, sizeof(line), "%-30s %8s %10llu %12s", c->name,
		 fmt_bytes(b, sizeof(b), slab_cache_bytes(c, l->last.page_size)),
		 (unsigned long long)c->active_objs,
		 t ? fmt_signed(r, sizeof(r), trend_slope(&t->bytes)) : "");
	tui_put_clipped(y, 0, line);
}

/* The caches that grow fastest first, then the largest. */
static int draw_slab(int y, int y1, const struct mem_ledger *l)
{
	size_t grow[SLAB_ROWS / 2], top[SLAB_ROWS];
	int ng = books_growing_caches(l, grow, SLAB_ROWS / 2);
	int nt = books_top_caches(&l->last.slab, l->last.page_size, top, SLAB_ROWS);
	char line[160];

	if (l->last.slab_err) {
		snprintf(line, sizeof(line), "slab caches: /proc/slabinfo unreadable (%s)",
			 strerror(-l->last.slab_err));
		tui_put_clipped(y++, 0, line);
		return y;
	}
	attron(A_REVERSE);
	tui_put_clipped(y++, 0, "slab cache                        bytes    objects      bytes/s");
	attroff(A_REVERSE);
	for (int i = 0; i < ng && y < y1; i++)
		draw_cache(y++, l, grow[i]);
	for (int i = 0, shown = ng; i < nt && shown < SLAB_ROWS && y < y1; i++) {
		bool dup = false;

		for (int k = 0; k < ng; k++)
			dup |= grow[k] == top[i];
		if (dup)
			continue;
		draw_cache(y++, l, top[i]);
		shown++;
	}
	return y;
}

static int draw_zones(int y, int y1, const struct mem_ledger *l, int alert)
{
	const struct buddyinfo *bi = &l->last.buddy;
	const struct zoneinfo *zi = &l->last.zones;
	char line[256];

	for (int i = 0; i < zi->n && y < y1; i++) {
		const struct zone_wmark *z = &zi->z[i];
		bool low = z->managed && z->free < z->low;

		if (!z->managed)
			continue;
		snprintf(line, sizeof(line), "zone %d %-8s free %llu pages  min %llu low %llu high %llu  managed %llu%s",
			 z->node, z->zone, (unsigned long long)z->free, (unsigned long long)z->min,
			 (unsigned long long)z->low, (unsigned long long)z->high,
			 (unsigned long long)z->managed, low ? "  BELOW LOW: kswapd reclaims" : "");
		if (low)
			attron(alert | A_BOLD);
		tui_put_clipped(y++, 0, line);
		if (low)
			attroff(alert | A_BOLD);
	}
	for (int i = 0; i < bi->n && y < y1; i++) {
		int n = snprintf(line, sizeof(line), "buddy %d %-8s free blocks by order:", bi->z[i].node,
				 bi->z[i].zone);

		for (int o = 0; o < bi->z[i].nr_orders && o < BUDDY_MAX_ORDERS && n < (int)sizeof(line); o++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, " %llu",
				      (unsigned long long)bi->z[i].free[o]);
		tui_put_clipped(y++, 0, line);
	}
	return y;
}

void tui_draw_verdict(int y, const struct view_frame *f, int alert)
{
	const struct mem_verdict *v = f->sys.verdict;
	char line[sizeof(v->sentence) + 16];

	snprintf(line, sizeof(line), "memory: %s", v->sentence);
	if (v->where != MEM_WHERE_NONE)
		attron(alert | A_BOLD);
	tui_put_clipped(y, 0, line);
	if (v->where != MEM_WHERE_NONE)
		attroff(alert | A_BOLD);
}

void tui_draw_books(int y0, int y1, const struct view_frame *f, bool utf8, int alert)
{
	const struct mem_ledger *l = f->sys.books;
	char line[256], total[16], missing[200];
	int y = y0;

	if (!l) {
		tui_put_clipped(y, 0, "the books: no reading of /proc/meminfo yet");
		return;
	}
	if (f->sys.verdict)
		tui_draw_verdict(y++, f, alert);
	snprintf(line, sizeof(line), "MemTotal %s in buckets that add up to it; trend over the last %d samples%s%s",
		 fmt_bytes(total, sizeof(total), l->last.books.mem_total), l->bucket[MB_FREE].n,
		 l->last.books.missing ? "; missing, counted 0: " : "",
		 memacct_missing_names(l->last.books.missing, missing, sizeof(missing)));
	tui_put_clipped(y++, 0, line);
	attron(A_REVERSE);
	tui_put_clipped(y++, 0, "bucket                                     bytes  share    growth/s  history");
	attroff(A_REVERSE);
	for (int k = 0; k < MB_NR && y < y1; k++)
		draw_bucket(y++, l, k, utf8, alert);
	if (l->last.books.bucket[MB_UNACCOUNTED] < 0 && y < y1)
		tui_put_clipped(y++, 0, "unaccounted < 0: counters overlap (swap cache pages still mapped, per-CPU drift)");
	if (y < y1)
		y = draw_slab(y + 1, y1, l);
	if (y < y1)
		draw_zones(y + 1, y1, l, alert);
}
