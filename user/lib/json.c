// SPDX-License-Identifier: GPL-2.0
/* Streaming JSON writer. Strings come from the traced processes (comms,
 * paths), so they are treated as hostile: anything that is not valid UTF-8
 * or that could drive a terminal is escaped, and the output is plain ASCII. */
#include "json.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <string.h>

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* Containers nested deeper than JSON_MAX_DEPTH share the last slot. That is
 * still correct: when a child closes, its parent always needs a comma next
 * (the child was an element), so nothing a shared slot forgets matters. */
static bool *comma_slot(struct json *j)
{
	int d = j->depth;

	if (d < 0)
		d = 0;
	if (d >= JSON_MAX_DEPTH)
		d = JSON_MAX_DEPTH - 1;
	return &j->need_comma[d];
}

/* Writes the separator and "key": that precede every value. */
static void json_value_prefix(struct json *j, const char *key)
{
	bool *need_comma = comma_slot(j);

	if (*need_comma)
		fputc(',', j->f);
	*need_comma = true;
	if (key) {
		json_write_string(j->f, key, strlen(key));
		fputc(':', j->f);
	}
}

static void json_open(struct json *j, const char *key, char bracket)
{
	json_value_prefix(j, key);
	fputc(bracket, j->f);
	j->depth++;
	*comma_slot(j) = false;
}

static void json_close(struct json *j, char bracket)
{
	fputc(bracket, j->f);
	if (j->depth > 0)
		j->depth--;
	*comma_slot(j) = true;
}

void json_obj_begin(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void json_obj_end(struct json *j)
{
	json_close(j, '}');
}

void json_arr_begin(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void json_arr_end(struct json *j)
{
	json_close(j, ']');
}

void json_str(struct json *j, const char *key, const char *val)
{
	if (!val) {
		json_null(j, key);
		return;
	}
	json_strn(j, key, val, strlen(val));
}

void json_strn(struct json *j, const char *key, const char *val, size_t len)
{
	if (!val) {
		json_null(j, key);
		return;
	}
	json_value_prefix(j, key);
	json_write_string(j->f, val, len);
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_value_prefix(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
	json_value_prefix(j, key);
	fprintf(j->f, "%" PRId64, v);
}

/* printf follows LC_NUMERIC, and a tool that calls setlocale() for ncurses
 * could otherwise print "1,5": put the JSON '.' back. */
static void use_dot_decimal_point(char *num)
{
	const char *dp = localeconv()->decimal_point;
	size_t dp_len = dp ? strlen(dp) : 0;
	char *at;

	if (dp_len == 0 || strcmp(dp, ".") == 0)
		return;
	at = strstr(num, dp);
	if (!at)
		return;
	*at = '.';
	memmove(at + 1, at + dp_len, strlen(at + dp_len) + 1);
}

void json_f64(struct json *j, const char *key, double v)
{
	char num[64];

	if (!isfinite(v)) {
		json_null(j, key);
		return;
	}
	json_value_prefix(j, key);
	/* %.6g never prints a leading '+', a bare '.', or "inf" for a finite
	 * value, so what it gives is a valid JSON number. */
	snprintf(num, sizeof(num), "%.6g", v);
	use_dot_decimal_point(num);
	fputs(num, j->f);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_value_prefix(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	json_value_prefix(j, key);
	fputs("null", j->f);
}

void json_line_end(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
	/* The next record starts a fresh top level: no leading comma. */
	j->depth = 0;
	memset(j->need_comma, 0, sizeof(j->need_comma));
}

/* --- strings ---------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most len bytes), or 0 if the
 * bytes there are not one. Follows Unicode Table 3-7 (well-formed byte
 * sequences), which rules out overlongs, surrogates and code points above
 * U+10FFFF by narrowing the range of the second byte. */
static size_t utf8_sequence_len(const unsigned char *s, size_t len)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xBF;
	size_t need, i;

	if (b < 0x80)
		return 1;
	if (b >= 0xC2 && b <= 0xDF)
		need = 2;
	else if (b >= 0xE0 && b <= 0xEF)
		need = 3;
	else if (b >= 0xF0 && b <= 0xF4)
		need = 4;
	else
		return 0;	/* continuation byte, C0/C1 overlong lead, F5..FF */

	if (b == 0xE0)
		lo = 0xA0;	/* shorter form exists: overlong */
	else if (b == 0xED)
		hi = 0x9F;	/* U+D800..U+DFFF: surrogates */
	else if (b == 0xF0)
		lo = 0x90;	/* overlong */
	else if (b == 0xF4)
		hi = 0x8F;	/* above U+10FFFF */

	if (len < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need;
}

/* The escape for an ASCII byte, or NULL if it can go out as is. */
static const char *ascii_escape(unsigned char c)
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\t': return "\\t";
	case '\r': return "\\r";
	case '\b': return "\\b";
	case '\f': return "\\f";
	default: return NULL;
	}
}

/* C0 controls, DEL and C1 controls (U+0080..U+009F, i.e. C2 80..C2 9F) can
 * all move a terminal's cursor or start an escape sequence. */
static bool is_control(const unsigned char *s, size_t seq_len)
{
	if (seq_len == 1)
		return s[0] < 0x20 || s[0] == 0x7F;
	return seq_len == 2 && s[0] == 0xC2 && s[1] <= 0x9F;
}

/* The code point of a valid 1- or 2-byte sequence (used for controls). */
static unsigned int small_code_point(const unsigned char *s, size_t seq_len)
{
	if (seq_len == 1)
		return s[0];
	return ((unsigned int)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
}

void json_write_string(FILE *f, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	fputc('"', f);
	while (i < len) {
		size_t seq_len = utf8_sequence_len(s + i, len - i);
		const char *esc = seq_len == 1 ? ascii_escape(s[i]) : NULL;

		if (seq_len == 0) {
			/* One invalid byte; resynchronise at the next one. */
			fprintf(f, "\\u%04x", s[i]);
			i++;
			continue;
		}
		if (esc)
			fputs(esc, f);
		else if (is_control(s + i, seq_len))
			fprintf(f, "\\u%04x", small_code_point(s + i, seq_len));
		else
			fwrite(s + i, 1, seq_len, f);
		i += seq_len;
	}
	fputc('"', f);
}

void json_u64_fields(struct json *j, const void *base, const struct json_u64_field *fields,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		memcpy(&v, (const char *)base + fields[i].offset, sizeof(v));
		json_u64(j, fields[i].key, v);
	}
}
