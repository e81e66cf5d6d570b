/* SPDX-License-Identifier: GPL-2.0 */
/* faulttop's collector: loads and attaches the BPF programs, reads the task
 * iterator and drains the ring buffer into the aggregator. */
#ifndef FAULTTOP_COLLECTOR_H
#define FAULTTOP_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "procs.h"

struct collector;

struct collector_opts {
	int sample_pct;		/* 0..100: share of time the per-fault hook runs */
	uint32_t ringbuf_bytes;	/* 0 = the BPF default */
	uint32_t max_threads;	/* per-thread counter slots; 0 = the BPF default */
};

/* Returns NULL after printing one line saying why. */
struct collector *collector_open(const struct collector_opts *o, struct procs *procs);
void collector_close(struct collector *c);

/* Waits up to timeout_ms for events, drains the ring buffer and keeps the
 * per-fault hook's duty cycle. Returns 0 or -errno (-EINTR on a signal). */
int collector_poll(struct collector *c, int timeout_ms);
/* Drains what the ring buffer holds now. */
void collector_drain(struct collector *c);
/* One task-iterator pass: every live thread's counters. */
int collector_read_tasks(struct collector *c, uint64_t generation);

void collector_loss(struct collector *c, uint64_t *drops, uint64_t *map_full);
bool collector_has_syscalls(const struct collector *c);
int collector_sample_pct(const struct collector *c);
/* NULL when the per-fault hook knows the access kind (read, write, exec,
 * protection) of each fault; else why not, in a few words (the hook is the
 * perf fault events: arm64, which has no page_fault_user). */
const char *collector_no_access_why(const struct collector *c);

/* Ships every accounted fault of process tgid (its minor ones with the
 * hook's duty cycle, its major ones always) to sink->on_fault, as the ring
 * buffer is drained, and its signals to sink->on_signal. One process at a time; 0 or -errno. */
struct watch_sink {
	void (*on_fault)(void *ctx, const struct ft_ev_vma_fault *e);
	/* its SIGSEGV/SIGBUS, after procs has seen them */
	void (*on_signal)(void *ctx, const struct ft_ev_signal *e);
	void *ctx;
};
int collector_watch(struct collector *c, pid_t tgid, const struct watch_sink *sink);
void collector_unwatch(struct collector *c);
/* Faults of the watched process lost because the ring buffer was full. */
uint64_t collector_vma_drops(struct collector *c);

#endif
