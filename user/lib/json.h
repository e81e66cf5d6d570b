/* SPDX-License-Identifier: GPL-2.0 */
/* A tiny streaming JSON writer: both tools print JSON Lines through it, so
 * escaping (control bytes, quotes, invalid UTF-8) is done in one place. */
#ifndef MMSCOPE_JSON_H
#define MMSCOPE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j, const char *key);	/* key NULL inside arrays/top */
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val);	/* val NULL -> null */
/* A string of exactly len bytes (may hold NULs). */
void json_strn(struct json *j, const char *key, const char *val, size_t len);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_f64(struct json *j, const char *key, double v);	/* NaN/inf -> null */
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* A u64 member of a struct, written by json_u64_fields. */
struct json_u64_field {
	const char *key;
	size_t offset;		/* offsetof the member */
};

/* A row of a field table: member of type, written under key. */
#define JSON_U64_FIELD(type, member, key) { key, offsetof(type, member) }

/* json_u64 of each of the n fields of the struct at base, in order. */
void json_u64_fields(struct json *j, const void *base, const struct json_u64_field *fields,
		     size_t n);
/* The same for every row of a table (an array, not a pointer). */
#define JSON_U64_TABLE(j, base, table) \
	json_u64_fields(j, base, table, sizeof(table) / sizeof((table)[0]))
/* Ends a JSON Lines record: newline and flush. */
void json_line_end(struct json *j);

/* Writes s as a JSON string literal (with quotes) to f. Bytes that are not
 * valid UTF-8 become \u00XX escapes of the byte, so the output is always
 * valid JSON and no raw control byte reaches a terminal. */
void json_write_string(FILE *f, const char *s, size_t len);

#endif
