/* SPDX-License-Identifier: GPL-2.0 */
/* The user's method -- "first see whether the system leaks; then check
 * user space and kernel space separately" -- as a model: samples of the
 * books (memacct.h) and of the slab caches, a least-squares trend per bucket
 * and per cache over the last TREND_SAMPLES samples, a short history for
 * sparklines, and a verdict: steady, or growing in user space (which
 * processes, by their USS trend) or in the kernel (which bucket, which slab
 * caches), with the rate and how sure (samples, fit). Pure: samples in
 * (memsample.c reads them from /proc), numbers and a sentence out. */
#ifndef MMSCOPE_MEMLEDGER_H
#define MMSCOPE_MEMLEDGER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "memacct.h"
#include "memstat.h"
#include "trend.h"

#define MEM_HISTORY 64		/* samples kept for sparklines */
#define MEM_VERDICT_MAX 8	/* caches / processes a verdict names */

/* One reading of /proc/{meminfo,vmstat,slabinfo,buddyinfo,zoneinfo}. */
struct mem_sample {
	double t;			/* monotonic seconds */
	uint64_t page_size;
	struct meminfo mi;
	struct mem_books books;
	struct slabinfo slab;		/* owned; empty when unreadable */
	struct buddyinfo buddy;
	struct zoneinfo zones;
	int slab_err, buddy_err, zones_err;	/* 0, or -errno: why one is empty */
};
void mem_sample_free(struct mem_sample *s);

/* One slab cache over time, by name. */
struct mem_cache_track {
	char name[SLAB_NAME_LEN];
	struct trend bytes, objs;	/* slab pages held; active objects */
	uint64_t objsize;
	bool present;			/* in the newest sample */
};

struct mem_ledger {
	int samples;			/* added so far */
	double interval_s;		/* between the last two */
	struct trend bucket[MB_NR];
	int64_t history[MEM_HISTORY][MB_NR];	/* ring, oldest at hist_head when full */
	int hist_n, hist_head;
	struct mem_cache_track *caches;
	size_t nr_caches, cap_caches;
	struct mem_sample last;		/* the newest sample, owned */
};

/* Takes s (and ownership of its slabinfo; s is left empty). 0 or -ENOMEM
 * (the sample is then still the newest, its new caches untracked). */
int mem_ledger_add(struct mem_ledger *l, struct mem_sample *s);
void mem_ledger_free(struct mem_ledger *l);
/* The i-th oldest of the history's hist_n values of bucket k. */
int64_t mem_ledger_history(const struct mem_ledger *l, int i, enum mem_bucket k);
/* The track of the newest sample's cache c, or NULL. */
const struct mem_cache_track *mem_ledger_cache(const struct mem_ledger *l, const char *name);

/* What counts as growth: over the trend window, at least min_samples
 * samples, a fitted rise (slope x span) of at least *_rise bytes and a fit
 * (r²) of at least min_fit, so jitter of a few MiB (per-CPU counters) or
 * one spike is not a trend. */
struct mem_thresholds {
	int min_samples;
	double bucket_rise, cache_rise, proc_rise;
	double min_fit;
};
extern const struct mem_thresholds mem_default_thresholds;

struct mem_growth {
	enum mem_bucket bucket;
	double rate, rise, fit;		/* bytes/s, bytes over the window, r² */
};
struct mem_cache_growth {
	char name[SLAB_NAME_LEN];
	double rate, rise, fit;
	double objs_rise;		/* active objects over the window */
	uint64_t bytes;			/* now */
};
/* A process whose USS grows (the caller's USS trends: faulttop's rows). */
struct mem_proc_growth {
	pid_t pid;
	char comm[17];
	double rate, rise;		/* USS bytes/s; bytes over its window */
};

enum mem_where { MEM_WHERE_NONE, MEM_WHERE_USER, MEM_WHERE_KERNEL };
const char *mem_where_name(enum mem_where w);	/* "none", "user", "kernel" */

struct mem_verdict {
	enum mem_where where;		/* the larger growth when both grow */
	bool enough;			/* enough samples to judge */
	int samples;
	double span_s;
	double user_rate, kernel_rate;	/* bytes/s of what grows on each side */
	struct mem_growth buckets[MB_NR];	/* growing, largest rise first */
	int nr_buckets;
	struct mem_cache_growth caches[MEM_VERDICT_MAX];
	int nr_caches;
	struct mem_proc_growth procs[MEM_VERDICT_MAX];
	int nr_procs;
	char sentence[640];
};

/* The verdict on l's window; procs are the growing processes the caller
 * knows (any order; those under th->proc_rise are left out). */
void mem_ledger_verdict(const struct mem_ledger *l, const struct mem_thresholds *th,
			const struct mem_proc_growth *procs, int nr_procs, struct mem_verdict *v);

/* Whether a trend grows by th's measure; fills rate, rise and fit. */
bool mem_trend_grows(const struct trend *tr, int min_samples, double min_rise, double min_fit,
		     double *rate, double *rise, double *fit);

#endif
