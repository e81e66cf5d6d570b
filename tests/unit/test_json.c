// SPDX-License-Identifier: GPL-2.0
/* Unit tests for user/lib/json.c: output is captured with open_memstream
 * and compared byte for byte. */
#include "unit.h"
#include "json.h"

#include <locale.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

/* One captured output stream. */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
	struct json j;
};

static void capture_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	json_init(&c->j, c->f);
}

/* Closes the stream and checks what was written; frees it. */
#define CHECK_CAPTURE(c, want) do { \
	fclose((c)->f); \
	CHECK_STR((c)->buf, (want)); \
	free((c)->buf); \
} while (0)

/* The escaped form of raw bytes, via json_write_string. */
#define CHECK_ESCAPED(raw, len, want) do { \
	struct capture c_; \
	capture_open(&c_); \
	json_write_string(c_.f, (raw), (len)); \
	CHECK_CAPTURE(&c_, (want)); \
} while (0)

static void test_flat_object(void)
{
	struct capture c;

	capture_open(&c);
	json_obj_begin(&c.j, NULL);
	json_u64(&c.j, "pid", 1234);
	json_str(&c.j, "comm", "cat");
	json_bool(&c.j, "ok", true);
	json_bool(&c.j, "bad", false);
	json_null(&c.j, "none");
	json_str(&c.j, "missing", NULL);
	json_i64(&c.j, "delta", -5);
	json_obj_end(&c.j);
	json_line_end(&c.j);
	CHECK_CAPTURE(&c, "{\"pid\":1234,\"comm\":\"cat\",\"ok\":true,\"bad\":false,"
		      "\"none\":null,\"missing\":null,\"delta\":-5}\n");
}

static void test_nesting_and_commas(void)
{
	struct capture c;

	capture_open(&c);
	json_obj_begin(&c.j, NULL);
	json_arr_begin(&c.j, "a");
	json_u64(&c.j, NULL, 1);
	json_u64(&c.j, NULL, 2);
	json_obj_begin(&c.j, NULL);
	json_arr_begin(&c.j, "b");
	json_arr_end(&c.j);
	json_obj_end(&c.j);
	json_arr_begin(&c.j, NULL);
	json_arr_end(&c.j);
	json_str(&c.j, NULL, "x");
	json_arr_end(&c.j);
	json_obj_begin(&c.j, "c");
	json_obj_end(&c.j);
	json_u64(&c.j, "d", 0);
	json_obj_end(&c.j);
	CHECK_CAPTURE(&c, "{\"a\":[1,2,{\"b\":[]},[],\"x\"],\"c\":{},\"d\":0}");
}

static void test_records_are_independent(void)
{
	struct capture c;

	/* Each JSON Lines record starts without a comma from the one before. */
	capture_open(&c);
	json_obj_begin(&c.j, NULL);
	json_u64(&c.j, "n", 1);
	json_obj_end(&c.j);
	json_line_end(&c.j);
	json_obj_begin(&c.j, NULL);
	json_u64(&c.j, "n", 2);
	json_obj_end(&c.j);
	json_line_end(&c.j);
	json_arr_begin(&c.j, NULL);
	json_arr_end(&c.j);
	json_line_end(&c.j);
	CHECK_CAPTURE(&c, "{\"n\":1}\n{\"n\":2}\n[]\n");
}

static void test_deeper_than_max_depth(void)
{
	char want[512] = "";
	struct capture c;
	int i, levels = JSON_MAX_DEPTH + 4;

	/* Each level holds 1, the next level, then 2: commas must survive
	 * past the tracked depth. */
	capture_open(&c);
	for (i = 0; i < levels; i++) {
		json_arr_begin(&c.j, NULL);
		json_u64(&c.j, NULL, 1);
		strcat(want, "[1,");
	}
	strcat(want, "[]");
	json_arr_begin(&c.j, NULL);
	json_arr_end(&c.j);
	for (i = 0; i < levels; i++) {
		json_u64(&c.j, NULL, 2);
		json_arr_end(&c.j);
		strcat(want, ",2]");
	}
	json_line_end(&c.j);
	strcat(want, "\n");
	CHECK_CAPTURE(&c, want);
}

static void test_escapes(void)
{
	CHECK_ESCAPED("", 0, "\"\"");
	CHECK_ESCAPED("plain text", 10, "\"plain text\"");
	CHECK_ESCAPED("a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"");
	CHECK_ESCAPED("\n\t\r\b\f", 5, "\"\\n\\t\\r\\b\\f\"");
	/* Other C0 controls, ESC and DEL: nothing may reach a terminal raw. */
	CHECK_ESCAPED("\x01\x1b[31m\x1f\x7f", 8, "\"\\u0001\\u001b[31m\\u001f\\u007f\"");
	/* A NUL inside the given length is data, not the end. */
	CHECK_ESCAPED("a\0b", 3, "\"a\\u0000b\"");
}

static void test_valid_utf8_passes(void)
{
	CHECK_ESCAPED("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");		/* U+00E9 */
	CHECK_ESCAPED("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");		/* U+20AC */
	CHECK_ESCAPED("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"");	/* U+1F600 */
	CHECK_ESCAPED("\xc2\xa0", 2, "\"\xc2\xa0\"");			/* U+00A0 */
	CHECK_ESCAPED("\xed\x9f\xbf", 3, "\"\xed\x9f\xbf\"");		/* U+D7FF */
	CHECK_ESCAPED("\xee\x80\x80", 3, "\"\xee\x80\x80\"");		/* U+E000 */
	CHECK_ESCAPED("\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\"");	/* U+10FFFF */
	/* C1 controls are valid UTF-8 but act as terminal controls. */
	CHECK_ESCAPED("\xc2\x9b" "2J", 4, "\"\\u009b2J\"");
}

static void test_invalid_utf8_escaped(void)
{
	CHECK_ESCAPED("\x80", 1, "\"\\u0080\"");			/* lone continuation */
	CHECK_ESCAPED("\xff\xfe", 2, "\"\\u00ff\\u00fe\"");
	CHECK_ESCAPED("\xc0\xaf", 2, "\"\\u00c0\\u00af\"");		/* overlong '/' */
	CHECK_ESCAPED("\xc1\xbf", 2, "\"\\u00c1\\u00bf\"");
	CHECK_ESCAPED("\xe0\x80\xaf", 3, "\"\\u00e0\\u0080\\u00af\"");	/* overlong */
	CHECK_ESCAPED("\xf0\x82\x82\xac", 4, "\"\\u00f0\\u0082\\u0082\\u00ac\"");
	CHECK_ESCAPED("\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"");	/* U+D800 */
	CHECK_ESCAPED("\xed\xbf\xbf", 3, "\"\\u00ed\\u00bf\\u00bf\"");	/* U+DFFF */
	CHECK_ESCAPED("\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\"");	/* > U+10FFFF */
	CHECK_ESCAPED("\xf5\x80\x80\x80", 4, "\"\\u00f5\\u0080\\u0080\\u0080\"");
	/* Cut-short sequences: the bytes that follow are kept. */
	CHECK_ESCAPED("\xe2\x82" "A", 3, "\"\\u00e2\\u0082A\"");
	CHECK_ESCAPED("x\xe2\x82", 3, "\"x\\u00e2\\u0082\"");
	CHECK_ESCAPED("\xf0\x9f\x98", 3, "\"\\u00f0\\u009f\\u0098\"");
	/* len stops a sequence even if valid bytes follow in memory. */
	CHECK_ESCAPED("\xc3\xa9", 1, "\"\\u00c3\"");
	/* Mixed: valid text around an invalid byte survives intact. */
	CHECK_ESCAPED("\xc3\xa9\xa9\xc3\xa9", 5, "\"\xc3\xa9\\u00a9\xc3\xa9\"");
}

static void test_keys_escaped(void)
{
	struct capture c;

	capture_open(&c);
	json_obj_begin(&c.j, NULL);
	json_str(&c.j, "k\"\n", "v\x01");
	json_strn(&c.j, "bin", "a\0\xff", 3);
	json_strn(&c.j, "nullp", NULL, 3);
	json_obj_end(&c.j);
	CHECK_CAPTURE(&c, "{\"k\\\"\\n\":\"v\\u0001\",\"bin\":\"a\\u0000\\u00ff\",\"nullp\":null}");
}

static void test_numbers(void)
{
	struct capture c;

	capture_open(&c);
	json_arr_begin(&c.j, NULL);
	json_u64(&c.j, NULL, UINT64_MAX);
	json_i64(&c.j, NULL, INT64_MIN);
	json_f64(&c.j, NULL, 1.5);
	json_f64(&c.j, NULL, 0.1);
	json_f64(&c.j, NULL, -0.25);
	json_f64(&c.j, NULL, 0);
	json_f64(&c.j, NULL, 1e20);
	json_f64(&c.j, NULL, 1.5e-7);
	json_f64(&c.j, NULL, 123456789.0);
	json_f64(&c.j, NULL, NAN);
	json_f64(&c.j, NULL, INFINITY);
	json_f64(&c.j, NULL, -INFINITY);
	json_arr_end(&c.j);
	CHECK_CAPTURE(&c, "[18446744073709551615,-9223372036854775808,1.5,0.1,-0.25,"
		      "0,1e+20,1.5e-07,1.23457e+08,null,null,null]");

	capture_open(&c);
	json_obj_begin(&c.j, NULL);
	json_f64(&c.j, "rate", NAN);
	json_f64(&c.j, "x", 2);
	json_obj_end(&c.j);
	CHECK_CAPTURE(&c, "{\"rate\":null,\"x\":2}");
}

/* A tool that calls setlocale() must still print '.' decimals. Only runs
 * where a comma-decimal locale is installed. */
static void test_f64_ignores_locale(void)
{
	static const char *const locales[] = {
		"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "ru_RU.UTF-8",
	};
	struct capture c;
	size_t i;

	for (i = 0; i < sizeof(locales) / sizeof(locales[0]); i++)
		if (setlocale(LC_NUMERIC, locales[i]))
			break;
	if (i == sizeof(locales) / sizeof(locales[0]))
		return;
	capture_open(&c);
	json_f64(&c.j, NULL, 2.5);
	setlocale(LC_NUMERIC, "C");
	CHECK_CAPTURE(&c, "2.5");
}

struct pair {
	uint64_t first, second, skipped;
};

static void test_u64_fields_in_table_order(void)
{
	static const struct json_u64_field fields[] = {
		{ "b", offsetof(struct pair, second) }, { "a", offsetof(struct pair, first) },
	};
	struct pair v = { .first = 1, .second = 18446744073709551615ULL, .skipped = 7 };
	struct capture c;

	capture_open(&c);
	json_obj_begin(&c.j, NULL);
	json_u64_fields(&c.j, &v, fields, 2);
	json_obj_end(&c.j);
	CHECK_CAPTURE(&c, "{\"b\":18446744073709551615,\"a\":1}");
	CHECK(v.first == 1 && v.skipped == 7 && v.second == 18446744073709551615ULL);	/* read only */
}

int main(void)
{
	RUN(test_flat_object);
	RUN(test_nesting_and_commas);
	RUN(test_records_are_independent);
	RUN(test_deeper_than_max_depth);
	RUN(test_escapes);
	RUN(test_valid_utf8_passes);
	RUN(test_invalid_utf8_escaped);
	RUN(test_keys_escaped);
	RUN(test_numbers);
	RUN(test_f64_ignores_locale);
	RUN(test_u64_fields_in_table_order);
	UNIT_EXIT();
}
