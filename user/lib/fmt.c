// SPDX-License-Identifier: GPL-2.0
/* Short human-readable numbers for fixed-width columns. */
#include "fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Divides v by base until it fits and prints it with the unit reached:
 * one decimal below 100 ("1.5", "12.3"), none above ("123", "1023"), so
 * the number never takes more than 4 characters. Thresholds account for
 * rounding, so 1023.9K prints "1.0M" rather than "1024K". */
static char *fmt_scaled(char *buf, size_t size, double v, double base,
			const char *units)
{
	double s = v / base;

	while (s >= base - 0.5 && units[1] != '\0') {
		s /= base;
		units++;
	}
	if (s < 99.95)
		snprintf(buf, size, "%.1f%c", s, *units);
	else
		snprintf(buf, size, "%.0f%c", s, *units);
	return buf;
}

char *fmt_bytes(char *buf, size_t size, uint64_t bytes)
{
	if (bytes < 1024) {
		snprintf(buf, size, "%u", (unsigned int)bytes);
		return buf;
	}
	/* P and E only matter for garbage-sized values, but they keep even
	 * UINT64_MAX within 4 characters of number. */
	return fmt_scaled(buf, size, (double)bytes, 1024.0, "KMGTPE");
}

/* Counts and rates use decimal k/M/G, as perf and ps do. */
static char *fmt_count_abs(char *buf, size_t size, double v)
{
	if (v >= 999.5)
		return fmt_scaled(buf, size, v, 1000.0, "kMGTPE");
	/* Whole counts stay whole ("7"); only rates under 10 show a decimal. */
	if (v < 9.95 && v != floor(v))
		snprintf(buf, size, "%.1f", v);
	else
		snprintf(buf, size, "%.0f", v);
	return buf;
}

char *fmt_count(char *buf, size_t size, double v)
{
	char abs_buf[32];

	if (size == 0)
		return buf;
	if (!isfinite(v)) {
		snprintf(buf, size, "-");
		return buf;
	}
	if (v >= 0)
		return fmt_count_abs(buf, size, v);
	fmt_count_abs(abs_buf, sizeof(abs_buf), -v);
	/* Tiny negatives round to "0.0"; a sign in front would look odd. */
	if (strcmp(abs_buf, "0.0") == 0 || strcmp(abs_buf, "0") == 0)
		snprintf(buf, size, "%s", abs_buf);
	else
		snprintf(buf, size, "-%s", abs_buf);
	return buf;
}

char *fmt_printable(char *buf, size_t size, const char *s)
{
	size_t i = 0;

	if (size == 0)
		return buf;
	/* Only 0x20..0x7e: no controls, no DEL, and no high bytes that could
	 * form C1 controls or confuse the column width. */
	for (; s && s[i] && i < size - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = (char)((c >= 0x20 && c < 0x7f) ? c : '?');
	}
	buf[i] = '\0';
	return buf;
}
