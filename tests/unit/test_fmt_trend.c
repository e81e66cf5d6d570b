// SPDX-License-Identifier: GPL-2.0
/* Unit tests for user/lib/fmt.c and user/lib/trend.c. */
#include "unit.h"
#include "fmt.h"
#include "trend.h"

#include <math.h>

static void check_bytes(uint64_t bytes, const char *want)
{
	char buf[16];

	CHECK_STR(fmt_bytes(buf, sizeof(buf), bytes), want);
}

static void check_count(double v, const char *want)
{
	char buf[16];

	CHECK_STR(fmt_count(buf, sizeof(buf), v), want);
}

static void test_fmt_bytes(void)
{
	check_bytes(0, "0");
	check_bytes(1, "1");
	check_bytes(1023, "1023");
	check_bytes(1024, "1.0K");
	check_bytes(1536, "1.5K");
	check_bytes(12595, "12.3K");
	check_bytes(100ULL * 1024, "100K");
	check_bytes(1023ULL * 1024, "1023K");
	/* Would round to "1024K": moves up a unit instead. */
	check_bytes(1024ULL * 1024 - 100, "1.0M");
	check_bytes(1024ULL * 1024, "1.0M");
	check_bytes(3ULL << 30, "3.0G");
	check_bytes(5ULL << 40, "5.0T");
	check_bytes(UINT64_MAX, "16.0E");
}

static void test_fmt_bytes_small_buffer(void)
{
	char buf[4] = "zzz";

	CHECK_STR(fmt_bytes(buf, sizeof(buf), 1536), "1.5");
	CHECK_STR(fmt_bytes(buf, 1, 1536), "");
	buf[0] = 'z';
	fmt_bytes(buf, 0, 1536);	/* must not write at all */
	CHECK(buf[0] == 'z');
}

static void test_fmt_count(void)
{
	check_count(0, "0");
	check_count(7, "7");
	check_count(2.5, "2.5");
	check_count(0.25, "0.2");	/* round-half-even in printf */
	check_count(9.96, "10");
	check_count(999, "999");
	check_count(999.4, "999");
	check_count(999.6, "1.0k");
	check_count(12345, "12.3k");
	check_count(123456, "123k");
	check_count(999499, "999k");
	check_count(999999, "1.0M");
	check_count(2.5e9, "2.5G");
	check_count(-2.5, "-2.5");
	check_count(-12345, "-12.3k");
	check_count(-0.01, "0.0");
	check_count(NAN, "-");
	check_count(INFINITY, "-");
}

static void test_fmt_printable(void)
{
	char buf[32], small[4];

	CHECK_STR(fmt_printable(buf, sizeof(buf), "bash"), "bash");
	CHECK_STR(fmt_printable(buf, sizeof(buf), "(a) b) ~"), "(a) b) ~");
	CHECK_STR(fmt_printable(buf, sizeof(buf), "x\x1b[2Jy\n\t\x7f"), "x?[2Jy???");
	CHECK_STR(fmt_printable(buf, sizeof(buf), "caf\xc3\xa9\xc2\x9b"), "caf????");
	CHECK_STR(fmt_printable(buf, sizeof(buf), ""), "");
	CHECK_STR(fmt_printable(buf, sizeof(buf), NULL), "");
	CHECK_STR(fmt_printable(small, sizeof(small), "abcdef"), "abc");
	small[0] = 'z';
	fmt_printable(small, 0, "abcdef");
	CHECK(small[0] == 'z');
}

static bool near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b));
}

static void test_trend_few_samples(void)
{
	struct trend tr = { 0 };

	CHECK(trend_slope(&tr) == 0);
	CHECK(!trend_growing(&tr, 0, 0));
	trend_add(&tr, 1, 100);
	CHECK(trend_slope(&tr) == 0);
	CHECK(!trend_growing(&tr, 1, 0));
	trend_add(&tr, 3, 104);
	CHECK(near(trend_slope(&tr), 2));
	CHECK(trend_growing(&tr, 2, 4));
	CHECK(!trend_growing(&tr, 2, 5));
	CHECK(!trend_growing(&tr, 3, 0));
}

static void test_trend_slope_least_squares(void)
{
	struct trend tr = { 0 };

	/* A noisy line: (0,5) (1,8) (2,8) (3,11) fits best with slope 1.8. */
	trend_add(&tr, 0, 5);
	trend_add(&tr, 1, 8);
	trend_add(&tr, 2, 8);
	trend_add(&tr, 3, 11);
	CHECK(near(trend_slope(&tr), 1.8));

	/* All samples at one instant: no defined slope. */
	tr = (struct trend){ 0 };
	trend_add(&tr, 5, 1);
	trend_add(&tr, 5, 9);
	CHECK(trend_slope(&tr) == 0);
}

static void test_trend_large_values(void)
{
	struct trend tr = { 0 };
	int i;

	/* Monotonic-clock seconds and multi-GB values: cancellation must not
	 * swamp 1000 bytes/s. */
	for (i = 0; i < TREND_SAMPLES; i++)
		trend_add(&tr, 1e6 + i * 0.5, 8e9 + 500.0 * i);
	CHECK(fabs(trend_slope(&tr) - 1000) < 1e-3);
}

static void test_trend_ring_wraps(void)
{
	struct trend tr = { 0 };
	int i;

	/* Falling for a while, then rising for a full window: only the last
	 * TREND_SAMPLES count, and they are checked in time order. */
	for (i = 0; i < 20; i++)
		trend_add(&tr, i, 1000 - i * 10);
	CHECK(near(trend_slope(&tr), -10));
	CHECK(!trend_growing(&tr, 3, 0));
	for (i = 20; i < 20 + TREND_SAMPLES; i++)
		trend_add(&tr, i, 3.0 * i);
	CHECK_U64(tr.n, TREND_SAMPLES);
	CHECK(near(trend_slope(&tr), 3));
	CHECK(trend_growing(&tr, TREND_SAMPLES, 3.0 * (TREND_SAMPLES - 1)));
	CHECK(!trend_growing(&tr, TREND_SAMPLES + 1, 0));
	/* One sample later the window spans the wrap point. */
	trend_add(&tr, 100, 1000);
	CHECK(trend_growing(&tr, TREND_SAMPLES, 100));
}

static void test_trend_growing_rules(void)
{
	struct trend tr = { 0 };

	/* Plateaus are fine; any dip is not steady growth. */
	trend_add(&tr, 0, 100);
	trend_add(&tr, 1, 100);
	trend_add(&tr, 2, 150);
	trend_add(&tr, 3, 150);
	CHECK(trend_growing(&tr, 4, 50));
	CHECK(!trend_growing(&tr, 4, 51));
	trend_add(&tr, 4, 149);
	CHECK(!trend_growing(&tr, 2, 0));

	/* A NaN sample is dropped rather than poisoning the window. */
	tr = (struct trend){ 0 };
	trend_add(&tr, 0, 1);
	trend_add(&tr, 1, NAN);
	trend_add(&tr, NAN, 5);
	trend_add(&tr, 2, 3);
	CHECK_U64(tr.n, 2);
	CHECK(near(trend_slope(&tr), 1));
}

int main(void)
{
	RUN(test_fmt_bytes);
	RUN(test_fmt_bytes_small_buffer);
	RUN(test_fmt_count);
	RUN(test_fmt_printable);
	RUN(test_trend_few_samples);
	RUN(test_trend_slope_least_squares);
	RUN(test_trend_large_values);
	RUN(test_trend_ring_wraps);
	RUN(test_trend_growing_rules);
	UNIT_EXIT();
}
