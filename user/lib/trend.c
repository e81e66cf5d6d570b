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

/* The centred sums of the least-squares fit: Σdt², Σdt·dv, Σdv². */
struct trend_sums {
	double stt, stv, svv;
};

static struct trend_sums trend_sums(const struct trend *tr)
{
	struct trend_sums s = {};
	double mean_t = 0, mean_v = 0;
	int i;

	for (i = 0; i < tr->n; i++) {
		mean_t += tr->t[i];
		mean_v += tr->v[i];
	}
	mean_t /= tr->n;
	mean_v /= tr->n;
	/* Centred sums: timestamps like CLOCK_MONOTONIC seconds and values in
	 * bytes are both large, and the textbook n*Σxy - ΣxΣy cancels badly. */
	for (i = 0; i < tr->n; i++) {
		double dt = tr->t[i] - mean_t, dv = tr->v[i] - mean_v;

		s.stt += dt * dt;
		s.stv += dt * dv;
		s.svv += dv * dv;
	}
	return s;
}

double trend_slope(const struct trend *tr)
{
	struct trend_sums s;

	if (!trend_valid(tr) || tr->n < 2)
		return 0;
	s = trend_sums(tr);
	return s.stt > 0 ? s.stv / s.stt : 0;
}

double trend_fit(const struct trend *tr)
{
	struct trend_sums s;
	double r2;

	if (!trend_valid(tr) || tr->n < 3)
		return 0;
	s = trend_sums(tr);
	if (s.stt <= 0 || s.svv <= 0)
		return 0;
	r2 = s.stv * s.stv / (s.stt * s.svv);
	return r2 > 1 ? 1 : r2;
}

double trend_span(const struct trend *tr)
{
	if (!trend_valid(tr) || tr->n < 2)
		return 0;
	return tr->t[trend_index(tr, tr->n - 1)] - tr->t[trend_index(tr, 0)];
}

double trend_last(const struct trend *tr)
{
	if (!trend_valid(tr) || tr->n < 1)
		return 0;
	return tr->v[trend_index(tr, tr->n - 1)];
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
