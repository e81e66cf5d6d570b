// SPDX-License-Identifier: GPL-2.0
/* -v: where the wall time of a run goes (phases.h). */
#include <stdio.h>
#include "clock.h"
#include "phases.h"

static const char *const phase_names[PH_MAX] = {
	"start", "load", "attach", "release", "trace", "report", "detach",
};
static double phase_at[PH_MAX];

void phase_mark(enum phase p)
{
	phase_at[p] = monotonic_s();
}

void phases_print(void)
{
	double prev = phase_at[PH_START];

	fprintf(stderr, "leaksnoop: wall time by phase (ms):");
	for (int p = PH_START + 1; p < PH_MAX; p++) {
		if (!phase_at[p])
			continue;
		fprintf(stderr, " %s %.0f", phase_names[p], (phase_at[p] - prev) * 1e3);
		prev = phase_at[p];
	}
	fprintf(stderr, "; total %.0f\n", (prev - phase_at[PH_START]) * 1e3);
}
