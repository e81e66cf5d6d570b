/* SPDX-License-Identifier: GPL-2.0 */
/* scan.c's stop of a live process (scan_freeze.c): every thread seized and
 * stopped with ptrace (the one leaksnoop already traces through the
 * target's own hooks), new threads caught until none appear, and all of
 * them resumed, their pending signals passed on. Private to scan.c. */
#ifndef LEAKSNOOP_SCAN_FREEZE_H
#define LEAKSNOOP_SCAN_FREEZE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "clock.h"
#include "scan.h"

struct thr {
	pid_t tid;
	bool seized;		/* by this scan (so detached by it) */
	bool stopped;
	bool gone;		/* exited meanwhile */
	int sig;		/* stopped delivering this signal: pass it on */
	uint64_t sp;
};

struct freeze {
	const struct scan_target *t;
	struct thr *v;
	size_t n, cap;
	bool traced_stopped;	/* we stopped t->traced_tid: resume it */
	sig_atomic_t signals_at_start;
	double first_stop_ms;	/* now_ms() when a first thread was asked to stop; 0: none */
	char *why;
	size_t why_size;
};

static inline double now_ms(void)
{
	return (double)monotonic_ns() / 1e6;
}

/* A signal leaksnoop got (SIGINT/SIGTERM) since the scan began. */
static inline bool cancelled(const struct freeze *f)
{
	return f->t->signals && *f->t->signals != f->signals_at_start;
}

/* Stops every thread of f->t: 0, or -errno with f->why said. */
int freeze(struct freeze *f);
/* Resumes every thread freeze() stopped (also after a failed freeze). */
void thaw(struct freeze *f);
/* Every stopped thread's registers into *words (vec_reserve'd), and its
 * stack pointer into its entry; none at the exit hold (traced_held: no
 * code of the process runs again), only the stack pointers. 0 or -ENOMEM. */
int freeze_read_registers(struct freeze *f, uint64_t **words, size_t *nr, size_t *cap,
			  struct scan_stats *st);
/* The calling thread at nice -20 for the stop (its phases wait less for a
 * CPU on a busy machine); returns what stop_priority_restore() puts back. */
int stop_priority_raise(void);
void stop_priority_restore(int before);

#endif
