// SPDX-License-Identifier: GPL-2.0
/* Leak heuristics over a ring of the last TREND_SAMPLES samples. A struct
 * trend starts zeroed; there is no init function. */
#include "trend.h"

#include <math.h>

/* Index of the i-th oldest sample stored. */
static int trend_index(const struct trend *tr, int i)
{
	return (tr->head - tr->n + i + 2 * TREND_SAMPLES) % TREND_SAMPLES;
}

static bool trend_valid(const struct trend *tr)
{
	return tr->n >= 0 && tr->n <= TREND_SAMPLES &&
	       tr->head >= 0 && tr->head < TREND_SAMPLES;
}

void trend_add(struct trend *tr, double t, double v)
{
	/* One NaN (a failed read turned into a number) would poison every
	 * slope for the whole window, so such samples are dropped. */
	if (!isfinite(t) || !isfinite(v))
		return;
	if (!trend_valid(tr))
		tr->n = tr->head = 0;
	tr->t[tr->head] = t;
	tr->v[tr->head] = v;
	tr->head = (tr->head + 1) % TREND_SAMPLES;
	if (tr->n < TREND_SAMPLES)
		tr->n++;
}

double trend_slope(const struct trend *tr)
{
	double mean_t = 0, mean_v = 0, stt = 0, stv = 0;
	int i;

	if (!trend_valid(tr) || tr->n < 2)
		return 0;
	for (i = 0; i < tr->n; i++) {
		mean_t += tr->t[i];
		mean_v += tr->v[i];
	}
	mean_t /= tr->n;
	mean_v /= tr->n;
	/* Centred sums: timestamps like CLOCK_MONOTONIC seconds and values in
	 * bytes are both large, and the textbook n*Σxy - ΣxΣy cancels badly. */
	for (i = 0; i < tr->n; i++) {
		double dt = tr->t[i] - mean_t;

		stt += dt * dt;
		stv += dt * (tr->v[i] - mean_v);
	}
	return stt > 0 ? stv / stt : 0;
}

bool trend_growing(const struct trend *tr, int min_samples, double min_rise)
{
	int i;

	/* A single sample shows no growth whatever min_samples says. */
	if (!trend_valid(tr) || tr->n < 2 || tr->n < min_samples)
		return false;
	for (i = 1; i < tr->n; i++)
		if (tr->v[trend_index(tr, i)] < tr->v[trend_index(tr, i - 1)])
			return false;
	return tr->v[trend_index(tr, tr->n - 1)] - tr->v[trend_index(tr, 0)] >= min_rise;
}
