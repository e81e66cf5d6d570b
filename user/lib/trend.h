/* SPDX-License-Identifier: GPL-2.0 */
/* The user's "sample memory several times; what keeps growing is a leak"
 * method as a small ring of samples with a least-squares slope. */
#ifndef MMSCOPE_TREND_H
#define MMSCOPE_TREND_H

#include <stdbool.h>
#include <stdint.h>

#define TREND_SAMPLES 12

struct trend {
	double t[TREND_SAMPLES];	/* seconds */
	double v[TREND_SAMPLES];	/* value, e.g. bytes */
	int n, head;
};

void trend_add(struct trend *tr, double t, double v);
/* Least-squares slope in value units per second; 0 with < 2 samples. */
double trend_slope(const struct trend *tr);
/* How well the line fits: r² in [0, 1] (1: every sample on the line; 0:
 * the line explains nothing, or < 3 samples, or a flat series). */
double trend_fit(const struct trend *tr);
/* Seconds between the oldest and the newest sample (0 with < 2). */
double trend_span(const struct trend *tr);
/* The newest sample's value (0 when empty). */
double trend_last(const struct trend *tr);
/* Steady growth: at least min_samples samples, none smaller than the one
 * before, and a total rise of at least min_rise. */
bool trend_growing(const struct trend *tr, int min_samples, double min_rise);

#endif
