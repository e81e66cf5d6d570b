/* SPDX-License-Identifier: GPL-2.0 */
/* -v: where the wall time of a run goes, phase by phase. */
#ifndef LEAKSNOOP_PHASES_H
#define LEAKSNOOP_PHASES_H

enum phase { PH_START, PH_LOADED, PH_ATTACHED, PH_RELEASED, PH_ENDED, PH_REPORTED, PH_DETACHED,
	     PH_MAX };

/* The phase ends now. */
void phase_mark(enum phase p);
/* One stderr line: each phase's milliseconds and the total. */
void phases_print(void);

#endif
