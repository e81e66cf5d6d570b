/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal unit-test harness: each test_*.c has a main() that calls
 * RUN(fn) for its tests. Every test prints "ok NAME" or "FAIL NAME: why";
 * tests/run.py counts those lines. */
#ifndef MMSCOPE_UNIT_H
#define MMSCOPE_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int unit_failed_checks;
static int unit_failed_tests;

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("  check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		unit_failed_checks++; \
	} } while (0)

#define CHECK_U64(got, want) do { \
	unsigned long long g_ = (unsigned long long)(got), w_ = (unsigned long long)(want); \
	if (g_ != w_) { \
		printf("  check failed at %s:%d: %s = %llu, want %llu\n", __FILE__, __LINE__, #got, g_, w_); \
		unit_failed_checks++; \
	} } while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!g_ || strcmp(g_, w_) != 0) { \
		printf("  check failed at %s:%d: %s = \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, g_ ? g_ : "(null)", w_); \
		unit_failed_checks++; \
	} } while (0)

/* What fn(FILE *, arg) prints, as a string to free(). The stream's buffer
 * lives outside the expression: open_memstream writes it at fclose. */
static char *unit_render_buf __attribute__((unused));
static size_t unit_render_len __attribute__((unused));
#define RENDER_TO_STRING(fn, arg) ({ \
	FILE *o_ = open_memstream(&unit_render_buf, &unit_render_len); \
	if (o_) { fn(o_, arg); fclose(o_); } else { unit_render_buf = NULL; } \
	unit_render_buf; })

#define RUN(fn) do { \
	int before_ = unit_failed_checks; \
	fn(); \
	if (unit_failed_checks == before_) printf("ok %s\n", #fn); \
	else { printf("FAIL %s\n", #fn); unit_failed_tests++; } \
	fflush(stdout); \
} while (0)

#define UNIT_EXIT() return unit_failed_tests != 0

#endif
