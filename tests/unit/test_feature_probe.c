// SPDX-License-Identifier: GPL-2.0
/* The kernel tick rate told from /proc/timer_list (no kernel config file). */
#include <stdlib.h>
#include "unit.h"
#include "feature_probe.h"

/* The two lines that matter, as a kernel with hz up uptime_s would print
 * them (jiffies start at 2^32 - 300 * HZ), jiffies lagging by lag ticks. */
static const char *timer_list(int hz, double uptime_s, long lag)
{
	static char buf[512];
	unsigned long long j = 4294967296ULL + (unsigned long long)((long long)(hz * (uptime_s - 300)) - lag);

	snprintf(buf, sizeof(buf), "Timer List Version: v0.9\nHRTIMER_MAX_CLOCK_BASES: 8\n"
		 "now at %.0f nsecs\n\ncpu: 0\n  .idle_jiffies   : 1\njiffies: %llu\n",
		 uptime_s * 1e9, j);
	return buf;
}

static void test_hz_common_rates(void)
{
	static const int rates[] = { 100, 250, 300, 1000 };

	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		CHECK_U64(kernel_hz_from_timer_list(timer_list(rates[i], 732.5, 0)), rates[i]);
		CHECK_U64(kernel_hz_from_timer_list(timer_list(rates[i], 86400 * 30, 3)), rates[i]);
		/* early in boot jiffies still sit below 2^32 */
		CHECK_U64(kernel_hz_from_timer_list(timer_list(rates[i], 40, 1)), rates[i]);
	}
}

static void test_hz_measured_skew(void)
{
	/* this machine: 108632 ticks past 2^32 at 732.489 s, HZ=250 */
	CHECK_U64(kernel_hz_from_timer_list("now at 732489284697 nsecs\njiffies: 4295075928\n"), 250);
}

static void test_hz_cannot_tell(void)
{
	CHECK_U64(kernel_hz_from_timer_list(NULL), 0);
	CHECK_U64(kernel_hz_from_timer_list(""), 0);
	CHECK_U64(kernel_hz_from_timer_list("now at 5 nsecs\n"), 0);
	CHECK_U64(kernel_hz_from_timer_list("jiffies: 4294967296\n"), 0);
	/* around the 300th second every rate fits */
	CHECK_U64(kernel_hz_from_timer_list(timer_list(250, 303, 0)), 0);
	/* a rate no kernel has (far from every candidate) */
	CHECK_U64(kernel_hz_from_timer_list(timer_list(700, 5000, 0)), 0);
	CHECK_U64(kernel_hz_from_timer_list("now at junk nsecs\njiffies: junk\n"), 0);
}

int main(void)
{
	RUN(test_hz_common_rates);
	RUN(test_hz_measured_skew);
	RUN(test_hz_cannot_tell);
	return unit_failed_tests ? 1 : 0;
}
