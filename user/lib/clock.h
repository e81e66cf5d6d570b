/* SPDX-License-Identifier: GPL-2.0 */
/* The clocks the tools read: one definition each. */
#ifndef MMSCOPE_CLOCK_H
#define MMSCOPE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC, the tools' time base (and bpf_ktime_get_ns()'s). */
static inline uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline double monotonic_s(void)
{
	return (double)monotonic_ns() / 1e9;
}

/* Seconds since the epoch, for timestamps people read. */
static inline double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Nanoseconds since the epoch, for formats that want them (pprof). */
static inline int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif
